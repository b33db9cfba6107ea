"""Evidence files are stored under unguessable names and handed out only through the checked download view:
to officers, to the board of the deliverable's project and to the responsible vendor's users."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from ppp.factories import BoardMemberFactory
from procurement.models import Vendor
from projects.models import Deliverable
from tests.api.conftest import token_client

PDF = b"%PDF-1.7\nquarterly report"


@pytest.fixture
def evidence_url(client_a, vendor_a):
    """The vendor attaches a PDF through the partner API; the answer carries the file's (checked) URL."""
    response = client_a.post(
        f"/api/v1/deliverables/{vendor_a.deliverable.pk}/evidence/",
        {"file": SimpleUploadedFile("Quarterly report.pdf", PDF, content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 200
    return response.json()["evidence_file"]


def _session_client(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_stored_name_is_unguessable_and_keeps_the_original_name(evidence_url, vendor_a):
    name = Deliverable.objects.get(pk=vendor_a.deliverable.pk).evidence_file.name

    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}/Quarterly_report\.pdf", name)
    assert evidence_url == "http://testserver/files/" + name


def test_same_file_name_twice_gets_two_different_folders(client_a, vendor_a):
    names = set()
    for deliverable in (vendor_a.deliverable, vendor_a.deliverable):
        client_a.post(
            f"/api/v1/deliverables/{deliverable.pk}/evidence/",
            {"file": SimpleUploadedFile("report.pdf", PDF)},
            format="multipart",
        )
        names.add(Deliverable.objects.get(pk=deliverable.pk).evidence_file.name)
    assert len(names) == 2


def test_responsible_vendor_downloads_with_its_token(client_a, evidence_url):
    response = client_a.get(evidence_url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Quarterly_report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_anonymous_caller_must_authenticate(anon_client, evidence_url):
    response = anon_client.get(evidence_url)

    assert response.status_code == 401
    assert "Token" in response["WWW-Authenticate"]


def test_another_vendor_is_told_there_is_no_such_file(vendor_b, evidence_url):
    assert token_client(vendor_b.user).get(evidence_url).status_code == 404


def test_officer_downloads(api_officer_client, evidence_url):
    assert api_officer_client.get(evidence_url).status_code == 200


def test_board_member_of_the_project_downloads_and_of_another_project_does_not(vendor_a, vendor_b, evidence_url):
    own_board, other_board = BoardMemberFactory(), BoardMemberFactory()
    vendor_a.project.board_members.add(own_board)
    vendor_b.project.board_members.add(other_board)

    assert _session_client(own_board).get(evidence_url).status_code == 200
    assert _session_client(other_board).get(evidence_url).status_code == 404


@pytest.mark.parametrize("filename", ["page.html", "drawing.svg", "notes"])
def test_files_a_browser_could_render_go_out_as_plain_bytes(api_officer_client, vendor_a, filename):
    # Older uploads (or files put there by hand) are not guaranteed to be on today's allow-list.
    deliverable = vendor_a.deliverable
    deliverable.evidence_file.save(filename, ContentFile(b"<script>alert(1)</script>"))

    response = api_officer_client.get(deliverable.evidence_file.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_media_url_serves_nothing(api_officer_client, evidence_url, vendor_a):
    name = Deliverable.objects.get(pk=vendor_a.deliverable.pk).evidence_file.name

    assert api_officer_client.get(f"/media/{name}").status_code == 404


@pytest.mark.parametrize("path", ["../../ppp/settings/base.py", "2026/11/secret.txt", ""])
def test_names_without_a_deliverable_answer_404(api_officer_client, evidence_url, path):
    assert api_officer_client.get("/files/evidence/" + path).status_code == 404


def test_admin_links_to_the_checked_download(client, officer, evidence_url, vendor_a):
    client.force_login(officer)
    page = client.get(reverse("admin:projects_deliverable_change", args=[vendor_a.deliverable.pk]))

    assert evidence_url.removeprefix("http://testserver") in page.content.decode()


def test_suspended_vendors_users_lose_access_even_when_logged_in(vendor_a, evidence_url):
    vendor_a.vendor.status = Vendor.Status.SUSPENDED
    vendor_a.vendor.save(update_fields=["status"])

    assert _session_client(vendor_a.user).get(evidence_url).status_code == 404
