"""A vendor reports progress, attaches evidence, starts and submits; an officer accepts or rejects. Every
write goes through projects/services.py and lands in the change history under the caller's name."""

import io
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from ppp.factories import OfficerFactory
from projects import services
from projects.models import Deliverable, Milestone

pytestmark = pytest.mark.django_db


def _url(deliverable, action=""):
    return f"/api/v1/deliverables/{deliverable.pk}/" + (f"{action}/" if action else "")


def _upload(name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_vendor_reports_progress_and_the_history_names_them(client_a, vendor_a):
    deliverable = vendor_a.deliverable

    response = client_a.patch(_url(deliverable), {"progress": 75, "evidence_url": "https://docs.example.com/r1"})

    assert response.status_code == 200
    assert response.json()["progress"] == 75
    deliverable.refresh_from_db()
    assert (deliverable.progress, deliverable.evidence_url, deliverable.version) == (
        75,
        "https://docs.example.com/r1",
        2,
    )
    assert deliverable.history.first().history_user == vendor_a.user


def test_a_patch_saves_only_the_fields_sent(client_a, vendor_a):
    deliverable = vendor_a.deliverable
    # Someone else changed the description after our client read the deliverable.
    Deliverable.objects.filter(pk=deliverable.pk).update(description="Changed by a colleague")

    client_a.patch(_url(deliverable), {"progress": 40})

    deliverable.refresh_from_db()
    assert (deliverable.progress, deliverable.description) == (40, "Changed by a colleague")


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "accepted"),
        ("review_comment", "all good"),
        ("responsible_vendor", 1),
        ("milestone", 1),
        ("reviewed_at", "2030-01-01T00:00:00Z"),
        ("version", 99),
    ],
)
def test_officer_only_fields_are_refused_naming_the_field(client_a, vendor_a, field, value):
    before = Deliverable.objects.values().get(pk=vendor_a.deliverable.pk)

    response = client_a.patch(_url(vendor_a.deliverable), {field: value, "progress": 50})

    assert response.status_code == 400
    assert response.json()["fields"] == {field: ["This field cannot be changed through the API."]}
    assert Deliverable.objects.values().get(pk=vendor_a.deliverable.pk) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
        ({"progress": "lots"}, "progress"),
        ({"evidence_url": "not a url"}, "evidence_url"),
        ({"description": None}, "description"),
    ],
)
def test_bad_values_are_a_400_naming_the_field(client_a, vendor_a, body, field):
    response = client_a.patch(_url(vendor_a.deliverable), body)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]
    assert Deliverable.objects.get(pk=vendor_a.deliverable.pk).version == 1


@pytest.mark.parametrize("raw, content_type", [("{not json", "application/json"), ("[1, 2]", "application/json")])
def test_malformed_bodies_are_a_400(client_a, vendor_a, raw, content_type):
    response = client_a.generic("PATCH", _url(vendor_a.deliverable), raw, content_type=content_type)

    assert response.status_code == 400
    assert set(response.json()) == {"status", "code", "detail", "fields"}


def test_a_submitted_deliverable_is_frozen_until_reviewed(client_a, vendor_a):
    response = client_a.patch(_url(vendor_a.submitted), {"progress": 10})

    assert response.status_code == 409
    assert response.json()["current_status"] == "submitted"
    assert Deliverable.objects.get(pk=vendor_a.submitted.pk).progress == 100


def test_start_attach_evidence_then_submit(client_a, vendor_a):
    fresh = vendor_a.deliverable
    Deliverable.objects.filter(pk=fresh.pk).update(status=Deliverable.Status.NOT_STARTED)

    started = client_a.post(_url(fresh, "start"))
    client_a.patch(_url(fresh), {"evidence_url": "https://files.alpha.example.com/pilot-report.pdf"})
    submitted = client_a.post(_url(fresh, "submit"))

    assert (started.status_code, started.json()["status"]) == (200, "in_progress")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")
    assert Milestone.objects.get(pk=vendor_a.milestone.pk).status == Milestone.Status.IN_PROGRESS
    assert Deliverable.history.filter(id=fresh.pk).first().history_user == vendor_a.user


def test_submitting_without_evidence_is_a_409_naming_the_evidence(client_a, vendor_a):
    response = client_a.post(_url(vendor_a.deliverable, "submit"))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["current_status"] == "in_progress"
    (message,) = body["fields"]["evidence"]
    assert "has no evidence: upload a file or give an evidence URL, then submit" in message
    assert Deliverable.objects.get(pk=vendor_a.deliverable.pk).status == Deliverable.Status.IN_PROGRESS


def test_an_uploaded_file_is_evidence_enough_to_submit(client_a, vendor_a):
    upload = _upload("report.pdf", b"%PDF-1.7\n...")
    client_a.post(_url(vendor_a.deliverable, "evidence"), {"file": upload}, format="multipart")

    response = client_a.post(_url(vendor_a.deliverable, "submit"))

    assert (response.status_code, response.json()["status"]) == (200, "submitted")


def test_an_illegal_transition_is_a_409_naming_the_current_state(client_a, vendor_a):
    response = client_a.post(_url(vendor_a.submitted, "start"))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["current_status"] == "submitted"
    assert "'submitted'" in body["detail"]


def test_officer_accepts_and_the_milestone_is_achieved(api_officer_client, officer, vendor_a):
    Deliverable.objects.filter(pk=vendor_a.deliverable.pk).delete()

    response = api_officer_client.post(_url(vendor_a.submitted, "accept"), {"comment": "Meets the spec."})

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert Milestone.objects.get(pk=vendor_a.milestone.pk).status == Milestone.Status.ACHIEVED
    assert Deliverable.history.filter(id=vendor_a.submitted.pk).first().history_user == officer


def test_officer_rejects_with_a_reason_the_vendor_reads(api_officer_client, client_a, vendor_a):
    response = api_officer_client.post(_url(vendor_a.submitted, "reject"), {"comment": "Section 3 missing."})

    assert response.status_code == 200
    seen_by_vendor = client_a.get(_url(vendor_a.submitted)).json()
    assert (seen_by_vendor["status"], seen_by_vendor["review_comment"]) == ("rejected", "Section 3 missing.")
    assert "reviewer" not in seen_by_vendor


@pytest.mark.parametrize("body", [{}, {"comment": "   "}])
def test_rejecting_needs_a_comment(api_officer_client, vendor_a, body):
    response = api_officer_client.post(_url(vendor_a.submitted, "reject"), body)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["comment"]
    assert Deliverable.objects.get(pk=vendor_a.submitted.pk).status == Deliverable.Status.SUBMITTED


def test_accepting_twice_is_a_409(api_officer_client, vendor_a):
    api_officer_client.post(_url(vendor_a.submitted, "accept"), {})

    response = api_officer_client.post(_url(vendor_a.submitted, "accept"), {})

    assert response.status_code == 409
    assert response.json()["current_status"] == "accepted"


# --- Evidence files ---------------------------------------------------------------------------


def test_vendor_attaches_a_pdf(client_a, vendor_a):
    response = client_a.post(
        _url(vendor_a.deliverable, "evidence"), {"file": _upload("report.pdf", b"%PDF-1.7\n...")}, format="multipart"
    )

    assert response.status_code == 200
    assert response.json()["evidence_file"].endswith(".pdf")
    deliverable = Deliverable.objects.get(pk=vendor_a.deliverable.pk)
    assert deliverable.evidence_file.read() == b"%PDF-1.7\n..."
    assert deliverable.version == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("tool.exe", b"MZ\x90\x00", "not accepted"),
        ("noextension", b"%PDF-1.7", "not accepted"),
        ("fake.pdf", b"MZ\x90\x00 an executable", "not a .pdf file"),
        ("binary.txt", b"abc\x00def", "not a .txt file"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_evidence_outside_the_allow_list_is_refused(client_a, vendor_a, name, content, message):
    response = client_a.post(
        _url(vendor_a.deliverable, "evidence"), {"file": _upload(name, content)}, format="multipart"
    )

    assert response.status_code == 415
    fields = response.json()["fields"]
    assert list(fields) == ["evidence_file"]
    assert message in fields["evidence_file"][0]
    assert not Deliverable.objects.get(pk=vendor_a.deliverable.pk).evidence_file


def test_evidence_over_the_size_limit_is_refused(client_a, vendor_a, settings):
    settings.PPP_EVIDENCE_MAX_BYTES = 1024

    response = client_a.post(
        _url(vendor_a.deliverable, "evidence"),
        {"file": _upload("big.pdf", b"%PDF-" + b"x" * 2000)},
        format="multipart",
    )

    assert response.status_code == 413
    assert "at most 1,024 bytes" in response.json()["fields"]["evidence_file"][0]


def test_evidence_must_be_sent_as_a_file(client_a, vendor_a):
    response = client_a.post(_url(vendor_a.deliverable, "evidence"), {"file": "text"}, format="json")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_unknown_fields_are_refused_too(client_a, vendor_a):
    response = client_a.patch(_url(vendor_a.deliverable), {"progres": 50})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["progres"]


def test_an_empty_patch_changes_nothing(client_a, vendor_a):
    response = client_a.patch(_url(vendor_a.deliverable), {})

    assert response.status_code == 200
    assert response["ETag"] == '"v1"'
    assert vendor_a.deliverable.history.count() == 1


def test_four_eyes_acceptance_through_the_api(api_officer_client, officer, vendor_a, settings):
    # Given a deliverable of a milestone paying the four-eyes threshold,
    settings.PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD = Decimal("100000")
    Milestone.objects.filter(pk=vendor_a.milestone.pk).update(payment_amount=Decimal("100000.00"))
    Deliverable.objects.filter(pk=vendor_a.deliverable.pk).delete()
    url = _url(vendor_a.submitted, "accept")

    # when the first officer accepts, then the answer is 202: approved once, still submitted,
    first = api_officer_client.post(url, {"comment": "Meets the spec."})
    assert first.status_code == 202
    body = first.json()
    assert (body["status"], body["awaiting_second_approval"]) == ("submitted", True)
    assert body["first_approved_at"] is not None and first["ETag"] == '"v2"'

    # the same officer again is refused, naming the rule,
    again = api_officer_client.post(url, {})
    assert again.status_code == 400
    assert "a second officer must accept it" in again.json()["fields"]["reviewer"][0]

    # and a second officer's acceptance is final.
    second_client = APIClient()
    second_client.force_login(OfficerFactory())
    final = second_client.post(url, {})
    assert final.status_code == 200
    assert (final.json()["status"], final.json()["awaiting_second_approval"]) == ("accepted", False)
    assert Milestone.objects.get(pk=vendor_a.milestone.pk).status == Milestone.Status.ACHIEVED


def test_the_vendor_sees_that_a_second_approval_is_awaited(client_a, vendor_a, officer):
    Milestone.objects.filter(pk=vendor_a.milestone.pk).update(payment_amount=Decimal("500000.00"))
    services.deliverable_accept(deliverable_id=vendor_a.submitted.pk, reviewer=officer)

    detail = client_a.get(_url(vendor_a.submitted)).json()
    listed = {row["id"]: row for row in client_a.get("/api/v1/deliverables/").json()["results"]}

    assert detail["awaiting_second_approval"] is True
    assert listed[vendor_a.submitted.pk]["awaiting_second_approval"] is True
    assert listed[vendor_a.deliverable.pk]["awaiting_second_approval"] is False
