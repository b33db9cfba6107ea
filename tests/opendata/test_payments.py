"""Payments in the OCDS export: implementation.transactions with payer and payee, valid against the schema."""

import json
from decimal import Decimal

import pytest

from opendata import schema
from opendata.models import Release
from opendata.services import releases_record
from payments.factories import CertificateFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ocds_schemas]


def _latest(agreement):
    releases_record(by=None)
    return json.loads(Release.objects.filter(agreement=agreement).order_by("-sequence").first().body)


def test_a_paid_certificate_is_one_transaction_per_party_from_payer_to_payee(achieved, agreement, vendor):
    certificate = CertificateFactory(milestone=achieved, status="paid")

    release = _latest(agreement)
    payments = [t for t in release["contracts"][0]["implementation"]["transactions"] if t["id"].startswith("payment-")]

    authority_id = f"authority-{agreement.authority.code}"
    vendor_id = f"vendor-{vendor.registration_number}"
    assert [(t["payer"]["id"], t["payee"]["id"], Decimal(str(t["value"]["amount"]))) for t in payments] == [
        (authority_id, vendor_id, Decimal("3800.00")),
        (vendor_id, vendor_id, Decimal("5700.00")),
    ]
    assert all(t["date"].startswith(certificate.paid_on.isoformat()) for t in payments)
    paid_party = next(p for p in release["parties"] if p["id"] == vendor_id)
    assert {"payee", "payer", "supplier"} <= set(paid_party["roles"])
    assert schema.release_errors(release) == []


def test_a_payment_made_later_adds_a_release_and_leaves_the_earlier_one_as_it_was(achieved, agreement):
    before = _latest(agreement)
    CertificateFactory(milestone=achieved, status="paid")

    after = _latest(agreement)

    assert after["id"] != before["id"] and set(after["tag"]) & {"implementation", "implementationUpdate"}
    assert Release.objects.get(release_id=before["id"]).body == json.dumps(
        before, ensure_ascii=False, separators=(",", ":")
    )


def test_unpaid_certificates_are_not_transactions(achieved, agreement):
    CertificateFactory(milestone=achieved, status="approved")

    release = _latest(agreement)

    assert not [t for t in release["contracts"][0]["implementation"]["transactions"] if t["id"].startswith("payment-")]
