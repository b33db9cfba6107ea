"""GET /api/v1/payments/: the money actually paid to the vendor, its own part of paid or reconciled certificates."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.factories import CertificateFactory
from projects.factories import MilestoneFactory
from projects.models import Milestone

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/"


def paid(world, *, status="paid", paid_on=None, amount="10000.00"):
    day = timezone.localdate() - datetime.timedelta(days=30)
    milestone = MilestoneFactory(
        project=world.project,
        responsible_vendor=world.vendor,
        payment_amount=Decimal(amount),
        due_date=day,
        status=Milestone.Status.ACHIEVED,
        achieved_date=day,
    )
    return CertificateFactory(
        milestone=milestone, status=status, certificate_date=day, paid_on=paid_on or timezone.localdate()
    )


def test_vendor_reads_its_own_part_of_each_paid_certificate(client_a, vendor_a, vendor_b):
    certificate = paid(vendor_a)
    CertificateFactory(milestone__project=vendor_a.project, milestone__responsible_vendor=vendor_a.vendor)  # draft
    paid(vendor_b)

    body = client_a.get(URL).json()

    assert body["count"] == 1
    row = body["results"][0]
    share = certificate.party_shares.get(vendor=vendor_a.vendor)
    assert row["certificate"] == certificate.pk and row["certificate_number"] == str(certificate)
    assert row["milestone"] == certificate.milestone_id and row["milestone_title"] == certificate.milestone.title
    assert row["paid_on"] == timezone.localdate().isoformat() and row["currency"] == certificate.currency
    assert Decimal(row["gross_amount"]) == share.gross_amount
    assert Decimal(row["retention"]) == share.retention_amount and Decimal(row["deductions"]) == share.penalty_amount
    assert Decimal(row["net_paid"]) == share.net_amount == share.gross_amount - share.retention_amount
    assert row["vendor"] == vendor_a.vendor.pk


def test_approved_but_unpaid_certificates_are_not_payments(client_a, vendor_a):
    day = timezone.localdate() - datetime.timedelta(days=30)
    CertificateFactory(
        milestone=MilestoneFactory(
            project=vendor_a.project,
            responsible_vendor=vendor_a.vendor,
            status=Milestone.Status.ACHIEVED,
            due_date=day,
            achieved_date=day,
        ),
        status="approved",
    )

    assert client_a.get(URL).json()["count"] == 0


def test_filters_by_agreement_and_payment_date(client_a, vendor_a):
    early = paid(vendor_a, paid_on=timezone.localdate() - datetime.timedelta(days=10))
    late = paid(vendor_a)

    before = client_a.get(f"{URL}?paid_on_before={early.paid_on}").json()["results"]
    assert [row["certificate"] for row in before] == [early.pk]
    assert [row["certificate"] for row in client_a.get(URL).json()["results"]] == [late.pk, early.pk]
    assert client_a.get(f"{URL}?agreement={vendor_a.project.agreement_id}").json()["count"] == 2
    assert client_a.get(f"{URL}?agreement=999999").json()["count"] == 0
    assert client_a.get(f"{URL}?paid_on_after=yesterday").status_code == 400
    assert client_a.get(f"{URL}?ordering=net_paid").status_code == 200


def test_another_vendors_payment_is_404(client_a, vendor_b):
    certificate = paid(vendor_b)
    line = certificate.party_shares.get(vendor=vendor_b.vendor)

    assert client_a.get(f"{URL}{line.pk}/").status_code == 404


def test_officers_read_every_vendors_payments_but_not_the_authoritys_part(api_officer_client, vendor_a, vendor_b):
    paid(vendor_a)
    paid(vendor_b)

    rows = api_officer_client.get(URL).json()["results"]

    assert {row["vendor"] for row in rows} == {vendor_a.vendor.pk, vendor_b.vendor.pk}


def test_list_queries_do_not_grow_with_rows(client_a, vendor_a):
    for _ in range(2):
        paid(vendor_a, amount="100.00")
    with CaptureQueriesContext(connection) as small:
        assert client_a.get(URL).json()["count"] == 2
    for _ in range(6):
        paid(vendor_a, amount="100.00")
    with CaptureQueriesContext(connection) as large:
        assert client_a.get(URL).json()["count"] == 8
    assert len(large) == len(small)
