from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ppp.admin import (
    DashboardRow,
    ProjectScopedAdminMixin,
    ReadOnlyHistoryAdmin,
    ServiceAddFormMixin,
    ServiceAdminMixin,
    adopt_created,
    form_changes,
    project_scope,
    run_form_action,
    run_service_action,
)
from ppp.errors import DomainError
from ppp.formatting import format_date

from . import alerts, services
from .models import (
    KPI,
    Alert,
    Deliverable,
    GateDecision,
    Iteration,
    KPIMeasurement,
    Milestone,
    PerformanceFailure,
    Project,
    Risk,
)
from .reports import milestone_report_pdf, portfolio_report_pdf
from .selectors import (
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


def days_overdue_cell(milestone):
    days = milestone.days_overdue(timezone.localdate())
    if not days:
        return "–"
    text = ngettext("{days} day", "{days} days", days).format(days=days)
    return format_html('<strong style="color:#ba2121">{}</strong>', text)


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


@admin.register(Project)
class ProjectAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "pk"
    service_module, service_entity = services, "project"
    list_display = [
        "code",
        "name",
        "agreement",
        "delivery_method",
        "phase",
        "owner",
        "milestone_count",
        "overdue_count",
    ]
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

    @admin.display(description=_("Phase gate"))
    def phase_gate(self, obj):
        if not obj.pk:
            return gettext("New projects start in the pilot phase.")
        url = reverse("admin:projects_gatedecision_add") + f"?project={obj.pk}"
        return format_html(
            gettext(
                'The phase changes only through a recorded gate decision. <a class="addlink" href="{}">Record one</a>'
            ),
            url,
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
        return format_html('<strong style="color:#ba2121">{}</strong>', obj.overdue_count)


@admin.register(Iteration)
class IterationAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "project"
    service_module, service_entity = services, "iteration"
    list_display = ["name", "project", "start_date", "end_date"]
    list_select_related = ["project"]
    search_fields = ["name", "project__code"]
    autocomplete_fields = ["project"]


class DeliverableInline(ServiceAdminMixin, ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "milestone__project"
    service_module, service_entity, service_verbs = services, "deliverable", {"update": "edit"}
    model = Deliverable
    extra = 0
    fields = ["title", "responsible_vendor", "status", "progress", "evidence_url", "submitted_at"]
    readonly_fields = ["status", "submitted_at"]
    autocomplete_fields = ["responsible_vendor"]
    show_change_link = True


class AlertInline(ProjectScopedAdminMixin, admin.TabularInline):
    """The alerts raised for this milestone, read only: the scan writes them, officers resend from the list."""

    project_path = "milestone__project"
    model = Alert
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["level_name", "status", "scan_date", "recipient_list", "delivered", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    ordering = ["level"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Level"))
    def level_name(self, obj):
        return obj.level_label

    @admin.display(description=_("Recipients"))
    def recipient_list(self, obj):
        return ", ".join(obj.recipients) or "–"

    @admin.display(description=_("Delivered to"))
    def delivered(self, obj):
        return ", ".join(obj.delivered_to) or "–"


@admin.register(Milestone)
class MilestoneAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "project"
    service_module, service_entity = services, "milestone"
    list_display = [
        "title",
        "project",
        "status",
        "due_date",
        "days_overdue",
        "responsible_vendor",
        "deliverables_done",
        "payment_amount",
    ]
    list_filter = [
        "status",
        OverdueFilter,
        "type",
        "responsible_vendor",
        "project__agreement__authority",
        "project__phase",
    ]
    list_select_related = ["project", "responsible_vendor"]
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
        return super().get_queryset(request).with_deliverable_counts()

    @admin.display(description=_("Days overdue"), ordering="due_date")
    def days_overdue(self, obj):
        return days_overdue_cell(obj)

    @admin.display(description=_("Deliverables accepted"))
    def deliverables_done(self, obj):
        return f"{obj.deliverable_accepted} / {obj.deliverable_total}"

    @admin.display(description=_("Slip against baseline"))
    def slip(self, obj):
        if not obj.pk:
            return "–"
        return gettext("{slip:+d} days").format(slip=obj.slip_days) if obj.slip_days else gettext("on baseline")

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


@admin.register(Alert)
class AlertAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    """What the daily scan raised and whether it reached everyone. Written by the scan only; failed alerts
    can be sent again."""

    project_path = "milestone__project"
    list_display = [
        "milestone",
        "project",
        "level_name",
        "status",
        "scan_date",
        "recipient_count",
        "attempts",
        "sent_at",
        "error",
    ]
    list_filter = ["status", "level", "milestone__project", "scan_date"]
    list_select_related = ["milestone__project"]
    search_fields = ["milestone__title", "milestone__project__code", "last_error"]
    date_hierarchy = "scan_date"
    actions = ["resend_selected"]
    fields = [
        "milestone",
        "level",
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

    @admin.display(description=_("Level"), ordering="level")
    def level_name(self, obj):
        return obj.level_label

    @admin.display(description=_("Recipients"))
    def recipient_count(self, obj):
        return f"{len(obj.delivered_to)} / {len(obj.recipients)}"

    @admin.display(description=_("Last error"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(80) or "–"

    @admin.action(description=_("Send selected failed alerts again"), permissions=["change"])
    def resend_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda alert: alerts.alert_resend(alert_id=alert.pk, queue_digest=queue_alert_digest),
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
class DeliverableAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "milestone__project"
    service_module, service_entity, service_verbs = services, "deliverable", {"update": "edit"}
    form = DeliverableAdminForm
    list_display = [
        "title",
        "milestone",
        "project",
        "responsible_vendor",
        "status",
        "progress_display",
        "submitted_at",
        "reviewer",
    ]
    list_filter = [
        "status",
        "responsible_vendor",
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
        fields = ["project", "to_phase", "decided_on", "criteria_met", "notes", "override_reason"]

    def clean(self):
        cleaned = super().clean()
        project, to_phase = cleaned.get("project"), cleaned.get("to_phase")
        if project and to_phase:
            blocker = services.phase_gate_blocker(
                project,
                to_phase,
                criteria_met=cleaned.get("criteria_met", False),
                override_reason=cleaned.get("override_reason", ""),
                on=cleaned.get("decided_on"),
            )
            if blocker:
                raise forms.ValidationError(
                    gettext("{code} cannot move to {to_phase}: {blocker}.").format(
                        code=project.code, to_phase=to_phase, blocker=blocker
                    )
                )
        return cleaned


@admin.register(GateDecision)
class GateDecisionAdmin(ProjectScopedAdminMixin, ServiceAddFormMixin, admin.ModelAdmin):
    """Adding a decision moves the project through the gate (via ``project_change_phase``); decisions stay as made."""

    project_path = "project"
    form = GateDecisionForm
    list_display = ["project", "from_phase", "to_phase", "decided_on", "decided_by", "criteria_met", "override"]
    list_filter = ["to_phase", "criteria_met", "project__agreement__authority"]
    list_select_related = ["project", "decided_by"]
    search_fields = ["project__code", "project__name", "notes", "override_reason"]
    date_hierarchy = "decided_on"
    autocomplete_fields = ["project"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return GateDecisionForm._meta.fields
        return ["project", "from_phase", "to_phase", "decided_on", "decided_by", "criteria_met", "notes",
                "override_reason", "overdue_milestones_at_decision", "created_at"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Override"), boolean=True)
    def override(self, obj):
        return obj.is_override

    def save_model(self, request, obj, form, change):
        decision = services.project_change_phase(
            project_id=obj.project_id,
            to_phase=obj.to_phase,
            by=request.user,
            criteria_met=obj.criteria_met,
            notes=obj.notes,
            override_reason=obj.override_reason,
            decided_on=obj.decided_on,
        )
        adopt_created(obj, decision)


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
class RiskAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "project"
    service_module, service_entity = services, "risk"
    list_display = [
        "title",
        "project",
        "category",
        "likelihood",
        "impact",
        "score_display",
        "allocation",
        "owner",
        "status",
        "review_date",
    ]
    list_filter = [ReviewDueFilter, "status", "allocation", "category", "project__agreement__authority", "project"]
    list_select_related = ["project", "owner"]
    search_fields = ["title", "description", "project__code", "project__name"]
    date_hierarchy = "review_date"
    autocomplete_fields = ["project", "owner"]
    readonly_fields = ["score_display", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["project", "title", "description", "category"]}),
        (_("Assessment"), {"fields": ["likelihood", "impact", "score_display", "allocation"]}),
        (_("Response"), {"fields": ["owner", "mitigation", "status", "review_date"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("Score"), ordering="score")
    def score_display(self, obj):
        if obj.pk is None:
            return gettext("likelihood × impact, shown once saved")
        level = Risk.level_for(obj.score)
        return format_html(
            '<strong style="color:{}">{} ({})</strong>', LEVEL_COLOURS[level], obj.score, Risk.LEVEL_LABELS[level]
        )


class KPIMeasurementInline(ServiceAdminMixin, ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "kpi__project"
    service_module, service_entity = services, "kpi_measurement"
    model = KPIMeasurement
    extra = 1
    fields = ["date", "value", "note"]


@admin.register(KPI)
class KPIAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "project"
    service_module, service_entity = services, "kpi"
    list_display = [
        "name",
        "project",
        "unit",
        "baseline",
        "target",
        "direction",
        "latest",
        "trend_display",
        "target_met",
    ]
    list_filter = ["direction", "project__agreement__authority", "project"]
    list_select_related = ["project"]
    search_fields = ["name", "project__code", "project__name"]
    autocomplete_fields = ["project"]
    inlines = [KPIMeasurementInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_latest()

    @admin.display(description=_("Latest"))
    def latest(self, obj):
        return (
            "–"
            if obj.latest_value is None
            else f"{obj.format_value(obj.latest_value)} ({format_date(obj.latest_date)})"
        )

    @admin.display(description=_("Trend"))
    def trend_display(self, obj):
        return KPI.get_trend_display_for(obj.trend)

    @admin.display(description=_("On target"), boolean=True)
    def target_met(self, obj):
        return obj.on_target


@admin.register(PerformanceFailure)
class PerformanceFailureAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "milestone__project"
    service_module, service_entity = services, "performance_failure"
    list_display = [
        "milestone",
        "project",
        "vendor",
        "recorded_on",
        "penalty_contracted",
        "penalty_imposed",
        "penalty_paid",
        "outstanding",
    ]
    list_filter = ["vendor", "milestone__project__agreement__authority", "milestone__project"]
    list_select_related = ["milestone__project", "vendor"]
    search_fields = ["vendor__legal_name", "milestone__title", "milestone__project__code", "description"]
    date_hierarchy = "recorded_on"
    autocomplete_fields = ["milestone", "vendor"]
    readonly_fields = ["recorded_by"]

    @admin.display(description=_("Project"), ordering="milestone__project__code")
    def project(self, obj):
        return obj.milestone.project.code

    @admin.display(description=_("Outstanding"))
    def outstanding(self, obj):
        return obj.penalty_outstanding


# --- What the whole admin takes from projects ----------------------------------------------------------------
# Board members see only their boards' projects, on every app's project-scoped pages (ppp.admin.project_scope).
project_scope.install(scoped=scoped_to_visible_projects, sees_all=user_sees_all_projects)


def dashboard_rows(request) -> list[DashboardRow]:
    """The index's delivery lines, counted over the projects ``request.user`` may see."""
    today = timezone.localdate()

    def count(queryset):
        return scoped_to_visible_projects(queryset, request.user, "project").count()

    milestones = reverse("admin:projects_milestone_changelist")
    return [
        DashboardRow(
            key="overdue_count",
            label=gettext("Overdue milestones"),
            url=f"{milestones}?overdue=yes",
            count=count(Milestone.objects.overdue(on=today)),
            alarming=True,
            order=10,
        ),
        DashboardRow(
            key="due_soon_count",
            label=gettext("Open milestones due within {DUE_SOON_DAYS} days").format(
                DUE_SOON_DAYS=settings.DUE_SOON_DAYS
            ),
            url=f"{milestones}?overdue=soon",
            count=count(Milestone.objects.due_soon(on=today)),
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


admin.site.register_dashboard(dashboard_rows)
