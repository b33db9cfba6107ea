import pytest
from django.core.management import call_command

from procurement.models import Agreement, ContractingAuthority, CostShare, Vendor, VendorUser
from projects.models import Deliverable, Milestone, Project

pytestmark = pytest.mark.django_db

MODELS = [ContractingAuthority, Vendor, VendorUser, Agreement, CostShare, Project, Milestone, Deliverable]


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
    for login in ("officer", "board", "vendor1", "vendor2", "ppp-demo-pass"):
        assert login in output
