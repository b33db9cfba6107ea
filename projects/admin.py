from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from ppp.admin import run_service_action

from . import alerts, services
from .models import Alert, Deliverable, Iteration, Milestone, Project


class OverdueFilter(admin.SimpleListFilter):
    """Milestones past their due date and still open (due today is not late)."""

    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = Milestone.objects.overdue(on=timezone.localdate()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class ProjectOverdueFilter(OverdueFilter):
    title = "has overdue milestones"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

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
    return format_html('<strong style="color:#ba2121">{} day{}</strong>', days, "" if days == 1 else "s")


def progress_bar(percent: int):
    return format_html(
        '<progress value="{}" max="100" title="{} %" aria-label="{} percent">{} %</progress>',
        percent,
        percent,
        percent,
        percent,
    )


class IterationInline(admin.TabularInline):
    model = Iteration
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["title", "type", "due_date", "status", "responsible_vendor", "payment_amount", "late"]
    readonly_fields = ["status", "late"]
    autocomplete_fields = ["responsible_vendor"]
    show_change_link = True

    @admin.display(description="Days overdue")
    def late(self, obj):
        return days_overdue_cell(obj) if obj.pk else "–"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("responsible_vendor")


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
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

    def get_queryset(self, request):
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .annotate(
                milestone_count=Count("milestones", distinct=True),
                overdue_count=Count(
                    "milestones",
                    filter=Q(milestones__status__in=Milestone.OPEN_STATUSES, milestones__due_date__lt=today),
                    distinct=True,
                ),
            )
        )

    @admin.display(description="Milestones", ordering="milestone_count")
    def milestone_count(self, obj):
        return obj.milestone_count

    @admin.display(description="Overdue", ordering="overdue_count")
    def overdue_count(self, obj):
        if not obj.overdue_count:
            return 0
        return format_html('<strong style="color:#ba2121">{}</strong>', obj.overdue_count)


@admin.register(Iteration)
class IterationAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "start_date", "end_date"]
    list_select_related = ["project"]
    search_fields = ["name", "project__code"]
    autocomplete_fields = ["project"]


class DeliverableInline(admin.TabularInline):
    model = Deliverable
    extra = 0
    fields = ["title", "responsible_vendor", "status", "progress", "evidence_url", "submitted_at"]
    readonly_fields = ["status", "submitted_at"]
    autocomplete_fields = ["responsible_vendor"]
    show_change_link = True


class AlertInline(admin.TabularInline):
    """The alerts raised for this milestone, read only: the scan writes them, officers resend from the list."""

    model = Alert
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["level_name", "status", "scan_date", "recipient_list", "delivered", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    ordering = ["level"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Level")
    def level_name(self, obj):
        return obj.level_label

    @admin.display(description="Recipients")
    def recipient_list(self, obj):
        return ", ".join(obj.recipients) or "–"

    @admin.display(description="Delivered to")
    def delivered(self, obj):
        return ", ".join(obj.delivered_to) or "–"


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
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
    readonly_fields = ["status", "achieved_date", "slip"]
    inlines = [DeliverableInline, AlertInline]
    actions = ["achieve_selected", "miss_selected", "cancel_selected"]
    fieldsets = [
        (None, {"fields": ["project", "iteration", "title", "description", "type", "responsible_vendor"]}),
        ("Schedule", {"fields": ["baseline_due_date", "due_date", "slip", "status", "achieved_date"]}),
        ("Payment", {"fields": ["payment_amount"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                deliverable_total=Count("deliverables"),
                deliverable_accepted=Count("deliverables", filter=Q(deliverables__status=Deliverable.Status.ACCEPTED)),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # The baseline is the first plan: set once, then it stays for the slip to be measured against.
        return [*self.readonly_fields, "baseline_due_date"] if obj else self.readonly_fields

    @admin.display(description="Days overdue", ordering="due_date")
    def days_overdue(self, obj):
        return days_overdue_cell(obj)

    @admin.display(description="Deliverables accepted")
    def deliverables_done(self, obj):
        return f"{obj.deliverable_accepted} / {obj.deliverable_total}"

    @admin.display(description="Slip against baseline")
    def slip(self, obj):
        if not obj.pk:
            return "–"
        return f"{obj.slip_days:+d} days" if obj.slip_days else "on baseline"

    @admin.action(description="Mark selected milestones achieved", permissions=["change"])
    def achieve_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.milestone_achieve(milestone_id=m.pk, by=request.user),
            "marked achieved",
        )

    @admin.action(description="Mark selected milestones missed", permissions=["change"])
    def miss_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.milestone_miss(milestone_id=m.pk, by=request.user),
            "marked missed",
        )

    @admin.action(description="Cancel selected milestones", permissions=["change"])
    def cancel_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda m: services.milestone_cancel(milestone_id=m.pk, by=request.user),
            "cancelled",
        )


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """What the daily scan raised and whether it reached everyone. Written by the scan only; failed alerts
    can be sent again."""

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        no_save = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **no_save})

    @admin.display(description="Project", ordering="milestone__project__code")
    def project(self, obj):
        return obj.milestone.project.code

    @admin.display(description="Level", ordering="level")
    def level_name(self, obj):
        return obj.level_label

    @admin.display(description="Recipients")
    def recipient_count(self, obj):
        return f"{len(obj.delivered_to)} / {len(obj.recipients)}"

    @admin.display(description="Last error")
    def error(self, obj):
        return Truncator(obj.last_error).chars(80) or "–"

    @admin.action(description="Send selected failed alerts again", permissions=["change"])
    def resend_selected(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda alert: alerts.alert_resend(alert_id=alert.pk), "queued again"
        )


class RejectionForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Tell the vendor what to fix; they see this comment.",
    )


@admin.register(Deliverable)
class DeliverableAdmin(SimpleHistoryAdmin):
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
    readonly_fields = ["status", "submitted_at", "reviewed_at", "reviewer", "review_comment", "version"]
    actions = ["accept_selected", "reject_selected"]

    @admin.display(description="Project", ordering="milestone__project__code")
    def project(self, obj):
        return obj.milestone.project.code

    @admin.display(description="Progress", ordering="progress")
    def progress_display(self, obj):
        return progress_bar(obj.progress)

    @admin.action(description="Accept selected deliverables", permissions=["change"])
    def accept_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda d: services.deliverable_accept(deliverable_id=d.pk, reviewer=request.user),
            "accepted",
        )

    @admin.action(description="Reject selected deliverables (asks for a comment)", permissions=["change"])
    def reject_selected(self, request, queryset):
        form = RejectionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            run_service_action(
                self,
                request,
                queryset,
                lambda d: services.deliverable_reject(
                    deliverable_id=d.pk, reviewer=request.user, comment=form.cleaned_data["comment"]
                ),
                "rejected",
            )
            return None
        if "apply" in request.POST:
            self.message_user(request, "A comment is required to reject a deliverable.", messages.ERROR)
        return TemplateResponse(
            request,
            "admin/projects/deliverable/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reject deliverables",
                "opts": self.model._meta,
                "deliverables": queryset.select_related("milestone", "responsible_vendor"),
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
