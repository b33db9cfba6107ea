import pytest
from django.core.management import call_command
from django.db.models import F

from payments.models import Certificate, VendorInvoice
from procurement.models import Agreement, Amendment, ContractingAuthority, CostShare, Vendor, VendorUser
from projects.models import KPI, Deliverable, GateDecision, KPIMeasurement, Milestone, PerformanceFailure, Project, Risk

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
    # Six confirmed readings per KPI, and one vendor's report per project awaiting confirmation.
    assert first["KPI"] == 60 and first["KPIMeasurement"] == 380
    assert KPIMeasurement.objects.filter(status="reported").count() == 20
    assert set(KPI.objects.values_list("name", flat=True)) == {
        "Digital service adoption",
        "Cost per transaction",
        "Citizen satisfaction",
    }
    assert Risk.objects.due_for_review().exists() and first["PerformanceFailure"] > 0
    assert GateDecision.objects.filter(to_phase="rollout").count() == Project.objects.exclude(phase="pilot").count()
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
