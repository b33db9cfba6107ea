from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

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
    money_cell,
    my_work_filter,
    name_search_filter,
    project_scope,
    run_form_action,
    run_service_action,
    short_text,
    status_badge,
    two_lines,
    work_panel,
)
from ppp.admin_lists import LargeListAdminMixin, autocomplete_filter
from ppp.charts import BudgetBar, budget_bars
from ppp.errors import DomainError
from ppp.formatting import format_amount, format_date, format_money

from . import services
from .models import (
    Agreement,
    Amendment,
    AmendmentShareChange,
    ContractingAuthority,
    CostShare,
    CostShareTerm,
    Expenditure,
    Vendor,
    VendorContact,
    VendorUser,
    share_total_error,
)
from .selectors import agreement_budget_vs_actual, agreement_spend, amendments_awaiting_approval

# Typed filters by name (a national programme has thousands of vendors: no filter lists them all).
VendorNameFilter = name_search_filter("vendor__legal_name", _("vendor"), "vendor_name")
# Agreements (20,000) and parties (5,000 vendors) are chosen by typing into the admin's autocomplete.
PartyFilter = autocomplete_filter("cost_shares__vendor", _("party"))
AgreementFilter = autocomplete_filter("agreement", _("agreement"))


def term_text(start, end) -> str:
    return f"{format_date(start)} – {format_date(end)}"


@admin.register(ContractingAuthority)
class ContractingAuthorityAdmin(ServiceAdminMixin, admin.ModelAdmin):
    service_module, service_entity = services, "authority"
    list_display = ["name", "code", "contact_email", "agreement_count"]
    list_secondary = ["contact_email"]
    search_fields = ["name", "code", "contact_email"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agreement_count=Count("agreements"))

    @admin.display(description=_("Agreements"), ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count


class VendorContactInline(ServiceAdminMixin, admin.TabularInline):
    service_module, service_entity = services, "vendor_contact"
    model = VendorContact
    extra = 0


class VendorUserInline(ServiceAdminMixin, admin.TabularInline):
    service_module, service_entity = services, "vendor_user"
    model = VendorUser
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name_plural = "Users who act for this vendor in the partner API"


@admin.register(Vendor)
class VendorAdmin(ServiceAdminMixin, ReadOnlyHistoryAdmin):
    service_module, service_entity = services, "vendor"
    list_display = ["legal_name", "registration_number", "country", "status_badge", "agreement_count"]
    list_secondary = ["registration_number", "agreement_count"]
    list_filter = ["status", "country"]
    search_fields = ["legal_name", "registration_number"]
    inlines = [VendorContactInline, VendorUserInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agreement_count=Count("cost_shares__agreement", distinct=True))

    def get_autocomplete_queryset(self, request):
        # Picking a vendor by name needs no agreement counts.
        return super().get_queryset(request)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("Agreements"), ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count


@admin.register(VendorContact)
class VendorContactAdmin(ServiceAdminMixin, admin.ModelAdmin):
    service_module, service_entity = services, "vendor_contact"
    list_display = ["name", "email", "vendor", "role", "receives_alerts"]
    list_secondary = ["role", "email"]
    list_filter = ["receives_alerts", VendorNameFilter]
    list_select_related = ["vendor"]
    search_fields = ["name", "email", "vendor__legal_name"]


@admin.register(VendorUser)
class VendorUserAdmin(ServiceAdminMixin, admin.ModelAdmin):
    service_module, service_entity = services, "vendor_user"
    list_display = ["user_name", "vendor"]
    list_select_related = ["user", "vendor"]
    autocomplete_fields = ["user", "vendor"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "vendor__legal_name"]

    @admin.display(description=_("User"), ordering="user__username")
    def user_name(self, obj):
        return two_lines(obj.user.get_full_name() or obj.user.username, obj.user.username)


class CostShareFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        total = sum(
            (
                form.cleaned_data.get("percentage") or Decimal("0")
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ),
            Decimal("0"),
        )
        error = share_total_error(total)
        if error:
            raise forms.ValidationError(error)


class CostShareInline(ServiceAdminMixin, ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "agreement__projects"
    service_module, service_entity, service_verbs = services, "cost_share", {"delete": "remove"}
    model = CostShare
    formset = CostShareFormSet
    extra = 0
    fields = ["vendor", "percentage", "committed"]
    readonly_fields = ["committed"]
    autocomplete_fields = ["vendor"]

    @admin.display(description=_("Committed amount"))
    def committed(self, obj):
        return format_money(obj.committed_amount, obj.agreement.currency) if obj.pk else "–"

    def _editable(self, obj):
        return obj is None or obj.shares_editable

    def order_updates(self, forms):
        # Shares going down first, so the total never passes 100 % between two saves of one valid change.
        # (form.instance already holds the new value after validation; form.initial has the saved one.)
        return sorted(forms, key=lambda form: form.cleaned_data["percentage"] - Decimal(form.initial["percentage"]))

    def has_add_permission(self, request, obj):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class CostShareTermInline(ProjectScopedAdminMixin, admin.TabularInline):
    """The shares in force over time (written by activation and approved amendments); read only."""

    project_path = "agreement__projects"
    model = CostShareTerm
    extra = 0
    fields = ["party", "percentage", "effective_from", "effective_to", "amendment"]
    readonly_fields = fields
    ordering = ["-effective_from", "vendor__legal_name"]
    verbose_name_plural = "Cost shares over time (payments use the shares in force on the certificate date)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("vendor", "agreement__authority", "amendment")

    @admin.display(description=_("Party"))
    def party(self, obj):
        return obj.party_name

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(LargeListAdminMixin, ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "projects"
    service_module, service_entity = services, "agreement"
    # Which agreements, with which authority, worth how much, in what state, until when.
    list_display = [
        "reference_line",
        "authority_code",
        "status_badge",
        "value_money",
        "share_total_display",
        "term",
    ]
    list_display_links = ["reference_line"]
    list_secondary = ["authority_code", "share_total_display", "term"]
    list_filter = ["status", "authority", "procurement_method", PartyFilter]
    list_select_related = ["authority"]
    search_fields = ["reference", "title", "authority__name", "cost_shares__vendor__legal_name"]
    date_hierarchy = "start_date"
    readonly_fields = ["status", "budget_vs_actual", "amendments", "created_at", "updated_at"]
    autocomplete_fields = ["authority"]
    inlines = [CostShareInline, CostShareTermInline]
    actions = ["activate_selected", "suspend_selected", "resume_selected", "complete_selected", "terminate_selected"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "authority", "procurement_method", "status"]}),
        (_("Value and term"), {"fields": ["total_value", "currency", "start_date", "end_date", "signed_date"]}),
        (_("Amendments"), {"fields": ["amendments"]}),
        (_("Budget vs actual"), {"fields": ["budget_vs_actual"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("Amendments"))
    def amendments(self, obj):
        if not obj.pk:
            return "–"
        if obj.status == Agreement.Status.DRAFT:
            return gettext(
                "A draft agreement is edited directly; once active, its value, end date and shares change only "
                "through an amendment."
            )
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> – {} – {}</li>',
            (
                (reverse("admin:procurement_amendment_change", args=[a.pk]), a, a.get_status_display(), a.summary())
                for a in obj.amendments.with_details()
            ),
        )
        propose = reverse("admin:procurement_amendment_add") + f"?agreement={obj.pk}"
        return format_html('<ul>{}</ul><a class="addlink" href="{}">Propose an amendment</a>', rows, propose)

    def get_queryset(self, request):
        return super().get_queryset(request).with_share_total_per_row()

    def get_autocomplete_queryset(self, request):
        return super().get_queryset(request)

    @admin.display(description=_("Agreement"), ordering="reference")
    def reference_line(self, obj):
        return two_lines(obj.reference, short_text(obj.title, 60))

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        # The enum's label: get_status_display() translates every choice's label to look one up (on each row).
        return status_badge(obj.status, Agreement.Status(obj.status).label)

    @admin.display(description=_("Authority"), ordering="authority__code")
    def authority_code(self, obj):
        return code_cell(obj.authority.code, obj.authority.name)

    @admin.display(description=_("Value"), ordering="total_value")
    def value_money(self, obj):
        return money_cell(obj.total_value, obj.currency)

    @admin.display(description=_("Term"), ordering="start_date")
    def term(self, obj):
        return format_html('<span class="ppp-nowrap">{}</span>', term_text(obj.start_date, obj.end_date))

    @admin.display(description=_("Shares %"), ordering="share_total")
    def share_total_display(self, obj):
        total = obj.share_total or Decimal("0")
        if total == 100:
            return f"{total.normalize():f} %"
        return status_badge("open", f"{total.normalize():f} % ⚠")

    @admin.display(description=_("Budget vs actual per party"))
    def budget_vs_actual(self, obj):
        if not obj.pk:
            return "–"
        return render_to_string(
            "admin/procurement/budget_vs_actual.html",
            {"rows": agreement_budget_vs_actual(obj), "currency": obj.currency},
        )

    def _transition(self, request, queryset, service, verb):
        run_service_action(
            self, request, queryset, lambda agreement: service(agreement_id=agreement.pk, by=request.user), verb
        )

    @admin.action(description=_("Activate selected agreements"), permissions=["change"])
    def activate_selected(self, request, queryset):
        self._transition(request, queryset, services.agreement_activate, gettext("activated"))

    @admin.action(description=_("Suspend selected agreements"), permissions=["change"])
    def suspend_selected(self, request, queryset):
        self._transition(request, queryset, services.agreement_suspend, gettext("suspended"))

    @admin.action(description=_("Resume selected (suspended) agreements"), permissions=["change"])
    def resume_selected(self, request, queryset):
        self._transition(request, queryset, services.agreement_resume, gettext("resumed"))

    @admin.action(description=_("Complete selected agreements"), permissions=["change"])
    def complete_selected(self, request, queryset):
        self._transition(request, queryset, services.agreement_complete, gettext("completed"))

    @admin.action(description=_("Terminate selected agreements"), permissions=["change"])
    def terminate_selected(self, request, queryset):
        self._transition(request, queryset, services.agreement_terminate, gettext("terminated"))


@admin.register(CostShare)
class CostShareAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "agreement__projects"
    service_module, service_entity, service_verbs = services, "cost_share", {"delete": "remove"}
    list_display = ["agreement_ref", "party", "percentage", "committed_money"]
    list_secondary = ["percentage"]
    list_filter = ["agreement__status", VendorNameFilter]
    list_select_related = ["agreement__authority", "vendor"]
    search_fields = ["agreement__reference", "vendor__legal_name"]
    autocomplete_fields = ["agreement", "vendor"]

    @admin.display(description=_("Party"))
    def party(self, obj):
        return obj.party_name

    @admin.display(description=_("Agreement"), ordering="agreement__reference")
    def agreement_ref(self, obj):
        return code_cell(obj.agreement.reference, obj.agreement)

    @admin.display(description=_("Committed amount"))
    def committed_money(self, obj):
        return money_cell(obj.committed_amount, obj.agreement.currency)

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.agreement.shares_editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.agreement.shares_editable) and super().has_delete_permission(request, obj)


@admin.register(Expenditure)
class ExpenditureAdmin(ServiceAdminMixin, ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "agreement__projects"
    service_module, service_entity = services, "expenditure"
    list_display = ["date", "agreement_line", "payer", "amount_money", "recorded_by"]
    list_secondary = ["payer", "recorded_by"]
    list_filter = ["agreement__authority", VendorNameFilter]
    list_select_related = ["agreement__authority", "vendor", "milestone", "recorded_by"]
    search_fields = ["agreement__reference", "description", "vendor__legal_name"]
    date_hierarchy = "date"
    autocomplete_fields = ["agreement", "milestone", "vendor"]
    readonly_fields = ["recorded_by"]

    @admin.display(description=_("Paid by"))
    def payer(self, obj):
        return obj.vendor.legal_name if obj.vendor_id else obj.agreement.authority.name

    @admin.display(description=_("Agreement · milestone"), ordering="agreement__reference")
    def agreement_line(self, obj):
        return two_lines(obj.agreement.reference, short_text(obj.milestone, 50) if obj.milestone_id else "")

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_money(self, obj):
        return money_cell(obj.amount, obj.agreement.currency)


# --- Amendments ------------------------------------------------------------------------------


class AmendmentShareChangeFormSet(forms.BaseInlineFormSet):
    """Runs the service's checks on the whole proposal (form + share lines) before anything is saved."""

    def clean(self):
        super().clean()
        amendment = self.instance
        if amendment.pk or not amendment.agreement_id or any(self.errors):
            return
        amendment._share_changes = {
            form.cleaned_data["vendor"]: form.cleaned_data["new_percentage"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        }
        try:
            services.amendment_prepare(
                amendment.agreement,
                reason=amendment.reason,
                new_total_value=amendment.new_total_value,
                new_end_date=amendment.new_end_date,
                share_changes=amendment._share_changes,
                rebaseline_milestones=amendment.rebaseline_milestones,
                effective_date=amendment.effective_date,
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class AmendmentShareChangeInline(ProjectScopedAdminMixin, admin.TabularInline):
    project_path = "amendment__agreement__projects"
    model = AmendmentShareChange
    formset = AmendmentShareChangeFormSet
    extra = 0
    fields = ["vendor", "old_percentage", "new_percentage"]
    readonly_fields = ["old_percentage"]
    autocomplete_fields = ["vendor"]
    verbose_name_plural = "Cost shares as amended (list only the parties whose share changes; 0 % removes a party)"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(Amendment)
class AmendmentAdmin(LargeListAdminMixin, ProjectScopedAdminMixin, ServiceAddFormMixin, ReadOnlyHistoryAdmin):
    project_path = "agreement__projects"
    # What is proposed on which agreement, and who proposed and decided it.
    list_display = ["amendment_line", "status_badge", "change_summary", "proposed", "decided_by"]
    list_display_links = ["amendment_line"]
    list_secondary = ["change_summary", "decided_by"]
    list_filter = [
        my_work_filter(amendments_awaiting_approval, _("Waiting for my approval")),
        "status",
        "agreement__authority",
        AgreementFilter,
    ]
    search_fields = ["agreement__reference", "reason"]
    date_hierarchy = "proposed_at"
    autocomplete_fields = ["agreement"]
    inlines = [AmendmentShareChangeInline]
    actions = ["approve_selected", "reject_selected"]
    fieldsets = [
        (None, {"fields": ["agreement", "reason", "status"]}),
        (_("Value and term"), {"fields": ["old_total_value", "new_total_value", "old_end_date", "new_end_date"]}),
        (_("Cost shares"), {"fields": ["effective_date"]}),
        (_("Milestones"), {"fields": ["rebaseline_milestones"]}),
        (_("Decision"), {"fields": ["proposed_by", "proposed_at", "decided_by", "decided_at", "decision_note"]}),
    ]
    record_fields = [
        "status",
        "old_total_value",
        "old_end_date",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_details()

    def has_change_permission(self, request, obj=None):
        # A recorded amendment is evidence: it is decided with the actions (which need this permission on the
        # list), never edited, and never deleted.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [field.name for field in Amendment._meta.fields if field.name != "id"]
        return self.record_fields

    @admin.display(description=_("Changes"))
    def change_summary(self, obj):
        return short_text(obj.summary(), 70)

    @admin.display(description=_("Amendment"), ordering="agreement__reference")
    def amendment_line(self, obj):
        return two_lines(obj, short_text(obj.agreement.title, 50))

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("Proposed"), ordering="proposed_at")
    def proposed(self, obj):
        return two_lines(format_date(obj.proposed_at), obj.proposed_by.get_full_name() or obj.proposed_by)

    def save_model(self, request, obj, form, change):
        if change:
            return
        amendment = services.amendment_propose(
            agreement_id=obj.agreement_id,
            reason=obj.reason,
            by=request.user,
            new_total_value=obj.new_total_value,
            new_end_date=obj.new_end_date,
            share_changes=getattr(obj, "_share_changes", {}),
            rebaseline_milestones=obj.rebaseline_milestones,
            effective_date=obj.effective_date,
        )
        adopt_created(obj, amendment)

    def save_related(self, request, form, formsets, change):
        # The service saved the share lines with the amendment; the formsets only carried them.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.action(description=_("Approve selected amendments (applies them to the agreements)"), permissions=["change"])
    def approve_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda amendment: services.amendment_approve(amendment_id=amendment.pk, approver=request.user),
            gettext("approved"),
        )

    @admin.action(description=_("Reject selected amendments (asks for a reason)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return run_form_action(
            self,
            request,
            queryset,
            action="reject_selected",
            title=gettext("Reject amendments"),
            intro=gettext("These amendments are turned down; the agreements keep their current terms."),
            submit=gettext("Reject with this reason"),
            service=lambda amendment, note: services.amendment_reject(
                amendment_id=amendment.pk, by=request.user, note=note
            ),
            verb=gettext("rejected"),
            label=gettext("Reason"),
            help_text=gettext("Kept with the amendment; the vendors see it in the partner API."),
        )


def dashboard_rows(request) -> list[DashboardRow | WorkPanel | DashboardChart]:
    """The index's procurement line (proposals waiting for a second officer, on the user's projects), the
    officer's approval panel and the spend-against-budget chart."""
    user = request.user
    proposed = Amendment.objects.filter(status=Amendment.Status.PROPOSED)
    parts = [
        DashboardRow(
            key="pending_amendment_count",
            label=gettext("Amendments awaiting a decision"),
            url=f"{reverse('admin:procurement_amendment_changelist')}?status__exact=proposed",
            count=project_scope(proposed, user, "agreement__projects").count(),
            order=40,
        )
    ]
    if user.has_perm("procurement.change_amendment"):
        parts.append(
            work_panel(
                key="amendment_approval_count",
                title=gettext("Amendments waiting for my approval"),
                changelist="admin:procurement_amendment_changelist",
                rows=project_scope(amendments_awaiting_approval(user), user, "agreement__projects"),
                item=lambda amendment: WorkItem(
                    text=str(amendment),
                    url=reverse("admin:procurement_amendment_change", args=[amendment.pk]),
                    detail=gettext("proposed by %(name)s")
                    % {"name": amendment.proposed_by.get_full_name() or amendment.proposed_by},
                    note=format_date(amendment.proposed_at),
                ),
                empty=gettext("No amendment waits for your approval."),
                order=20,
            )
        )
    parts.append(_spend_chart(user))
    return parts


SPEND_CHART_ROWS = 6  # the largest budgets get a bar each; the rest are summed per currency


def _spent_of(spent, budget, currency) -> str:
    amounts = {"spent": format_amount(spent), "budget": format_money(budget, currency)}
    return gettext("%(spent)s of %(budget)s") % amounts


def _spend_chart(user) -> DashboardChart:
    agreements = project_scope(Agreement.objects.exclude(status=Agreement.Status.DRAFT), user, "projects")
    top, rest = agreement_spend(agreements, rows=SPEND_CHART_ROWS)
    bars = [
        BudgetBar(
            label=agreement.reference,
            detail=_spent_of(agreement.spent, agreement.total_value, agreement.currency),
            budget=float(agreement.total_value),
            spent=float(agreement.spent),
            url=reverse("admin:procurement_agreement_change", args=[agreement.pk]),
        )
        for agreement in top
    ]
    bars += [
        BudgetBar(
            label=ngettext("%(count)d other agreement", "%(count)d other agreements", group.count)
            % {"count": group.count},
            detail=_spent_of(group.spent, group.budget, group.currency),
            budget=float(group.budget),
            spent=float(group.spent),
        )
        for group in rest
    ]
    title = gettext("Spend against budget")
    body = (
        budget_bars(bars, title=title, spent_label=gettext("Spent"), over_label=gettext("Over budget"))
        if bars
        else gettext("No signed agreement yet.")
    )
    return DashboardChart(
        key="spend_chart",
        title=title,
        body=body,
        note=gettext("Recorded expenditure per agreement, largest budgets first."),
        order=20,
    )


admin.site.register_dashboard(dashboard_rows)
