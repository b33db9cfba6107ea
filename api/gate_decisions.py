"""Gate decisions in the partner API: how the projects of a vendor's agreements passed their phase gates, each
check of the gate's checklist with its answer and evidence. Read-only; officers read every one.

HTTP only: the queryset comes from projects.selectors.gate_decision_list. No officer is named: who decided is
the agency's internal business, and so is the wording of an override (the API says only that there was one).
"""

from rest_framework import mixins, serializers

from projects.models import GateCheck, GateDecision, Project
from projects.selectors import gate_decision_list

from .filters import IdFilter, StatusFilter, StrictFilterSet
from .views import ScopedViewSet


class GateCheckSerializer(serializers.ModelSerializer):
    criterion_text = serializers.CharField(
        source="criterion.__str__", read_only=True, help_text="What was checked, in the reader's language if known."
    )

    class Meta:
        model = GateCheck
        fields = ["criterion", "criterion_text", "met", "evidence"]
        read_only_fields = fields


class GateDecisionSerializer(serializers.ModelSerializer):
    checks = GateCheckSerializer(many=True, read_only=True, help_text="The gate's checklist as answered.")
    overridden = serializers.BooleanField(
        source="is_override",
        read_only=True,
        help_text="The gate was passed with a recorded reason: a check unmet, a milestone overdue, or an early "
        "closure.",
    )

    class Meta:
        model = GateDecision
        fields = [
            "id",
            "project",
            "from_phase",
            "to_phase",
            "decided_on",
            "meeting_date",
            "criteria_met",
            "overridden",
            "checks",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "decided_on": {"help_text": "The day the decision was recorded (and its checks made)."},
            "meeting_date": {"help_text": "When the board met, if earlier; for the record only."},
            "criteria_met": {"help_text": "Every check of the checklist was met."},
        }


class GateDecisionFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id")
    to_phase = StatusFilter(choices=Project.Phase.choices)

    class Meta:
        model = GateDecision
        fields = ["project", "to_phase"]


class GateDecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Phase gate decisions of the projects under your agreements, newest first, with their checklists."""

    selector = gate_decision_list
    permission_model = GateDecision
    serializer_class = GateDecisionSerializer
    filterset_class = GateDecisionFilter
    ordering_fields = ["decided_on", "id"]
    ordering = ["-decided_on", "-id"]
