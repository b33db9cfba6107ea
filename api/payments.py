"""Payments in the partner API: a vendor reads its certificates (deductions, its share, payment) and invoices them.

HTTP only: the querysets come from payments.selectors, the writes from payments.services.
"""

import django_filters
from django.conf import settings
from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from payments import services
from payments.models import Certificate, Deduction, PartyShare, VendorInvoice
from payments.selectors import certificate_list, invoice_list, payment_list
from projects.validators import allowed_evidence_extensions

from .filters import IdFilter, StatusFilter, StrictFilterSet
from .listing import ValuesListModelMixin
from .permissions import caller_of
from .views import ScopedViewSet

# --- Serializers -------------------------------------------------------------------------------


class DeductionSerializer(serializers.ModelSerializer):
    performance_failure = serializers.IntegerField(source="failure_id", read_only=True, allow_null=True)

    class Meta:
        model = Deduction
        fields = ["kind", "description", "amount", "performance_failure"]


class PartyShareSerializer(serializers.ModelSerializer):
    party = serializers.CharField(source="party_name", read_only=True)
    vendor = serializers.IntegerField(source="vendor_id", read_only=True, allow_null=True)

    class Meta:
        model = PartyShare
        fields = ["vendor", "party", "percentage", "gross_amount", "retention_amount", "penalty_amount", "net_amount"]


class CertificateSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="__str__", read_only=True)
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    milestone_title = serializers.CharField(source="milestone.title", read_only=True)
    payee = serializers.CharField(source="payee.legal_name", read_only=True, allow_null=True, default=None)
    released_certificate = serializers.IntegerField(source="released_certificate_id", read_only=True, allow_null=True)
    deductions = DeductionSerializer(many=True, read_only=True)
    shares = PartyShareSerializer(
        source="visible_shares",
        many=True,
        read_only=True,
        help_text="Each party's part, by the cost shares in force on the certificate date. A vendor sees its own.",
    )

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "agreement",
            "agreement_reference",
            "milestone",
            "milestone_title",
            "sequence",
            "released_certificate",
            "payee",
            "certificate_date",
            "currency",
            "milestone_payment",
            "previously_certified",
            "gross_amount",
            "retention_percent",
            "retention_amount",
            "penalty_amount",
            "net_amount",
            "certified_at",
            "approved_at",
            "paid_on",
            "payment_reference",
            "void_reason",
            "deductions",
            "shares",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    file = serializers.SerializerMethodField(help_text="The name of the document you sent.")

    class Meta:
        model = VendorInvoice
        fields = [
            "id",
            "certificate",
            "reference",
            "invoice_date",
            "amount",
            "file",
            "status",
            "submitted_at",
            "decided_at",
            "rejection_reason",
        ]
        read_only_fields = fields

    def get_file(self, invoice) -> str:
        return invoice.file.name.rsplit("/", 1)[-1] if invoice.file else ""


class PaymentSerializer(serializers.ModelSerializer):
    """A vendor's part of a paid certificate: the money that reached it."""

    certificate_number = serializers.SerializerMethodField(help_text=_("The certificate's number, e.g. PC-000042."))
    kind = serializers.CharField(
        source="certificate.kind", read_only=True, help_text=_("milestone or retention_release.")
    )
    status = serializers.CharField(source="certificate.status", read_only=True, help_text=_("paid or reconciled."))
    agreement = serializers.IntegerField(source="certificate.agreement_id", read_only=True)
    agreement_reference = serializers.CharField(source="certificate.agreement.reference", read_only=True)
    milestone = serializers.IntegerField(source="certificate.milestone_id", read_only=True)
    milestone_title = serializers.CharField(source="certificate.milestone.title", read_only=True)
    vendor = serializers.IntegerField(source="vendor_id", read_only=True)
    paid_on = serializers.DateField(source="certificate.paid_on", read_only=True)
    payment_reference = serializers.CharField(source="certificate.payment_reference", read_only=True)
    currency = serializers.CharField(source="certificate.currency", read_only=True)
    deductions = serializers.DecimalField(
        source="penalty_amount",
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text=_("Penalties taken off your part."),
    )
    retention = serializers.DecimalField(
        source="retention_amount",
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text=_("Held back from your part until released (a retention release pays it out)."),
    )
    net_paid = serializers.DecimalField(
        source="net_amount",
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text=_("What you were paid: gross less retention and deductions."),
    )

    row_columns = {"certificate_number": ("certificate_id",)}

    class Meta:
        model = PartyShare
        fields = [
            "id",
            "certificate",
            "certificate_number",
            "kind",
            "status",
            "agreement",
            "agreement_reference",
            "milestone",
            "milestone_title",
            "vendor",
            "paid_on",
            "payment_reference",
            "currency",
            "percentage",
            "gross_amount",
            "deductions",
            "retention",
            "net_paid",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "percentage": {"help_text": _("Your cost share on the certificate date.")},
            "gross_amount": {"help_text": _("Your part of the certificate's gross amount.")},
        }

    def get_certificate_number(self, share) -> str:
        return str(share.certificate)

    def certificate_number_from_row(self, row) -> str:
        return str(Certificate(pk=row["certificate_id"]))


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d{1,14}(\.\d{1,2})?$"})
class AmountField(serializers.DecimalField):
    """A decimal amount sent as a form field: the schema says it has digits (drf-spectacular's pattern admits "")."""


@extend_schema_field({"type": "string", "maxLength": 64, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"})
class InvoiceReferenceField(serializers.CharField):
    """The schema says what DRF refuses: a NUL character, or nothing but whitespace (trimmed to blank)."""


class InvoiceSubmitSerializer(serializers.Serializer):
    certificate = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The certificate invoiced.")
    reference = InvoiceReferenceField(max_length=64, help_text="Your invoice number (unique among yours).")
    invoice_date = serializers.DateField()
    amount = AmountField(
        max_digits=16, decimal_places=2, min_value=0, help_text="Must equal the certificate's net amount."
    )
    file = serializers.FileField(
        allow_empty_file=True,  # the service refuses it with the other content checks (415)
        help_text=f"The invoice document: {allowed_evidence_extensions()}, at most "
        f"{settings.PPP_EVIDENCE_MAX_BYTES:,} bytes.",
    )


# --- Filters ---------------------------------------------------------------------------------


class CertificateFilter(StrictFilterSet):
    agreement = IdFilter(field_name="agreement_id")
    milestone = IdFilter(field_name="milestone_id")
    status = StatusFilter(choices=Certificate.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Certificate.Kind.choices)
    certificate_date = django_filters.DateFromToRangeFilter()
    paid_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Certificate
        fields = ["agreement", "milestone", "status", "kind", "certificate_date", "paid_on"]


class PaymentFilter(StrictFilterSet):
    agreement = IdFilter(field_name="certificate__agreement_id")
    milestone = IdFilter(field_name="certificate__milestone_id")
    kind = django_filters.ChoiceFilter(field_name="certificate__kind", choices=Certificate.Kind.choices)
    paid_on = django_filters.DateFromToRangeFilter(
        field_name="certificate__paid_on", label="paid_on_after / paid_on_before."
    )

    class Meta:
        model = PartyShare
        fields = ["agreement", "milestone", "kind", "paid_on"]


class InvoiceFilter(StrictFilterSet):
    certificate = IdFilter(field_name="certificate_id")
    status = StatusFilter(choices=VendorInvoice.Status.choices)

    class Meta:
        model = VendorInvoice
        fields = ["certificate", "status"]


# --- Views -----------------------------------------------------------------------------------


class PaymentCertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Payment certificates on your agreements: gross, deductions (retention, penalties), net, your share of
    it and the payment (date and reference) once paid."""

    selector = certificate_list
    permission_model = Certificate
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    ordering_fields = ["certificate_date", "paid_on", "net_amount", "id"]
    ordering = ["-certificate_date", "-id"]


class PaymentViewSet(ValuesListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The money paid to you: your part of each paid or reconciled certificate (milestone payments and retention
    releases), with the gross, deductions, retention and net paid. Newest payment first."""

    selector = payment_list
    permission_model = PartyShare
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["paid_on", "net_paid", "id"]
    ordering = ["-certificate__paid_on", "-id"]

    def get_queryset(self):
        # ?ordering= names the fields as the output does; the queryset orders by their columns.
        return super().get_queryset().alias(paid_on=F("certificate__paid_on"), net_paid=F("net_amount"))


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": InvoiceSubmitSerializer},
        responses={201: InvoiceSerializer},
        summary="Invoice a certified amount",
    )
)
class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Your invoices against certified amounts, and whether the agency matched or rejected them (and why)."""

    selector = invoice_list
    permission_model = VendorInvoice
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["submitted_at", "invoice_date", "id"]
    ordering = ["-submitted_at", "-id"]
    parser_classes = [MultiPartParser]
    http_method_names = ["get", "post", "head", "options"]
    # 404: the certificate named in the body is not one of yours (or does not exist).
    action_error_codes = {"create": (404, 409, 413)}

    def create(self, request, *args, **kwargs):
        caller = caller_of(request)
        if not caller.is_vendor:
            raise PermissionDenied(_("Invoices are submitted by the vendor being paid."))
        body = InvoiceSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # The certificate must be one the vendor can see: another vendor's is a 404, like any lookup.
        certificate = certificate_list(vendor=caller.vendor).filter(pk=data["certificate"]).first()
        if certificate is None:
            raise Http404("No such certificate.")
        invoice = services.invoice_submit(
            certificate_id=certificate.pk,
            vendor=caller.vendor,
            by=request.user,
            reference=data["reference"],
            invoice_date=data["invoice_date"],
            amount=data["amount"],
            file=data["file"],
        )
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)
