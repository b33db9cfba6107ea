"""The officers' admin site, plus helpers the app admins share."""

from django.contrib import admin, messages
from django.utils import timezone

from ppp.errors import DomainError


class PPPAdminSite(admin.AdminSite):
    site_header = "ppp-tracker"
    site_title = "ppp-tracker"
    index_title = "Procurement and delivery"
    index_template = "admin/ppp_index.html"

    def index(self, request, extra_context=None):
        from procurement.models import Amendment
        from projects.models import Milestone, Risk

        today = timezone.localdate()
        extra_context = {
            **(extra_context or {}),
            "overdue_count": Milestone.objects.overdue(on=today).count(),
            "due_soon_count": Milestone.objects.due_within(7, on=today).count(),
            "risk_review_count": Risk.objects.due_for_review(on=today).count(),
            "pending_amendment_count": Amendment.objects.filter(status=Amendment.Status.PROPOSED).count(),
        }
        return super().index(request, extra_context)


def run_service_action(modeladmin, request, queryset, service, verb: str, **kwargs):
    """Call ``service`` for each selected object and tell the officer what happened and why not.

    Each object gets its own transaction (inside the service), so one refusal does not undo the rest.
    """
    done, refused = 0, []
    for obj in queryset:
        try:
            service(obj, **kwargs)
        except DomainError as exc:
            refused.append(exc.message)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{verb.capitalize()} {done} item(s).", messages.SUCCESS)
    for reason in refused:
        modeladmin.message_user(request, reason, messages.ERROR)


class ServiceAddFormMixin:
    """For admins whose add form saves through a service (which adopts the result with ``adopt_created``).

    The form runs the service's checks first; if the service still refuses (someone changed the data in
    between), the officer is told why and sent back to the form instead of seeing a server error.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        from django.http import HttpResponseRedirect

        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def adopt_created(unsaved, created):
    """Make the admin's unsaved add-form object stand for the one a service created.

    Used by add forms whose save goes through a service: the admin then logs and redirects to the real object.
    """
    unsaved.__dict__.update({key: value for key, value in created.__dict__.items() if key != "_state"})
    unsaved._state.adding = False
    unsaved._state.db = created._state.db
    return unsaved


def run_form_action(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    intro: str,
    submit: str,
    service,
    verb: str,
    label: str,
    help_text: str = "",
    field_name: str = "note",
    describe=str,
):
    """An admin action that first asks for one required text (a reason, a comment), then calls ``service(obj, text)``
    for each selected object. Returns the intermediate page until the text is given."""
    from django import forms
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.template.response import TemplateResponse

    form_class = type(
        "ActionTextForm",
        (forms.Form,),
        {
            field_name: forms.CharField(
                label=label, help_text=help_text, widget=forms.Textarea(attrs={"rows": 4, "cols": 60})
            )
        },
    )
    applying = "apply" in request.POST
    form = form_class(request.POST if applying else None)
    if applying and form.is_valid():
        text = form.cleaned_data[field_name]
        run_service_action(modeladmin, request, queryset, lambda obj: service(obj, text), verb)
        return None
    if applying:
        modeladmin.message_user(request, f"{label} is required.", messages.ERROR)
    opts = modeladmin.model._meta
    return TemplateResponse(
        request,
        "admin/ppp/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "opts": opts,
            "objects": [(obj.pk, describe(obj)) for obj in queryset],
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        },
    )
