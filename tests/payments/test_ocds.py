"""Payments in the OCDS export: implementation.transactions with payer and payee, valid against the schema."""

from decimal import Decimal

import pytest
from django.conf import settings

from payments.factories import CertificateFactory
from procurement.ocds import schema
from procurement.ocds.build import iter_releases

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.OCDS_SCHEMA_DIR, reason="needs the official schemas in ../shared/ocds/ppp"),
]


def _implementation(agreement):
    releases = [
        r for r in iter_releases() if r["tag"] == ["implementation"] and r["ocid"].endswith(agreement.reference)
    ]
    return releases[-1]


def test_a_paid_certificate_is_one_transaction_per_party_from_payer_to_payee(achieved, agreement, vendor):
    certificate = CertificateFactory(milestone=achieved, status="paid")

    release = _implementation(agreement)
    payments = [t for t in release["contracts"][0]["implementation"]["transactions"] if t["id"].startswith("payment-")]

    authority_id = f"authority-{agreement.authority.code}"
    vendor_id = f"vendor-{vendor.registration_number}"
    assert [(t["payer"]["id"], t["payee"]["id"], t["value"]["amount"]) for t in payments] == [
        (authority_id, vendor_id, Decimal("3800.00")),
        (vendor_id, vendor_id, Decimal("5700.00")),
    ]
    assert all(t["date"].startswith(certificate.paid_on.isoformat()) for t in payments)
    paid_party = next(p for p in release["parties"] if p["id"] == vendor_id)
    assert "payee" in paid_party["roles"]
    assert schema.release_errors(release) == []


def test_unpaid_certificates_are_not_transactions(achieved, agreement):
    CertificateFactory(milestone=achieved, status="approved")

    release = _implementation(agreement)

    assert not [t for t in release["contracts"][0]["implementation"]["transactions"] if t["id"].startswith("payment-")]
