"""Run every benchmark and write docs/benchmarks.md (and bench/results.json).

    make bench                              # all of it, on postgres://…/ppp_bench (created if missing)
    .venv/bin/python -m bench.run --only scan,reports --scale 0.1

The data set is generated once per database (at the requested scale) and reused by later runs.
Not part of the test suite: it needs minutes, PostgreSQL and (for the API) gunicorn and wrk; the webhooks
section needs Redis, a database of its own (BENCH_BROKER_URL, default redis://127.0.0.1:6379/7: its queue is
emptied before and after the run).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ppp_bench"
SECTIONS = ("generate", "queries", "api", "scan", "reports", "admin", "boards", "ocds", "webhooks")


def _prepare_environment(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.local")  # queries are not logged, even in DEBUG
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    name = database_url.rsplit("/", 1)[1].split("?")[0]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(
        ["psql", server, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", server, "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The scan's output, queries counted, reports: none of it wants debug query logging.
    settings.DEBUG = False
    call_command("migrate", verbosity=0)


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def generate_if_needed(scale: float) -> dict:
    from bench.generate import generate
    from procurement.models import Vendor
    from projects.models import Deliverable, Milestone

    if Vendor.objects.filter(registration_number="BENCH-VENDOR").exists():
        print("Data set already present; reusing it (drop the database to build it again).", file=sys.stderr)
        from bench.generate import share_terms_from_cost_shares

        share_terms_from_cost_shares()  # data sets built before the generator wrote them
        return {
            "reused": True,
            "counts": {
                "milestones": Milestone.objects.count(),
                "deliverables": Deliverable.objects.count(),
                "overdue": Milestone.objects.overdue().count(),
            },
        }
    started = time.perf_counter()
    result = generate(scale=scale)
    result["total_seconds"] = time.perf_counter() - started
    return result


def settle_tables() -> None:
    """VACUUM ANALYZE before anything is timed. Rows just written in bulk are read for the first time by the first
    section (PostgreSQL then sets their hint bits, writing as it reads) while autovacuum works through the same
    four million rows: the first run after a build measured the scan at 103 s, a settled one far less. Quick on
    tables that are already settled."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"   tables settled (VACUUM ANALYZE) in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the national programme size")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk load")
    parser.add_argument("--rounds", type=int, default=3, help="API/baseline load rounds (medians are reported)")
    parser.add_argument("--webhook-events", type=int, default=10_000, help="events through the webhook worker")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    wanted = [section.strip() for section in args.only.split(",") if section.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    _prepare_environment(args.database_url)
    results_path = ROOT / "bench" / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["machine"] = machine()
    results["scale"] = args.scale
    # The command that reproduces this file (the database named, so a reader can tell which data set it was).
    results["command"] = f"python -m bench.run {' '.join(argv if argv is not None else sys.argv[1:])}".strip()
    results["command"] += f" (database {args.database_url.rsplit('/', 1)[1]})"
    run_started = time.perf_counter()

    def section(name, call):
        if name not in wanted:
            return
        print(f"== {name}", file=sys.stderr)
        started = time.perf_counter()
        results[name] = call()
        print(f"   {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        results_path.write_text(json.dumps(results, indent=1, default=str))

    from bench import measure

    section("generate", lambda: generate_if_needed(args.scale))
    settle_tables()
    if "queries" in wanted or "api" in wanted:
        from bench import api
    section("queries", lambda: api.list_query_counts())
    section("api", lambda: api.api_throughput(duration_seconds=args.duration, rounds=args.rounds))
    section("scan", measure.overdue_scan)
    section("reports", measure.reports)
    if "admin" in wanted:
        from bench import admin_pages
    section("admin", lambda: admin_pages.admin_pages())
    if "boards" in wanted:
        from bench import pages
    section("boards", lambda: pages.board_pages())
    if "webhooks" in wanted:
        from bench import webhooks
    section("webhooks", lambda: webhooks.webhook_delivery(events=args.webhook_events))
    if "ocds" in wanted:
        from bench import ocds
    section("ocds", lambda: ocds.ocds())

    results["run_minutes"] = (time.perf_counter() - run_started) / 60
    results_path.write_text(json.dumps(results, indent=1, default=str))
    from bench.report import write_markdown

    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(write_markdown(results))
    print(f"Wrote {args.output} and {results_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
