"""Amendments and risks in the partner API: a vendor reads how its agreements changed (or may change) and the
risks it bears on their projects. Read-only; officers read every one.

HTTP only: the querysets come from procurement.selectors.amendment_list and projects.selectors.risk_list.
No officer is named: who proposed, decided or owns something is the agency's internal business.
"""

from rest_framework import mixins, serializers

from procurement.models import Amendment, AmendmentShareChange
from procurement.selectors import amendment_list
from projects.models import Risk
from projects.selectors import risk_list

from .filters import IdFilter, StatusFilter, StrictFilterSet
from .listing import ValuesListModelMixin
from .views import ScopedViewSet

# --- Serializers -------------------------------------------------------------------------------


class AmendmentShareChangeSerializer(serializers.ModelSerializer):
    party = serializers.CharField(
        source="party_name", read_only=True, help_text="The vendor's legal name, or Authority for the agency's share."
    )
    vendor = serializers.IntegerField(source="vendor_id", read_only=True, allow_null=True)

    class Meta:
        model = AmendmentShareChange
        fields = ["vendor", "party", "old_percentage", "new_percentage"]
        read_only_fields = fields
        extra_kwargs = {
            "old_percentage": {"help_text": "Null when the party joins the agreement."},
            "new_percentage": {"help_text": "0 when the party leaves the agreement."},
        }


class AmendmentSerializer(serializers.ModelSerializer):
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    share_changes = AmendmentShareChangeSerializer(
        many=True,
        read_only=True,
        help_text="The cost shares the amendment sets: a vendor sees only its own line (as on agreements), the "
        "agency every party's.",
    )

    class Meta:
        model = Amendment
        fields = [
            "id",
            "agreement",
            "agreement_reference",
            "status",
            "reason",
            "old_total_value",
            "new_total_value",
            "old_end_date",
            "new_end_date",
            "effective_date",
            "share_changes",
            "proposed_at",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "new_total_value": {"help_text": "Null when the amendment keeps the value."},
            "new_end_date": {"help_text": "Null when the amendment keeps the end date."},
            "effective_date": {"help_text": "When the new cost shares take effect; null for the day of approval."},
            "decided_at": {"help_text": "When the agency approved or rejected it; null while proposed."},
            "decision_note": {"help_text": "The agency's note on the decision (why, when rejected)."},
        }


class RiskSerializer(serializers.ModelSerializer):
    score = serializers.IntegerField(read_only=True, help_text="Likelihood × impact, 1 to 25.")

    class Meta:
        model = Risk
        fields = [
            "id",
            "project",
            "title",
            "description",
            "category",
            "likelihood",
            "impact",
            "score",
            "allocation",
            "allocated_to",
            "status",
            "review_date",
            "mitigation",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "allocated_to": {
                "help_text": "The vendor who bears it alone; null when every vendor of the agreement does."
            }
        }


# --- Filters ---------------------------------------------------------------------------------


class AmendmentFilter(StrictFilterSet):
    agreement = IdFilter(field_name="agreement_id")
    status = StatusFilter(choices=Amendment.Status.choices)

    class Meta:
        model = Amendment
        fields = ["agreement", "status"]


class RiskFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id")
    status = StatusFilter(choices=Risk.Status.choices)
    allocation = StatusFilter(choices=Risk.Allocation.choices)

    class Meta:
        model = Risk
        fields = ["project", "status", "allocation"]


# --- Views -----------------------------------------------------------------------------------


class AmendmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Amendments of your agreements (and any that changed your share): proposed, approved or rejected, with
    the old and new value, end date and cost shares, and the agency's decision note."""

    selector = amendment_list
    permission_model = Amendment
    serializer_class = AmendmentSerializer
    filterset_class = AmendmentFilter
    ordering_fields = ["proposed_at", "decided_at", "status", "id"]
    ordering = ["-proposed_at", "-id"]


class RiskViewSet(ValuesListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Risks on your agreements' projects that you bear: allocated to the private partner, or shared with the
    authority. Worst score first."""

    selector = risk_list
    permission_model = Risk
    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    ordering_fields = ["score", "review_date", "status", "id"]
    ordering = ["-score", "review_date", "id"]
