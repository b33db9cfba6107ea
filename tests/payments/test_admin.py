"""Officers run the payment chain in the admin; each step is a service call, refusals are told, not raised."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import services
from payments.factories import CertificateFactory, invoice_pdf
from payments.models import Certificate, VendorInvoice

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:payments_certificate_changelist"


def _action(client, url, action, pks, **extra):
    return client.post(
        reverse(url), {"action": action, "_selected_action": [str(pk) for pk in pks], **extra}, follow=True
    )


def _messages(response):
    return [str(message) for message in response.context["messages"]]


def test_an_officer_drafts_a_certificate_from_the_add_form(officer_client, officer, achieved):
    response = officer_client.post(
        reverse("admin:payments_certificate_add"), {"milestone": achieved.pk, "gross_amount": "4000.00"}, follow=True
    )

    assert response.status_code == 200
    certificate = Certificate.objects.get(milestone=achieved)
    assert (certificate.gross_amount, certificate.net_amount, certificate.created_by) == (
        Decimal("4000.00"),
        Decimal("3800.00"),
        officer,
    )
    assert certificate.party_shares.count() == 2


def test_the_add_form_tells_the_officer_why_a_certificate_is_refused(officer_client, achieved):
    CertificateFactory(milestone=achieved)

    response = officer_client.post(reverse("admin:payments_certificate_add"), {"milestone": achieved.pk}, follow=True)

    assert any("already certified in full" in message for message in _messages(response))
    assert Certificate.objects.filter(milestone=achieved).count() == 1


def test_certify_then_approve_by_the_same_officer_is_refused_with_the_reason(officer_client, officer, achieved):
    certificate = CertificateFactory(milestone=achieved, certifier=officer)

    _action(officer_client, CHANGELIST, "certify_selected", [certificate.pk])
    response = _action(officer_client, CHANGELIST, "approve_selected", [certificate.pk])

    certificate.refresh_from_db()
    assert certificate.status == "certified" and certificate.certified_by == officer
    assert any("second officer" in message for message in _messages(response))


def test_pay_asks_for_the_date_and_reference_then_records_them(officer_client, officer, achieved):
    certificate = CertificateFactory(milestone=achieved, status="approved", approver=officer)

    page = _action(officer_client, CHANGELIST, "pay_selected", [certificate.pk])
    assert b"Payment reference" in page.content and "9,500.00\u00a0EUR".encode() in page.content
    _action(
        officer_client,
        CHANGELIST,
        "pay_selected",
        [certificate.pk],
        apply="1",
        paid_on=timezone.localdate().isoformat(),
        reference="TRX-2026-0042",
    )

    certificate.refresh_from_db()
    assert (certificate.status, certificate.payment_reference, certificate.paid_recorded_by) == (
        "paid",
        "TRX-2026-0042",
        officer,
    )


def test_void_asks_for_a_reason(officer_client, achieved):
    certificate = CertificateFactory(milestone=achieved)

    _action(officer_client, CHANGELIST, "void_selected", [certificate.pk], apply="1", reason="Duplicate entry")

    certificate.refresh_from_db()
    assert (certificate.status, certificate.void_reason) == ("void", "Duplicate entry")


def test_the_list_reads_like_a_finance_ledger_and_the_page_is_read_only(officer_client, achieved):
    certificate = CertificateFactory(milestone=achieved, status="certified")

    listing = officer_client.get(reverse(CHANGELIST))
    page = officer_client.get(reverse("admin:payments_certificate_change", args=[certificate.pk]))
    history = officer_client.get(reverse("admin:payments_certificate_history", args=[certificate.pk]))
    version = certificate.history.first().history_id
    version_page = officer_client.get(
        reverse("admin:payments_certificate_simple_history", args=[certificate.pk, version])
    )

    # In a list cell the currency may wrap under the amount (money_text): a plain space between them.
    assert b"10,000.00 EUR" in listing.content and b"9,500.00 EUR" in listing.content
    assert b'name="_save"' not in page.content
    assert history.status_code == 200
    assert b'name="_save"' not in version_page.content and b"Revert" not in version_page.content


def test_officers_match_and_reject_invoices_and_download_the_document(
    officer_client, officer, achieved, vendor, vendor_user
):
    certificate = CertificateFactory(milestone=achieved, status="certified")

    def submit(reference, amount):
        return services.invoice_submit(
            certificate_id=certificate.pk,
            vendor=vendor,
            by=vendor_user,
            reference=reference,
            invoice_date=timezone.localdate(),
            amount=Decimal(amount),
            file=invoice_pdf(),
        )

    wrong, right = submit("A-1", "9000.00"), submit("A-2", "9500.00")
    url = "admin:payments_vendorinvoice_changelist"

    _action(officer_client, url, "reject_selected", [wrong.pk], apply="1", reason="Amount differs")
    _action(officer_client, url, "match_selected", [right.pk])
    download = officer_client.get(reverse("admin:payments_vendorinvoice_file", args=[right.pk]))

    assert VendorInvoice.objects.get(pk=wrong.pk).rejection_reason == "Amount differs"
    assert VendorInvoice.objects.get(pk=right.pk).status == "matched"
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_board_members_see_no_invoices(board_client, achieved):
    assert board_client.get(reverse("admin:payments_vendorinvoice_changelist")).status_code == 403
