"""The database itself refuses bad data, whatever path tries to store it."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from procurement.factories import (
    AgreementFactory,
    AmendmentFactory,
    ContractingAuthorityFactory,
    CostShareFactory,
    VendorFactory,
)
from procurement.models import Agreement, ContractingAuthority, CostShare, Expenditure, Vendor

pytestmark = pytest.mark.django_db


def _refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize("percentage", [Decimal("0"), Decimal("-5"), Decimal("100.01")])
def test_share_percentage_must_be_above_0_and_at_most_100(percentage):
    _refused(lambda: CostShareFactory(percentage=percentage))


def test_share_of_100_percent_is_allowed():
    assert CostShareFactory(percentage=Decimal("100")).pk


def test_a_vendor_has_one_share_per_agreement():
    share = CostShareFactory()
    _refused(lambda: CostShare.objects.create(agreement=share.agreement, vendor=share.vendor, percentage=1))


def test_the_authority_has_one_share_per_agreement():
    agreement = AgreementFactory(vendors=[])  # authority 100 %
    _refused(lambda: CostShare.objects.create(agreement=agreement, vendor=None, percentage=1))


def test_agreement_must_end_after_it_starts():
    day = datetime.date(2026, 1, 1)
    _refused(lambda: AgreementFactory(start_date=day, end_date=day))


@pytest.mark.parametrize("currency", ["eur", "EU", "E1R"])
def test_currency_must_be_three_capital_letters(currency):
    _refused(lambda: AgreementFactory(currency=currency))


def test_unknown_status_is_refused():
    agreement = AgreementFactory()
    _refused(lambda: Agreement.objects.filter(pk=agreement.pk).update(status="lost"))


def test_agreement_reference_is_unique():
    AgreementFactory(reference="PPP-1")
    _refused(lambda: AgreementFactory(reference="PPP-1"))


def test_authority_code_and_vendor_registration_are_unique():
    ContractingAuthorityFactory(code="X")
    _refused(lambda: ContractingAuthority.objects.create(name="Other", code="X", contact_email="a@b.c"))
    VendorFactory(registration_number="R1")
    _refused(lambda: Vendor.objects.create(legal_name="Other", registration_number="R1", country="GB"))


def test_expenditure_amount_must_be_positive():
    agreement = AgreementFactory(active=True)
    _refused(lambda: Expenditure.objects.create(agreement=agreement, amount=Decimal("0"), date=timezone.localdate()))


def test_an_amendment_cannot_be_approved_by_its_proposer():
    amendment = AmendmentFactory()
    amendment.status, amendment.decided_by, amendment.decided_at = "approved", amendment.proposed_by, timezone.now()

    _refused(lambda: amendment.save())


def test_an_amendment_can_be_rejected_by_its_proposer():
    amendment = AmendmentFactory()
    amendment.status, amendment.decided_by, amendment.decided_at = "rejected", amendment.proposed_by, timezone.now()

    amendment.save()


def test_a_milestone_payment_is_stored_once_per_vendor_and_once_for_the_authority():
    from projects.factories import MilestoneFactory

    milestone = MilestoneFactory()
    agreement = milestone.project.agreement
    vendor = milestone.responsible_vendor
    for payer in (vendor, None):
        Expenditure.objects.create(
            agreement=agreement, milestone=milestone, vendor=payer, amount=1, date=timezone.localdate()
        )

        _refused(
            lambda payer=payer: Expenditure.objects.create(
                agreement=agreement, milestone=milestone, vendor=payer, amount=1, date=timezone.localdate()
            )
        )
