"""Officers issue and revoke vendor API tokens in the admin ("Auth tokens" under Knox)."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext
from knox.admin import AuthTokenAdmin, AuthTokenCreateForm
from knox.models import AuthToken
from knox.settings import knox_settings

from procurement.models import VendorUser


class IssueTokenForm(AuthTokenCreateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expiry"].initial = timezone.now() + knox_settings.TOKEN_TTL
        self.fields["expiry"].help_text = "Leave as proposed; a token without expiry never stops working."
        self.fields["user"].help_text = "A user linked to a vendor (Vendors → users who act for this vendor)."

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not VendorUser.objects.filter(user=user).exists():
            raise forms.ValidationError(gettext("API tokens are issued to vendor users only."))
        return user


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class IssuedTokenAdmin(AuthTokenAdmin):
    """Issue: Add, pick the vendor user; the token is shown once. Revoke: delete it."""

    add_form = IssueTokenForm
    list_display = ["user", "token_key", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["token_key", "user__username"]

    def save_model(self, request, obj, form, change):
        super(AuthTokenAdmin, self).save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                gettext(
                    "Token for {user}: {token} — copy it now; it is stored hashed and cannot be shown again."
                ).format(user=obj.user, token=form.token),
                messages.WARNING,
            )
