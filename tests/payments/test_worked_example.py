"""A finance officer's worked example: one milestone paid in two certificates across a change of cost shares.

The agreement (EUR): the authority 50 %, Alpha Build 30 %, Beta Systems 20 %. Milestone "Bridge deck" pays
100,000.01 and is Alpha's; it was delivered late, so Alpha has two performance failures on it:
  - a delay penalty of 10 % of each payment for the milestone, capped at 4,000.00 over the contract;
  - a fixed penalty of 2,500.00, capped at 1,000.00 per payment period (per certificate).
Retention is 5 %.

Certificate 1 (1 March, shares 50/30/20), partial, gross 60,000.00:
  retention 3,000.00; delay 10 % = 6,000.00 capped to 4,000.00; fixed 1,000.00 (period cap) -> penalties 5,000.00;
  net 52,000.00.           authority     Alpha        Beta
  gross                    30,000.00     18,000.00    12,000.00
  retention                 1,500.00        900.00       600.00
  penalties                 2,500.00      1,500.00     1,000.00
  net                      26,000.00     15,600.00    10,400.00   = 52,000.00

An amendment approved on 1 March moves the shares to 40/35/25 from 1 April.

Certificate 2 (15 April, shares 40/35/25), the remainder, gross 40,000.01:
  retention 5 % = 2,000.0005 -> 2,000.00; delay cap used up -> 0; fixed 1,000.00 (1,500.00 was left) -> net 37,000.01.
  gross 4,000,001 cents: exact 1,600,000.40 / 1,400,000.35 / 1,000,000.25 -> the spare cent to the largest
  fraction (the authority's .40):
  gross                    16,000.01     14,000.00    10,000.00
  retention                   800.00        700.00       500.00
  penalties                   400.00        350.00       250.00
  net                      14,800.01     12,950.00     9,250.00   = 37,000.01

Releasing certificate 1's retention later pays 1,500.00 / 900.00 / 600.00: the parties it was held from, in the
parts it was held, not by the shares in force on the release date.
"""

import datetime
from decimal import Decimal

import pytest

from payments import services
from payments.factories import advance
from payments.models import Certificate
from ppp.errors import RuleViolation, StateConflict
from ppp.factories import OfficerFactory
from procurement import services as procurement_services
from procurement.factories import AgreementFactory, VendorFactory
from projects.factories import MilestoneFactory, PerformanceFailureFactory, ProjectFactory
from projects.models import Milestone, PerformanceFailure

pytestmark = pytest.mark.django_db

D = Decimal


def _at(time_machine, day):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC))


def _parts(certificate):
    return [
        (share.vendor_id, share.gross_amount, share.retention_amount, share.penalty_amount, share.net_amount)
        for share in certificate.party_shares.order_by("pk")
    ]


@pytest.fixture
def example(time_machine, settings):
    settings.PPP_RETENTION_PERCENT = "5"
    _at(time_machine, datetime.date(2026, 3, 1))
    alpha, beta = VendorFactory(legal_name="Alpha Build"), VendorFactory(legal_name="Beta Systems")
    agreement = AgreementFactory(
        active=True,
        vendors=[alpha, beta],
        vendors__authority_share="50",
        start_date=datetime.date(2026, 1, 1),
    )
    # The factory splits the vendors' 50 % evenly; make it 30 / 20 before any payment (still the signed terms).
    agreement.cost_shares.filter(vendor=alpha).update(percentage=D("30"))
    agreement.cost_shares.filter(vendor=beta).update(percentage=D("20"))
    agreement.share_terms.filter(vendor=alpha).update(percentage=D("30"))
    agreement.share_terms.filter(vendor=beta).update(percentage=D("20"))
    milestone = MilestoneFactory(
        project=ProjectFactory(agreement=agreement),
        title="Bridge deck",
        responsible_vendor=alpha,
        payment_amount=D("100000.01"),
        due_date=datetime.date(2026, 2, 10),
        status=Milestone.Status.ACHIEVED,
        achieved_date=datetime.date(2026, 2, 20),
    )
    delay = PerformanceFailureFactory(
        milestone=milestone,
        vendor=alpha,
        recorded_on=datetime.date(2026, 2, 21),
        penalty_contracted=D("10000.00"),
        penalty_imposed=D("0"),
        deduction_rate=D("10"),
        deduction_cap=D("4000.00"),
        deduction_cap_scope=PerformanceFailure.CapScope.CONTRACT,
    )
    fixed = PerformanceFailureFactory(
        milestone=milestone,
        vendor=alpha,
        recorded_on=datetime.date(2026, 2, 22),
        penalty_contracted=D("2500.00"),
        penalty_imposed=D("2500.00"),
        deduction_cap=D("1000.00"),
        deduction_cap_scope=PerformanceFailure.CapScope.PERIOD,
    )
    return {
        "agreement": agreement,
        "alpha": alpha,
        "beta": beta,
        "milestone": milestone,
        "delay": delay,
        "fixed": fixed,
        "certifier": OfficerFactory(),
        "approver": OfficerFactory(),
    }


def test_two_certificates_across_an_amendment_reconcile_to_the_cent(example, time_machine):
    alpha, beta, milestone = example["alpha"], example["beta"], example["milestone"]
    certifier, approver = example["certifier"], example["approver"]

    # Given the first, partial certificate on 1 March
    first = services.certificate_issue(milestone_id=milestone.pk, by=certifier, gross_amount=D("60000.00"))

    assert (first.gross_amount, first.retention_amount, first.penalty_amount, first.net_amount) == (
        D("60000.00"),
        D("3000.00"),
        D("5000.00"),
        D("52000.00"),
    )
    assert sorted((line.failure_id, line.amount) for line in first.deductions.filter(kind="penalty")) == [
        (example["delay"].pk, D("4000.00")),
        (example["fixed"].pk, D("1000.00")),
    ]
    assert _parts(first) == [
        (None, D("30000.00"), D("1500.00"), D("2500.00"), D("26000.00")),
        (alpha.pk, D("18000.00"), D("900.00"), D("1500.00"), D("15600.00")),
        (beta.pk, D("12000.00"), D("600.00"), D("1000.00"), D("10400.00")),
    ]
    first = advance(first, to=Certificate.Status.RECONCILED, certifier=certifier, approver=approver)

    # When an amendment moves the shares to 40 / 35 / 25 from 1 April
    amendment = procurement_services.amendment_propose(
        agreement_id=example["agreement"].pk,
        reason="Beta takes over the maintenance design",
        by=certifier,
        share_changes={None: D("40"), alpha: D("35"), beta: D("25")},
        effective_date=datetime.date(2026, 4, 1),
    )
    procurement_services.amendment_approve(amendment_id=amendment.pk, approver=approver)

    # And the remainder is certified on 15 April
    _at(time_machine, datetime.date(2026, 4, 15))
    second = services.certificate_issue(milestone_id=milestone.pk, by=certifier)

    # Then the second certificate uses the new shares, the penalties stop at their caps, and the cent is placed
    assert (second.gross_amount, second.retention_amount, second.penalty_amount, second.net_amount) == (
        D("40000.01"),
        D("2000.00"),
        D("1000.00"),
        D("37000.01"),
    )
    assert _parts(second) == [
        (None, D("16000.01"), D("800.00"), D("400.00"), D("14800.01")),
        (alpha.pk, D("14000.00"), D("700.00"), D("350.00"), D("12950.00")),
        (beta.pk, D("10000.00"), D("500.00"), D("250.00"), D("9250.00")),
    ]
    # And the first certificate's split is exactly as it was
    assert _parts(first)[0] == (None, D("30000.00"), D("1500.00"), D("2500.00"), D("26000.00"))
    # And the milestone's payment is accounted for to the cent
    live = Certificate.objects.filter(milestone=milestone).live()
    assert sum(c.net_amount + c.retention_amount + c.penalty_amount for c in live) == milestone.payment_amount

    # And the retention of the first is released to the parties it was held from, in the same parts
    second = advance(second, to=Certificate.Status.PAID, certifier=certifier, approver=approver)
    release = services.retention_release_issue(certificate_id=first.pk, by=certifier)
    assert release.kind == Certificate.Kind.RETENTION_RELEASE and release.net_amount == D("3000.00")
    assert [(vendor, net) for vendor, _, _, _, net in _parts(release)] == [
        (None, D("1500.00")),
        (alpha.pk, D("900.00")),
        (beta.pk, D("600.00")),
    ]


def test_a_milestone_certified_in_full_cannot_be_certified_again(example):
    milestone, certifier = example["milestone"], example["certifier"]
    services.certificate_issue(milestone_id=milestone.pk, by=certifier)

    with pytest.raises(StateConflict) as refusal:
        services.certificate_issue(milestone_id=milestone.pk, by=certifier)

    assert "already certified in full" in refusal.value.message


def test_a_partial_certificate_may_not_ask_for_more_than_is_left(example):
    milestone, certifier = example["milestone"], example["certifier"]
    services.certificate_issue(milestone_id=milestone.pk, by=certifier, gross_amount=D("60000.00"))

    with pytest.raises(RuleViolation) as refusal:
        services.certificate_issue(milestone_id=milestone.pk, by=certifier, gross_amount=D("40000.02"))

    assert refusal.value.field == "gross_amount"


def test_voiding_a_certificate_frees_its_amount_for_a_new_one(example):
    milestone, certifier = example["milestone"], example["certifier"]
    first = services.certificate_issue(milestone_id=milestone.pk, by=certifier)
    services.certificate_void(certificate_id=first.pk, by=certifier, reason="Wrong date")

    again = services.certificate_issue(milestone_id=milestone.pk, by=certifier)

    assert again.sequence == 2 and again.gross_amount == D("100000.01")
    # The void one's penalties no longer count, so the new one deducts them again.
    assert again.penalty_amount == first.penalty_amount


def test_an_unachieved_milestone_is_not_paid(example):
    open_milestone = MilestoneFactory(project=example["milestone"].project)

    with pytest.raises(StateConflict):
        services.certificate_issue(milestone_id=open_milestone.pk, by=example["certifier"])
