"""Vendors report KPI measurements with evidence; officers confirm or reject them; only confirmed ones count."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.factories import KPIFactory, KPIMeasurementFactory
from projects.models import KPI, KPIMeasurement
from projects.selectors import project_report

from .conftest import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/kpi-measurements/"
TODAY = timezone.localdate()


def pdf(name="evidence.pdf", content=b"%PDF-1.4 measured"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def report(client, kpi, **fields):
    body = {"kpi": kpi.pk, "date": TODAY.isoformat(), "value": "55.50", **fields}
    return client.post(URL, body, format="multipart")


@pytest.fixture
def kpi_a(vendor_a):
    return KPIFactory(project=vendor_a.project)


def test_vendor_reports_a_period_with_evidence_and_it_waits_for_confirmation(client_a, vendor_a, kpi_a):
    start = TODAY - datetime.timedelta(days=30)

    response = report(client_a, kpi_a, period_start=start.isoformat(), note="March survey", evidence_file=pdf())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "reported" and body["value"] == "55.50" and body["period_start"] == start.isoformat()
    assert body["evidence_file"].startswith("http://testserver/files/evidence/")
    measurement = KPIMeasurement.objects.get()
    assert measurement.reported_by == vendor_a.user and measurement.reported_by_vendor == vendor_a.vendor
    # Reported is not counted: not on the board, not in the KPI's latest value.
    assert KPI.objects.with_latest().get().latest_value is None
    assert project_report(vendor_a.project).kpis[0].measurements == []
    # The vendor downloads its own evidence; another vendor gets 404.
    assert client_a.get(body["evidence_file"]).status_code == 200


def test_another_vendor_cannot_download_the_evidence(client_a, kpi_a, vendor_b):
    url = report(client_a, kpi_a, evidence_file=pdf()).json()["evidence_file"]

    assert token_client(vendor_b.user).get(url).status_code == 404


def test_a_kpi_of_another_vendors_project_is_404(client_a, vendor_b):
    theirs = KPIFactory(project=vendor_b.project)

    assert report(client_a, theirs).status_code == 404
    assert report(client_a, KPI(pk=999999)).status_code == 404
    assert not KPIMeasurement.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "abc"}, "value"),
        ({"date": "soon"}, "date"),
        ({"date": (TODAY + datetime.timedelta(days=1)).isoformat()}, "date"),
        ({"period_start": (TODAY + datetime.timedelta(days=1)).isoformat()}, "period_start"),
        ({"period_start": ""}, "period_start"),
        ({"period_start": "null"}, "period_start"),
    ],
)
def test_bad_input_is_400_naming_the_field(client_a, kpi_a, fields, field):
    response = report(client_a, kpi_a, **fields)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_evidence_of_a_refused_type_is_415(client_a, kpi_a):
    response = report(client_a, kpi_a, evidence_file=SimpleUploadedFile("run.exe", b"MZ\x90\x00"))

    assert response.status_code == 415
    assert "evidence_file" in response.json()["fields"]


def test_a_second_report_for_the_same_day_is_409_until_the_first_is_rejected(client_a, kpi_a, officer):
    first = report(client_a, kpi_a).json()
    again = report(client_a, kpi_a)
    assert again.status_code == 409 and again.json()["current_status"] == "reported"

    services.kpi_measurement_reject(kpi_measurement_id=first["id"], by=officer, reason="Wrong survey")

    assert report(client_a, kpi_a).status_code == 201


def test_officer_confirms_through_the_api_and_then_it_counts(api_officer_client, client_a, vendor_a, kpi_a, officer):
    measurement = report(client_a, kpi_a).json()

    response = api_officer_client.post(f"{URL}{measurement['id']}/confirm/")

    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    confirmed = KPIMeasurement.objects.get()
    assert confirmed.decided_by == officer and confirmed.decided_at is not None
    assert KPI.objects.with_latest().get().latest_value == Decimal("55.50")
    assert project_report(vendor_a.project).kpis[0].measurements == [confirmed]
    assert api_officer_client.post(f"{URL}{measurement['id']}/confirm/").status_code == 409


def test_officer_rejects_with_a_reason_the_vendor_reads(api_officer_client, client_a, kpi_a):
    measurement = report(client_a, kpi_a).json()

    assert api_officer_client.post(f"{URL}{measurement['id']}/reject/", {}, format="json").status_code == 400
    response = api_officer_client.post(f"{URL}{measurement['id']}/reject/", {"reason": "No survey"}, format="json")

    assert response.status_code == 200
    mine = client_a.get(f"{URL}{measurement['id']}/").json()
    assert mine["status"] == "rejected" and mine["rejection_reason"] == "No survey"
    assert KPI.objects.with_latest().get().latest_value is None


def test_vendors_cannot_confirm_and_officers_cannot_report(client_a, api_officer_client, kpi_a):
    measurement = report(client_a, kpi_a).json()

    assert client_a.post(f"{URL}{measurement['id']}/confirm/").status_code == 403
    assert report(api_officer_client, kpi_a).status_code == 403


def test_vendor_lists_only_its_own_reports(client_a, vendor_a, kpi_a, vendor_b):
    KPIMeasurementFactory(kpi=kpi_a, date=TODAY - datetime.timedelta(days=3))  # the agency's own
    KPIMeasurementFactory(kpi=KPIFactory(project=vendor_b.project), reported=True)
    mine = report(client_a, kpi_a).json()

    assert [row["id"] for row in client_a.get(URL).json()["results"]] == [mine["id"]]
    assert client_a.get(f"{URL}?status=confirmed").json()["count"] == 0


def test_vendor_lists_the_kpis_of_its_projects(client_a, kpi_a, vendor_b):
    KPIFactory(project=vendor_b.project)

    assert [row["id"] for row in client_a.get("/api/v1/kpis/").json()["results"]] == [kpi_a.pk]


def test_list_queries_do_not_grow_with_rows(client_a, kpi_a):
    for days in range(2):
        assert report(client_a, kpi_a, date=(TODAY - datetime.timedelta(days=days)).isoformat()).status_code == 201
    with CaptureQueriesContext(connection) as small:
        assert client_a.get(URL).json()["count"] == 2
    for days in range(2, 10):
        report(client_a, kpi_a, date=(TODAY - datetime.timedelta(days=days)).isoformat())
    with CaptureQueriesContext(connection) as large:
        assert client_a.get(URL).json()["count"] == 10
    assert len(large) == len(small)


def test_officer_confirms_and_rejects_from_the_admin(officer_client, officer, kpi_a, vendor_a):
    good = KPIMeasurementFactory(kpi=kpi_a, reported=True, date=TODAY)
    bad = KPIMeasurementFactory(kpi=kpi_a, reported=True, date=TODAY - datetime.timedelta(days=1))
    url = reverse("admin:projects_kpimeasurement_changelist")

    officer_client.post(url, {"action": "confirm_selected", "_selected_action": [good.pk]})
    officer_client.post(
        url, {"action": "reject_selected", "_selected_action": [bad.pk], "apply": "1", "reason": "Estimate only"}
    )

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == "confirmed" and good.decided_by == officer
    assert bad.status == "rejected" and bad.rejection_reason == "Estimate only"
    assert officer_client.get(reverse("admin:projects_kpimeasurement_change", args=[good.pk])).status_code == 200


def test_a_vendors_report_is_not_deleted_from_the_admin(officer_client, kpi_a):
    reported = KPIMeasurementFactory(kpi=kpi_a, reported=True)

    officer_client.post(reverse("admin:projects_kpimeasurement_delete", args=[reported.pk]), {"post": "yes"})

    assert KPIMeasurement.objects.filter(pk=reported.pk).exists()
