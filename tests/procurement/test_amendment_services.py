"""Amendments: the only way a signed agreement's value, end date or cost shares change."""

import datetime
from decimal import Decimal

import pytest

from ppp.errors import RuleViolation, TransitionError
from ppp.factories import OfficerFactory
from procurement import services
from procurement.factories import AgreementFactory, AmendmentFactory, AmendmentShareChangeFactory, VendorFactory
from procurement.models import Amendment
from projects.factories import MilestoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    return VendorFactory()


@pytest.fixture
def second_officer(db):
    """Amendments are approved by an officer other than the one who proposed them (four eyes)."""
    return OfficerFactory()


@pytest.fixture
def agreement(vendor):
    # 40 % authority, 60 % vendor, 1,000,000.00 EUR.
    return AgreementFactory(active=True, vendors=[vendor])


def _shares(agreement):
    return {share.vendor_id: share.percentage for share in agreement.cost_shares.all()}


def test_proposal_records_old_and_new_values_and_changes_nothing_yet(agreement, vendor, officer):
    new_end = agreement.end_date + datetime.timedelta(days=180)

    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Two more regions",
        by=officer,
        new_total_value=Decimal("1200000"),
        new_end_date=new_end,
        share_changes={None: Decimal("50"), vendor: Decimal("50")},
    )

    assert amendment.status == Amendment.Status.PROPOSED and amendment.proposed_by == officer
    assert (amendment.old_total_value, amendment.new_total_value) == (Decimal("1000000.00"), Decimal("1200000"))
    assert {(c.vendor_id, c.old_percentage, c.new_percentage) for c in amendment.share_changes.all()} == {
        (None, Decimal("40.00"), Decimal("50")),
        (vendor.pk, Decimal("60.00"), Decimal("50")),
    }
    agreement.refresh_from_db()
    assert agreement.total_value == Decimal("1000000.00") and agreement.end_date == amendment.old_end_date


def test_approval_applies_value_end_date_and_shares_and_records_the_approver(agreement, vendor, officer):
    new_end = agreement.end_date + datetime.timedelta(days=180)
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Two more regions",
        by=officer,
        new_total_value=Decimal("1200000"),
        new_end_date=new_end,
        share_changes={None: Decimal("50"), vendor: Decimal("50")},
    )
    approver = OfficerFactory(username="approver")

    services.amendment_approve(amendment_id=amendment.pk, approver=approver, note="Board minute 12")

    agreement.refresh_from_db()
    amendment.refresh_from_db()
    assert agreement.total_value == Decimal("1200000") and agreement.end_date == new_end
    assert _shares(agreement) == {None: Decimal("50"), vendor.pk: Decimal("50")}
    assert agreement.share_total() == 100
    assert amendment.status == "approved" and amendment.decided_by == approver and amendment.decided_at
    assert agreement.history.first().history_user == approver
    # The history keeps the terms before the amendment.
    assert agreement.history.last().total_value == Decimal("1000000.00")


def test_a_new_party_can_join_and_an_old_one_leave(agreement, vendor, officer, second_officer):
    newcomer = VendorFactory()
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Novation to the new operator",
        by=officer,
        share_changes={vendor: Decimal("0"), newcomer: Decimal("60")},
    )

    services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)

    assert _shares(agreement) == {None: Decimal("40.00"), newcomer.pk: Decimal("60")}


@pytest.mark.parametrize(("authority", "vendor_share", "total"), [("40", "59.99", "99.99"), ("40", "60.01", "100.01")])
def test_shares_must_still_sum_to_exactly_100(agreement, vendor, officer, authority, vendor_share, total):
    with pytest.raises(RuleViolation, match=f"sum to {total} %") as excinfo:
        services.amendment_propose(
            agreement_id=agreement.pk,
            reason="Rebalance",
            by=officer,
            share_changes={None: Decimal(authority), vendor: Decimal(vendor_share)},
        )

    assert excinfo.value.field == "share_changes"
    assert not Amendment.objects.exists()


def test_approval_applies_all_or_nothing_when_a_share_change_fails(agreement, vendor, officer, second_officer):
    # Given an amendment whose share lines (recorded outside the service) would leave 90 %.
    amendment = AmendmentFactory(agreement=agreement, new_end_date=agreement.end_date + datetime.timedelta(days=30))
    AmendmentShareChangeFactory(amendment=amendment, vendor=vendor, new_percentage=Decimal("50"))
    before = (agreement.total_value, agreement.end_date, _shares(agreement))

    with pytest.raises(RuleViolation, match="sum to 90 %"):
        services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)

    agreement.refresh_from_db()
    amendment.refresh_from_db()
    assert (agreement.total_value, agreement.end_date, _shares(agreement)) == before
    assert amendment.status == "proposed"


def test_approval_is_refused_when_the_agreement_changed_since_the_proposal(agreement, vendor, officer, second_officer):
    first = services.amendment_propose(
        agreement_id=agreement.pk, reason="Indexation", by=officer, new_total_value=Decimal("1100000")
    )
    second = services.amendment_propose(
        agreement_id=agreement.pk, reason="Extra scope", by=officer, new_total_value=Decimal("1300000")
    )
    services.amendment_approve(amendment_id=first.pk, approver=second_officer)

    with pytest.raises(RuleViolation, match="total value changed after this amendment was proposed"):
        services.amendment_approve(amendment_id=second.pk, approver=second_officer)

    agreement.refresh_from_db()
    assert agreement.total_value == Decimal("1100000")


@pytest.mark.parametrize("standing", ["suspended", "debarred"])
def test_a_vendor_not_in_good_standing_cannot_be_given_a_share(agreement, officer, standing):
    newcomer = VendorFactory(legal_name="Shady Partners Ltd", status=standing)

    with pytest.raises(RuleViolation) as excinfo:
        services.amendment_propose(
            agreement_id=agreement.pk,
            reason="New partner",
            by=officer,
            share_changes={None: Decimal("30"), newcomer: Decimal("10")},
        )

    assert excinfo.value.field == "share_changes"
    assert excinfo.value.message.startswith(f"Shady Partners Ltd is {standing} and cannot hold a share")
    assert not Amendment.objects.exists()


def test_a_suspended_party_can_be_amended_out_of_the_agreement(officer, second_officer):
    leaving, staying = VendorFactory(), VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[leaving, staying])  # 40 / 30 / 30
    leaving.status = "suspended"
    leaving.save()

    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Partner suspended; the other partner takes over its share.",
        by=officer,
        share_changes={leaving: Decimal("0"), staying: Decimal("60")},
    )
    services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)

    assert _shares(agreement) == {None: Decimal("40.00"), staying.pk: Decimal("60.00")}


@pytest.mark.parametrize("standing", ["suspended", "debarred"])
def test_a_vendor_suspended_or_debarred_before_approval_blocks_it(agreement, officer, second_officer, standing):
    newcomer = VendorFactory()
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="New partner",
        by=officer,
        share_changes={None: Decimal("30"), newcomer: Decimal("10")},
    )
    newcomer.status = standing
    newcomer.save()

    with pytest.raises(RuleViolation, match=f"is {standing} and cannot hold a share"):
        services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)

    assert not agreement.cost_shares.filter(vendor=newcomer).exists()


def test_moving_the_end_date_can_rebaseline_open_milestones_keeping_the_first_plan(agreement, officer, second_officer):
    open_milestone = MilestoneFactory(project__agreement=agreement)
    achieved = MilestoneFactory(project=open_milestone.project, achieved=True)
    first_plan = open_milestone.due_date
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Delay in land handover",
        by=officer,
        new_end_date=agreement.end_date + datetime.timedelta(days=90),
        rebaseline_milestones=True,
    )

    services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)

    open_milestone.refresh_from_db()
    achieved.refresh_from_db()
    assert open_milestone.due_date == first_plan + datetime.timedelta(days=90)
    assert open_milestone.baseline_due_date == first_plan and open_milestone.slip_days == 90
    assert achieved.slip_days == 0


def test_without_rebaseline_the_milestones_stay(agreement, officer, second_officer):
    milestone = MilestoneFactory(project__agreement=agreement)
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Longer term",
        by=officer,
        new_end_date=agreement.end_date + datetime.timedelta(days=30),
    )

    services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)

    milestone.refresh_from_db()
    assert milestone.slip_days == 0


def test_the_proposer_cannot_approve_their_own_amendment(agreement, officer, second_officer):
    amendment = services.amendment_propose(
        agreement_id=agreement.pk, reason="More money", by=officer, new_total_value=Decimal("2000000")
    )

    with pytest.raises(RuleViolation) as excinfo:
        services.amendment_approve(amendment_id=amendment.pk, approver=officer)

    assert excinfo.value.field == "approver"
    assert "another officer must approve it (four-eyes rule)" in excinfo.value.message
    amendment.refresh_from_db()
    agreement.refresh_from_db()
    assert amendment.status == "proposed" and agreement.total_value == Decimal("1000000.00")
    # A second officer can.
    services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)
    agreement.refresh_from_db()
    assert agreement.total_value == Decimal("2000000")


def test_the_proposer_may_withdraw_by_rejecting_their_own_amendment(agreement, officer):
    amendment = services.amendment_propose(
        agreement_id=agreement.pk, reason="More money", by=officer, new_total_value=Decimal("2000000")
    )

    services.amendment_reject(amendment_id=amendment.pk, by=officer, note="Proposed in error")

    amendment.refresh_from_db()
    assert amendment.status == "rejected" and amendment.decided_by == officer


def test_rejection_needs_a_reason_and_leaves_the_agreement_alone(agreement, officer):
    amendment = services.amendment_propose(
        agreement_id=agreement.pk, reason="More money", by=officer, new_total_value=Decimal("2000000")
    )

    with pytest.raises(RuleViolation, match="why"):
        services.amendment_reject(amendment_id=amendment.pk, by=officer, note=" ")
    services.amendment_reject(amendment_id=amendment.pk, by=officer, note="Not value for money")

    amendment.refresh_from_db()
    agreement.refresh_from_db()
    assert (amendment.status, amendment.decision_note, amendment.decided_by) == (
        "rejected",
        "Not value for money",
        officer,
    )
    assert agreement.total_value == Decimal("1000000.00")


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_a_decided_amendment_cannot_be_decided_again(agreement, officer, decide, second_officer):
    amendment = services.amendment_propose(
        agreement_id=agreement.pk, reason="Indexation", by=officer, new_total_value=Decimal("1100000")
    )
    services.amendment_reject(amendment_id=amendment.pk, by=officer, note="No")

    with pytest.raises(TransitionError, match="'rejected'"):
        if decide == "approve":
            services.amendment_approve(amendment_id=amendment.pk, approver=second_officer)
        else:
            services.amendment_reject(amendment_id=amendment.pk, by=officer, note="No again")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, None, "changes nothing"),
        ({"new_total_value": Decimal("1000000.00")}, None, "changes nothing"),
        ({"new_total_value": Decimal("0")}, "new_total_value", "more than zero"),
        ({"new_end_date": datetime.date(2000, 1, 1)}, "new_end_date", "after the agreement's start date"),
        ({"new_total_value": Decimal("5"), "rebaseline_milestones": True}, "rebaseline_milestones", "end date"),
    ],
)
def test_bad_proposals_are_refused_naming_the_field(agreement, officer, changes, field, message):
    with pytest.raises(RuleViolation, match=message) as excinfo:
        services.amendment_propose(agreement_id=agreement.pk, reason="Change", by=officer, **changes)

    assert excinfo.value.field == field


def test_draft_agreements_are_edited_directly_not_amended(officer):
    draft = AgreementFactory()

    with pytest.raises(RuleViolation, match="draft agreement is edited directly"):
        services.amendment_propose(agreement_id=draft.pk, reason="x", by=officer, new_total_value=Decimal("5"))


def test_a_party_still_responsible_for_open_milestones_cannot_leave(agreement, vendor, officer):
    MilestoneFactory(project__agreement=agreement, responsible_vendor=vendor)

    with pytest.raises(RuleViolation, match="reassign them first"):
        services.amendment_propose(
            agreement_id=agreement.pk, reason="Exit", by=officer, share_changes={vendor: 0, None: Decimal("100")}
        )
