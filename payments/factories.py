"""Factories for the payment chain, shared by the tests and ``seed_demo``.

Certificates are built through the services (issue, certify, approve, pay...), so a factory-made certificate
has the same deductions, split and history as one an officer made.
"""

import datetime

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from ppp.factories import OfficerFactory
from projects.factories import MilestoneFactory
from projects.models import Milestone

from . import services
from .models import Certificate

# How far along the chain ``CertificateFactory(status=...)`` takes a certificate.
_CHAIN = [
    Certificate.Status.DRAFT,
    Certificate.Status.CERTIFIED,
    Certificate.Status.APPROVED,
    Certificate.Status.PAID,
    Certificate.Status.RECONCILED,
]


def invoice_pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    """A small file that passes the evidence checks (a PDF signature)."""
    return SimpleUploadedFile(name, b"%PDF-1.4\n% invoice\n", content_type="application/pdf")


class CertificateFactory(DjangoModelFactory):
    """A certificate for an achieved milestone, taken along the chain to ``status`` by two officers.

    ``CertificateFactory(milestone=m, status="paid", paid_on=...)``; reconciling also submits and matches the
    payee's invoice. ``gross_amount`` makes a partial one.
    """

    class Meta:
        model = Certificate

    milestone = factory.SubFactory(
        MilestoneFactory,
        status=Milestone.Status.ACHIEVED,
        due_date=factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20)),
        achieved_date=factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20)),
    )
    status = Certificate.Status.DRAFT
    certificate_date = None
    gross_amount = None
    certifier = factory.SubFactory(OfficerFactory)
    approver = factory.SubFactory(OfficerFactory)
    paid_on = None
    payment_reference = factory.Sequence(lambda n: f"TRX-{n:08d}")

    @classmethod
    def _create(cls, model_class, *, milestone, status, certifier, approver, paid_on, payment_reference, **kwargs):
        certificate = services.certificate_issue(
            milestone_id=milestone.pk,
            by=certifier,
            certificate_date=kwargs.get("certificate_date"),
            gross_amount=kwargs.get("gross_amount"),
        )
        return advance(
            certificate,
            to=status,
            certifier=certifier,
            approver=approver,
            paid_on=paid_on,
            payment_reference=payment_reference,
        )


def advance(certificate, *, to, certifier, approver, paid_on=None, payment_reference="TRX-1", invoice_date=None):
    """Take a certificate along the chain to ``to`` through the services (seed_demo and tests)."""
    target = _CHAIN.index(to)
    pk = certificate.pk
    if target >= 1 and certificate.status == Certificate.Status.DRAFT:
        certificate = services.certificate_certify(certificate_id=pk, by=certifier)
    if target >= 2 and certificate.status == Certificate.Status.CERTIFIED:
        certificate = services.certificate_approve(certificate_id=pk, by=approver)
    if target >= 4 and certificate.payee_id:
        from procurement.models import VendorUser

        membership = VendorUser.objects.filter(vendor_id=certificate.payee_id).select_related("user").first()
        invoice = services.invoice_submit(
            certificate_id=pk,
            vendor=certificate.payee,
            by=membership.user if membership else approver,
            reference=f"INV-{pk:06d}",
            invoice_date=invoice_date or certificate.certificate_date,
            amount=certificate.net_amount,
            file=invoice_pdf(),
        )
        services.invoice_match(invoice_id=invoice.pk, by=approver)
    if target >= 3 and certificate.status == Certificate.Status.APPROVED:
        certificate = services.certificate_pay(
            certificate_id=pk,
            by=approver,
            paid_on=paid_on or max(certificate.certificate_date, timezone.localdate()),
            reference=payment_reference,
        )
    if target >= 4 and certificate.status == Certificate.Status.PAID:
        certificate = services.certificate_reconcile(certificate_id=pk, by=certifier)
    return certificate
