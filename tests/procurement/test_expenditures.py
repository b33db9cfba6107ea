import datetime
import re
from decimal import Decimal

import pytest

from ppp.errors import RuleViolation
from procurement import services
from procurement.factories import AgreementFactory, ExpenditureFactory, VendorFactory
from procurement.models import Expenditure
from procurement.selectors import agreement_budget_vs_actual
from projects.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


def test_budget_vs_actual_per_party(django_assert_num_queries):
    vendor = VendorFactory(legal_name="Acme Ltd")
    agreement = AgreementFactory(active=True, total_value=Decimal("1000.00"), vendors=[vendor])
    ExpenditureFactory(agreement=agreement, vendor=vendor, amount=Decimal("100.00"))
    ExpenditureFactory(agreement=agreement, vendor=vendor, amount=Decimal("50.50"))
    ExpenditureFactory(agreement=agreement, vendor=None, amount=Decimal("400.00"))

    with django_assert_num_queries(2):
        rows = {row.party: row for row in agreement_budget_vs_actual(agreement)}

    assert rows["Acme Ltd"].committed == Decimal("600.00")
    assert rows["Acme Ltd"].spent == Decimal("150.50")
    assert rows["Acme Ltd"].remaining == Decimal("449.50")
    authority_row = rows[agreement.authority.name]
    assert authority_row.is_authority and authority_row.spent == authority_row.committed == Decimal("400.00")


def test_spend_is_recorded_by_a_party_of_the_agreement(officer):
    vendor = VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[vendor])
    milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement))

    spent = services.expenditure_record(
        agreement_id=agreement.pk, vendor=vendor, milestone=milestone, amount=Decimal("12.34"), date=DAY, by=officer
    )

    assert spent.recorded_by == officer and spent.amount == Decimal("12.34")


def test_spend_by_an_outsider_is_refused(officer):
    agreement = AgreementFactory(active=True)

    with pytest.raises(RuleViolation, match="not a party") as excinfo:
        services.expenditure_record(by=officer, agreement_id=agreement.pk, vendor=VendorFactory(), amount=1, date=DAY)

    assert excinfo.value.field == "vendor"


def test_spend_against_another_agreements_milestone_is_refused(officer):
    agreement = AgreementFactory(active=True)
    other_milestone = MilestoneFactory()

    with pytest.raises(RuleViolation, match="another agreement"):
        services.expenditure_record(
            by=officer, agreement_id=agreement.pk, milestone=other_milestone, amount=1, date=DAY
        )


def test_spend_against_a_draft_agreement_is_refused(officer):
    agreement = AgreementFactory()

    with pytest.raises(RuleViolation, match="draft"):
        services.expenditure_record(by=officer, agreement_id=agreement.pk, amount=1, date=DAY)


def test_spend_against_a_terminated_agreement_is_refused(officer):
    agreement = AgreementFactory(status="terminated", reference="PPP-ENDED")

    with pytest.raises(RuleViolation) as excinfo:
        services.expenditure_record(agreement_id=agreement.pk, amount=1, date=DAY, by=officer)

    assert excinfo.value.field == "agreement"
    assert excinfo.value.message == "Spending cannot be recorded against a terminated agreement (PPP-ENDED)."
    assert not Expenditure.objects.exists()


@pytest.mark.parametrize("status", ["suspended", "completed"])
def test_spend_against_a_suspended_or_completed_agreement_is_allowed(status, officer):
    # Work done before a suspension, or the final invoice after completion, is still paid.
    agreement = AgreementFactory(status=status)

    spent = services.expenditure_record(agreement_id=agreement.pk, amount=Decimal("10.00"), date=DAY, by=officer)

    assert spent.pk


@pytest.fixture
def acme_agreement():
    """1,000.00 EUR: the authority commits 400.00 (40 %), Acme Ltd 600.00 (60 %)."""
    acme = VendorFactory(legal_name="Acme Ltd")
    return AgreementFactory(active=True, reference="PPP-CAP", total_value=Decimal("1000.00"), vendors=[acme]), acme


def test_a_party_can_spend_up_to_its_commitment_but_not_beyond(acme_agreement, officer):
    agreement, acme = acme_agreement
    services.expenditure_record(by=officer, agreement_id=agreement.pk, vendor=acme, amount=Decimal("500.00"), date=DAY)
    services.expenditure_record(by=officer, agreement_id=agreement.pk, vendor=acme, amount=Decimal("100.00"), date=DAY)

    with pytest.raises(RuleViolation) as excinfo:
        services.expenditure_record(
            by=officer, agreement_id=agreement.pk, vendor=acme, amount=Decimal("0.01"), date=DAY
        )

    assert excinfo.value.field == "amount"
    assert excinfo.value.message == (
        "Acme Ltd would spend 600.01 EUR under PPP-CAP, more than its commitment of 600.00 EUR "
        "(60 % of 1,000.00 EUR); 0.00 EUR remain(s)."
    )
    assert sum(e.amount for e in Expenditure.objects.filter(vendor=acme)) == Decimal("600.00")


def test_the_authority_cannot_spend_beyond_its_commitment_either(officer, acme_agreement):
    agreement, _acme = acme_agreement
    services.expenditure_record(by=officer, agreement_id=agreement.pk, amount=Decimal("300.00"), date=DAY)

    with pytest.raises(RuleViolation, match=r"commitment of 400.00 EUR \(40 % of 1,000.00 EUR\); 100.00 EUR remain"):
        services.expenditure_record(by=officer, agreement_id=agreement.pk, amount=Decimal("150.00"), date=DAY)


def test_the_authority_without_a_share_has_nothing_committed(officer):
    agreement = AgreementFactory(active=True, vendors=[VendorFactory()], vendors__authority_share="0.01")
    agreement.cost_shares.filter(vendor=None).delete()

    with pytest.raises(RuleViolation, match="it has no cost share"):
        services.expenditure_record(by=officer, agreement_id=agreement.pk, amount=Decimal("1.00"), date=DAY)


def test_a_milestone_payment_is_booked_once_per_party(acme_agreement, officer):
    agreement, acme = acme_agreement
    milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement), title="Pilot live")
    services.expenditure_record(
        agreement_id=agreement.pk, vendor=acme, milestone=milestone, amount=Decimal("30.00"), date=DAY, by=officer
    )
    # The other party's share of the same payment is its own booking.
    services.expenditure_record(
        agreement_id=agreement.pk, milestone=milestone, amount=Decimal("20.00"), date=DAY, by=officer
    )

    with pytest.raises(RuleViolation) as excinfo:
        services.expenditure_record(
            by=officer, agreement_id=agreement.pk, vendor=acme, milestone=milestone, amount=Decimal("30.00"), date=DAY
        )

    assert excinfo.value.field == "milestone"
    assert excinfo.value.message == (
        "Acme Ltd's share of the payment for milestone 'Pilot live' is already booked (30.00 EUR on 2026-03-01); "
        "a milestone payment is booked once per party."
    )
    authority_share = f"{re.escape(agreement.authority.name)}'s share of the payment for milestone 'Pilot live'"
    with pytest.raises(RuleViolation, match=authority_share):
        services.expenditure_record(
            by=officer, agreement_id=agreement.pk, milestone=milestone, amount=Decimal("1"), date=DAY
        )
    assert Expenditure.objects.filter(milestone=milestone).count() == 2


def test_spending_not_tied_to_a_milestone_can_repeat(officer, acme_agreement):
    agreement, acme = acme_agreement

    for _ in range(2):
        services.expenditure_record(
            by=officer, agreement_id=agreement.pk, vendor=acme, amount=Decimal("10.00"), date=DAY
        )

    assert Expenditure.objects.filter(vendor=acme).count() == 2
