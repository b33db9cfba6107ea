"""Two officers writing to the same agreement at once cannot together break its rules (PostgreSQL row locks)."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from ppp.errors import RuleViolation
from procurement import services
from procurement.factories import AgreementFactory, VendorFactory
from procurement.models import Expenditure
from projects.factories import MilestoneFactory, ProjectFactory
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DAY = datetime.date(2026, 3, 1)


def test_concurrent_shares_cannot_exceed_100_percent(officer):
    agreement = AgreementFactory(vendors=[])
    services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=None, percentage=Decimal("40"))
    first, second = VendorFactory(), VendorFactory()

    results = race(
        lambda: services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=first, percentage=Decimal("60")),
        lambda: services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=second, percentage=Decimal("60")),
    )

    assert sorted(type(r).__name__ for r in results) == ["CostShare", "RuleViolation"]
    assert agreement.share_total() == Decimal("100")
    assert any(isinstance(r, RuleViolation) and "160" in r.message for r in results)


def test_concurrent_activations_activate_once(officer):
    agreement = AgreementFactory()

    results = race(
        lambda: services.agreement_activate(by=officer, agreement_id=agreement.pk),
        lambda: services.agreement_activate(by=officer, agreement_id=agreement.pk),
    )

    assert sorted(type(r).__name__ for r in results) == ["Agreement", "TransitionError"]
    assert agreement.history.filter(status="active").count() == 1


def test_concurrent_bookings_cannot_together_pass_a_partys_commitment(officer):
    # Given Acme has 600.00 committed and 100.00 spent,
    acme = VendorFactory(legal_name="Acme Ltd")
    agreement = AgreementFactory(active=True, total_value=Decimal("1000.00"), vendors=[acme])
    services.expenditure_record(by=officer, agreement_id=agreement.pk, vendor=acme, amount=Decimal("100.00"), date=DAY)

    # when two officers book 300.00 each at the same moment (each fits alone; together 700.00 would not),
    results = race(
        *[
            lambda: services.expenditure_record(
                by=officer, agreement_id=agreement.pk, vendor=acme, amount=Decimal("300.00"), date=DAY
            )
        ]
        * 2
    )

    # then one is booked and the other refused with the commitment named, and the total stays within it.
    assert sorted(type(r).__name__ for r in results) == ["Expenditure", "RuleViolation"]
    assert any(isinstance(r, RuleViolation) and "commitment of 600.00 EUR" in r.message for r in results)
    assert Expenditure.objects.filter(vendor=acme).aggregate(total=Sum("amount"))["total"] == Decimal("400.00")


def test_concurrent_bookings_of_the_same_milestone_payment_book_it_once(officer):
    acme = VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[acme])
    milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement))

    results = race(
        *[
            lambda: services.expenditure_record(
                by=officer,
                agreement_id=agreement.pk,
                vendor=acme,
                milestone=milestone,
                amount=Decimal("50.00"),
                date=DAY,
            )
        ]
        * 2
    )

    # The second booking waits for the first, then is refused with a message (not a database error).
    assert sorted(type(r).__name__ for r in results) == ["Expenditure", "RuleViolation"]
    assert any(isinstance(r, RuleViolation) and "already booked" in r.message for r in results)
    assert Expenditure.objects.filter(milestone=milestone).count() == 1
