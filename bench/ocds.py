"""OCDS at national size: ``manage.py export_ocds`` of 10,000 and 20,000 agreements, and the public feed.

    .venv/bin/python -m bench.run --database-url postgres://…/ppp_bench --only ocds

Each export runs as its own process (``manage.py export_ocds -o FILE``), exactly as an officer or cron runs
it: "seconds" is its wall time, "cpu_seconds" its user + system CPU time, and "peak_rss_mb" its own maximum
resident set size (``VmHWM``, which the process writes as it ends; see ``_REPORT_PEAK``), the whole process
(interpreter, Django, libraries, database driver buffers), not only what tracemalloc sees.

The data set's agreements are all active, hence published. The 10,000 case is the same data set with the
other 10,000 agreements put back to draft (drafts are never published, and the export skips them), so both
sizes run the same command on the same tables; every agreement is active again afterwards. Before each size
the stored releases are deleted, so its first run records every release (as on the day OCDS publication is
switched on); its second run finds nothing changed and records nothing. Releases recorded by the 20,000 run
are left in place: the feed is measured on them.
"""

import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

ROOT = Path(__file__).resolve().parent.parent
SHARED_OCDS = ROOT.parent / "shared" / "ocds"
MB = 1024 * 1024
# bench/generate.py's references (BENCH-000001 ...), every one of them generated active. A pattern, not a prefix:
# BENCH-REPORTS (bench/measure.py), the draft agreement holding the 31,000 report milestones, must stay a draft,
# or the section measures one outlier release beside 20,000 ordinary ones.
BENCH_AGREEMENTS = r"^BENCH-[0-9]+$"


def _environment() -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "ppp.settings.local"),
        "DJANGO_DEBUG": "0",  # as in production: DEBUG keeps every query's SQL in memory
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "memory://"),
    }
    # The official schemas beside the repository (as in the tests): no network needed.
    if (SHARED_OCDS / "ppp").is_dir():
        env.setdefault("OCDS_SCHEMA_DIR", str(SHARED_OCDS / "ppp"))
        env.setdefault("OCDS_CORE_SCHEMA_DIR", str(SHARED_OCDS / "1.1.5"))
    return env


def _publish_first(count: int | None) -> int:
    """Publish the first ``count`` bench agreements (by id) and put the others back to draft; None: all.
    Returns how many agreements are published."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procurement_agreement SET status = CASE WHEN %s::int IS NULL OR id <= ("
            "  SELECT max(id) FROM (SELECT id FROM procurement_agreement WHERE reference ~ %s"
            "  ORDER BY id LIMIT %s) AS firsts) THEN 'active' ELSE 'draft' END "
            "WHERE reference ~ %s",
            [count, BENCH_AGREEMENTS, count, BENCH_AGREEMENTS],
        )
        # Published by this section before the pattern above left it out: a draft again, whatever ran before.
        cursor.execute("UPDATE procurement_agreement SET status = 'draft' WHERE reference = 'BENCH-REPORTS'")
        cursor.execute("SELECT count(*) FROM procurement_agreement WHERE status <> 'draft'")
        return cursor.fetchone()[0]


def _clear_releases():
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE opendata_release")
        cursor.execute("VACUUM ANALYZE opendata_release")


# Runs ``manage.py ARGS`` and then writes the peak resident size of this process (VmHWM, kB) to PEAK_FILE.
# The child must say it itself: wait4's ru_maxrss cannot be used, as Linux carries the parent's resident size
# over fork and exec into the child's maximum, so every export started by a bench process grown to 434 MB (the
# reports section before it) "peaked" at 434 MB, the 10,000-agreement ones too. VmHWM belongs to the address
# space exec made, and counts only the export.
_REPORT_PEAK = """
import runpy, sys
peak_file, sys.argv = sys.argv[1], sys.argv[2:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open("/proc/self/status") as status, open(peak_file, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def export_process(*args: str) -> dict:
    """Run ``manage.py export_ocds -o FILE *args`` in a child process; its time, CPU, peak RSS and output."""
    with tempfile.TemporaryDirectory(prefix="ocds-bench-") as folder:
        target, peak_file = os.path.join(folder, "ocds.json"), os.path.join(folder, "peak")
        command = [
            *(sys.executable, "-c", _REPORT_PEAK, peak_file),
            *(str(ROOT / "manage.py"), "export_ocds", "-o", target, *args),
        ]
        with tempfile.TemporaryFile(mode="w+") as stderr:
            started = time.perf_counter()
            child = subprocess.Popen(command, cwd=ROOT, env=_environment(), stdout=subprocess.DEVNULL, stderr=stderr)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            stderr.seek(0)
            messages = stderr.read()
        if child.returncode:
            raise RuntimeError(f"export_ocds failed ({child.returncode}):\n{messages[-4000:]}")
        recorded = re.search(r"Recorded (\d+) new release", messages)
        exported = re.search(r"Exported (\d+) release", messages)
        return {
            "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": int(Path(peak_file).read_text()) * 1024 / MB,
            "wait4_maxrss_mb": usage.ru_maxrss * 1024 / MB,  # for comparison only (see _REPORT_PEAK)
            "recorded": int(recorded[1]) if recorded else None,
            "exported": int(exported[1]) if exported else None,
            "bytes": os.path.getsize(target),
        }


def export(sizes=(10_000, 20_000)) -> dict:
    """For each size: a first export (recording every release) and a second (nothing changed)."""
    results = {}
    try:
        for size in sizes:
            published = _publish_first(size)
            _clear_releases()
            first = export_process()
            second = export_process()
            results[str(size)] = {"agreements": published, "first": first, "second": second}
            print(
                f"   {published:,} agreements: first {first['seconds']:.1f} s ({first['peak_rss_mb']:.0f} MB, "
                f"{first['recorded']:,} recorded), second {second['seconds']:.1f} s "
                f"({second['peak_rss_mb']:.0f} MB, {second['recorded']} recorded)",
                file=sys.stderr,
            )
    finally:
        _publish_first(None)
    return results


def _feed_request(client, url: str, params: dict, repeat: int) -> dict:
    """Median server time of ``repeat`` requests after a warm-up one (the Django test client: the whole
    middleware, view and rendering stack in this process, no network), and the queries of one request."""
    response = client.get(url, params)
    assert response.status_code == 200, (params, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    return {
        "params": params,
        "ms": statistics.median(times),
        "runs_ms": [round(ms, 1) for ms in times],
        "queries": len(queries),
        "releases": len(response.json()["releases"]),
        "bytes": len(response.content),
    }


def feed(repeat: int = 5) -> dict:
    """The public feed on the releases in the database: the first page, page 100, the last page, and the first
    and a later page of ``since=`` (the day of the middle release), each the median of ``repeat`` requests."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from opendata import selectors
    from opendata.models import Release

    with connection.cursor() as cursor:
        # As autovacuum leaves the table after a big recording run: statistics and visibility map up to date.
        cursor.execute("VACUUM ANALYZE opendata_release")
    total = Release.objects.count()
    size = settings.OCDS_FEED_PAGE_SIZE
    last = max(1, math.ceil(total / size))
    middle = Release.objects.in_publication_order().values_list("date", flat=True)[total // 2]
    since = middle.date()
    client = Client(HTTP_HOST="localhost")
    url = reverse("ocds-feed")
    pages = {
        "first page": {"page": 1},
        "page 100": {"page": min(100, last)},
        "last page": {"page": last},
        "since, first page": {"since": since.isoformat()},
        "since, page 50": {"since": since.isoformat(), "page": 50},
    }
    since_pages = math.ceil(selectors.releases(since=since).count() / size)
    if since_pages < 50:
        pages["since, page 50"]["page"] = since_pages
    results = {name: _feed_request(client, url, params, repeat) for name, params in pages.items()}
    # The plans of page 100's two queries (where it starts, then the page), as PostgreSQL runs them.
    queryset = selectors.releases()
    offset = (min(100, last) - 1) * size
    start = selectors.page_start(queryset, offset)
    explain = "\n".join(
        [
            queryset.values_list("date", "pk")[offset : offset + 1].explain(analyze=True),
            selectors.from_position(queryset, *start)
            .values_list("release_id", "date", "body")[: size + 1]
            .explain(analyze=True),
        ]
    )
    return {"releases": total, "page_size": size, "pages": results, "explain": explain}


def ocds() -> dict:
    return {"export": export(), "feed": feed()}
