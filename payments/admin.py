"""The finance officer's admin for the payment chain. Every write goes through payments.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ppp.admin import (
    DashboardRow,
    ProjectScopedAdminMixin,
    ReadOnlyHistoryAdmin,
    ServiceAddFormMixin,
    WorkItem,
    WorkPanel,
    adopt_created,
    code_cell,
    money_cell,
    money_text,
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
from ppp.formatting import format_money

from . import services
from .models import Certificate, Deduction, PartyShare, VendorInvoice
from .selectors import certificates_awaiting_approval

money = format_money  # the inline cells and the action pages read amounts as everywhere else

PayeeNameFilter = name_search_filter("payee__legal_name", _("payee"), "payee_name")
InvoiceVendorFilter = name_search_filter("vendor__legal_name", _("vendor"), "vendor_name")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeductionInline(ProjectScopedAdminMixin, ReadOnlyInline):
    project_path = "certificate__milestone__project"
    model = Deduction
    fields = ["kind", "description", "failure", "amount_display"]
    readonly_fields = fields

    @admin.display(description=_("Amount"))
    def amount_display(self, obj):
        return money(obj.amount, obj.certificate.currency)


class PartyShareInline(ProjectScopedAdminMixin, ReadOnlyInline):
    project_path = "certificate__milestone__project"
    model = PartyShare
    fields = ["party", "percentage", "gross", "retention", "penalty", "net"]
    readonly_fields = fields
    verbose_name_plural = "Split between the parties (cost shares in force on the certificate date)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("vendor", "certificate__agreement__authority")

    @admin.display(description=_("Party"))
    def party(self, obj):
        return obj.party_name

    @admin.display(description=_("Gross"))
    def gross(self, obj):
        return money(obj.gross_amount, obj.certificate.currency)

    @admin.display(description=_("Retention"))
    def retention(self, obj):
        return money(obj.retention_amount, obj.certificate.currency)

    @admin.display(description=_("Penalties"))
    def penalty(self, obj):
        return money(obj.penalty_amount, obj.certificate.currency)

    @admin.display(description=_("Net"))
    def net(self, obj):
        return money(obj.net_amount, obj.certificate.currency)


class InvoiceInline(ProjectScopedAdminMixin, ReadOnlyInline):
    project_path = "certificate__milestone__project"
    model = VendorInvoice
    fields = ["reference", "vendor", "invoice_date", "amount", "status", "rejection_reason"]
    readonly_fields = fields


class CertificateIssueForm(forms.ModelForm):
    """What an officer gives to draft a certificate; the service works out every amount."""

    gross_amount = forms.DecimalField(
        required=False,
        max_digits=16,
        decimal_places=2,
        help_text=_("Leave empty to certify all that is left of the milestone's payment; less makes a partial one."),
    )
    certificate_date = forms.DateField(
        required=False, help_text=_("Leave empty for today. The split uses the cost shares in force on this day.")
    )

    class Meta:
        model = Certificate
        fields = ["milestone"]


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Payment date"), initial=timezone.localdate)
    reference = forms.CharField(label=_("Payment reference"), max_length=64, help_text=_("From the bank or treasury."))


@admin.register(Certificate)
class CertificateAdmin(ProjectScopedAdminMixin, ServiceAddFormMixin, ReadOnlyHistoryAdmin):
    project_path = "milestone__project"
    # What is owed to whom for which milestone, how far through the chain, and the net to pay.
    list_display = [
        "certificate_line",
        "payee_line",
        "certificate_date",
        "status_badge",
        "net",
        "paid_on",
    ]
    list_display_links = ["certificate_line"]
    list_secondary = ["payee_line", "certificate_date", "paid_on"]
    list_filter = [
        my_work_filter(certificates_awaiting_approval, _("Waiting for my approval")),
        "status",
        "kind",
        "agreement__authority",
        PayeeNameFilter,
        "certificate_date",
    ]
    list_select_related = ["agreement", "milestone", "payee"]
    search_fields = ["agreement__reference", "milestone__title", "payee__legal_name", "payment_reference"]
    date_hierarchy = "certificate_date"
    autocomplete_fields = ["milestone"]
    inlines = [DeductionInline, PartyShareInline, InvoiceInline]
    actions = [
        "certify_selected",
        "approve_selected",
        "pay_selected",
        "reconcile_selected",
        "release_retention_selected",
        "void_selected",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CertificateIssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["milestone", "certificate_date", "gross_amount"]
        return [field.name for field in Certificate._meta.fields if field.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        # A certificate changes only through the actions; its page is the record.
        return [] if obj is None else self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # The actions need the change permission; a certificate's own page is a read-only record.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # void it instead: the record and the reason stay

    def save_model(self, request, obj, form, change):
        if change:
            return
        certificate = services.certificate_issue(
            milestone_id=form.cleaned_data["milestone"].pk,
            by=request.user,
            certificate_date=form.cleaned_data.get("certificate_date"),
            gross_amount=form.cleaned_data.get("gross_amount"),
        )
        adopt_created(obj, certificate)

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote the deductions and the split

    @admin.display(description=_("Certificate · milestone"), ordering="certificate_date")
    def certificate_line(self, obj):
        second = short_text(obj.milestone.title, 50)
        if obj.kind != Certificate.Kind.MILESTONE:
            second = format_html("{} · {}", obj.get_kind_display(), second)
        return two_lines(obj, second)

    @admin.display(description=_("Payee · agreement"), ordering="payee__legal_name")
    def payee_line(self, obj):
        payee = short_text(obj.payee, 32) if obj.payee_id else _("the authority")
        return two_lines(payee, code_cell(obj.agreement.reference, obj.agreement))

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("Net"), ordering="net_amount")
    def net(self, obj):
        # What is paid, over what it comes from: the gross less retention and penalties.
        deducted = obj.retention_amount + obj.penalty_amount
        if not deducted:
            return money_cell(obj.net_amount, obj.currency)
        return format_html(
            '{}<span class="ppp-money ppp-sub" title="{}">{}</span>',
            money_cell(obj.net_amount, obj.currency),
            gettext("Gross %(gross)s less %(deducted)s retention and penalties")
            % {"gross": format_money(obj.gross_amount, obj.currency), "deducted": format_money(deducted, obj.currency)},
            gettext("of %(gross)s") % {"gross": money_text(obj.gross_amount, obj.currency)},
        )

    def _run(self, request, queryset, service, verb):
        run_service_action(self, request, queryset, lambda c: service(certificate_id=c.pk, by=request.user), verb)

    @admin.action(description=_("Certify selected certificates"), permissions=["change"])
    def certify_selected(self, request, queryset):
        self._run(request, queryset, services.certificate_certify, gettext("certified"))

    @admin.action(description=_("Approve selected certificates (a second officer)"), permissions=["change"])
    def approve_selected(self, request, queryset):
        self._run(request, queryset, services.certificate_approve, gettext("approved"))

    @admin.action(description=_("Reconcile selected paid certificates"), permissions=["change"])
    def reconcile_selected(self, request, queryset):
        self._run(request, queryset, services.certificate_reconcile, gettext("reconciled"))

    @admin.action(description=_("Draft the retention release of selected paid certificates"), permissions=["change"])
    def release_retention_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda c: services.retention_release_issue(certificate_id=c.pk, by=request.user),
            gettext("drafted the retention release of"),
        )

    @admin.action(description=_("Void selected certificates (asks for a reason)"), permissions=["change"])
    def void_selected(self, request, queryset):
        return run_form_action(
            self,
            request,
            queryset,
            action="void_selected",
            title=gettext("Void payment certificates"),
            intro=gettext("These certificates will not be paid; their amounts may be certified again."),
            submit=gettext("Void with this reason"),
            service=lambda c, reason: services.certificate_void(certificate_id=c.pk, by=request.user, reason=reason),
            verb=gettext("voided"),
            label=gettext("Reason"),
            field_name="reason",
        )

    @admin.action(description=_("Record payment of selected certificates (asks for date and reference)"))
    def pay_selected(self, request, queryset):
        applying = "apply" in request.POST
        form = PaymentForm(request.POST if applying else None)
        if applying and form.is_valid():
            data = form.cleaned_data
            run_service_action(
                self,
                request,
                queryset,
                lambda c: services.certificate_pay(
                    certificate_id=c.pk, by=request.user, paid_on=data["paid_on"], reference=data["reference"]
                ),
                gettext("recorded the payment of"),
            )
            return None
        if applying:
            self.message_user(request, gettext("Give the payment date and reference."), messages.ERROR)
        return TemplateResponse(
            request,
            "admin/ppp/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Record payment"),
                "intro": gettext("The approved net amounts of these certificates were paid:"),
                "submit": gettext("Record payment"),
                "opts": self.model._meta,
                "objects": [
                    (c.pk, f"{c} – {money(c.net_amount, c.currency)} to {c.payee or 'the authority'}") for c in queryset
                ],
                "form": form,
                "action": "pay_selected",
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    pay_selected.allowed_permissions = ["change"]


@admin.register(VendorInvoice)
class VendorInvoiceAdmin(ProjectScopedAdminMixin, ReadOnlyHistoryAdmin):
    project_path = "certificate__milestone__project"
    # Which invoice, from whom, for how much against what was certified.
    list_display = ["reference_line", "invoice_date", "amount_display", "certified", "status_badge"]
    list_display_links = ["reference_line"]
    list_secondary = ["invoice_date", "certified"]
    list_filter = ["status", InvoiceVendorFilter]
    list_select_related = ["vendor", "certificate"]
    search_fields = ["reference", "vendor__legal_name"]
    date_hierarchy = "invoice_date"
    actions = ["match_selected", "reject_selected"]
    readonly_fields = ["document"]

    def get_fields(self, request, obj=None):
        return [f.name for f in VendorInvoice._meta.fields if f.name not in ("id", "file")] + ["document"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False  # vendors submit invoices through the partner API

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount, obj.certificate.currency)

    @admin.display(description=_("Certified net"))
    def certified(self, obj):
        return money_cell(obj.certificate.net_amount, obj.certificate.currency)

    @admin.display(description=_("Invoice · vendor"), ordering="reference")
    def reference_line(self, obj):
        return two_lines(obj.reference, format_html("{} · {}", short_text(obj.vendor, 32), obj.certificate))

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("Document"))
    def document(self, obj):
        if not obj.file:
            return "–"
        url = reverse("admin:payments_vendorinvoice_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.file.name.rsplit("/", 1)[-1])

    def get_urls(self):
        return [
            path(
                "<int:invoice_id>/file/",
                self.admin_site.admin_view(self.file_view),
                name="payments_vendorinvoice_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request, invoice_id):
        """The invoice document, for those who may view the invoice (never from MEDIA_URL)."""
        if not self.has_view_permission(request):
            raise Http404
        invoice = get_object_or_404(self.get_queryset(request), pk=invoice_id)
        if not invoice.file:
            raise Http404
        return FileResponse(invoice.file.open("rb"), as_attachment=True, filename=invoice.file.name.rsplit("/", 1)[-1])

    @admin.action(description=_("Match selected invoices to their certificates"), permissions=["change"])
    def match_selected(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda i: services.invoice_match(invoice_id=i.pk, by=request.user),
            gettext("matched"),
        )

    @admin.action(description=_("Reject selected invoices (asks for a reason)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return run_form_action(
            self,
            request,
            queryset,
            action="reject_selected",
            title=gettext("Reject invoices"),
            intro=gettext("These invoices are turned down; the vendor sees the reason in the partner API."),
            submit=gettext("Reject with this reason"),
            service=lambda i, reason: services.invoice_reject(invoice_id=i.pk, by=request.user, reason=reason),
            verb=gettext("rejected"),
            label=gettext("Reason"),
            field_name="reason",
        )


def dashboard_rows(request) -> list[DashboardRow | WorkPanel]:
    """The officer's payment panel: certified certificates a second officer (not the certifier) approves."""
    user = request.user
    if not user.has_perm("payments.change_certificate"):
        return []
    return [
        work_panel(
            key="certificate_approval_count",
            title=gettext("Payment certificates waiting for my approval"),
            changelist="admin:payments_certificate_changelist",
            rows=project_scope(certificates_awaiting_approval(user), user, "milestone__project"),
            item=lambda certificate: WorkItem(
                text=f"{certificate} · {certificate.milestone.title}",
                url=reverse("admin:payments_certificate_change", args=[certificate.pk]),
                detail=str(certificate.payee or gettext("the authority")),
                note=format_money(certificate.net_amount, certificate.currency),
            ),
            empty=gettext("No certificate waits for your approval."),
            order=30,
        )
    ]


admin.site.register_dashboard(dashboard_rows)
