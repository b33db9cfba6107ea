"""The officers' export over HTTP: everything the public feed does not give (filters, record packages)."""

import datetime
import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from opendata import schema
from procurement.factories import AgreementFactory, VendorUserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.ocds_schemas,  # skipped without the official schemas, failed in CI (tests/conftest.py)
]
URL = reverse("ocds-releases")


def _body(response):
    return json.loads(b"".join(response.streaming_content))


def test_officer_gets_a_valid_package_of_published_agreements(officer_client):
    AgreementFactory(active=True, reference="PPP-OPEN")
    AgreementFactory(reference="PPP-DRAFT")

    response = officer_client.get(URL)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    package = _body(response)
    assert schema.package_errors(package) == []
    assert {r["ocid"] for r in package["releases"]} == {f"{settings.OCDS_OCID_PREFIX}-PPP-OPEN"}


def test_officer_gets_a_record_package_compiled_from_the_releases(officer_client):
    AgreementFactory(active=True, reference="PPP-REC")

    package = _body(officer_client.get(URL, {"package": "record"}))

    assert schema.record_package_errors(package) == []
    (record,) = package["records"]
    assert record["ocid"] == f"{settings.OCDS_OCID_PREFIX}-PPP-REC"
    assert record["compiledRelease"]["tag"] == ["compiled"]


def test_since_filters_and_bad_since_is_a_400_naming_the_field(officer_client):
    AgreementFactory(active=True)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    assert officer_client.get(URL, {"since": tomorrow.isoformat()}).status_code == 204
    response = officer_client.get(URL, {"since": "yesterday"})
    assert response.status_code == 400 and "YYYY-MM-DD" in response.json()["fields"]["since"][0]


@pytest.mark.parametrize("who", ["anonymous", "vendor", "board"])
def test_only_officers_may_export(client, board_member, who):
    AgreementFactory(active=True)
    if who == "vendor":
        client.force_login(VendorUserFactory().user)
    elif who == "board":
        client.force_login(board_member)

    assert client.get(URL).status_code in (401, 403)
