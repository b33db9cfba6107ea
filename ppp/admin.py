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
        from projects.models import Milestone

        today = timezone.localdate()
        extra_context = {
            **(extra_context or {}),
            "overdue_count": Milestone.objects.overdue(on=today).count(),
            "due_soon_count": Milestone.objects.due_within(7, on=today).count(),
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
