"""The public feed: anyone may read the published releases, a page at a time, and ask only for what changed."""

import datetime

import pytest
from django.urls import reverse

from opendata import schema
from opendata.services import releases_record
from procurement.factories import AgreementFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ocds_schemas]
URL = reverse("ocds-feed")


@pytest.fixture
def five_published(settings, time_machine):
    settings.OCDS_FEED_PAGE_SIZE = 2
    for day in range(5):
        time_machine.move_to(datetime.datetime(2026, 5, 1 + day, 12, tzinfo=datetime.UTC))
        AgreementFactory(active=True, reference=f"PPP-FEED-{day}")
        releases_record(by=None)
    AgreementFactory(reference="PPP-FEED-DRAFT")
    releases_record(by=None)


def _ocids(response):
    return [r["ocid"].rsplit("-", 1)[1] for r in response.json()["releases"]]


def test_anyone_reads_valid_release_packages_by_date_page_by_page_and_never_a_draft(client, five_published):
    first = client.get(URL)
    second = client.get(URL, {"page": 2})
    third = client.get(URL, {"page": 3})

    assert first.status_code == second.status_code == third.status_code == 200
    assert [_ocids(first), _ocids(second), _ocids(third)] == [["0", "1"], ["2", "3"], ["4"]]
    assert all(schema.package_errors(page.json()) == [] for page in (first, second, third))
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"]
    assert 'rel="prev"' in third["Link"] and 'rel="next"' not in third["Link"]
    assert "DRAFT" not in (first.content + second.content + third.content).decode()


def test_a_page_sent_back_with_its_etag_is_304_until_it_changes(client, five_published, time_machine):
    last = client.get(URL, {"page": 3})
    etag = last["ETag"]

    unchanged = client.get(URL, {"page": 3}, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag and not unchanged.content

    time_machine.move_to(datetime.datetime(2026, 5, 9, tzinfo=datetime.UTC))
    AgreementFactory(active=True, reference="PPP-FEED-5")
    releases_record(by=None)
    grown = client.get(URL, {"page": 3}, HTTP_IF_NONE_MATCH=etag)
    assert grown.status_code == 200 and grown["ETag"] != etag and _ocids(grown) == ["4", "5"]
    # A full page never changes: new releases come after it.
    assert client.get(URL, {"page": 1}, HTTP_IF_NONE_MATCH=client.get(URL)["ETag"]).status_code == 304


def test_since_starts_the_feed_at_a_day(client, five_published):
    response = client.get(URL, {"since": "2026-05-04"})

    assert _ocids(response) == ["3", "4"] and not response.has_header("Link")


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"page": "0"}, 400, "page"),
        ({"page": "two"}, 400, "page"),
        ({"since": "May"}, 400, "since"),
        ({"since": ""}, 400, "since"),
    ],
)
def test_bad_parameters_answer_in_the_api_error_shape(client, five_published, params, status, field):
    response = client.get(URL, params)

    assert response.status_code == status
    body = response.json()
    assert body["status"] == status and body["code"] == "invalid" and field in body["fields"]


def test_past_the_last_page_is_a_404_in_the_api_error_shape(client, five_published):
    response = client.get(URL, {"page": 4})

    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_nothing_published_yet_is_204(client):
    AgreementFactory()  # a draft

    assert client.get(URL).status_code == 204


def test_a_bad_token_does_not_lock_the_public_out(client, five_published):
    assert client.get(URL, HTTP_AUTHORIZATION="Token nonsense").status_code == 200


def test_the_feed_is_in_the_openapi_schema_without_authentication(client, officer):
    client.force_login(officer)
    document = client.get(reverse("api-schema"), {"format": "json"}).json()

    operation = document["paths"]["/api/v1/ocds/feed/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"page", "since", "If-None-Match"}
    assert {"200", "304", "400", "404"} <= set(operation["responses"])
    assert operation.get("security", []) in ([], [{}])  # no authentication asked
