"""What a vendor may read of amendments (the partner API lists them through this selector)."""

from decimal import Decimal

import pytest

from ppp.factories import OfficerFactory
from procurement import services
from procurement.factories import AgreementFactory, AmendmentFactory, AmendmentShareChangeFactory, VendorFactory
from procurement.selectors import amendments_for_vendor

pytestmark = pytest.mark.django_db


def test_a_vendor_sees_the_amendments_of_its_own_agreements_only():
    vendor = VendorFactory()
    mine = AmendmentFactory(agreement=AgreementFactory(active=True, vendors=[vendor]))
    AmendmentFactory()  # another vendor's agreement

    assert list(amendments_for_vendor(vendor)) == [mine]
    assert not amendments_for_vendor(VendorFactory()).exists()


def test_a_party_removed_by_an_amendment_still_sees_that_amendment(officer):
    leaving, staying = VendorFactory(), VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[leaving, staying])
    exit_amendment = services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Novation",
        by=officer,
        share_changes={leaving: Decimal("0"), staying: Decimal("60")},
    )
    services.amendment_approve(amendment_id=exit_amendment.pk, approver=OfficerFactory())
    later = services.amendment_propose(
        agreement_id=agreement.pk, reason="Indexation", by=officer, new_total_value=Decimal("1100000")
    )

    assert list(amendments_for_vendor(leaving)) == [exit_amendment]
    assert set(amendments_for_vendor(staying)) == {exit_amendment, later}


@pytest.mark.parametrize("size", [1, 5])
def test_vendor_amendment_list_takes_two_queries_at_any_size(django_assert_num_queries, size):
    vendor = VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[vendor])
    for _ in range(size):
        AmendmentShareChangeFactory(amendment=AmendmentFactory(agreement=agreement), vendor=vendor)

    with django_assert_num_queries(2):
        summaries = [
            (a.agreement.authority.name, a.proposed_by.username, a.summary()) for a in amendments_for_vendor(vendor)
        ]

    assert len(summaries) == size
