from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.template.loader import render_to_string
from simple_history.admin import SimpleHistoryAdmin

from ppp.admin import run_service_action

from . import services
from .models import (
    Agreement,
    ContractingAuthority,
    CostShare,
    Expenditure,
    Vendor,
    VendorContact,
    VendorUser,
    share_total_error,
)
from .selectors import agreement_budget_vs_actual


@admin.register(ContractingAuthority)
class ContractingAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "contact_email", "agreement_count"]
    search_fields = ["name", "code", "contact_email"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agreement_count=Count("agreements"))

    @admin.display(description="Agreements", ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count


class VendorContactInline(admin.TabularInline):
    model = VendorContact
    extra = 0


class VendorUserInline(admin.TabularInline):
    model = VendorUser
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name_plural = "Users who act for this vendor in the partner API"


@admin.register(Vendor)
class VendorAdmin(SimpleHistoryAdmin):
    list_display = ["legal_name", "registration_number", "country", "status", "agreement_count"]
    list_filter = ["status", "country"]
    search_fields = ["legal_name", "registration_number"]
    inlines = [VendorContactInline, VendorUserInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agreement_count=Count("cost_shares__agreement", distinct=True))

    @admin.display(description="Agreements", ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count


@admin.register(VendorContact)
class VendorContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "vendor", "role", "receives_alerts"]
    list_filter = ["receives_alerts", "vendor"]
    list_select_related = ["vendor"]
    search_fields = ["name", "email", "vendor__legal_name"]


@admin.register(VendorUser)
class VendorUserAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor"]
    list_select_related = ["user", "vendor"]
    autocomplete_fields = ["user", "vendor"]
    search_fields = ["user__username", "vendor__legal_name"]


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


class CostShareInline(admin.TabularInline):
    model = CostShare
    formset = CostShareFormSet
    extra = 0
    fields = ["vendor", "percentage", "committed"]
    readonly_fields = ["committed"]
    autocomplete_fields = ["vendor"]

    @admin.display(description="Committed amount")
    def committed(self, obj):
        return f"{obj.committed_amount:,.2f}" if obj.pk else "–"

    def _editable(self, obj):
        return obj is None or obj.shares_editable

    def has_add_permission(self, request, obj):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class PartyFilter(admin.SimpleListFilter):
    title = "vendor"
    parameter_name = "vendor"

    def lookups(self, request, model_admin):
        return Vendor.objects.filter(cost_shares__isnull=False).distinct().values_list("pk", "legal_name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(cost_shares__vendor_id=self.value()).distinct()
        return queryset


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = [
        "reference",
        "title",
        "authority",
        "status",
        "total_value",
        "currency",
        "share_total_display",
        "start_date",
        "end_date",
    ]
    list_filter = ["status", "authority", "procurement_method", PartyFilter]
    list_select_related = ["authority"]
    search_fields = ["reference", "title", "authority__name", "cost_shares__vendor__legal_name"]
    date_hierarchy = "start_date"
    readonly_fields = ["status", "budget_vs_actual", "created_at", "updated_at"]
    autocomplete_fields = ["authority"]
    inlines = [CostShareInline]
    actions = ["activate_selected", "suspend_selected", "resume_selected", "complete_selected", "terminate_selected"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "authority", "procurement_method", "status"]}),
        ("Value and term", {"fields": ["total_value", "currency", "start_date", "end_date", "signed_date"]}),
        ("Budget vs actual", {"fields": ["budget_vs_actual"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_share_total()

    @admin.display(description="Shares %", ordering="share_total")
    def share_total_display(self, obj):
        total = obj.share_total or Decimal("0")
        return f"{total.normalize():f} %" + ("" if total == 100 else " ⚠")

    @admin.display(description="Budget vs actual per party")
    def budget_vs_actual(self, obj):
        if not obj.pk:
            return "–"
        return render_to_string(
            "admin/procurement/budget_vs_actual.html",
            {"rows": agreement_budget_vs_actual(obj), "currency": obj.currency},
        )

    def _transition(self, request, queryset, target, verb):
        run_service_action(
            self,
            request,
            queryset,
            lambda agreement: services.agreement_transition(agreement_id=agreement.pk, target=target, by=request.user),
            verb,
        )

    @admin.action(description="Activate selected agreements", permissions=["change"])
    def activate_selected(self, request, queryset):
        self._transition(request, queryset, Agreement.Status.ACTIVE, "activated")

    @admin.action(description="Suspend selected agreements", permissions=["change"])
    def suspend_selected(self, request, queryset):
        self._transition(request, queryset, Agreement.Status.SUSPENDED, "suspended")

    @admin.action(description="Resume selected (suspended) agreements", permissions=["change"])
    def resume_selected(self, request, queryset):
        self._transition(request, queryset, Agreement.Status.ACTIVE, "resumed")

    @admin.action(description="Complete selected agreements", permissions=["change"])
    def complete_selected(self, request, queryset):
        self._transition(request, queryset, Agreement.Status.COMPLETED, "completed")

    @admin.action(description="Terminate selected agreements", permissions=["change"])
    def terminate_selected(self, request, queryset):
        self._transition(request, queryset, Agreement.Status.TERMINATED, "terminated")


@admin.register(CostShare)
class CostShareAdmin(SimpleHistoryAdmin):
    list_display = ["agreement", "party", "percentage", "committed"]
    list_filter = ["agreement__status", "vendor"]
    list_select_related = ["agreement__authority", "vendor"]
    search_fields = ["agreement__reference", "vendor__legal_name"]
    autocomplete_fields = ["agreement", "vendor"]

    @admin.display(description="Party")
    def party(self, obj):
        return obj.party_name

    @admin.display(description="Committed amount")
    def committed(self, obj):
        return f"{obj.committed_amount:,.2f} {obj.agreement.currency}"

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.agreement.shares_editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.agreement.shares_editable) and super().has_delete_permission(request, obj)


@admin.register(Expenditure)
class ExpenditureAdmin(SimpleHistoryAdmin):
    list_display = ["date", "agreement", "payer", "milestone", "amount", "recorded_by"]
    list_filter = ["agreement__authority", "vendor"]
    list_select_related = ["agreement__authority", "vendor", "milestone", "recorded_by"]
    search_fields = ["agreement__reference", "description", "vendor__legal_name"]
    date_hierarchy = "date"
    autocomplete_fields = ["agreement", "milestone", "vendor"]
    readonly_fields = ["recorded_by"]

    @admin.display(description="Paid by")
    def payer(self, obj):
        return obj.vendor.legal_name if obj.vendor_id else obj.agreement.authority.name

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
