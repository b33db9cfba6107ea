"""Effective-dated cost shares: which split applies on a given day, and amendments that never rewrite the past."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from ppp.errors import RuleViolation
from ppp.factories import OfficerFactory
from procurement import services
from procurement.factories import AgreementFactory, VendorFactory
from procurement.models import CostShareTerm
from procurement.selectors import shares_in_force

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _split(agreement, on):
    return [(term.vendor_id, term.percentage) for term in shares_in_force(agreement, on=on)]


@pytest.fixture
def vendor():
    return VendorFactory(legal_name="Acme Roads")


def test_activation_puts_the_signed_shares_in_force_from_the_start_date(vendor, officer):
    agreement = AgreementFactory(vendors=[vendor], start_date=datetime.date(2026, 1, 1))
    assert _split(agreement, datetime.date(2026, 3, 1)) == []  # a draft has no terms in force

    services.agreement_activate(agreement_id=agreement.pk, by=officer)

    assert _split(agreement, agreement.start_date) == [(None, Decimal("40.00")), (vendor.pk, Decimal("60.00"))]
    assert _split(agreement, agreement.start_date - DAY) == []
    assert CostShareTerm.objects.filter(agreement=agreement, effective_to__isnull=True).count() == 2


def test_an_approved_amendment_adds_a_version_from_its_approval_day_and_keeps_the_old_one(vendor, officer):
    agreement = AgreementFactory(active=True, vendors=[vendor])
    today = timezone.localdate()
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="The partner takes more of the cost",
        by=officer,
        share_changes={None: Decimal("30"), vendor: Decimal("70")},
    )

    services.amendment_approve(amendment_id=amendment.pk, approver=OfficerFactory())

    assert _split(agreement, today - DAY) == [(None, Decimal("40.00")), (vendor.pk, Decimal("60.00"))]
    assert _split(agreement, today) == [(None, Decimal("30.00")), (vendor.pk, Decimal("70.00"))]
    old = CostShareTerm.objects.get(agreement=agreement, vendor=None, amendment=None)
    assert old.effective_to == today - DAY
    assert CostShareTerm.objects.get(agreement=agreement, vendor=None, effective_to=None).amendment == amendment


def test_an_amendment_with_a_later_effective_date_changes_the_split_only_from_that_day(vendor, officer):
    agreement = AgreementFactory(active=True, vendors=[vendor])
    newcomer = VendorFactory(legal_name="Zeta Build")
    effective = timezone.localdate() + datetime.timedelta(days=30)
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="A second partner joins",
        by=officer,
        share_changes={vendor: Decimal("40"), newcomer: Decimal("20")},
        effective_date=effective,
    )

    services.amendment_approve(amendment_id=amendment.pk, approver=OfficerFactory())

    assert _split(agreement, effective - DAY) == [(None, Decimal("40.00")), (vendor.pk, Decimal("60.00"))]
    assert _split(agreement, effective) == [
        (None, Decimal("40.00")),
        (vendor.pk, Decimal("40.00")),
        (newcomer.pk, Decimal("20.00")),
    ]


def test_a_past_effective_date_is_refused_so_certified_splits_stay_as_they_were(vendor, officer):
    agreement = AgreementFactory(active=True, vendors=[vendor])

    with pytest.raises(RuleViolation) as refusal:
        services.amendment_propose(
            agreement_id=agreement.pk,
            reason="Backdated",
            by=officer,
            share_changes={None: Decimal("50"), vendor: Decimal("50")},
            effective_date=timezone.localdate() - DAY,
        )

    assert refusal.value.field == "effective_date"


def test_a_proposal_whose_effective_date_passed_before_approval_is_refused(vendor, officer, time_machine):
    agreement = AgreementFactory(active=True, vendors=[vendor])
    tomorrow = timezone.localdate() + DAY
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Rebalance",
        by=officer,
        share_changes={None: Decimal("50"), vendor: Decimal("50")},
        effective_date=tomorrow,
    )
    time_machine.move_to(datetime.datetime.combine(tomorrow + DAY, datetime.time(12), tzinfo=datetime.UTC))

    with pytest.raises(RuleViolation):
        services.amendment_approve(amendment_id=amendment.pk, approver=OfficerFactory())

    agreement.refresh_from_db()
    assert {share.vendor_id: share.percentage for share in agreement.cost_shares.all()}[None] == Decimal("40.00")


def test_the_migration_backfills_history_from_current_shares_and_approved_amendments(vendor, officer):
    agreement = AgreementFactory(active=True, vendors=[vendor])
    amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Rebalance",
        by=officer,
        share_changes={None: Decimal("25"), vendor: Decimal("75")},
    )
    services.amendment_approve(amendment_id=amendment.pk, approver=OfficerFactory())
    CostShareTerm.objects.all().delete()  # as before the migration

    backfill = __import__(
        "procurement.migrations.0005_effective_dated_cost_shares", fromlist=["backfill_share_terms"]
    ).backfill_share_terms
    backfill(apps, None)

    today = timezone.localdate()
    assert _split(agreement, agreement.start_date) == [(None, Decimal("40.00")), (vendor.pk, Decimal("60.00"))]
    assert _split(agreement, today - DAY) == [(None, Decimal("40.00")), (vendor.pk, Decimal("60.00"))]
    assert _split(agreement, today) == [(None, Decimal("25.00")), (vendor.pk, Decimal("75.00"))]
