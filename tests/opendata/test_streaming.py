"""export_ocds streams: memory depends on the chunk read, not on how many releases there are."""

import io
import json
import tracemalloc

import pytest
from django.core.management import call_command

from opendata.models import Release
from opendata.services import releases_record

pytestmark = [pytest.mark.django_db, pytest.mark.ocds_schemas]


def _publish_copies(agreement, count: int):
    """``count`` stored releases like the agreement's real one (bulk-created: the export only reads them)."""
    original = Release.objects.get(agreement=agreement, sequence=1)
    release = json.loads(original.body)
    start = Release.objects.count() + 1
    copies = []
    for sequence in range(start, start + count):
        release["id"] = f"{original.ocid}-{sequence:06d}"
        release["tender"]["description"] = "x" * 2000  # about 3 kB a release
        copies.append(
            Release(
                agreement=agreement,
                ocid=original.ocid,
                sequence=sequence + 1,
                release_id=release["id"],
                date=original.date,
                tags=release["tag"],
                content_hash=original.content_hash,
                body=json.dumps(release, separators=(",", ":")),
            )
        )
    Release.objects.bulk_create(copies, batch_size=1000)


def _export_peak(tmp_path) -> tuple[int, int]:
    target = tmp_path / "out.json"
    tracemalloc.start()
    try:
        call_command("export_ocds", "--no-record", "-o", str(target), stderr=io.StringIO())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, target.stat().st_size


def test_peak_memory_does_not_grow_with_the_number_of_releases(tmp_path, agreement):
    releases_record(by=None)
    _publish_copies(agreement, 1_000)
    small_peak, small_size = _export_peak(tmp_path)
    _publish_copies(agreement, 4_000)

    large_peak, large_size = _export_peak(tmp_path)

    assert large_size > 4 * small_size  # five times the data written...
    assert large_peak < small_peak * 1.5  # ...in about the same memory
    assert large_peak < 12 * 1024 * 1024
