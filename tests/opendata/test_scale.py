"""OCDS at national size: recording reads and writes a fixed number of queries per chunk, the compiled schema
check gives jsonschema's verdict, and the public feed's deep pages cost what its first page costs."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from jsonschema import Draft4Validator

from opendata import schema
from opendata.models import Release
from opendata.services import releases_record
from procurement.factories import AgreementFactory
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ocds_schemas]
FEED = reverse("ocds-feed")


def _agreements(count: int, *, start: int = 0):
    for number in range(start, start + count):
        agreement = AgreementFactory(active=True, reference=f"PPP-SCALE-{number:03d}")
        for _ in range(2):
            milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement))
            DeliverableFactory(milestone=milestone, accepted=True)
            DeliverableFactory(milestone=milestone)


@pytest.mark.postgres  # releases are stored with COPY there (bulk_create elsewhere)
def test_recording_runs_a_fixed_number_of_queries_per_chunk_whatever_its_size(django_assert_num_queries):
    _agreements(2)
    # The agreements, the reads of their facts and their latest releases, a savepoint and its release around one
    # COPY (which Django does not count), then the empty page that ends the run.
    with django_assert_num_queries(15):
        assert releases_record(by=None, chunk_size=50).recorded == 2
    _agreements(8, start=2)

    with django_assert_num_queries(15):
        assert releases_record(by=None, chunk_size=50).recorded == 8

    # Nothing changed: the same reads, no insert.
    with django_assert_num_queries(13):
        assert releases_record(by=None, chunk_size=50).recorded == 0


def test_a_release_recorded_by_another_run_meanwhile_is_left_as_it_is(monkeypatch):
    """Two runs racing: the second one's COPY hits the unique (agreement, sequence) and records nothing."""
    _agreements(1)
    releases_record(by=None)
    stored = list(Release.objects.values_list("release_id", "body"))
    monkeypatch.setattr(Release.objects, "latest_per_agreement", lambda ids: Release.objects.none())

    assert releases_record(by=None).recorded == 0
    assert list(Release.objects.values_list("release_id", "body")) == stored


@pytest.mark.parametrize(
    "break_it",
    [
        lambda r: None,  # valid as recorded
        lambda r: r["contracts"][0]["value"].update(currency="EURO"),
        lambda r: r.update(date="yesterday"),
        lambda r: r["parties"][0].update(roles=["buyer", "buyer"]),  # uniqueItems
        lambda r: r["tender"].update(procurementMethod="closed"),
        lambda r: r["contracts"][0]["implementation"]["transactions"].append(
            {"id": "t1", "source": "milestone 28", "value": {"amount": 1, "currency": "EUR"}}
        ),
        lambda r: r["contracts"][0]["implementation"]["transactions"].append(
            {"id": "t2", "uri": "https://example.org/ok", "value": {"amount": 1, "currency": "EUR"}}
        ),
        lambda r: r["contracts"][0]["implementation"]["milestones"][0].update(dueDate="2026-02-30T00:00:00Z"),
    ],
)
def test_the_compiled_check_gives_jsonschemas_verdict(break_it):
    _agreements(1)
    releases_record(by=None)
    release = json.loads(Release.objects.get().body)
    break_it(release)
    validator = Draft4Validator(schema.release_schema(), format_checker=Draft4Validator.FORMAT_CHECKER)
    expected = sorted(f"$.releases[0]{e.json_path[1:]}: {e.message}" for e in validator.iter_errors(release))

    assert sorted(map(str, schema.release_errors(release))) == expected


def test_recorded_in_one_run_the_feed_pages_through_releases_sharing_one_date(client, settings):
    """A run dates a whole chunk alike: deep pages start inside a run of equal dates, never skip or repeat."""
    settings.OCDS_FEED_PAGE_SIZE = 2
    for number in range(5):
        AgreementFactory(active=True, reference=f"PPP-SAME-{number}")
    releases_record(by=None)
    assert len(set(Release.objects.values_list("date", flat=True))) == 1

    pages = [client.get(FEED, {"page": page}).json()["releases"] for page in (1, 2, 3)]

    assert [[r["ocid"].rsplit("-", 1)[1] for r in page] for page in pages] == [["0", "1"], ["2", "3"], ["4"]]
    assert client.get(FEED, {"page": 4}).status_code == 404


def test_a_deep_feed_page_runs_the_same_queries_as_the_second(
    client, settings, django_assert_num_queries, time_machine
):
    settings.OCDS_FEED_PAGE_SIZE = 2
    for day in range(12):
        time_machine.move_to(datetime.datetime(2026, 5, 1 + day, 12, tzinfo=datetime.UTC))
        AgreementFactory(active=True, reference=f"PPP-DEEP-{day:02d}")
        releases_record(by=None)

    with django_assert_num_queries(1):
        assert client.get(FEED).status_code == 200
    with django_assert_num_queries(2):  # where the page starts, then the page
        second = client.get(FEED, {"page": 2})
    with django_assert_num_queries(2):
        sixth = client.get(FEED, {"page": 6})
    with django_assert_num_queries(2):
        since = client.get(FEED, {"page": 2, "since": "2026-05-05"})

    assert [r["ocid"][-2:] for r in second.json()["releases"]] == ["02", "03"]
    assert [r["ocid"][-2:] for r in sixth.json()["releases"]] == ["10", "11"]
    assert [r["ocid"][-2:] for r in since.json()["releases"]] == ["06", "07"]


def test_the_export_streams_with_the_same_queries_whatever_the_number_of_releases(tmp_path, django_assert_num_queries):
    """The stored texts are read through one server-side cursor, 100 at a time: no query per release or chunk."""
    _agreements(2)
    releases_record(by=None)
    with django_assert_num_queries(2):  # the newest date, then the cursor over the texts
        call_command("export_ocds", "--no-record", "-o", str(tmp_path / "small.json"), stderr=io.StringIO())
    _agreements(120, start=2)  # more than one fetch of 100
    releases_record(by=None)

    with django_assert_num_queries(2):
        call_command("export_ocds", "--no-record", "-o", str(tmp_path / "large.json"), stderr=io.StringIO())

    assert len(json.loads((tmp_path / "large.json").read_text())["releases"]) == 122
