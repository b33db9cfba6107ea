"""Measurements that run inside one Django process: the overdue scan and the board reports."""

import datetime
import time
import tracemalloc
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.models import Alert, Milestone, Project

MB = 1024 * 1024


def measure(call, reset=None) -> dict:
    """Time, SQL queries and peak Python memory of ``call()``.

    Two runs: one timed (tracemalloc slows Python several-fold, so it is off), one traced for memory.
    The result of the timed run is kept under "value".
    """
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        value = call()
        seconds = time.perf_counter() - started
    if reset:
        reset()
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"seconds": seconds, "queries": len(queries), "peak_mb": peak / MB, "value": value}


def explain_scan(on: datetime.date) -> str:
    """The plan of a page in the middle of the scan (keyset condition included), as PostgreSQL runs it."""
    from projects.alerts import scan_page_query

    size = _chunk_size()
    first = list(scan_page_query(on, Milestone.Status.IN_PROGRESS, size))
    after = (first[-1][1], first[-1][0]) if first else None
    return scan_page_query(on, Milestone.Status.IN_PROGRESS, size, after).explain(analyze=True)


def overdue_scan(on: datetime.date | None = None) -> dict:
    """Scan every open milestone and create its alerts, as the daily beat does (digests are not mailed)."""
    from projects import alerts

    on = on or timezone.localdate()

    def reset():
        Alert.objects.all().delete()

    def scan():
        return alerts.alerts_scan(on=on)

    reset()
    overdue = Milestone.objects.overdue(on=on).count()
    # Digests would be queued to the broker after commit; here they are counted, not mailed.
    with mock.patch("projects.tasks.send_alert_digest.delay_on_commit") as queued:
        result = measure(scan, reset=reset)
        first_run = result.pop("value")
        # The timed run and the traced one queued the same digests; check those of the one left in the table.
        digests = queued.call_args_list[len(queued.call_args_list) // 2 :]
        created = Alert.objects.count()
        again = measure(scan)
    expected_deliveries = sum(
        len(recipients) for recipients in Alert.objects.unsent().values_list("recipients", flat=True)
    )
    result.update(
        overdue=overdue,
        scanned=first_run.scanned,
        pages=first_run.pages,
        alerts_created=created,
        digests_queued=len(digests),
        digest_recipients_distinct=len({call.args[0] for call in digests}),
        digest_deliveries=sum(len(call.args[1]) for call in digests),
        expected_deliveries=expected_deliveries,
        chunk_size=_chunk_size(),
        second_run_seconds=again["seconds"],
        second_run_queries=again["queries"],
        second_run_alerts_created=Alert.objects.count() - created,
        explain=explain_scan(on),
    )
    return result


def _chunk_size() -> int:
    from django.conf import settings

    return settings.ALERT_SCAN_CHUNK_SIZE


def _big_project(code: str, milestones: int, template: Project) -> Project:
    """A project with ``milestones`` milestones (a quarter of them late), made once and reused."""
    existing = Project.objects.filter(code=code).first()
    if existing:
        return existing
    today = timezone.localdate()
    with transaction.atomic():
        project = Project.objects.create(
            code=code,
            name=f"Report benchmark, {milestones:,} milestones",
            agreement=template.agreement,
            owner=template.owner,
            start_date=today - datetime.timedelta(days=700),
            end_date=today + datetime.timedelta(days=700),
        )
        vendor_id = Milestone.objects.filter(project=template).values_list("responsible_vendor_id", flat=True)[0]
        rows = []
        for number in range(milestones):
            due = project.start_date + datetime.timedelta(days=(1400 * number) // milestones)
            achieved = due < today and number % 4 != 0
            rows.append(
                Milestone(
                    project=project,
                    title=f"Milestone {number + 1}",
                    baseline_due_date=due,
                    due_date=due,
                    status="achieved" if achieved else "in_progress",
                    achieved_date=due if achieved else None,
                    payment_amount=Decimal("1000.00"),
                    responsible_vendor_id=vendor_id,
                )
            )
        Milestone.objects.bulk_create(rows, batch_size=5_000)
    return project


def reports(sizes=(1_000, 10_000, 20_000), portfolio_projects: int = 50) -> dict:
    from projects.reports import milestone_report_pdf, portfolio_report_pdf

    template = Project.objects.order_by("pk").first()
    results = {}
    for size in sizes:
        project = _big_project(f"BENCH-REPORT-{size}", size, template)
        milestone_report_pdf(project)  # warm-up: fonts, templates, query plans
        result = measure(lambda project=project: milestone_report_pdf(project))
        result["bytes"] = len(result.pop("value"))
        results[f"project with {size:,} milestones"] = result

    board_member, _ = get_user_model().objects.get_or_create(username="bench-board")
    projects = Project.objects.exclude(code__startswith="BENCH-REPORT").order_by("pk")[:portfolio_projects]
    for project in projects:
        project.board_members.add(board_member)
    board = Project.objects.filter(board_members=board_member)
    result = measure(lambda: portfolio_report_pdf(board))
    result["bytes"] = len(result.pop("value"))
    result["milestones"] = Milestone.objects.filter(project__in=board).count()
    results[f"portfolio of {portfolio_projects} projects"] = result
    return results
