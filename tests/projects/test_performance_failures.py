"""Performance failures: penalties for missed or late milestones, per vendor."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from procurement.factories import VendorFactory
from projects.factories import MilestoneFactory, PerformanceFailureFactory
from projects.models import PerformanceFailure

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("contracted", "imposed", "paid", "constraint"),
    [
        ("100", "100.01", "0", "failure_imposed_within_contracted"),
        ("100", "50", "50.01", "failure_paid_within_imposed"),
    ],
)
def test_nothing_is_imposed_beyond_the_contract_or_paid_beyond_the_imposed(contracted, imposed, paid, constraint):
    failure = PerformanceFailureFactory.build(
        milestone=MilestoneFactory(status="missed", overdue_days=3),
        penalty_contracted=Decimal(contracted),
        penalty_imposed=Decimal(imposed),
        penalty_paid=Decimal(paid),
    )

    with pytest.raises(ValidationError):
        failure.full_clean()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        PerformanceFailureFactory(
            penalty_contracted=Decimal(contracted), penalty_imposed=Decimal(imposed), penalty_paid=Decimal(paid)
        )


def test_paid_equal_to_imposed_equal_to_contracted_is_fine():
    failure = PerformanceFailureFactory(
        penalty_contracted=Decimal("100"), penalty_imposed=Decimal("100"), penalty_paid=Decimal("100")
    )

    failure.full_clean()
    assert failure.penalty_outstanding == 0


@pytest.mark.parametrize(
    ("milestone_kwargs", "allowed"),
    [
        ({"status": "missed", "overdue_days": 3}, True),
        ({"overdue_days": 3}, True),  # open and overdue
        ({"status": "achieved", "overdue_days": 3, "achieved_date": timezone.localdate()}, True),  # late
        ({"achieved": True, "overdue_days": 3}, False),  # achieved on its due date
        # Delivered on the due date, accepted three days later: the review time is not the vendor's lateness.
        (
            {
                "status": "achieved",
                "overdue_days": 3,
                "delivered_on": timezone.localdate() - datetime.timedelta(days=3),
                "achieved_date": timezone.localdate(),
            },
            False,
        ),
        ({}, False),  # due in 30 days
    ],
)
def test_only_a_missed_or_late_milestone_records_a_failure(milestone_kwargs, allowed):
    failure = PerformanceFailureFactory.build(milestone=MilestoneFactory(**milestone_kwargs))

    if allowed:
        failure.full_clean()
    else:
        with pytest.raises(ValidationError, match="missed or late"):
            failure.full_clean()


def test_the_vendor_must_be_a_party_to_the_agreement():
    failure = PerformanceFailureFactory.build(milestone=MilestoneFactory(overdue_days=3), vendor=VendorFactory())

    with pytest.raises(ValidationError, match="not a party"):
        failure.full_clean()


def test_failures_are_listed_per_vendor():
    mine = PerformanceFailureFactory()
    PerformanceFailureFactory()

    assert list(PerformanceFailure.objects.for_vendor(mine.vendor)) == [mine]
