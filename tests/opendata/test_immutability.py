"""Releases never change once published: a change to the agreement adds a release, it never rewrites one."""

import datetime
import json
from decimal import Decimal

import pytest

from opendata.models import Release
from opendata.services import releases_record
from ppp.factories import OfficerFactory
from procurement import services
from procurement.factories import AgreementFactory, VendorFactory
from projects import services as project_services
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory, RiskFactory

from .conftest import contract, export, export_text

pytestmark = [pytest.mark.django_db, pytest.mark.ocds_schemas]
START = datetime.datetime(2026, 4, 1, 9, tzinfo=datetime.UTC)


def _stored_texts() -> dict[str, str]:
    return dict(Release.objects.values_list("release_id", "body"))


def test_exporting_30_days_later_gives_byte_identical_releases_for_the_same_ids(tmp_path, time_machine, agreement):
    """The issue's case: open milestones past due, so a status computed from today would drift."""
    time_machine.move_to(START)
    project = ProjectFactory(agreement=agreement)
    soon = MilestoneFactory(project=project, due_date=datetime.date(2026, 4, 10))
    DeliverableFactory(milestone=soon, accepted=True)
    DeliverableFactory(milestone=soon)
    MilestoneFactory(project=project, due_date=datetime.date(2026, 4, 20))
    first = export_text(tmp_path, name="first.json")

    time_machine.move_to(START + datetime.timedelta(days=30))  # both milestones are now past their due dates
    second = export_text(tmp_path, name="second.json")

    stored = _stored_texts()
    assert stored and all(body in first and body in second for body in stored.values())
    assert first == second  # nothing happened: not even the package's date moved


def test_editing_a_risk_adds_a_release_and_leaves_the_first_one_as_it_was(tmp_path, time_machine, agreement, officer):
    time_machine.move_to(START)
    risk = RiskFactory(project=ProjectFactory(agreement=agreement), likelihood=2, category="construction")
    releases_record(by=officer)
    before = _stored_texts()

    time_machine.move_to(START + datetime.timedelta(days=3))
    project_services.risk_update(risk_id=risk.pk, by=officer, changes={"likelihood": 5})
    releases = export(tmp_path)["releases"]

    assert _stored_texts().items() >= before.items()  # the first release, byte for byte
    assert len(releases) == 2 and releases[1]["tag"] == ["contractUpdate"]
    notes = [
        next(r["notes"] for r in contract(release)["riskAllocation"] if r["id"] == f"risk-{risk.pk}")
        for release in releases
    ]
    assert "likelihood 2/5" in notes[0] and "likelihood 5/5" in notes[1]


def test_a_share_only_amendment_adds_a_release_and_old_releases_keep_the_parties_of_their_date(
    tmp_path, time_machine, officer
):
    time_machine.move_to(START)
    staying, leaving = VendorFactory(legal_name="Stays Ltd"), VendorFactory(legal_name="Leaves Ltd")
    agreement = AgreementFactory(active=True, vendors=[staying, leaving])  # authority 40 %, 30 % each
    releases_record(by=officer)
    first_text = _stored_texts()

    time_machine.move_to(START + datetime.timedelta(days=10))
    amendment = services.amendment_propose(
        agreement_id=agreement.pk, reason="Leaves Ltd sells its share", by=officer,
        share_changes={leaving: Decimal("0"), staying: Decimal("60")},
    )  # fmt: skip
    services.amendment_approve(amendment_id=amendment.pk, approver=OfficerFactory())
    services.vendor_update(vendor_id=staying.pk, by=officer, changes={"legal_name": "Stays Holdings Ltd"})
    first, second = export(tmp_path)["releases"]

    assert _stored_texts().items() >= first_text.items()
    assert second["tag"][0] == "contractAmendment"
    assert {p["name"] for p in first["parties"]} >= {"Stays Ltd", "Leaves Ltd"}
    assert "Stays Holdings Ltd" not in json.dumps(first)
    assert "Leaves Ltd" not in {s["name"] for s in second["awards"][0]["suppliers"]}
    assert "Stays Holdings Ltd" in {s["name"] for s in second["awards"][0]["suppliers"]}
    (item,) = contract(second)["amendments"]
    assert item["date"] <= second["date"] and "amendments" not in contract(first)


def test_draft_agreements_are_never_published(tmp_path):
    AgreementFactory(reference="PPP-SECRET")
    AgreementFactory(active=True, reference="PPP-PUBLIC")

    releases_record(by=None)

    assert list(Release.objects.values_list("agreement__reference", flat=True)) == ["PPP-PUBLIC"]
    assert "PPP-SECRET" not in export_text(tmp_path)


def test_recording_twice_records_nothing_new(agreement):
    first = releases_record(by=None)
    again = releases_record(by=None)

    assert (first.recorded, again.recorded) == (1, 0) and Release.objects.count() == 1


def test_a_milestone_met_later_is_a_new_release(tmp_path, time_machine, agreement, officer):
    time_machine.move_to(START)
    milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement), due_date=datetime.date(2026, 4, 30))
    releases_record(by=officer)

    time_machine.move_to(START + datetime.timedelta(days=5))
    project_services.milestone_achieve(milestone_id=milestone.pk, by=officer)
    first, second = export(tmp_path)["releases"]

    assert contract(first)["implementation"]["milestones"][0]["status"] == "scheduled"
    assert contract(second)["implementation"]["milestones"][0]["status"] == "met"
    assert second["tag"] == ["implementationUpdate"] and second["date"] > first["date"]
