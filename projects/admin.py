import datetime
from collections import defaultdict

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ppp import charts
from ppp.admin import (
    DashboardChart,
    DashboardRow,
    ProjectScopedAdminMixin,
    ReadOnlyHistoryAdmin,
    ServiceAddFormMixin,
    ServiceAdminMixin,
    WorkItem,
    WorkPanel,
    adopt_created,
    code_cell,
    form_changes,
    money_cell,
    my_work_filter,
    project_scope,
    run_form_action,
    run_service_action,
    short_text,
    status_badge,
    two_lines,
    work_panel,
)
from ppp.admin_lists import LargeListAdminMixin, autocomplete_filter
from ppp.errors import DomainError
from ppp.formatting import format_date, format_datetime
from procurement.models import VendorUser

from . import alerts, services
from .models import (
    KPI,
    Alert,
    AlertDelivery,
    Deliverable,
    GateCheck,
    GateCriterion,
    GateDecision,
    Iteration,
    KPIMeasurement,
    Milestone,
    Notification,
    PerformanceFailure,
    PerformanceFailureDispute,
    Project,
    Risk,
)
from .reports import milestone_report_pdf, portfolio_report_pdf
from .selectors import (
    deliverables_awaiting_review,
    milestones_needing_attention,
    my_projects_label,
    project_kpis,
    projects_visible_to,
    risks_due_for_review,
    scoped_to_visible_projects,
    user_sees_all_projects,
)
from .tasks import queue_alert_digest


class OverdueFilter(admin.SimpleListFilter):
    """Milestones past their due date and still open (due today is not late)."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", gettext("Overdue")), ("no", gettext("Not overdue")), ("soon", gettext("Due soon"))]

    def queryset(self, request, queryset):
        if self.value() == "soon":
            return queryset.filter(pk__in=Milestone.objects.due_soon(on=timezone.localdate()).values("pk"))
        overdue = Milestone.objects.overdue(on=timezone.localdate()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class ProjectOverdueFilter(OverdueFilter):
    title = _("has overdue milestones")

    def lookups(self, request, model_admin):
        return [("yes", gettext("Yes")), ("no", gettext("No"))]

    def queryset(self, request, queryset):
        late = Milestone.objects.overdue(on=timezone.localdate()).values("project_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=late)
        if self.value() == "no":
            return queryset.exclude(pk__in=late)
        return queryset


# Vendors (5,000) and projects (50,000) are chosen by typing into the admin's autocomplete, never listed.
VendorFilter = autocomplete_filter("responsible_vendor", _("vendor"))
ProjectFilter = autocomplete_filter("project", _("project"))
MilestoneProjectFilter = autocomplete_filter("milestone__project", _("project"))

# Who each escalation audience is, for the alert level labels ("Level 2 – board").
AUDIENCE_LABELS = {
    "owner": _("owner"),
    "vendor_contacts": _("vendor contacts"),
    "board": _("board"),
    "authority": _("authority"),
}


def alert_level_label(level: int) -> str:
    """``Due soon``, ``Level 1 – owner, vendor contacts``: the level and who it adds, from the settings."""
    if level == Alert.DUE_SOON:
        return gettext("Due soon")
    for configured in settings.ALERT_ESCALATION_LEVELS:
        if configured["level"] == level:
            audience = ", ".join(str(AUDIENCE_LABELS.get(name, name)) for name in configured["adds"])
            return gettext("Level %(level)s – %(audience)s") % {"level": level, "audience": audience}
    return Alert.label_for(level)


class AlertLevelFilter(admin.SimpleListFilter):
    """The levels by name (not 0/1/2/3): the configured ladder, so a changed ladder shows its own levels."""

    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        levels = [Alert.DUE_SOON, *(configured["level"] for configured in settings.ALERT_ESCALATION_LEVELS)]
        return [(str(level), alert_level_label(level)) for level in levels]

    def queryset(self, request, queryset):
        if self.value() is not None:
            try:
                return queryset.filter(level=int(self.value()))
            except ValueError:
                return queryset.none()
        return queryset


def days_overdue_cell(milestone):
    days = milestone.days_overdue(timezone.localdate())
    if not days:
        return "–"
    return format_html(
        '<span class="ppp-late">{}</span>', ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
    )


def due_cell(milestone):
    """The due date, with how late it is under it (in red) while the milestone is open and past due."""
    days = milestone.days_overdue(timezone.localdate())
    if not days:
        return format_html('<span class="ppp-nowrap">{}</span>', format_date(milestone.due_date))
    late = ngettext("%(days)d day late", "%(days)d days late", days) % {"days": days}
    return format_html(
        '<span class="ppp-nowrap">{}</span><br><span class="ppp-late">{}</span>', format_date(milestone.due_date), late
    )


def person(user) -> str:
    if user is None:
        return "–"
    return user.get_full_name() or user.get_username()


class AgencyUserChoiceField(forms.ModelMultipleChoiceField):
    """Board members by full name (the username in brackets tells two people of the same name apart)."""

    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name} ({user.get_username()})" if name else user.get_username()


def progress_bar(percent: int):
    return format_html(
        '<progress value="{}" max="100" title="{} %" aria-label="{} percent">{} %</progress>',
        percent,
        percent,
        percent,
        percent,
    )


class IterationInline(ServiceAdminMixin, ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "project"
    service_module, service_entity = services, "iteration"
    model = Iteration
    extra = 0


class MilestoneInline(ServiceAdminMixin, ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "project"
    service_module, service_entity = services, "milestone"
    model = Milestone
    extra = 0
    fields = ["title", "type", "due_date", "status", "responsible_vendor", "payment_amount", "late"]
    readonly_fields = ["status", "late"]
    autocomplete_fields = ["responsible_vendor"]
    show_change_link = True

    @admin.display(description=_("Days overdue"))
    def late(self, obj):
        return days_overdue_cell(obj) if obj.pk else "–"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("responsible_vendor")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "title" and field is not None:
            field.widget.attrs["size"] = 28  # the inline fits the page; the full title is on the milestone's page
        return field


@admin.register(Project)
class ProjectAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "pk"
    service_module, service_entity = services, "project"
    # Which projects, who runs them, what phase, and how many milestones are late.
    list_display = ["project_line", "agreement_ref", "phase_badge", "owner_name", "milestone_count", "overdue_count"]
    list_display_links = ["project_line"]
    list_secondary = ["agreement_ref", "owner_name", "milestone_count"]
    list_filter = ["phase", "delivery_method", "agreement__authority", ProjectOverdueFilter]
    list_select_related = ["agreement", "owner"]
    search_fields = ["code", "name", "agreement__reference"]
    date_hierarchy = "start_date"
    filter_horizontal = ["board_members"]
    autocomplete_fields = ["agreement", "owner"]
    inlines = [IterationInline, MilestoneInline]
    readonly_fields = ["phase", "phase_gate", "kpi_summary", "risks_due"]
    fieldsets = [
        (None, {"fields": ["code", "name", "agreement", "delivery_method", "owner", "board_members"]}),
        (_("Term and phase"), {"fields": ["start_date", "end_date", "phase", "phase_gate"]}),
        (_("Governance"), {"fields": ["kpi_summary", "risks_due"]}),
        (_("Description"), {"fields": ["description"]}),
    ]

    @admin.display(description=_("Project"), ordering="code")
    def project_line(self, obj):
        return two_lines(obj.code, short_text(obj.name, 60))

    @admin.display(description=_("Agreement"), ordering="agreement__reference")
    def agreement_ref(self, obj):
        return code_cell(obj.agreement.reference, obj.agreement)

    @admin.display(description=_("Phase"), ordering="phase")
    def phase_badge(self, obj):
        return status_badge(obj.phase, obj.get_phase_display())

    @admin.display(description=_("Owner"), ordering="owner__last_name")
    def owner_name(self, obj):
        return person(obj.owner)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "board_members":
            # Board members are the agency's people: a vendor's login never sits on the board that oversees it.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_active=True)
                .exclude(pk__in=VendorUser.objects.values("user_id"))
                .order_by("last_name", "first_name", "username")
            )
            kwargs["form_class"] = AgencyUserChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("Phase gate"))
    def phase_gate(self, obj):
        if not obj.pk:
            return gettext("New projects start at the first phase of their delivery method.")
        url = reverse("admin:projects_gatedecision_add")
        links = format_html_join(
            " ",
            '<a class="addlink" href="{}?project={}&amp;to_phase={}">{}</a>',
            (
                (url, obj.pk, phase, Project.Phase(phase).label)
                for phase in Project.next_phases(obj.delivery_method, obj.phase)
            ),
        )
        if not links:
            return gettext("The project is closed.")
        return format_html(
            "{} {}", gettext("The phase changes only through a recorded gate decision. Record one:"), links
        )

    @admin.display(description=_("KPIs (latest, target, trend)"))
    def kpi_summary(self, obj):
        if not obj.pk:
            return "–"
        rows = format_html_join(
            "",
            gettext("<li>{}: {} (target {}) – {} – {}</li>"),
            (
                (
                    kpi.name,
                    kpi.format_value(kpi.latest_value),
                    kpi.format_value(kpi.target),
                    kpi.get_trend_display_for(kpi.trend),
                    {True: gettext("on target"), False: gettext("off target"), None: "–"}[kpi.on_target],
                )
                for kpi in project_kpis(obj)
            ),
        )
        return format_html("<ul>{}</ul>", rows) if rows else gettext("No KPIs yet.")

    @admin.display(description=_("Risks past their review date"))
    def risks_due(self, obj):
        if not obj.pk:
            return "–"
        rows = format_html_join(
            "",
            gettext('<li><a href="{}">{}</a> – score {} – review was due {}</li>'),
            (
                (reverse("admin:projects_risk_change", args=[r.pk]), r.title, r.score, format_date(r.review_date))
                for r in risks_due_for_review(obj)
            ),
        )
        return format_html("<ul>{}</ul>", rows) if rows else gettext("None.")

    actions = ["download_milestone_report"]
    # Adds "Milestone report (PDF)" and "Board page" buttons beside "History".
    change_form_template = "admin/projects/project/change_form.html"

    @admin.action(
        description=_("Download milestone report (PDF; several projects make a portfolio)"), permissions=["view"]
    )
    def download_milestone_report(self, request, queryset):
        # The same scoping as the board pages: a board member's report holds only their boards' projects.
        projects = projects_visible_to(request.user).filter(pk__in=queryset.values("pk"))
        today = timezone.localdate()
        if len(projects) == 1:
            project = projects.select_related("agreement__authority").get()
            content, filename = milestone_report_pdf(project, on=today), f"milestone-report-{project.code}-{today}.pdf"
        elif projects:
            content, filename = portfolio_report_pdf(projects, on=today), f"portfolio-report-{today}.pdf"
        else:
            self.message_user(request, gettext("None of the selected projects is on your boards."), messages.WARNING)
            return None
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        return response

    def get_autocomplete_queryset(self, request):
        # Picking a project by name needs no milestone counts (they aggregate every milestone of every project).
        return super().get_queryset(request)

    def get_queryset(self, request):
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .annotate(
                milestone_count=Count("milestones", distinct=True),
                # "Overdue" as Milestone.objects.overdue() defines it, counted per project.
                overdue_count=Coalesce(
                    Subquery(
                        Milestone.objects.overdue(on=today)
                        .filter(project=OuterRef("pk"))
                        .order_by()
                        .values("project")
                        .annotate(count=Count("pk"))
                        .values("count")
                    ),
                    0,
                ),
            )
        )

    @admin.display(description=_("Milestones"), ordering="milestone_count")
    def milestone_count(self, obj):
        return obj.milestone_count

    @admin.display(description=_("Overdue"), ordering="overdue_count")
    def overdue_count(self, obj):
        if not obj.overdue_count:
            return 0
        return format_html('<span class="ppp-late">{}</span>', obj.overdue_count)


@admin.register(Iteration)
class IterationAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "project"
    service_module, service_entity = services, "iteration"
    list_display = ["name", "project_ref", "start_date", "end_date"]
    list_secondary = ["start_date"]
    list_select_related = ["project"]
    search_fields = ["name", "project__code"]
    autocomplete_fields = ["project"]

    @admin.display(description=_("Project"), ordering="project__code")
    def project_ref(self, obj):
        return code_cell(obj.project.code, obj.project)


class DeliverableInline(ServiceAdminMixin, ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "milestone__project"
    service_module, service_entity, service_verbs = services, "deliverable", {"update": "edit"}
    model = Deliverable
    extra = 0
    fields = ["title", "responsible_vendor", "status_badge", "progress", "evidence_url", "submitted"]
    readonly_fields = ["status_badge", "submitted"]
    autocomplete_fields = ["responsible_vendor"]
    show_change_link = True

    @admin.display(description=_("Status"))
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display()) if obj.pk else "–"

    @admin.display(description=_("Submitted"))
    def submitted(self, obj):
        return format_datetime(obj.submitted_at) if obj.pk else "–"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in ("title", "evidence_url"):
            field.widget.attrs["size"] = 24  # the row fits the page; the full text is on the deliverable's page
        return field


class AlertInline(ProjectScopedAdminMixin, admin.TabularInline):
    """The alerts raised for this milestone, read only: the scan writes them, officers resend from the list."""

    project_path = "milestone__project"
    model = Alert
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "level_name",
        "due_date",
        "status_badge",
        "scan_date",
        "recipient_list",
        "delivered",
        "attempts",
        "sent",
        "error",
    ]
    readonly_fields = fields
    ordering = ["-due_date", "level"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Level"))
    def level_name(self, obj):
        return alert_level_label(obj.level)

    @admin.display(description=_("Status"))
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("Sent"))
    def sent(self, obj):
        return format_datetime(obj.sent_at)

    @admin.display(description=_("Last error"))
    def error(self, obj):
        return obj.last_error or "–"

    @admin.display(description=_("Recipients"))
    def recipient_list(self, obj):
        return ", ".join(obj.recipients) or "–"

    @admin.display(description=_("Delivered to"))
    def delivered(self, obj):
        return ", ".join(obj.delivered_to) or "–"


@admin.register(Milestone)
class MilestoneAdmin(LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "project"
    service_module, service_entity = services, "milestone"
    # What is due when, how late, who delivers it, and what it pays.
    list_display = [
        "title_line",
        "status_badge",
        "due",
        "vendor_name",
        "deliverables_done",
        "payment_money",
    ]
    list_display_links = ["title_line"]
    list_secondary = ["vendor_name", "deliverables_done", "payment_money"]
    list_filter = [
        my_work_filter(milestones_needing_attention, _("Overdue or due soon on my projects")),
        "status",
        OverdueFilter,
        "type",
        VendorFilter,
        ProjectFilter,
        "project__agreement__authority",
        "project__phase",
    ]
    list_select_related = ["project__agreement", "responsible_vendor"]
    search_fields = ["title", "project__code", "project__name"]
    date_hierarchy = "due_date"
    autocomplete_fields = ["project", "iteration", "responsible_vendor"]
    readonly_fields = ["status", "delivered_on", "achieved_date", "slip"]
    inlines = [DeliverableInline, AlertInline]
    actions = ["start_selected", "achieve_selected", "miss_selected", "cancel_selected"]
    fieldsets = [
        (None, {"fields": ["project", "iteration", "title", "description", "type", "responsible_vendor"]}),
        (
            _("Schedule"),
            {"fields": ["baseline_due_date", "due_date", "slip", "status", "delivered_on", "achieved_date"]},
        ),
        (_("Payment"), {"fields": ["payment_amount"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_deliverable_counts_per_row()

    @admin.display(description=_("Days overdue"), ordering="due_date")
    def days_overdue(self, obj):
        return days_overdue_cell(obj)

    @admin.display(description=_("Milestone · project"), ordering="title")
    def title_line(self, obj):
        return two_lines(short_text(obj.title, 60), obj.project.code)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        # The enum's label: get_status_display() translates every choice's label to look one up (on each row).
        return status_badge(obj.status, Milestone.Status(obj.status).label)

    @admin.display(description=_("Due"), ordering="due_date")
    def due(self, obj):
        return due_cell(obj)

    @admin.display(description=_("Vendor"), ordering="responsible_vendor__legal_name")
    def vendor_name(self, obj):
        return short_text(obj.responsible_vendor, 32) if obj.responsible_vendor_id else "–"

    @admin.display(description=_("Payment"), ordering="payment_amount")
    def payment_money(self, obj):
        return money_cell(obj.payment_amount, obj.project.agreement.currency)

    @admin.display(description=_("Deliverables accepted"))
    def deliverables_done(self, obj):
        return f"{obj.deliverable_accepted} / {obj.deliverable_total}"

    @admin.display(description=_("Slip against baseline"))
    def slip(self, obj):
        if not obj.pk:
            return "–"
        if not obj.slip_days:
            return gettext("on baseline")
        # Slippage is never good news: later is red, earlier than the baseline is still a change (amber).
        return status_badge(
            "overdue" if obj.slip_days > 0 else "due_soon", gettext("{slip:+d} days").format(slip=obj.slip_days)
        )

    @admin.action(description=_("Mark selected milestones in progress"), permissions=["change"])
    def start_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.milestone_start(milestone_id=m.pk, by=request.user),
            gettext("marked in progress"),
        )

    @admin.action(description=_("Mark selected milestones achieved"), permissions=["change"])
    def achieve_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.milestone_achieve(milestone_id=m.pk, by=request.user),
            gettext("marked achieved"),
        )

    @admin.action(description=_("Mark selected milestones missed"), permissions=["change"])
    def miss_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.milestone_miss(milestone_id=m.pk, by=request.user),
            gettext("marked missed"),
        )

    @admin.action(description=_("Cancel selected milestones"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.milestone_cancel(milestone_id=m.pk, by=request.user),
            gettext("cancelled"),
        )


class InDoubtFilter(admin.SimpleListFilter):
    title = _("delivery in doubt")
    parameter_name = "in_doubt"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes: sent or not, nobody knows"))]

    def queryset(self, request, queryset):
        return queryset.in_doubt() if self.value() == "yes" else queryset


@admin.register(Alert)
class AlertAdmin(LargeListAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    """What the daily scan raised and whether it reached everyone. Written by the scan only; failed alerts
    can be sent again."""

    project_path = "milestone__project"
    # Which milestone was escalated how far, and did it reach everyone.
    list_display = [
        "milestone_line",
        "level_name",
        "status_badge",
        "due_date",
        "recipient_count",
        "doubt",
        "sent_at",
        "error",
    ]
    list_display_links = ["milestone_line"]
    # The scan date and attempts are on the alert's page (and the scan date in the filter and date bar): ten
    # columns did not fit 1440 px.
    list_secondary = ["due_date", "recipient_count", "doubt", "sent_at", "error"]
    list_filter = [InDoubtFilter, "status", "kind", AlertLevelFilter, MilestoneProjectFilter, "scan_date"]
    list_select_related = ["milestone__project"]
    search_fields = ["milestone__title", "milestone__project__code", "last_error"]
    date_hierarchy = "scan_date"
    actions = ["resend_selected"]
    fields = [
        "milestone",
        "kind",
        "level",
        "due_date",
        "status",
        "scan_date",
        "recipients",
        "delivered_to",
        "attempts",
        "sent_at",
        "last_error",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # The record of who was told what, and when, stays.
        return False

    def has_change_permission(self, request, obj=None):
        # Read only: the change permission is for the resend action on the list.
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description=_("Project"), ordering="milestone__project__code")
    def project(self, obj):
        return obj.milestone.project.code

    @admin.display(description=_("Milestone · project"), ordering="milestone__title")
    def milestone_line(self, obj):
        return two_lines(short_text(obj.milestone.title, 50), obj.milestone.project.code)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("Level"), ordering="level")
    def level_name(self, obj):
        return alert_level_label(obj.level)

    @admin.display(description=_("Recipients"))
    def recipient_count(self, obj):
        return f"{len(obj.delivered_to)} / {len(obj.recipients)}"

    @admin.display(description=_("Last error"))
    def error(self, obj):
        return short_text(obj.last_error, 60) if obj.last_error else "–"

    def get_queryset(self, request):
        # The in-doubt deliveries of the page's alerts, in one query (the "In doubt" column).
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("deliveries", queryset=AlertDelivery.objects.in_doubt().order_by("pk"), to_attr="in_doubt")
            )
        )

    @admin.display(description=_("In doubt"))
    def doubt(self, obj):
        """Recipients whose copy went to the mail server but was never recorded as sent: it may or may not have
        arrived. Never sent again automatically; resending may give them a second copy."""
        return ", ".join(delivery.recipient for delivery in obj.in_doubt) or "–"

    @admin.action(description=_("Send selected pending, failed or in-doubt alerts again"), permissions=["change"])
    def resend_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda alert: alerts.alert_resend(alert_id=alert.pk, queue_digest=queue_alert_digest, by=request.user),
            gettext("queued again"),
        )


class DeliverableAdminForm(forms.ModelForm):
    """Carries the version the officer read, so saving over a vendor's newer report is refused, not lost."""

    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["read_version"].initial = self.instance.version


@admin.register(Deliverable)
class DeliverableAdmin(LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "milestone__project"
    service_module, service_entity, service_verbs = services, "deliverable", {"update": "edit"}
    form = DeliverableAdminForm
    # What waits for review, from whom, since when.
    list_display = [
        "title_line",
        "vendor_name",
        "status_badge",
        "progress_display",
        "submitted",
        "reviewer_name",
    ]
    list_display_links = ["title_line"]
    list_secondary = ["vendor_name", "progress_display", "reviewer_name"]
    list_filter = [
        my_work_filter(deliverables_awaiting_review, _("Waiting for my review")),
        "status",
        VendorFilter,
        MilestoneProjectFilter,
        "milestone__project__phase",
        "milestone__project__agreement__authority",
    ]
    list_select_related = ["milestone__project", "responsible_vendor", "reviewer"]
    search_fields = ["title", "milestone__title", "milestone__project__code"]
    date_hierarchy = "submitted_at"
    autocomplete_fields = ["milestone", "responsible_vendor"]
    readonly_fields = [
        "status",
        "submitted_at",
        "first_approved_by",
        "first_approved_at",
        "reviewed_at",
        "reviewer",
        "review_comment",
        "version",
    ]
    actions = ["accept_selected", "reject_selected"]

    @admin.display(description=_("Project"), ordering="milestone__project__code")
    def project(self, obj):
        return obj.milestone.project.code

    @admin.display(description=_("Progress"), ordering="progress")
    def progress_display(self, obj):
        return progress_bar(obj.progress)

    @admin.display(description=_("Deliverable · milestone"), ordering="title")
    def title_line(self, obj):
        return two_lines(
            short_text(obj.title, 60), short_text(f"{obj.milestone.project.code} · {obj.milestone.title}", 60)
        )

    @admin.display(description=_("Vendor"), ordering="responsible_vendor__legal_name")
    def vendor_name(self, obj):
        return short_text(obj.responsible_vendor, 32)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        badge = status_badge(obj.status, Deliverable.Status(obj.status).label)
        if obj.awaiting_second_approval:
            return two_lines(badge, gettext("first approval given"))
        return badge

    @admin.display(description=_("Submitted"), ordering="submitted_at")
    def submitted(self, obj):
        return format_date(obj.submitted_at)

    @admin.display(description=_("Reviewer"), ordering="reviewer__last_name")
    def reviewer_name(self, obj):
        return person(obj.reviewer)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        edited = services.deliverable_edit(
            deliverable_id=obj.pk,
            by=request.user,
            changes=form_changes(form),
            expected_version=form.cleaned_data.get("read_version"),
        )
        adopt_created(obj, edited)

    @admin.action(description=_("Accept selected deliverables"), permissions=["change"])
    def accept_selected(self, request, queryset):
        # As run_service_action, but a first approval under the four-eyes rule is told apart from an acceptance.
        accepted, first_approvals, refused = 0, [], []
        for deliverable in queryset:
            try:
                reviewed = services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=request.user)
            except DomainError as exc:
                refused.append(exc.message)
            else:
                if reviewed.awaiting_second_approval:
                    first_approvals.append(reviewed)
                else:
                    accepted += 1
        if accepted:
            self.message_user(
                request, gettext("Accepted {accepted} item(s).").format(accepted=accepted), messages.SUCCESS
            )
        for reviewed in first_approvals:
            self.message_user(
                request,
                gettext(
                    "'{reviewed}': first approval recorded; needs a second officer to accept it (four-eyes rule)."
                ).format(reviewed=reviewed),
                messages.WARNING,
            )
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)

    @admin.action(description=_("Reject selected deliverables (asks for a comment)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return run_form_action(
            self,
            request,
            queryset.select_related("milestone", "responsible_vendor"),
            action="reject_selected",
            title=gettext("Reject deliverables"),
            intro=gettext("These deliverables go back to their vendors with your comment:"),
            submit=gettext("Reject with this comment"),
            service=lambda d, comment: services.deliverable_reject(
                deliverable_id=d.pk, reviewer=request.user, comment=comment
            ),
            verb=gettext("rejected"),
            label=gettext("Comment"),
            help_text=gettext("Tell the vendor what to fix; they see this comment."),
            field_name="comment",
            describe=lambda d: f"{d.title} — {d.milestone} ({d.responsible_vendor}, {d.get_status_display()})",
        )


# --- Governance ------------------------------------------------------------------------------


class GateDecisionForm(forms.ModelForm):
    class Meta:
        model = GateDecision
        fields = ["project", "to_phase", "meeting_date", "notes", "override_reason"]


def _gate_of_request(request) -> tuple[Project | None, str | None]:
    """The project and next phase the add form is for: from the posted form, else from the link that opened it
    (``?project=…&to_phase=…``; without a phase, the project's next phase in its lifecycle)."""
    source = request.POST if request.method == "POST" else request.GET
    try:
        project = projects_visible_to(request.user).get(pk=int(source.get("project", "")))
    except (ValueError, Project.DoesNotExist):
        return None, None
    to_phase = source.get("to_phase") or next(iter(Project.next_phases(project.delivery_method, project.phase)), None)
    return project, to_phase if to_phase in Project.Phase.values else None


class CriterionWidget(forms.HiddenInput):
    """Shows the check's text; posts the criterion's id (the rows are the gate's checklist, not a choice)."""

    def render(self, name, value, attrs=None, renderer=None):
        criterion = GateCriterion.objects.filter(pk=value).first() if str(value or "").isdigit() else None
        hidden = super().render(name, value, attrs, renderer)
        guidance = (
            format_html('<br><span class="help">{}</span>', criterion.guidance)
            if criterion and criterion.guidance
            else ""
        )
        return format_html("{}<strong>{}</strong>{}", hidden, criterion or "", guidance)


class GateCheckForm(forms.ModelForm):
    class Meta:
        model = GateCheck
        fields = ["criterion", "met", "evidence"]
        widgets = {"criterion": CriterionWidget, "evidence": forms.Textarea(attrs={"rows": 2, "cols": 50})}


class GateChecklistFormSet(forms.BaseInlineFormSet):
    """The checklist of the gate being decided; its clean applies the gate rule to the answers as posted."""

    def clean(self):
        super().clean()
        decision = self.instance
        if any(self.errors) or not decision.project_id or not decision.to_phase:
            return
        answers = [form.cleaned_data for form in self.forms if form.cleaned_data]
        expected = [c.pk for c in services.gate_checklist(decision.project, decision.to_phase)]
        if sorted(answer["criterion"].pk for answer in answers) != sorted(expected):
            raise forms.ValidationError(
                gettext(
                    "These checks are not the checklist of the %(phase)s gate; open the form again from the project."
                )
                % {"phase": decision.get_to_phase_display()}
            )
        blocker = services.phase_gate_blocker(
            decision.project,
            decision.to_phase,
            checks_met=all(answer["met"] for answer in answers),
            override_reason=decision.override_reason,
        )
        if blocker:
            raise forms.ValidationError(
                gettext("%(project)s cannot move to %(phase)s: %(blocker)s.")
                % {"project": decision.project.code, "phase": decision.get_to_phase_display(), "blocker": blocker}
            )


class GateCheckInline(admin.TabularInline):
    """The gate's checklist: on a new decision one row per criterion to answer; on a recorded one, as answered."""

    model = GateCheck
    form = GateCheckForm
    formset = GateChecklistFormSet
    extra = 0
    can_delete = False
    verbose_name = _("check")
    verbose_name_plural = _("gate checklist")

    def _checklist(self, request, obj):
        if obj is not None and obj.pk:
            return None
        project, to_phase = _gate_of_request(request)
        return services.gate_checklist(project, to_phase) if project and to_phase else []

    def get_min_num(self, request, obj=None, **kwargs):
        checklist = self._checklist(request, obj)
        return 0 if checklist is None else len(checklist)

    def get_max_num(self, request, obj=None, **kwargs):
        checklist = self._checklist(request, obj)
        return None if checklist is None else len(checklist)

    def get_readonly_fields(self, request, obj=None):
        return ["criterion", "met", "evidence"] if obj is not None and obj.pk else []

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")


@admin.register(GateDecision)
class GateDecisionAdmin(ProjectScopedAdminMixin, ServiceAddFormMixin, admin.ModelAdmin):
    """Adding a decision moves the project through the gate (via ``project_change_phase``); decisions stay as made.

    The add form shows the checklist of the gate it was opened for (the project page links one per next phase).
    It is dated by the service when saved; a board that met earlier goes in the meeting date."""

    project_path = "project"
    form = GateDecisionForm
    inlines = [GateCheckInline]
    list_display = ["project_ref", "phases", "decided_on", "decided_by", "criteria_met", "override"]
    list_secondary = ["decided_by", "criteria_met"]
    list_filter = ["to_phase", "criteria_met", "project__delivery_method", "project__agreement__authority"]
    list_select_related = ["project", "decided_by"]
    search_fields = ["project__code", "project__name", "notes", "override_reason"]
    date_hierarchy = "decided_on"
    autocomplete_fields = ["project"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return GateDecisionForm._meta.fields
        return ["project", "from_phase", "to_phase", "decided_on", "meeting_date", "decided_by", "criteria_met",
                "notes", "override_reason", "overdue_milestones_at_decision", "created_at"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        project, to_phase = _gate_of_request(request)
        if project and to_phase:
            initial["to_phase"] = to_phase
        return initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj.pk or not isinstance(inline, GateCheckInline):
            return kwargs
        checklist = inline._checklist(request, obj)
        kwargs["initial"] = [{"criterion": criterion.pk} for criterion in checklist]
        if request.method == "POST":
            posted = {
                value
                for key, value in request.POST.items()
                if key.startswith(f"{prefix}-") and key.endswith("-criterion")
            }
            if posted != {str(criterion.pk) for criterion in checklist}:
                # The officer changed the project or the next phase: show that gate's checklist to answer.
                kwargs.pop("data", None), kwargs.pop("files", None)
                self.message_user(
                    request,
                    gettext("Answer the checklist of this gate below, then save again."),
                    messages.WARNING,
                )
        return kwargs

    @admin.display(description=_("Override"), boolean=True)
    def override(self, obj):
        return obj.is_override

    @admin.display(description=_("Project"), ordering="project__code")
    def project_ref(self, obj):
        return code_cell(obj.project.code, obj.project)

    @admin.display(description=_("Gate"), ordering="to_phase")
    def phases(self, obj):
        return f"{obj.get_from_phase_display()} → {obj.get_to_phase_display()}"

    def save_model(self, request, obj, form, change):
        pass  # saved with its checks in save_related, through the service

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        (checklist,) = formsets
        decision = services.project_change_phase(
            project_id=obj.project_id,
            to_phase=obj.to_phase,
            by=request.user,
            checks=[form.cleaned_data for form in checklist.forms if form.cleaned_data],
            notes=obj.notes,
            override_reason=obj.override_reason,
            meeting_date=obj.meeting_date,
        )
        adopt_created(obj, decision)
        # The admin's change message lists what the formset saved: here, the checks the service recorded.
        checklist.new_objects, checklist.changed_objects, checklist.deleted_objects = (
            list(decision.checks.all()),
            [],
            [],
        )


@admin.register(GateCriterion)
class GateCriterionAdmin(ServiceAdminMixin, ReadOnlyHistoryAdmin):
    """Officers keep the gate checklists here; a criterion already answered is retired (Active off), not deleted."""

    service_module, service_entity = services, "gate_criterion"
    list_display = ["criterion", "delivery_method", "to_phase", "position", "active"]
    list_display_links = ["criterion"]
    list_secondary = ["delivery_method", "position"]
    list_filter = ["delivery_method", "to_phase", "active"]
    search_fields = ["text", "guidance"]

    @admin.display(description=_("Criterion"), ordering="text")
    def criterion(self, obj):
        return short_text(obj.text, 60)


class ReviewDueFilter(admin.SimpleListFilter):
    """Live risks whose review date has passed (reviewing today is not late)."""

    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", gettext("Past review date"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(pk__in=Risk.objects.due_for_review().values("pk"))
        return queryset


LEVEL_COLOURS = {"low": "#417505", "medium": "#b08d00", "high": "#d35400", "critical": "#ba2121"}


@admin.register(Risk)
class RiskAdmin(LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "project"
    service_module, service_entity = services, "risk"
    # Which risks are serious, who holds them, and when they are next reviewed.
    list_display = [
        "title_line",
        "category",
        "score_display",
        "allocation",
        "owner_name",
        "status_badge",
        "review_date",
    ]
    list_display_links = ["title_line"]
    list_secondary = ["category", "allocation", "owner_name", "review_date"]
    list_filter = [ReviewDueFilter, "status", "allocation", "category", "project__agreement__authority", ProjectFilter]
    list_select_related = ["project", "owner"]
    search_fields = ["title", "description", "project__code", "project__name"]
    date_hierarchy = "review_date"
    autocomplete_fields = ["project", "owner", "allocated_to"]
    readonly_fields = ["score_display", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["project", "title", "description", "category"]}),
        (_("Assessment"), {"fields": ["likelihood", "impact", "score_display", "allocation", "allocated_to"]}),
        (_("Response"), {"fields": ["owner", "mitigation", "status", "review_date"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("Risk · project"), ordering="title")
    def title_line(self, obj):
        return two_lines(short_text(obj.title, 60), obj.project.code)

    @admin.display(description=_("Owner"), ordering="owner__last_name")
    def owner_name(self, obj):
        return person(obj.owner)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("Score"), ordering="score")
    def score_display(self, obj):
        if obj.pk is None:
            return gettext("likelihood × impact, shown once saved")
        level = Risk.level_for(obj.score)
        return format_html(
            '<strong style="color:{}" title="{} × {}">{} ({})</strong>',
            LEVEL_COLOURS[level],
            obj.likelihood,
            obj.impact,
            obj.score,
            Risk.LEVEL_LABELS[level],
        )


class KPIMeasurementInline(ServiceAdminMixin, ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "kpi__project"
    service_module, service_entity = services, "kpi_measurement"
    model = KPIMeasurement
    extra = 1
    fields = ["period_start", "date", "value", "note", "status", "reported_by_vendor"]
    # A vendor's report is confirmed or rejected from the KPI measurements list, not edited here.
    readonly_fields = ["status", "reported_by_vendor"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reported_by_vendor")


@admin.register(KPIMeasurement)
class KPIMeasurementAdmin(LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    """Every measurement, with the vendors' reports awaiting confirmation one filter away."""

    project_path = "kpi__project"
    service_module, service_entity = services, "kpi_measurement"
    list_display = ["kpi_line", "period_start", "date", "value", "status_badge", "reported_by_vendor", "reported_on"]
    list_display_links = ["kpi_line"]
    # On a phone: which KPI, when, what value and whether it counts.
    list_secondary = ["period_start", "reported_by_vendor", "reported_on"]
    # No filter listing every vendor (a national programme has thousands): search finds a vendor's reports.
    list_filter = ["status", autocomplete_filter("kpi__project", _("project"))]
    list_select_related = ["kpi__project", "reported_by_vendor"]
    search_fields = ["kpi__name", "kpi__project__code", "note", "reported_by_vendor__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["kpi"]
    readonly_fields = [
        "status",
        "reported_by_vendor",
        "reported_by",
        "reported_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
    ]
    actions = ["confirm_selected", "reject_selected"]

    @admin.display(description=_("KPI"), ordering="kpi__name")
    def kpi_line(self, obj):
        return two_lines(short_text(obj.kpi.name, 32), obj.kpi.project.code)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        # The short word in the badge; "Reported (awaiting confirmation)" is the filter's and the form's label.
        short = {KPIMeasurement.Status.REPORTED: _("Reported")}.get(obj.status, obj.get_status_display())
        return status_badge(obj.status, short)

    @admin.display(description=_("Reported on"), ordering="reported_at")
    def reported_on(self, obj):
        return format_date(obj.reported_at.date()) if obj.reported_at else "–"

    @admin.action(description=_("Confirm selected reported measurements"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.kpi_measurement_confirm(kpi_measurement_id=m.pk, by=request.user),
            "confirmed",
        )

    @admin.action(description=_("Reject selected reported measurements (asks for a reason)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return run_form_action(
            self,
            request,
            queryset.select_related("kpi", "reported_by_vendor"),
            action="reject_selected",
            title=_("Reject KPI measurements"),
            intro=_("These measurements will not count; their vendors read your reason:"),
            submit=_("Reject with this reason"),
            service=lambda m, reason: services.kpi_measurement_reject(
                kpi_measurement_id=m.pk, by=request.user, reason=reason
            ),
            verb=gettext("rejected"),
            label=_("Reason"),
            help_text=_("Tell the vendor what is wrong with the measurement."),
            field_name="reason",
            describe=lambda m: f"{m} ({m.reported_by_vendor or '–'}, {m.get_status_display()})",
        )


@admin.register(KPI)
class KPIAdmin(LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "project"
    service_module, service_entity = services, "kpi"
    list_display = ["name_line", "baseline", "target", "direction", "latest", "trend_display", "target_met"]
    list_display_links = ["name_line"]
    list_secondary = ["baseline", "direction", "trend_display"]
    list_filter = ["direction", "project__agreement__authority", ProjectFilter]
    list_select_related = ["project"]
    search_fields = ["name", "project__code", "project__name"]
    autocomplete_fields = ["project"]
    inlines = [KPIMeasurementInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_latest()

    @admin.display(description=_("KPI · project"), ordering="name")
    def name_line(self, obj):
        return two_lines(short_text(f"{obj.name} ({obj.unit})", 60), obj.project.code)

    @admin.display(description=_("Latest"))
    def latest(self, obj):
        if obj.latest_value is None:
            return "–"
        return f"{obj.format_value(obj.latest_value)} ({format_date(obj.latest_date)})"

    @admin.display(description=_("Trend"))
    def trend_display(self, obj):
        return KPI.get_trend_display_for(obj.trend)

    @admin.display(description=_("On target"), boolean=True)
    def target_met(self, obj):
        return obj.on_target


class PerformanceFailureDisputeInline(ProjectScopedAdminMixin, admin.TabularInline):
    """The vendor's disputes of the failure, read-only: officers decide them from the disputes list."""

    project_path = "failure__milestone__project"
    model = PerformanceFailureDispute
    fields = ["status", "reason", "raised_at", "decided_at", "decision_reason"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PerformanceFailure)
class PerformanceFailureAdmin(LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "milestone__project"
    service_module, service_entity = services, "performance_failure"
    # Which vendor failed what, and what the penalty is and still owes.
    list_display = [
        "milestone_line",
        "vendor_name",
        "recorded_on",
        "contracted_money",
        "imposed_money",
        "paid_money",
        "outstanding_money",
    ]
    list_display_links = ["milestone_line"]
    list_secondary = ["vendor_name", "contracted_money", "imposed_money", "paid_money"]
    list_filter = [
        autocomplete_filter("vendor", _("vendor")),
        "milestone__project__agreement__authority",
        MilestoneProjectFilter,
    ]
    list_select_related = ["milestone__project__agreement", "vendor"]
    search_fields = ["vendor__legal_name", "milestone__title", "milestone__project__code", "description"]
    date_hierarchy = "recorded_on"
    autocomplete_fields = ["milestone", "vendor"]
    readonly_fields = ["recorded_by"]
    inlines = [PerformanceFailureDisputeInline]

    @admin.display(description=_("Project"), ordering="milestone__project__code")
    def project(self, obj):
        return obj.milestone.project.code

    @admin.display(description=_("Outstanding"))
    def outstanding(self, obj):
        return obj.penalty_outstanding

    def _money(self, obj, amount):
        return money_cell(amount, obj.milestone.project.agreement.currency)

    @admin.display(description=_("Milestone · project"), ordering="milestone__title")
    def milestone_line(self, obj):
        return two_lines(short_text(obj.milestone.title, 50), obj.milestone.project.code)

    @admin.display(description=_("Vendor"), ordering="vendor__legal_name")
    def vendor_name(self, obj):
        return short_text(obj.vendor, 32)

    @admin.display(description=_("Contracted penalty"), ordering="penalty_contracted")
    def contracted_money(self, obj):
        return self._money(obj, obj.penalty_contracted)

    @admin.display(description=_("Imposed"), ordering="penalty_imposed")
    def imposed_money(self, obj):
        return self._money(obj, obj.penalty_imposed)

    @admin.display(description=_("Paid"), ordering="penalty_paid")
    def paid_money(self, obj):
        return self._money(obj, obj.penalty_paid)

    @admin.display(description=_("Outstanding"))
    def outstanding_money(self, obj):
        return self._money(obj, obj.penalty_outstanding)


@admin.register(PerformanceFailureDispute)
class PerformanceFailureDisputeAdmin(
    LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin
):
    """Vendors raise disputes through the partner API; officers uphold (waive the penalty) or dismiss them here."""

    project_path = "failure__milestone__project"
    service_module, service_entity = services, "performance_failure_dispute"
    list_display = ["failure", "vendor", "status", "raised_at", "decided_at", "decided_by"]
    list_filter = [
        "status",
        autocomplete_filter("vendor", _("vendor")),
        autocomplete_filter("failure__milestone__project", _("project")),
    ]
    list_select_related = ["failure__milestone", "failure__vendor", "vendor", "decided_by"]
    search_fields = ["vendor__legal_name", "failure__milestone__title", "reason"]
    date_hierarchy = "raised_at"
    actions = ["uphold_selected", "dismiss_selected"]

    def _decide(self, request, queryset, *, service, action, title, verb, submit):
        return run_form_action(
            self,
            request,
            queryset.select_related("failure__milestone", "vendor"),
            action=action,
            title=title,
            intro=_("The vendors read your reason:"),
            submit=submit,
            service=lambda d, reason: service(dispute_id=d.pk, by=request.user, reason=reason),
            verb=verb,
            label=_("Reason"),
            field_name="decision_reason",
            describe=lambda d: f"{d.failure} — {d.get_status_display()}: {Truncator(d.reason).chars(120)}",
        )

    @admin.action(
        description=_("Uphold selected disputes: waive the penalty (asks for a reason)"), permissions=["change"]
    )
    def uphold_selected(self, request, queryset):
        return self._decide(
            request,
            queryset,
            service=services.performance_failure_dispute_uphold,
            action="uphold_selected",
            title=_("Uphold disputes"),
            verb=gettext("upheld"),
            submit=_("Uphold: waive the penalty"),
        )

    @admin.action(description=_("Dismiss selected disputes (asks for a reason)"), permissions=["change"])
    def dismiss_selected(self, request, queryset):
        return self._decide(
            request,
            queryset,
            service=services.performance_failure_dispute_dismiss,
            action="dismiss_selected",
            title=_("Dismiss disputes"),
            verb=gettext("dismissed"),
            submit=_("Dismiss: the penalty stands"),
        )


# --- What the whole admin takes from projects ----------------------------------------------------------------
# Board members see only their boards' projects, on every app's project-scoped pages (ppp.admin.project_scope).
project_scope.install(scoped=scoped_to_visible_projects, sees_all=user_sees_all_projects)


def dashboard_rows(request) -> list[DashboardRow | WorkPanel | DashboardChart]:
    """The index's delivery lines, counted over the projects ``request.user`` may see, the officer's review and
    milestone panels, and the milestones-by-month chart."""
    today = timezone.localdate()
    user = request.user

    def count(queryset):
        return scoped_to_visible_projects(queryset, user, "project").count()

    # Overdue and due soon (as Milestone.objects.overdue() and due_soon() define them) in one pass over the open
    # milestones due by the end of the due-soon window: a range of the open milestones' due-date index.
    soon_until = today + datetime.timedelta(days=settings.DUE_SOON_DAYS)
    counts = (
        scoped_to_visible_projects(Milestone.objects.open(), user, "project")
        .filter(due_date__lte=soon_until)
        .aggregate(
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            due_soon=Count("pk", filter=Q(due_date__gte=today)),
        )
    )
    milestones = reverse("admin:projects_milestone_changelist")
    parts = [
        DashboardRow(
            key="overdue_count",
            label=gettext("Overdue milestones"),
            url=f"{milestones}?overdue=yes",
            count=counts["overdue"],
            alarming=True,
            order=10,
        ),
        DashboardRow(
            key="due_soon_count",
            label=gettext("Open milestones due within {DUE_SOON_DAYS} days").format(
                DUE_SOON_DAYS=settings.DUE_SOON_DAYS
            ),
            url=f"{milestones}?overdue=soon",
            count=counts["due_soon"],
            order=20,
        ),
        DashboardRow(
            key="risk_review_count",
            label=gettext("Risks past their review date"),
            url=f"{reverse('admin:projects_risk_changelist')}?review=overdue",
            count=count(Risk.objects.due_for_review(on=today)),
            alarming=True,
            order=30,
        ),
        DashboardRow(
            key="board_pages",
            label=gettext("Project board pages and milestone reports"),
            url=reverse("boards:project_list"),
            order=90,
        ),
    ]
    if user.has_perm("projects.change_deliverable"):
        parts.append(_review_panel(user))
    parts.append(_milestone_panel(user, today))
    parts.append(_milestone_chart(user, today))
    return parts


def _review_panel(user) -> WorkPanel:
    return work_panel(
        key="review_count",
        title=gettext("Deliverables waiting for my review"),
        changelist="admin:projects_deliverable_changelist",
        rows=deliverables_awaiting_review(user),
        item=lambda deliverable: WorkItem(
            text=deliverable.title,
            url=reverse("admin:projects_deliverable_change", args=[deliverable.pk]),
            detail=f"{deliverable.milestone.project.code} · {deliverable.responsible_vendor}",
            note=gettext("second approval")
            if deliverable.awaiting_second_approval
            else format_date(deliverable.submitted_at),
        ),
        empty=gettext("Nothing waits for your review."),
        order=10,
    )


def _milestone_panel(user, today) -> WorkPanel:
    def item(milestone):
        days = milestone.days_overdue(today)
        note = (
            ngettext("%(days)d day late", "%(days)d days late", days) % {"days": days}
            if days
            else gettext("due %(day)s") % {"day": format_date(milestone.due_date)}
        )
        return WorkItem(
            text=milestone.title,
            url=reverse("admin:projects_milestone_change", args=[milestone.pk]),
            detail=milestone.project.code,
            note=note,
        )

    return work_panel(
        key="attention_count",
        title=gettext("Milestones overdue or due soon on %(projects)s") % {"projects": my_projects_label(user)},
        changelist="admin:projects_milestone_changelist",
        rows=milestones_needing_attention(user, on=today),
        item=item,
        empty=gettext("No milestone is late or due within %(days)d days.") % {"days": settings.DUE_SOON_DAYS},
        alarming=lambda found: any(milestone.days_overdue(today) for milestone in found),
        order=40,
    )


# Milestones by month: how each month's milestones stand today, bottom-up.
MONTH_BUCKETS = [
    ("achieved", _("Achieved"), "good"),
    ("open", _("Open"), "info"),
    ("overdue", _("Overdue"), "bad"),
    ("missed", _("Missed"), "grave"),
    ("cancelled", _("Cancelled"), "muted"),
]


def _month_bucket(status: str, due_date: datetime.date, today: datetime.date) -> str:
    """Which ``MONTH_BUCKETS`` column a milestone counts in: open ones split into overdue and open."""
    if status in Milestone.OPEN_STATUSES:
        return "overdue" if due_date < today else "open"
    return status


def _milestone_chart(user, today, months: int = 12) -> DashboardChart:
    # The first day of the month ``months - 1`` before this one (counted in months: days drift across a year).
    back = today.year * 12 + today.month - 1 - (months - 1)
    first = datetime.date(back // 12, back % 12 + 1, 1)
    month_starts = []
    month = first
    for _index in range(months):
        month_starts.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    end = month  # the first day after the last month shown
    # Counted per day and status in SQL (an index-only scan of the due-date index, which carries the status; a
    # year of a national programme is a quarter of a million milestones), then put in month and bucket here:
    # a few hundred rows.
    counts = defaultdict(int)
    for row in (
        scoped_to_visible_projects(Milestone.objects.all(), user, "project")
        .filter(due_date__gte=first, due_date__lt=end)
        .values("due_date", "status")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        counts[(row["due_date"].replace(day=1), _month_bucket(row["status"], row["due_date"], today))] += row["count"]
    series = [
        charts.Series(str(label), tone, [counts.get((start, key), 0) for start in month_starts])
        for key, label, tone in MONTH_BUCKETS
    ]
    categories = [date_format(start, "M") for start in month_starts]
    title = gettext("Milestones by due month, last %(months)d months") % {"months": months}
    return DashboardChart(
        key="milestone_chart",
        title=title,
        body=charts.stacked_columns(categories, series, title=title),
        note=gettext("Each month's milestones as they stand today, on %(projects)s.")
        % {"projects": gettext("every project") if user_sees_all_projects(user) else my_projects_label(user)},
        order=10,
    )


admin.site.register_dashboard(dashboard_rows)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Each officer's and board member's own alerts, in the app. Only ever their own: the queryset is the user's,
    superusers included, so another user's notification is a 404 here as everywhere."""

    list_display = ["alert_label", "milestone", "project", "due_date", "created_at", "read"]
    list_secondary = ["project", "due_date", "created_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    list_display_links = None
    actions = ["mark_read"]

    def get_queryset(self, request):
        return Notification.objects.for_user(request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or obj.user_id == request.user.pk)

    def has_change_permission(self, request, obj=None):
        # Only to mark read, through the actions and the "mark all" button; there is no edit form.
        return obj is None and self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Alert"))
    def alert_label(self, obj):
        return obj.alert.level_label

    @admin.display(description=_("Milestone"))
    def milestone(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:projects_milestone_change", args=[obj.alert.milestone_id]),
            obj.alert.milestone.title,
        )

    @admin.display(description=_("Project"))
    def project(self, obj):
        return obj.alert.milestone.project.code

    @admin.display(description=_("Due date"))
    def due_date(self, obj):
        return format_date(obj.alert.due_date)

    @admin.display(description=_("Read"), boolean=True)
    def read(self, obj):
        return obj.is_read

    @admin.action(description=_("Mark selected notifications as read"), permissions=["change"])
    def mark_read(self, request, queryset):
        marked = services.notifications_mark_all_read(by=request.user, ids=queryset.values("pk"))
        self.message_user(
            request,
            ngettext("Marked %(n)s notification read.", "Marked %(n)s notifications read.", marked) % {"n": marked},
        )

    def get_urls(self):
        mark_all = self.admin_site.admin_view(self.mark_all_read_view)
        return [path("read-all/", mark_all, name="projects_notification_read_all"), *super().get_urls()]

    def mark_all_read_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        marked = services.notifications_mark_all_read(by=request.user)
        self.message_user(
            request,
            ngettext("Marked %(n)s notification read.", "Marked %(n)s notifications read.", marked) % {"n": marked},
        )
        return HttpResponseRedirect(reverse("admin:projects_notification_changelist"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "unread_count": Notification.objects.filter(user=request.user).unread().count(),
        }
        return super().changelist_view(request, extra_context)


def notification_rows(request) -> list[DashboardRow]:
    """The index's unread count: each user's own."""
    return [
        DashboardRow(
            key="unread_notifications",
            label=gettext("Unread notifications"),
            url=f"{reverse('admin:projects_notification_changelist')}?read_at__isempty=1",
            count=Notification.objects.filter(user=request.user).unread().count(),
            alarming=True,
            order=5,
        )
    ]


admin.site.register_dashboard(notification_rows)
