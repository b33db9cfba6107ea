"""The certificate chain: draft, certified, approved by a second officer, paid, reconciled; void with a reason."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments import services
from payments.factories import CertificateFactory, advance, invoice_pdf
from payments.models import Certificate, VendorInvoice
from ppp.errors import RuleViolation, StateConflict, TransitionError

pytestmark = pytest.mark.django_db


def test_the_officer_who_certified_cannot_approve(achieved, certifier):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.CERTIFIED, certifier=certifier)

    with pytest.raises(RuleViolation) as refusal:
        services.certificate_approve(certificate_id=certificate.pk, by=certifier)

    assert "second officer" in refusal.value.message
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.CERTIFIED and certificate.approved_by is None


def test_the_database_refuses_an_approval_by_the_certifier(achieved, certifier):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.CERTIFIED, certifier=certifier)

    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(
            status="approved", approved_by=certifier, approved_at=timezone.now()
        )


def test_the_chain_records_who_did_each_step_in_the_history(achieved, certifier, approver):
    certificate = CertificateFactory(
        milestone=achieved, status=Certificate.Status.RECONCILED, certifier=certifier, approver=approver
    )

    assert certificate.status == Certificate.Status.RECONCILED
    assert (certificate.certified_by, certificate.approved_by) == (certifier, approver)
    assert certificate.paid_on and certificate.payment_reference.startswith("TRX-")
    steps = [(row.status, row.history_user) for row in certificate.history.order_by("history_date")]
    assert steps == [
        ("draft", certifier),
        ("certified", certifier),
        ("approved", approver),
        ("paid", approver),
        ("reconciled", certifier),
    ]


def test_payment_needs_approval_a_reference_and_a_date_that_is_not_in_the_future(achieved, certifier, approver):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.CERTIFIED, certifier=certifier)
    with pytest.raises(TransitionError):
        services.certificate_pay(
            certificate_id=certificate.pk, by=approver, paid_on=timezone.localdate(), reference="X"
        )
    services.certificate_approve(certificate_id=certificate.pk, by=approver)

    with pytest.raises(RuleViolation) as no_reference:
        services.certificate_pay(
            certificate_id=certificate.pk, by=approver, paid_on=timezone.localdate(), reference=" "
        )
    with pytest.raises(RuleViolation) as future:
        services.certificate_pay(
            certificate_id=certificate.pk,
            by=approver,
            paid_on=timezone.localdate() + datetime.timedelta(days=1),
            reference="TRX-1",
        )

    assert (no_reference.value.field, future.value.field) == ("reference", "paid_on")


def test_a_paid_certificate_cannot_be_voided(achieved):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.PAID)

    with pytest.raises(TransitionError):
        services.certificate_void(certificate_id=certificate.pk, by=certificate.approved_by, reason="Oops")


def test_void_needs_a_reason_and_keeps_it(achieved, certifier):
    certificate = CertificateFactory(milestone=achieved, certifier=certifier)
    with pytest.raises(RuleViolation):
        services.certificate_void(certificate_id=certificate.pk, by=certifier, reason="")

    services.certificate_void(certificate_id=certificate.pk, by=certifier, reason="Issued against the wrong date")

    certificate.refresh_from_db()
    assert (certificate.status, certificate.void_reason, certificate.voided_by) == (
        "void",
        "Issued against the wrong date",
        certifier,
    )


def test_reconciling_needs_the_vendors_matched_invoice(achieved, certifier, approver):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.PAID, approver=approver)

    with pytest.raises(RuleViolation) as refusal:
        services.certificate_reconcile(certificate_id=certificate.pk, by=certifier)

    assert "matched invoice" in refusal.value.message


def test_the_database_refuses_a_second_live_certificate_for_the_same_part_of_a_milestone(achieved, certifier):
    first = CertificateFactory(milestone=achieved)
    duplicate = Certificate.objects.get(pk=first.pk)
    duplicate.pk = None
    duplicate._state.adding = True

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_database_refuses_a_certificate_beyond_the_milestone_payment(achieved):
    certificate = CertificateFactory(milestone=achieved, gross_amount=Decimal("4000.00"))

    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(
            previously_certified=Decimal("7000.00"), gross_amount=Decimal("4000.00")
        )


def test_retention_is_released_once_and_only_after_payment(achieved, certifier, approver):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.APPROVED, approver=approver)
    with pytest.raises(StateConflict):
        services.retention_release_issue(certificate_id=certificate.pk, by=certifier)
    advance(certificate, to=Certificate.Status.PAID, certifier=certifier, approver=approver)

    release = services.retention_release_issue(certificate_id=certificate.pk, by=certifier)

    assert release.net_amount == certificate.retention_amount == Decimal("500.00")
    with pytest.raises(StateConflict):
        services.retention_release_issue(certificate_id=certificate.pk, by=certifier)


def test_retention_follows_the_setting(achieved, settings):
    settings.PPP_RETENTION_PERCENT = "2.5"

    certificate = CertificateFactory(milestone=achieved)

    assert (certificate.retention_percent, certificate.retention_amount) == (Decimal("2.50"), Decimal("250.00"))


# --- Invoices ---------------------------------------------------------------------------------


def _submit(certificate, vendor, user, amount=None, reference="INV-1"):
    return services.invoice_submit(
        certificate_id=certificate.pk,
        vendor=vendor,
        by=user,
        reference=reference,
        invoice_date=timezone.localdate(),
        amount=certificate.net_amount if amount is None else amount,
        file=invoice_pdf(),
    )


def test_an_invoice_for_the_wrong_amount_cannot_be_matched_and_is_rejected_with_a_reason(
    achieved, vendor, vendor_user, approver
):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.APPROVED)
    invoice = _submit(certificate, vendor, vendor_user, amount=Decimal("9999.99"))

    with pytest.raises(RuleViolation) as refusal:
        services.invoice_match(invoice_id=invoice.pk, by=approver)
    services.invoice_reject(invoice_id=invoice.pk, by=approver, reason="Amount differs from certificate")

    invoice.refresh_from_db()
    assert "certifies 9,500.00" in refusal.value.message
    assert (invoice.status, invoice.rejection_reason) == ("rejected", "Amount differs from certificate")


def test_one_invoice_is_matched_per_certificate(achieved, vendor, vendor_user, approver):
    certificate = CertificateFactory(milestone=achieved, status=Certificate.Status.APPROVED)
    first = _submit(certificate, vendor, vendor_user, reference="INV-1")
    second = _submit(certificate, vendor, vendor_user, reference="INV-2")
    services.invoice_match(invoice_id=first.pk, by=approver)

    with pytest.raises(StateConflict):
        services.invoice_match(invoice_id=second.pk, by=approver)

    assert VendorInvoice.objects.get(pk=first.pk).status == "matched"


def test_only_the_payee_invoices_a_certified_amount(achieved, vendor, vendor_user):
    from procurement.factories import VendorFactory

    draft = CertificateFactory(milestone=achieved)
    with pytest.raises(StateConflict):
        _submit(draft, vendor, vendor_user)
    services.certificate_certify(certificate_id=draft.pk, by=draft.created_by)

    with pytest.raises(RuleViolation):
        _submit(draft, VendorFactory(), vendor_user)
