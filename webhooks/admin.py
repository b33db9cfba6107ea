"""Officers read vendors' webhook endpoints (with their history) and the delivery log, and redeliver."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ppp.admin import ReadOnlyHistoryAdmin, run_service_action
from ppp.templatetags.ppp_format import moment

from . import services
from .models import WebhookDelivery, WebhookEndpoint


class ReadOnlyAdminMixin:
    """Vendors register and change their endpoints through the partner API; the secret never shows here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ("url", "vendor", "is_active", "subscribed", "created_at")
    list_filter = ("is_active", "vendor")
    search_fields = ("url", "description", "vendor__legal_name")
    list_select_related = ("vendor",)
    fields = (
        "vendor",
        "url",
        "description",
        "events",
        "is_active",
        "secret_rotated_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("events"))
    def subscribed(self, obj):
        return ", ".join(obj.events) if obj.events else _("all")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event", "event_id", "endpoint_url", "vendor", "status", "attempts", "last_status_code", "created")
    list_filter = ("status", "event")
    search_fields = ("event_id", "endpoint__url", "endpoint__vendor__legal_name")
    list_select_related = ("endpoint__vendor",)
    actions = ["redeliver_selected"]
    fields = ("endpoint", *WebhookDelivery.LOG_FIELDS, "redelivery_requested_at", "redelivery_requested_by")
    readonly_fields = fields

    @admin.display(description=_("endpoint"), ordering="endpoint__url")
    def endpoint_url(self, obj):
        return obj.endpoint.url

    @admin.display(description=_("vendor"), ordering="endpoint__vendor__legal_name")
    def vendor(self, obj):
        return obj.endpoint.vendor

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    def get_actions(self, request):
        # Actions are offered to whoever may view; redelivering is a change, so it needs the change permission.
        actions = super().get_actions(request)
        if not request.user.has_perm("webhooks.change_webhookdelivery"):
            actions.pop("redeliver_selected", None)
        return actions

    @admin.action(description=_("Redeliver selected deliveries"))
    def redeliver_selected(self, request, queryset):
        if not request.user.has_perm("webhooks.change_webhookdelivery"):
            return
        run_service_action(
            self,
            request,
            queryset,
            lambda delivery: services.delivery_redeliver(delivery_id=delivery.pk, by=request.user),
            str(_("queued again")),
        )
