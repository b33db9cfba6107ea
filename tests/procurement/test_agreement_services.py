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
def test_illegal_transition_is_refused_naming_both_states(officer, current, target):
    agreement = AgreementFactory(status=current)

    with pytest.raises(TransitionError) as excinfo:
        services.agreement_transition(by=officer, agreement_id=agreement.pk, target=target)

    assert f"'{current}'" in str(excinfo.value) and f"'{target}'" in str(excinfo.value)
    agreement.refresh_from_db()
    assert agreement.status == current


def test_activation_needs_shares_summing_to_exactly_100(officer):
    vendor = VendorFactory()
    agreement = AgreementFactory(vendors=False)
    services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=None, percentage=Decimal("40"))
    services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=vendor, percentage=Decimal("59.99"))

    with pytest.raises(TransitionError, match="59.99|99.99 %"):
        services.agreement_activate(by=officer, agreement_id=agreement.pk)

    services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=vendor, percentage=Decimal("60"))
    assert services.agreement_activate(by=officer, agreement_id=agreement.pk).status == S.ACTIVE


def test_agreement_without_shares_cannot_activate(officer):
    agreement = AgreementFactory(vendors=False)

    with pytest.raises(TransitionError, match="sum to 0 %"):
        services.agreement_activate(by=officer, agreement_id=agreement.pk)


def test_shares_may_not_exceed_100_percent(officer):
    agreement = AgreementFactory(vendors=[VendorFactory()])  # 40 % authority + 60 % vendor

    with pytest.raises(RuleViolation, match="110") as excinfo:
        services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=VendorFactory(), percentage=Decimal("10"))

    assert excinfo.value.field == "percentage"
    assert agreement.cost_shares.count() == 2


@pytest.mark.parametrize("standing", ["suspended", "debarred"])
def test_a_vendor_not_in_good_standing_cannot_join_an_agreement(officer, standing):
    agreement = AgreementFactory(vendors=False)
    vendor = VendorFactory(legal_name="Shady Partners Ltd", status=standing)

    with pytest.raises(RuleViolation) as excinfo:
        services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=vendor, percentage=Decimal("50"))

    assert excinfo.value.field == "vendor"
    assert excinfo.value.message == f"Shady Partners Ltd is {standing} and cannot join an agreement."
    assert not agreement.cost_shares.exists()


@pytest.mark.parametrize("standing", ["suspended", "debarred"])
def test_a_party_suspended_or_debarred_after_joining_blocks_activation_naming_it(officer, standing):
    vendor = VendorFactory(legal_name="Shady Partners Ltd")
    agreement = AgreementFactory(vendors=[vendor, VendorFactory()])
    vendor.status = standing
    vendor.save()

    with pytest.raises(TransitionError) as excinfo:
        services.agreement_activate(by=officer, agreement_id=agreement.pk)

    assert f"Shady Partners Ltd is {standing}" in excinfo.value.message
    assert "only active vendors may be parties to an active agreement" in excinfo.value.message
    agreement.refresh_from_db()
    assert agreement.status == S.DRAFT


def test_a_suspended_agreement_resumes_only_once_its_parties_are_active_again(officer):
    vendor = VendorFactory(legal_name="Shady Partners Ltd")
    agreement = AgreementFactory(status=S.SUSPENDED, vendors=[vendor])
    vendor.status = "suspended"
    vendor.save()

    with pytest.raises(TransitionError, match="Shady Partners Ltd is suspended"):
        services.agreement_transition(agreement_id=agreement.pk, target=S.ACTIVE, by=officer)
    agreement.refresh_from_db()
    assert agreement.status == S.SUSPENDED

    vendor.status = "active"
    vendor.save()
    services.agreement_transition(agreement_id=agreement.pk, target=S.ACTIVE, by=officer)
    agreement.refresh_from_db()
    assert agreement.status == S.ACTIVE


def test_a_suspended_party_does_not_stop_an_active_agreement_being_suspended_or_terminated(officer):
    vendor = VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[vendor])
    vendor.status = "suspended"
    vendor.save()

    assert services.agreement_suspend(by=officer, agreement_id=agreement.pk).status == S.SUSPENDED
    assert services.agreement_terminate(by=officer, agreement_id=agreement.pk).status == S.TERMINATED


def test_shares_of_an_active_agreement_are_frozen(officer):
    agreement = AgreementFactory(active=True)

    with pytest.raises(RuleViolation, match="amendment"):
        services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=None, percentage=Decimal("50"))


def test_committed_amount_is_derived_from_the_share():
    agreement = AgreementFactory(total_value=Decimal("1000000.00"), vendors=[VendorFactory(), VendorFactory()])
    amounts = sorted((share.percentage, share.committed_amount) for share in agreement.cost_shares.all())

    assert amounts == [
        (Decimal("30.00"), Decimal("300000.00")),
        (Decimal("30.00"), Decimal("300000.00")),
        (Decimal("40.00"), Decimal("400000.00")),
    ]
    assert sum(amount for _, amount in amounts) == agreement.total_value
