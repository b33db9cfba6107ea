"""The partner API for payments: a vendor reads its own certificates and invoices them; nobody else's."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from payments.factories import CertificateFactory, invoice_pdf
from payments.models import Certificate, VendorInvoice
from procurement.factories import AgreementFactory, VendorFactory, VendorUserFactory
from projects.factories import MilestoneFactory, ProjectFactory
from projects.models import Milestone
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def _achieved(agreement, vendor, amount="10000.00"):
    day = timezone.localdate() - datetime.timedelta(days=3)
    return MilestoneFactory(
        project=ProjectFactory(agreement=agreement),
        responsible_vendor=vendor,
        payment_amount=Decimal(amount),
        due_date=day,
        status=Milestone.Status.ACHIEVED,
        achieved_date=day,
    )


@pytest.fixture
def other_vendor(db):
    return VendorFactory(legal_name="Omega Works")


@pytest.fixture
def certified(achieved):
    return CertificateFactory(milestone=achieved, status=Certificate.Status.CERTIFIED)


@pytest.fixture
def vendor_client(vendor_user):
    return token_client(vendor_user)


def test_a_vendor_reads_its_certificate_with_deductions_and_only_its_own_share(vendor_client, certified, vendor):
    response = vendor_client.get(f"/api/v1/payment-certificates/{certified.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["gross_amount"], body["retention_amount"], body["net_amount"]) == ("10000.00", "500.00", "9500.00")
    assert [(line["kind"], line["amount"]) for line in body["deductions"]] == [("retention", "500.00")]
    assert body["shares"] == [
        {
            "vendor": vendor.pk,
            "party": "Alpha Build",
            "percentage": "60.00",
            "gross_amount": "6000.00",
            "retention_amount": "300.00",
            "penalty_amount": "0.00",
            "net_amount": "5700.00",
        }
    ]


def test_another_vendors_certificate_is_not_found_and_not_listed(certified, other_vendor):
    AgreementFactory(active=True, vendors=[other_vendor])
    client = token_client(VendorUserFactory(vendor=other_vendor).user)

    assert client.get(f"/api/v1/payment-certificates/{certified.pk}/").status_code == 404
    assert client.get("/api/v1/payment-certificates/").json()["count"] == 0


def test_drafts_are_not_shown_to_vendors(vendor_client, achieved):
    draft = CertificateFactory(milestone=achieved)

    assert vendor_client.get(f"/api/v1/payment-certificates/{draft.pk}/").status_code == 404


def test_a_vendor_submits_an_invoice_and_sees_it_rejected_with_the_reason(vendor_client, certified, approver):
    response = vendor_client.post(
        "/api/v1/invoices/",
        {
            "certificate": certified.pk,
            "reference": "A-2026-001",
            "invoice_date": timezone.localdate().isoformat(),
            "amount": "9500.01",
            "file": invoice_pdf(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    invoice = VendorInvoice.objects.get(pk=response.json()["id"])
    assert (invoice.status, invoice.amount) == ("submitted", Decimal("9500.01"))
    assert invoice.history.get().history_user == invoice.submitted_by

    from payments import services

    services.invoice_reject(invoice_id=invoice.pk, by=approver, reason="Does not match the certified 9,500.00")
    listed = vendor_client.get("/api/v1/invoices/").json()["results"]

    assert [(i["reference"], i["status"], i["rejection_reason"]) for i in listed] == [
        ("A-2026-001", "rejected", "Does not match the certified 9,500.00")
    ]


def test_an_invoice_for_another_vendors_certificate_is_a_404(certified, other_vendor):
    AgreementFactory(active=True, vendors=[other_vendor])
    client = token_client(VendorUserFactory(vendor=other_vendor).user)

    response = client.post(
        "/api/v1/invoices/",
        {
            "certificate": certified.pk,
            "reference": "X-1",
            "invoice_date": timezone.localdate().isoformat(),
            "amount": "9500.00",
            "file": invoice_pdf(),
        },
        format="multipart",
    )

    assert response.status_code == 404
    assert not VendorInvoice.objects.exists()


def test_an_invoice_file_of_a_refused_type_is_a_415_in_the_usual_error_shape(vendor_client, certified):
    response = vendor_client.post(
        "/api/v1/invoices/",
        {
            "certificate": certified.pk,
            "reference": "A-1",
            "invoice_date": timezone.localdate().isoformat(),
            "amount": "9500.00",
            "file": SimpleUploadedFile("invoice.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
        },
        format="multipart",
    )

    assert response.status_code == 415
    assert response.json()["status"] == 415 and "file" in response.json()["fields"]


def test_invoicing_a_draft_is_a_409_naming_its_status(vendor_client, achieved, vendor):
    draft = CertificateFactory(milestone=achieved)
    # The vendor cannot see a draft, so it is a 404 before any state is told.
    response = vendor_client.post(
        "/api/v1/invoices/",
        {
            "certificate": draft.pk,
            "reference": "A-1",
            "invoice_date": timezone.localdate().isoformat(),
            "amount": "9500.00",
            "file": invoice_pdf(),
        },
        format="multipart",
    )
    assert response.status_code == 404

    paid = CertificateFactory(milestone=_achieved(achieved.project.agreement, vendor), status="reconciled")
    response = vendor_client.post(
        "/api/v1/invoices/",
        {
            "certificate": paid.pk,
            "reference": "A-2",
            "invoice_date": timezone.localdate().isoformat(),
            "amount": str(paid.net_amount),
            "file": invoice_pdf(),
        },
        format="multipart",
    )
    assert response.status_code == 409
    assert response.json()["current_status"] == "reconciled"


def test_officers_cannot_submit_invoices(officer, certified):
    client = APIClient()
    client.force_login(officer)

    response = client.post("/api/v1/invoices/", {}, format="multipart")

    assert response.status_code == 403


@pytest.mark.parametrize("resource", ["payment-certificates", "invoices"])
@pytest.mark.parametrize("caller", ["vendor", "officer"])
def test_lists_cost_the_same_queries_at_two_sizes(
    resource, caller, agreement, vendor, vendor_user, officer, django_assert_num_queries
):
    if caller == "vendor":
        client = token_client(vendor_user)
    else:
        client = APIClient()
        client.force_login(officer)

    def add(count):
        for _ in range(count):
            certificate = CertificateFactory(milestone=_achieved(agreement, vendor), status="reconciled")
            assert certificate.invoices.exists()

    add(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/api/v1/{resource}/?page_size=100").json()["count"] == 2
    add(6)

    with django_assert_num_queries(len(small)):
        assert client.get(f"/api/v1/{resource}/?page_size=100").json()["count"] == 8
