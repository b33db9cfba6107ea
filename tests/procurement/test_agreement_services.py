from decimal import Decimal

import pytest

from ppp.errors import RuleViolation, TransitionError
from procurement import services
from procurement.factories import AgreementFactory, VendorFactory
from procurement.models import Agreement

pytestmark = pytest.mark.django_db

S = Agreement.Status
LEGAL = {
    (S.DRAFT, S.ACTIVE),
    (S.ACTIVE, S.SUSPENDED),
    (S.ACTIVE, S.COMPLETED),
    (S.ACTIVE, S.TERMINATED),
    (S.SUSPENDED, S.ACTIVE),
    (S.SUSPENDED, S.TERMINATED),
}
ALL_PAIRS = [(a, b) for a in S for b in S if a != b]


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_transition_changes_status(current, target, officer):
    agreement = AgreementFactory(status=current)

    result = services.agreement_transition(agreement_id=agreement.pk, target=target, by=officer)

    agreement.refresh_from_db()
    assert result.status == agreement.status == target
    assert agreement.history.first().history_user == officer


@pytest.mark.parametrize(("current", "target"), sorted(set(ALL_PAIRS) - LEGAL))
def test_illegal_transition_is_refused_naming_both_states(current, target):
    agreement = AgreementFactory(status=current)

    with pytest.raises(TransitionError) as excinfo:
        services.agreement_transition(agreement_id=agreement.pk, target=target)

    assert f"'{current}'" in str(excinfo.value) and f"'{target}'" in str(excinfo.value)
    agreement.refresh_from_db()
    assert agreement.status == current


def test_activation_needs_shares_summing_to_exactly_100():
    vendor = VendorFactory()
    agreement = AgreementFactory(vendors=False)
    services.cost_share_set(agreement_id=agreement.pk, vendor=None, percentage=Decimal("40"))
    services.cost_share_set(agreement_id=agreement.pk, vendor=vendor, percentage=Decimal("59.99"))

    with pytest.raises(TransitionError, match="59.99|99.99 %"):
        services.agreement_activate(agreement_id=agreement.pk)

    services.cost_share_set(agreement_id=agreement.pk, vendor=vendor, percentage=Decimal("60"))
    assert services.agreement_activate(agreement_id=agreement.pk).status == S.ACTIVE


def test_agreement_without_shares_cannot_activate():
    agreement = AgreementFactory(vendors=False)

    with pytest.raises(TransitionError, match="sum to 0 %"):
        services.agreement_activate(agreement_id=agreement.pk)


def test_shares_may_not_exceed_100_percent():
    agreement = AgreementFactory(vendors=[VendorFactory()])  # 40 % authority + 60 % vendor

    with pytest.raises(RuleViolation, match="110") as excinfo:
        services.cost_share_set(agreement_id=agreement.pk, vendor=VendorFactory(), percentage=Decimal("10"))

    assert excinfo.value.field == "percentage"
    assert agreement.cost_shares.count() == 2


def test_debarred_vendor_cannot_join_an_agreement():
    agreement = AgreementFactory(vendors=False)
    debarred = VendorFactory(status="debarred")

    with pytest.raises(RuleViolation, match="debarred") as excinfo:
        services.cost_share_set(agreement_id=agreement.pk, vendor=debarred, percentage=Decimal("50"))

    assert excinfo.value.field == "vendor"
    assert not agreement.cost_shares.exists()


def test_vendor_debarred_after_joining_blocks_activation():
    vendor = VendorFactory()
    agreement = AgreementFactory(vendors=[vendor])
    vendor.status = "debarred"
    vendor.save()

    with pytest.raises(TransitionError, match="debarred"):
        services.agreement_activate(agreement_id=agreement.pk)


def test_shares_of_an_active_agreement_are_frozen():
    agreement = AgreementFactory(active=True)

    with pytest.raises(RuleViolation, match="amendment"):
        services.cost_share_set(agreement_id=agreement.pk, vendor=None, percentage=Decimal("50"))


def test_committed_amount_is_derived_from_the_share():
    agreement = AgreementFactory(total_value=Decimal("1000000.00"), vendors=[VendorFactory(), VendorFactory()])
    amounts = sorted((share.percentage, share.committed_amount) for share in agreement.cost_shares.all())

    assert amounts == [
        (Decimal("30.00"), Decimal("300000.00")),
        (Decimal("30.00"), Decimal("300000.00")),
        (Decimal("40.00"), Decimal("400000.00")),
    ]
    assert sum(amount for _, amount in amounts) == agreement.total_value
