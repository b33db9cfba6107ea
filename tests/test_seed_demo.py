import pytest
from django.core.management import call_command
from django.db.models import F

from payments.models import Certificate, VendorInvoice
from procurement.models import Agreement, Amendment, ContractingAuthority, CostShare, Vendor, VendorUser
from projects.models import (
    KPI,
    Deliverable,
    GateCheck,
    GateDecision,
    KPIMeasurement,
    Milestone,
    PerformanceFailure,
    Project,
    Risk,
)

pytestmark = pytest.mark.django_db

MODELS = [
    ContractingAuthority,
    Vendor,
    VendorUser,
    Agreement,
    CostShare,
    Project,
    Milestone,
    Deliverable,
    Amendment,
    GateDecision,
    GateCheck,
    Risk,
    KPI,
    KPIMeasurement,
    PerformanceFailure,
    Certificate,
    VendorInvoice,
]


def test_seed_demo_builds_a_realistic_set_and_running_again_adds_nothing(capsys):
    call_command("seed_demo")
    first = {model.__name__: model.objects.count() for model in MODELS}
    output = capsys.readouterr().out

    call_command("seed_demo")
    second = {model.__name__: model.objects.count() for model in MODELS}

    assert first == second
    assert first["ContractingAuthority"] == 3 and first["Vendor"] == 12 and first["VendorUser"] == 12
    assert first["Agreement"] == 8 and first["Project"] == 20 and 200 <= first["Milestone"] <= 400
    assert Milestone.objects.overdue().exists()
    for agreement in Agreement.objects.prefetch_related("cost_shares"):
        assert agreement.share_total() == 100 and agreement.status == "active"
    # Governance: the public-sector KPIs on every project, risk reviews to chase, recorded gates and amendments.
    assert first["KPI"] == 60 and first["KPIMeasurement"] == 360
    assert set(KPI.objects.values_list("name", flat=True)) == {
        "Digital service adoption",
        "Cost per transaction",
        "Citizen satisfaction",
    }
    assert Risk.objects.due_for_review().exists() and first["PerformanceFailure"] > 0
    # Both methods, each project past its first gate through recorded decisions with every check answered.
    assert set(Project.objects.values_list("delivery_method", flat=True)) == {"ppp", "agile"}
    for project in Project.objects.all():
        lifecycle = Project.LIFECYCLES[project.delivery_method]
        trail = list(project.gate_decisions.order_by("id").values_list("to_phase", flat=True))
        assert trail == list(lifecycle[1 : lifecycle.index(project.phase) + 1]) != []
    assert GateCheck.objects.exists() and not GateCheck.objects.filter(met=False).exists()
    assert sorted(Amendment.objects.values_list("status", flat=True)) == ["approved", "proposed"]
    assert Milestone.objects.filter(due_date__gt=F("baseline_due_date")).exists()
    # Payments: a whole chain, from drafts (retention releases) to reconciled, with a partial and a void one.
    statuses = set(Certificate.objects.values_list("status", flat=True))
    assert {"draft", "certified", "approved", "paid", "reconciled", "void"} <= statuses
    assert Certificate.objects.filter(kind="retention_release").exists()
    assert (
        VendorInvoice.objects.filter(status="matched").count()
        == Certificate.objects.filter(status="reconciled").count()
    )
    # The rules hold in the demo: evidence behind every submission, a delivery date on every achievement, one
    # deliverable awaiting its second (four-eyes) approval.
    assert not Deliverable.objects.exclude(status__in=["not_started", "in_progress"]).filter(evidence_url="").exists()
    assert not Milestone.objects.filter(status="achieved", delivered_on__isnull=True).exists()
    assert Milestone.objects.filter(delivered_on__lt=F("achieved_date")).exists()
    assert Deliverable.objects.filter(status="submitted", first_approved_by__username="officer").count() == 1
    for login in ("officer", "board", "vendor1", "vendor2", "ppp-demo-pass"):
        assert login in output
