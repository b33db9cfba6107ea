import datetime
from decimal import Decimal

import pytest

from ppp.errors import RuleViolation
from procurement import services
from procurement.factories import AgreementFactory, ExpenditureFactory, VendorFactory
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


def test_spend_by_an_outsider_is_refused():
    agreement = AgreementFactory(active=True)

    with pytest.raises(RuleViolation, match="not a party") as excinfo:
        services.expenditure_record(agreement_id=agreement.pk, vendor=VendorFactory(), amount=1, date=DAY)

    assert excinfo.value.field == "vendor"


def test_spend_against_another_agreements_milestone_is_refused():
    agreement = AgreementFactory(active=True)
    other_milestone = MilestoneFactory()

    with pytest.raises(RuleViolation, match="another agreement"):
        services.expenditure_record(agreement_id=agreement.pk, milestone=other_milestone, amount=1, date=DAY)


def test_spend_against_a_draft_agreement_is_refused():
    agreement = AgreementFactory()

    with pytest.raises(RuleViolation, match="draft"):
        services.expenditure_record(agreement_id=agreement.pk, amount=1, date=DAY)
