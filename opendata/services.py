"""Recording releases: the only writer of ``Release``.

A release is recorded when an agreement's published view changed since its last release: activation,
an amendment, a milestone met, a payment made, a risk edited, a party joining or leaving... The new
release gets the next id of its ocid and the date it was recorded; the ones before it are never touched,
so they keep the parties, values and amendments of their own date. Draft agreements are never recorded.

``releases_record`` runs from Celery beat (``opendata.tasks.record_releases``, every
``OCDS_RECORD_EVERY_MINUTES``) and before each ``export_ocds``; running it twice records nothing new.
"""

import hashlib
import json
from dataclasses import dataclass

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .builders import iter_chunks, ocds_datetime, release_content
from .models import Release
from .package import dumps, json_default
from .schema import OCDSValidationError, release_errors


@dataclass(frozen=True)
class RecordResult:
    checked: int
    recorded: int


def content_hash(content: dict) -> str:
    """Of the content as JSON (numbers as published), keys sorted: it tells whether the facts changed."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _tags(previous: dict | None, content: dict) -> list[str]:
    """OCDS release tags for what changed since the previous release."""
    if previous is None:
        tags = ["tender", "award", "contract"]
        if any(content["contracts"][0]["implementation"].get(key) for key in ("milestones", "transactions")):
            tags.append("implementation")
        return tags
    before, after = previous["contracts"][0], content["contracts"][0]
    tags = []
    if after["status"] == "terminated" and before["status"] != "terminated":
        tags.append("contractTermination")
    elif after.get("amendments", []) != before.get("amendments", []):
        tags.append("contractAmendment")
    elif {k: v for k, v in after.items() if k != "implementation"} != {
        k: v for k, v in before.items() if k != "implementation"
    } or any(previous.get(key) != content.get(key) for key in ("parties", "awards", "planning", "tender")):
        tags.append("contractUpdate")
    if after["implementation"] != before["implementation"]:
        had_implementation = any(before["implementation"].get(key) for key in ("milestones", "transactions"))
        tags.append("implementationUpdate" if had_implementation else "implementation")
    return tags or ["contractUpdate"]


def _release(content: dict, *, release_id: str, date, tags: list[str]) -> dict:
    release = {"ocid": content["ocid"], "id": release_id, "date": date, "tag": tags}
    release.update((key, value) for key, value in content.items() if key != "ocid")
    return release


RELEASE_COLUMNS = (
    "agreement_id",
    "ocid",
    "sequence",
    "release_id",
    "date",
    "tags",
    "content_hash",
    "body",
    "recorded_by_id",
)


def _insert(releases: list[Release]) -> None:
    """Store new releases; call inside ``transaction.atomic``. On PostgreSQL with COPY: Django 5.2's
    ``bulk_create`` sends each column as an array, and psycopg escapes every quote of every body in Python
    (14 of the 40 s it took to record 2,000 releases of 15 kB); COPY's rows are formatted in C."""
    if connection.vendor != "postgresql":
        Release.objects.bulk_create(releases)
        return
    columns = ", ".join(RELEASE_COLUMNS)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,  # a duplicate is Django's IntegrityError, as with bulk_create
        cursor.cursor.copy(f"COPY {Release._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for release in releases:
            copy.write_row(
                (
                    release.agreement_id,
                    release.ocid,
                    release.sequence,
                    release.release_id,
                    release.date,
                    orjson.dumps(release.tags).decode(),
                    release.content_hash,
                    release.body,
                    release.recorded_by_id,
                )
            )


def releases_record(*, agreements=None, by=None, chunk_size: int = 200, on_chunk=None) -> RecordResult:
    """Record a release for every published agreement whose published view changed since its last release.

    ``agreements``: a queryset to limit the run (default every published agreement). ``by``: the officer who
    asked (None when beat runs it). Raises ``OCDSValidationError`` (nothing of the failing chunk is stored)
    when a release would not be valid OCDS for PPPs.
    """
    checked = recorded = 0
    # A chunk at a time, each release built, checked and serialised as soon as its agreement's content is:
    # memory holds one chunk's facts and its new release texts, never a chunk of built contents.
    for batch, chunk in iter_chunks(agreements, chunk_size=chunk_size, on_chunk=on_chunk):
        # Dated after its facts were read: an amendment approved meanwhile is never dated after its release.
        now = timezone.now()
        latest = {
            r.agreement_id: r for r in Release.objects.latest_per_agreement([a.pk for a in batch]).only(*LATEST_FIELDS)
        }
        new = []
        for agreement in batch:
            checked += 1
            # As published: amounts are JSON numbers (the same values as json.loads(dumps(built)), faster).
            content = orjson.loads(orjson.dumps(release_content(agreement, chunk), default=json_default))
            digest = content_hash(content)
            last = latest.get(agreement.pk)
            if last is not None and last.content_hash == digest:
                continue
            previous = json.loads(last.body) if last else None
            sequence = last.sequence + 1 if last else 1
            tags = _tags(previous, content)
            release_id = f"{content['ocid']}-{sequence:04d}"
            release = _release(content, release_id=release_id, date=ocds_datetime(now), tags=tags)
            errors = release_errors(release)
            if errors:
                raise OCDSValidationError(errors)
            new.append(
                Release(
                    agreement=agreement,
                    ocid=content["ocid"],
                    sequence=sequence,
                    release_id=release_id,
                    date=now,
                    tags=tags,
                    content_hash=digest,
                    body=dumps(release),
                    recorded_by=by,
                )
            )
        if not new:
            continue
        try:
            with transaction.atomic():
                _insert(new)
        except IntegrityError:
            # Another run recorded the same agreements meanwhile: its releases stand; the next run catches up.
            continue
        recorded += len(new)
    return RecordResult(checked=checked, recorded=recorded)


LATEST_FIELDS = ("agreement_id", "sequence", "content_hash", "body")
