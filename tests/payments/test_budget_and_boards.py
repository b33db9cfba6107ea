"""Budget against actual per party, from certificates: on the board page, its CSV and PDF, and per year."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import services
from payments.factories import CertificateFactory
from payments.selectors import payments_by_party
from projects.factories import MilestoneFactory, ProjectFactory
from projects.models import Milestone

pytestmark = pytest.mark.django_db


def _achieved(project, vendor, amount):
    day = timezone.localdate() - datetime.timedelta(days=3)
    return MilestoneFactory(
        project=project,
        responsible_vendor=vendor,
        payment_amount=Decimal(amount),
        due_date=day,
        status=Milestone.Status.ACHIEVED,
        achieved_date=day,
    )


@pytest.fixture
def two_projects(agreement, vendor, board_member, certifier, approver):
    """One agreement (40 / 60), two projects: 10,000.00 paid on the first, 5,000.00 certified on the second."""
    first = ProjectFactory(agreement=agreement, board_members=[board_member])
    second = ProjectFactory(agreement=agreement, board_members=[board_member])
    paid = CertificateFactory(milestone=_achieved(first, vendor, "10000.00"), status="paid", approver=approver)
    CertificateFactory(milestone=_achieved(second, vendor, "5000.00"), status="certified")
    return first, second, paid


def test_the_agreement_is_counted_once_whichever_project_shows_it(two_projects, agreement, vendor):
    authority, alpha = payments_by_party([agreement])[agreement.pk]

    # Certified gross 15,000.00 split 40 / 60; retention 5 % of each; paid only the first's net 9,500.00.
    assert (authority.certified, authority.retained, authority.paid) == (
        Decimal("6000.00"),
        Decimal("300.00"),
        Decimal("3800.00"),
    )
    assert (alpha.certified, alpha.retained, alpha.paid, alpha.deducted) == (
        Decimal("9000.00"),
        Decimal("450.00"),
        Decimal("5700.00"),
        Decimal("0.00"),
    )


def test_released_retention_is_paid_and_no_longer_retained(two_projects, agreement, certifier, approver):
    _, _, paid = two_projects
    release = services.retention_release_issue(certificate_id=paid.pk, by=certifier)
    from payments.factories import advance

    advance(release, to="paid", certifier=certifier, approver=approver)

    authority, alpha = payments_by_party([agreement])[agreement.pk]
    assert (authority.retained, authority.paid) == (Decimal("100.00"), Decimal("4000.00"))
    assert (alpha.retained, alpha.paid) == (Decimal("150.00"), Decimal("6000.00"))


def test_per_year_counts_certificates_by_their_date(two_projects, agreement):
    this_year = timezone.localdate().year

    assert payments_by_party([agreement], year=this_year)[agreement.pk][1].certified == Decimal("9000.00")
    assert payments_by_party([agreement], year=this_year - 1)[agreement.pk][1].certified == Decimal("0")


def test_board_page_csv_and_pdf_show_the_same_figures(board_client, two_projects, agreement):
    first, second, _ = two_projects

    page = board_client.get(reverse("boards:project_detail", args=[second.pk]))
    download = board_client.get(reverse("boards:project_payments_csv", args=[second.pk]))
    pdf = board_client.get(reverse("boards:project_report", args=[first.pk]))

    html = page.content.decode()
    assert "Payments per party" in html and "9,000.00" in html and "5,700.00" in html
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [(r["Party"], r["Certified"], r["Retained"], r["Paid"]) for r in rows][1] == (
        "Alpha Build",
        "9000.00",
        "450.00",
        "5700.00",
    )
    assert pdf.status_code == 200
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Payments per party" in text and "5,700.00" in text
    # The paid figure on the first project is its own certificates' net, not "achieved means paid".
    assert "9,500.00" in text
