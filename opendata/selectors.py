"""Reads of published releases: what the export, the officer endpoint and the public feed send."""

import datetime
import itertools
from collections.abc import Iterator

from django.db.models import Max
from django.utils import timezone

from .models import Release

# Stored release texts fetched per round trip when streaming: about 15 kB each with 50 milestones, so 100 of
# them keep the driver's buffers small (500 added 20 MB to the export's peak memory) for 200 round trips per
# 20,000 releases.
READ_CHUNK = 100


def releases(*, agreement_reference: str | None = None, since: datetime.date | None = None):
    """Published releases, oldest first; ``since``: dated on or after that day (in the site's time zone)."""
    queryset = Release.objects.in_publication_order()
    if agreement_reference:
        queryset = queryset.filter(agreement__reference=agreement_reference)
    if since:
        start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
        queryset = queryset.filter(date__gte=start)
    return queryset


def newest_date(queryset) -> datetime.datetime | None:
    return queryset.aggregate(newest=Max("date"))["newest"]


def bodies(queryset) -> Iterator[str]:
    """The stored texts, streamed from the database a chunk at a time (memory does not grow with the count)."""
    return queryset.values_list("body", flat=True).iterator(chunk_size=READ_CHUNK)


def bodies_by_ocid(queryset) -> Iterator[tuple[str, list[str]]]:
    """(ocid, its release texts oldest first), one ocid at a time, for every ocid in ``queryset``."""
    ocids = queryset.order_by().values("ocid").distinct()
    rows = (
        Release.objects.filter(ocid__in=ocids)
        .order_by("ocid", "date", "pk")
        .values_list("ocid", "body")
        .iterator(chunk_size=READ_CHUNK)
    )
    for ocid, group in itertools.groupby(rows, key=lambda row: row[0]):
        yield ocid, [body for _, body in group]


def page_start(queryset, offset: int) -> tuple[datetime.datetime, int] | None:
    """(date, pk) of the release at ``offset`` in publication order, or None past the end.

    Read from the (date, id) index alone (an index-only scan: the rows skipped are never fetched), where
    OFFSET on the page itself would fetch every skipped row from the table: linear in the page number.
    """
    found = list(queryset.values_list("date", "pk")[offset : offset + 1])
    return found[0] if found else None


def from_position(queryset, date: datetime.datetime, pk: int):
    """The releases from (date, pk) on, in publication order: an index range scan starting there."""
    return queryset.filter(date__gte=date).exclude(date=date, pk__lt=pk)


def feed_page(*, page: int, page_size: int, since: datetime.date | None = None) -> tuple[list, bool]:
    """One page of the public feed: (release_id, date, body) rows, and whether a next page exists. Releases are
    only ever appended with later dates, so a page, once full, never changes.

    Two queries from page 2 on, however deep: where the page starts (``page_start``), then the page from
    there (``from_position``)."""
    queryset = releases(since=since)
    if page > 1:
        start = page_start(queryset, (page - 1) * page_size)
        if start is None:
            return [], False
        queryset = from_position(queryset, *start)
    rows = list(queryset.values_list("release_id", "date", "body")[: page_size + 1])
    return rows[:page_size], len(rows) > page_size
