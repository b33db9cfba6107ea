"""Performance in the partner API: a vendor reads the failures charged to it and disputes one with a reason, reads
its projects' KPIs and reports measurements of them (with evidence), which count once an officer confirms them.

HTTP only: the querysets come from projects.selectors (and payments.selectors for what was deducted), the writes
from projects.services. No officer is named: who recorded or decided something is the agency's business.
"""

import django_filters
from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from payments.selectors import with_deducted
from ppp import limits
from projects import services
from projects.models import KPI, KPIMeasurement, PerformanceFailure, PerformanceFailureDispute
from projects.selectors import kpi_list, kpi_measurement_list, performance_failure_list
from projects.validators import allowed_evidence_extensions

from .filters import IdFilter, StatusFilter, StrictFilterSet
from .listing import ValuesListModelMixin
from .parsers import BoundedJSONParser
from .permissions import caller_of
from .views import ScopedViewSet

# What a request text may be: anything but NUL, and not only whitespace (trimmed, that would be blank).
NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": limits.NOTE, "pattern": NON_BLANK})
class ReasonField(serializers.CharField):
    """A required reason; the schema says what DRF refuses (blank after trimming, a NUL character)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=limits.NOTE, **kwargs)


# --- Performance failures and disputes ---------------------------------------------------------------


class DisputeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformanceFailureDispute
        fields = ["id", "performance_failure", "status", "reason", "raised_at", "decided_at", "decision_reason"]
        read_only_fields = fields
        extra_kwargs = {
            "performance_failure": {"source": "failure"},
            "decided_at": {"help_text": _("When the agency upheld or dismissed it; null while open.")},
            "decision_reason": {"help_text": _("The agency's reason for the decision.")},
        }


class PerformanceFailureSerializer(serializers.ModelSerializer):
    milestone_title = serializers.CharField(source="milestone.title", read_only=True)
    project = serializers.IntegerField(source="milestone.project_id", read_only=True)
    agreement = serializers.IntegerField(source="milestone.project.agreement_id", read_only=True)
    agreement_reference = serializers.CharField(source="milestone.project.agreement.reference", read_only=True)
    currency = serializers.CharField(source="milestone.project.agreement.currency", read_only=True)
    deducted = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text=_("The penalty taken so far on payment certificates (void ones excluded)."),
    )
    penalty_status = serializers.SerializerMethodField(
        help_text=_(
            "deductible: taken from your payments as the agreement says; suspended: not deducted while your "
            "dispute is open; waived: your dispute was upheld, nothing more is deducted."
        )
    )
    disputes = DisputeSerializer(many=True, read_only=True, help_text=_("Your disputes of it, newest first."))

    class Meta:
        model = PerformanceFailure
        fields = [
            "id",
            "milestone",
            "milestone_title",
            "project",
            "agreement",
            "agreement_reference",
            "vendor",
            "description",
            "recorded_on",
            "currency",
            "penalty_contracted",
            "penalty_imposed",
            "penalty_paid",
            "deducted",
            "deduction_rate",
            "deduction_cap",
            "deduction_cap_scope",
            "penalty_status",
            "disputes",
        ]
        read_only_fields = fields

    def get_penalty_status(self, failure) -> str:
        statuses = {dispute.status for dispute in failure.disputes.all()}  # prefetched
        if PerformanceFailureDispute.Status.UPHELD in statuses:
            return "waived"
        if PerformanceFailureDispute.Status.OPEN in statuses:
            return "suspended"
        return "deductible"


class DisputeRequestSerializer(serializers.Serializer):
    reason = ReasonField(help_text=_("Why the failure is wrongly charged to you; the agency reads this."))


def failure_list(*, vendor):
    return with_deducted(performance_failure_list(vendor=vendor))


class PerformanceFailureFilter(StrictFilterSet):
    agreement = IdFilter(field_name="milestone__project__agreement_id")
    project = IdFilter(field_name="milestone__project_id")
    milestone = IdFilter(field_name="milestone_id")
    recorded_on = django_filters.DateFromToRangeFilter(label="recorded_on_after / recorded_on_before.")

    class Meta:
        model = PerformanceFailure
        fields = ["agreement", "project", "milestone", "recorded_on"]


class PerformanceFailureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Performance failures charged to you (missed or late milestones), their penalties, what was deducted from
    your payments, and your disputes. Dispute one with a reason: while the dispute is open its penalty is not
    deducted on new payment certificates; if the agency upholds it, the penalty is waived."""

    selector = failure_list
    permission_model = PerformanceFailure
    serializer_class = PerformanceFailureSerializer
    filterset_class = PerformanceFailureFilter
    ordering_fields = ["recorded_on", "penalty_imposed", "id"]
    ordering = ["-recorded_on", "-id"]
    vendor_actions = ("dispute",)
    vendor_action_refusal = _("Only the vendor charged with a failure disputes it.")
    action_error_codes = {"dispute": (409,)}

    @extend_schema(
        request=DisputeRequestSerializer,
        responses={201: DisputeSerializer},
        summary="Dispute a performance failure, saying why",
        description="409 while another dispute of it is open, or once one was upheld (the penalty is waived).",
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        failure = self.get_object()
        body = DisputeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dispute = services.performance_failure_dispute(
            performance_failure_id=failure.pk,
            vendor=caller_of(request).vendor,
            by=request.user,
            reason=body.validated_data["reason"],
        )
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


# --- KPIs and their measurements --------------------------------------------------------------------


class KPISerializer(serializers.ModelSerializer):
    class Meta:
        model = KPI
        fields = ["id", "project", "name", "description", "unit", "baseline", "target", "direction"]
        read_only_fields = fields


class KPIFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id")

    class Meta:
        model = KPI
        fields = ["project"]


class KPIViewSet(ValuesListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The KPIs of your projects: what you report measurements of."""

    selector = kpi_list
    permission_model = KPI
    serializer_class = KPISerializer
    filterset_class = KPIFilter
    ordering_fields = ["name", "id"]
    ordering = ["project_id", "name", "id"]


class KPIMeasurementSerializer(serializers.ModelSerializer):
    kpi_name = serializers.CharField(source="kpi.name", read_only=True)
    project = serializers.IntegerField(source="kpi.project_id", read_only=True)
    vendor = serializers.IntegerField(
        source="reported_by_vendor_id",
        read_only=True,
        allow_null=True,
        help_text=_("The vendor that reported it; null for the agency's own measurements."),
    )
    evidence_file = serializers.FileField(read_only=True, help_text=_("Where to download the evidence; null if none."))

    class Meta:
        model = KPIMeasurement
        fields = [
            "id",
            "kpi",
            "kpi_name",
            "project",
            "vendor",
            "period_start",
            "date",
            "value",
            "note",
            "evidence_file",
            "status",
            "reported_at",
            "decided_at",
            "rejection_reason",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": _("reported: awaiting the agency; confirmed: counts on the board; rejected.")},
            "rejection_reason": {"help_text": _("Why the agency rejected it.")},
        }


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d{1,12}(\.\d{1,2})?$"})
class MeasureField(serializers.DecimalField):
    """A KPI value sent as a form field (may be negative: some KPIs measure a change)."""


@extend_schema_field({"type": "string", "maxLength": 255, "pattern": r"^[^\x00]*$"})
class NoteField(serializers.CharField):
    """The schema says what DRF refuses: a NUL character."""


class OptionalDateField(serializers.DateField):
    """An optional date sent as a form field: left out, there is none; sent empty, it is a 400 like any other value
    that is not a date (DRF would quietly read an empty form field as "left out")."""

    def get_value(self, dictionary):
        if dictionary.get(self.field_name) == "":
            return ""  # to_internal_value refuses it: "Date has wrong format"
        return super().get_value(dictionary)


class KPIMeasurementReportSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text=_("The KPI measured."))
    date = serializers.DateField(help_text=_("The day measured, or the last day of the period measured."))
    period_start = OptionalDateField(
        required=False,
        default=None,
        help_text=_("First day of the period measured; leave out for a measurement on one day."),
    )
    value = MeasureField(max_digits=14, decimal_places=2)
    note = NoteField(max_length=255, required=False, allow_blank=True, default="")
    evidence_file = serializers.FileField(
        required=False,
        allow_empty_file=True,  # the service refuses it with the other content checks (415)
        help_text=f"Optional evidence: {allowed_evidence_extensions()}, at most "
        f"{settings.PPP_EVIDENCE_MAX_BYTES:,} bytes.",
    )


class RejectMeasurementSerializer(serializers.Serializer):
    reason = ReasonField(help_text=_("Why the measurement is rejected; the vendor reads this."))


class KPIMeasurementFilter(StrictFilterSet):
    kpi = IdFilter(field_name="kpi_id")
    project = IdFilter(field_name="kpi__project_id")
    status = StatusFilter(choices=KPIMeasurement.Status.choices)
    date = django_filters.DateFromToRangeFilter(label="date_after / date_before.")

    class Meta:
        model = KPIMeasurement
        fields = ["kpi", "project", "status", "date"]


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": KPIMeasurementReportSerializer},
        responses={201: KPIMeasurementSerializer},
        summary="Report a KPI measurement",
        description="It counts on the board report once the agency confirms it. 404: the KPI is not on your "
        "projects; 409: the KPI already has a measurement (reported or confirmed) for that date.",
    )
)
class KPIMeasurementViewSet(ValuesListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Your KPI measurements: reported, then confirmed or rejected (with the reason) by the agency. Officers read
    every measurement and confirm or reject reported ones."""

    selector = kpi_measurement_list
    permission_model = KPIMeasurement
    serializer_class = KPIMeasurementSerializer
    filterset_class = KPIMeasurementFilter
    ordering_fields = ["date", "reported_at", "id"]
    ordering = ["-date", "-id"]
    http_method_names = ["get", "post", "head", "options"]
    officer_actions = ("confirm", "reject")
    officer_action_refusal = _("Only agency officers with the change permission confirm or reject measurements.")
    action_error_codes = {"create": (404, 409, 413), "confirm": (409,), "reject": (409,)}

    # Reports carry an evidence file (multipart); the review actions take JSON as everywhere else.
    parser_classes = [MultiPartParser, BoundedJSONParser]

    def create(self, request, *args, **kwargs):
        caller = caller_of(request)
        if not caller.is_vendor:
            raise PermissionDenied(
                gettext("Measurements are reported by the vendor; officers enter theirs in the admin.")
            )
        body = KPIMeasurementReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # The KPI must be on one of the vendor's projects: another's is a 404, like any lookup.
        kpi = kpi_list(vendor=caller.vendor).filter(pk=data["kpi"]).first()
        if kpi is None:
            raise Http404("No such KPI on your projects.")
        measurement = services.kpi_measurement_report(
            kpi_id=kpi.pk,
            vendor=caller.vendor,
            by=request.user,
            value=data["value"],
            date=data["date"],
            period_start=data["period_start"],
            note=data["note"],
            evidence_file=data.get("evidence_file"),
        )
        return Response(
            KPIMeasurementSerializer(measurement, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: KPIMeasurementSerializer}, summary="Confirm a reported measurement")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        measurement = self.get_object()
        confirmed = services.kpi_measurement_confirm(kpi_measurement_id=measurement.pk, by=request.user)
        return Response(KPIMeasurementSerializer(confirmed, context={"request": request}).data)

    @extend_schema(
        request=RejectMeasurementSerializer,
        responses={200: KPIMeasurementSerializer},
        summary="Reject a reported measurement, saying why",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        measurement = self.get_object()
        body = RejectMeasurementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rejected = services.kpi_measurement_reject(
            kpi_measurement_id=measurement.pk, by=request.user, reason=body.validated_data["reason"]
        )
        return Response(KPIMeasurementSerializer(rejected, context={"request": request}).data)
