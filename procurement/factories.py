"""Factories for procurement data, shared by the tests and ``seed_demo``."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from ppp.factories import OfficerFactory, UserFactory

from . import catalogue
from .models import (
    Agreement,
    Amendment,
    AmendmentShareChange,
    ContractingAuthority,
    CostShare,
    CostShareTerm,
    Expenditure,
    Vendor,
    VendorContact,
    VendorUser,
)


class ContractingAuthorityFactory(DjangoModelFactory):
    class Meta:
        model = ContractingAuthority
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: catalogue.AUTHORITY_NAMES[n % len(catalogue.AUTHORITY_NAMES)])
    code = factory.Sequence(lambda n: f"AUTH-{n:03d}")
    contact_name = factory.Sequence(lambda n: catalogue.person_for("IE", n))
    contact_email = factory.LazyAttribute(lambda a: f"procurement@{a.code.lower()}.gov.example")


class VendorFactory(DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ["registration_number"]

    # Name, address and (for contacts) phone numbers follow the country, whichever one a test passes.
    legal_name = factory.LazyAttributeSequence(lambda v, n: catalogue.vendor_name_for(v.country, n))
    registration_number = factory.Sequence(lambda n: f"REG-{n:06d}")
    country = factory.Iterator(["GB", "DE", "FR", "NL", "KE", "IN", "CA"])
    address = factory.LazyAttributeSequence(lambda v, n: catalogue.address_for(v.country, n))
    # Registration numbers have spaces and brackets in some registers ("HRB 52817 (Köln)"): slugged for a host name.
    website = factory.LazyAttribute(lambda v: f"https://{slugify(v.registration_number)}.example.com")
    status = Vendor.Status.ACTIVE


class VendorContactFactory(DjangoModelFactory):
    class Meta:
        model = VendorContact

    vendor = factory.SubFactory(VendorFactory)
    name = factory.LazyAttributeSequence(lambda c, n: catalogue.person_for(c.vendor.country, n))
    # first.last@ the company's domain; a digit only once the catalogue's people repeat (unique per vendor).
    email = factory.LazyAttributeSequence(
        lambda c, n: f"{catalogue.email_local_part(c.name)}{n // 6 or ''}@{catalogue.domain_for(c.vendor.legal_name)}"
    )
    phone = factory.LazyAttributeSequence(lambda c, n: catalogue.phone_for(c.vendor.country, n))
    role = factory.Iterator(catalogue.CONTACT_ROLES)
    receives_alerts = True


class VendorUserFactory(DjangoModelFactory):
    """A login acting for a vendor in the partner API."""

    class Meta:
        model = VendorUser

    user = factory.SubFactory(UserFactory, username=factory.Sequence(lambda n: f"vendoruser{n}"))
    vendor = factory.SubFactory(VendorFactory)


class AgreementFactory(DjangoModelFactory):
    """A draft agreement with cost shares summing to 100 %.

    ``vendors=[...]`` names the private parties (default: one new vendor); the authority takes
    ``vendors__authority_share`` (default 40 %) and the vendors split the rest evenly. ``vendors=False``
    adds no shares at all. ``active=True`` makes it an active, signed agreement.
    """

    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    class Params:
        active = factory.Trait(
            status=Agreement.Status.ACTIVE,
            signed_date=factory.LazyAttribute(lambda a: a.start_date - datetime.timedelta(days=14)),
        )

    reference = factory.Sequence(lambda n: f"PPP-{timezone.localdate().year}-{n:04d}")
    title = factory.Sequence(lambda n: catalogue.AGREEMENT_TITLES[n % len(catalogue.AGREEMENT_TITLES)])
    authority = factory.SubFactory(ContractingAuthorityFactory)
    procurement_method = factory.Iterator([m for m, _ in Agreement.Method.choices])
    total_value = Decimal("1000000.00")
    currency = "EUR"
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    end_date = factory.LazyAttribute(lambda a: a.start_date + datetime.timedelta(days=3 * 365))
    status = Agreement.Status.DRAFT

    @factory.post_generation
    def vendors(agreement, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        vendors = list(extracted) if extracted is not None else [VendorFactory()]
        authority_share = Decimal(kwargs.get("authority_share", "40")) if vendors else Decimal("100")
        CostShare.objects.create(agreement=agreement, vendor=None, percentage=authority_share)
        if not vendors:
            return
        each = ((Decimal("100") - authority_share) / len(vendors)).quantize(Decimal("0.01"))
        for index, vendor in enumerate(vendors):
            # The last vendor takes the rounding remainder so the total is exactly 100 %.
            last = index == len(vendors) - 1
            percentage = Decimal("100") - authority_share - each * (len(vendors) - 1) if last else each
            CostShare.objects.create(agreement=agreement, vendor=vendor, percentage=percentage)

    @factory.post_generation
    def share_terms(agreement, create, extracted, **kwargs):
        # A signed agreement's shares are in force from its start date, as agreement_activate records them.
        if create and agreement.status != Agreement.Status.DRAFT:
            CostShareTerm.objects.bulk_create(
                CostShareTerm(
                    agreement=agreement,
                    vendor_id=share.vendor_id,
                    percentage=share.percentage,
                    effective_from=agreement.start_date,
                )
                for share in agreement.cost_shares.all()
            )


class CostShareFactory(DjangoModelFactory):
    class Meta:
        model = CostShare

    agreement = factory.SubFactory(AgreementFactory, vendors=False)
    vendor = factory.SubFactory(VendorFactory)
    percentage = Decimal("50")


class ExpenditureFactory(DjangoModelFactory):
    class Meta:
        model = Expenditure

    agreement = factory.SubFactory(AgreementFactory, active=True)
    vendor = None
    amount = Decimal("10000.00")
    date = factory.LazyFunction(timezone.localdate)
    description = "Invoice"


class AmendmentFactory(DjangoModelFactory):
    """A proposed amendment raising an active agreement's value by 10 %, old values copied from the agreement.

    Tests of the services use ``amendment_propose``; this builds records directly (admin pages, odd states).
    """

    class Meta:
        model = Amendment

    agreement = factory.SubFactory(AgreementFactory, active=True)
    reason = "Scope extended to two more regions."
    old_total_value = factory.LazyAttribute(lambda a: a.agreement.total_value)
    new_total_value = factory.LazyAttribute(lambda a: (a.agreement.total_value * Decimal("1.1")).quantize(Decimal("1")))
    old_end_date = factory.LazyAttribute(lambda a: a.agreement.end_date)
    new_end_date = None
    proposed_by = factory.SubFactory(OfficerFactory)


class AmendmentShareChangeFactory(DjangoModelFactory):
    class Meta:
        model = AmendmentShareChange

    amendment = factory.SubFactory(AmendmentFactory)
    vendor = None
    old_percentage = factory.LazyAttribute(
        lambda c: c.amendment.agreement.cost_shares.filter(vendor=c.vendor).values_list("percentage", flat=True).first()
    )
    new_percentage = Decimal("50")
