"""Measurements that run inside one Django process: the overdue scan and the board reports."""

import datetime
import statistics
import time
import tracemalloc
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.models import Alert, Deliverable, Milestone, Project

MB = 1024 * 1024


def measure(call, reset=None, repeat: int = 1) -> dict:
    """Time, SQL queries and peak Python memory of ``call()``.

    ``repeat`` timed runs (tracemalloc slows Python several-fold, so it is off for them): "seconds" is their
    median wall time and "cpu_seconds" the median CPU time of this process, which other processes on a
    busy machine disturb less. Then one traced run for memory. The result of the first run is kept under
    "value"; ``reset`` runs before every run but the first.
    """
    runs, cpu = [], []
    value = None
    for attempt in range(repeat):
        if attempt and reset:
            reset()
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = call()
            runs.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        value = result if attempt == 0 else value
    if reset:
        reset()
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {
        "seconds": statistics.median(runs),
        "cpu_seconds": statistics.median(cpu),
        "runs": [round(seconds, 3) for seconds in runs],
        "queries": len(queries),
        "peak_mb": peak / MB,
        "value": value,
    }


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
    from projects.tasks import queue_alert_digest

    on = on or timezone.localdate()

    def reset():
        Alert.objects.all().delete()

    def scan():
        return alerts.alerts_scan(queue_digest=queue_alert_digest, on=on)

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


def _report_agreement(template: Project):
    """An unpublished (draft) copy of ``template``'s agreement, with its parties and their terms, to hold the big
    report projects. Under a published agreement their 31,000 milestones would make one release of that size,
    and the OCDS section would measure that outlier instead of the 20,000 generated agreements."""
    from procurement.models import Agreement, CostShare, CostShareTerm

    existing = Agreement.objects.filter(reference="BENCH-REPORTS").first()
    if existing:
        return existing
    source = template.agreement
    agreement = Agreement.objects.get(pk=source.pk)
    agreement.pk = agreement.id = None
    agreement._state.adding = True
    agreement.reference, agreement.title, agreement.status = "BENCH-REPORTS", "Report benchmark", "draft"
    agreement.save()
    CostShare.objects.bulk_create(
        CostShare(agreement=agreement, vendor_id=share.vendor_id, percentage=share.percentage)
        for share in CostShare.objects.filter(agreement=source)
    )
    CostShareTerm.objects.bulk_create(
        CostShareTerm(
            agreement=agreement,
            vendor_id=term.vendor_id,
            percentage=term.percentage,
            effective_from=term.effective_from,
        )
        for term in CostShareTerm.objects.filter(agreement=source, effective_to__isnull=True)
    )
    return agreement


def _big_project(code: str, milestones: int, template: Project) -> Project:
    """A project with ``milestones`` milestones, made once and reused.

    A quarter of the past ones are late (still open), each with two open deliverables, so the report's
    "open deliverables under late milestones" section is as long as it would be in real life.
    """
    agreement = _report_agreement(template)
    existing = Project.objects.filter(code=code).first()
    if existing:
        if existing.agreement_id != agreement.pk:  # made by an earlier version of this benchmark
            Project.objects.filter(pk=existing.pk).update(agreement=agreement)
        return existing
    today = timezone.localdate()
    with transaction.atomic():
        project = Project.objects.create(
            code=code,
            name=f"Report benchmark, {milestones:,} milestones",
            agreement=agreement,
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
                    delivered_on=due if achieved else None,
                    payment_amount=Decimal("1000.00"),
                    responsible_vendor_id=vendor_id,
                )
            )
        Milestone.objects.bulk_create(rows, batch_size=5_000)
        late = [milestone for milestone in rows if milestone.status != "achieved" and milestone.due_date < today]
        Deliverable.objects.bulk_create(
            (
                Deliverable(
                    milestone=milestone,
                    title=f"{milestone.title}: {part}",
                    responsible_vendor_id=vendor_id,
                    status=status,
                    progress=progress,
                )
                for milestone in late
                for part, status, progress in (
                    ("design document", "in_progress", 60),
                    ("acceptance test report", "not_started", 0),
                )
            ),
            batch_size=5_000,
        )
    return project


def _board(user, count: int) -> QuerySet[Project]:
    """``count`` projects on ``user``'s board: the oldest projects, then made-up ones with 40 milestones each
    (2 deliverables apiece), 4 risks and 3 KPIs measured weekly for a quarter, when the data set is smaller."""
    from projects.factories import (
        DeliverableFactory,
        KPIFactory,
        KPIMeasurementFactory,
        MilestoneFactory,
        ProjectFactory,
        RiskFactory,
    )

    today = timezone.localdate()
    existing = Project.objects.exclude(code__startswith="BENCH-REPORT").count()
    for number in range(max(0, count - existing)):
        project = ProjectFactory(code=f"BENCH-PORTFOLIO-{number:02d}")
        for index in range(40):
            offset = (index * 37) % 600 - 300  # due from 300 days ago to 300 days ahead
            status = ("achieved", "in_progress", "planned")[index % 3] if offset < 0 else "planned"
            milestone = MilestoneFactory(
                project=project,
                title=f"{project.code} milestone {index + 1}",
                overdue_days=-offset,
                status=status,
                achieved_date=today + datetime.timedelta(days=offset) if status == "achieved" else None,
            )
            DeliverableFactory.create_batch(2, milestone=milestone)
        for index in range(4):
            RiskFactory(project=project, review_date=today + datetime.timedelta(days=10 * index - 15))
        for index in range(3):
            kpi = KPIFactory(project=project, name=f"{project.code} KPI {index + 1}")
            for week in range(12):
                KPIMeasurementFactory(kpi=kpi, date=today - datetime.timedelta(weeks=week))
    for project in Project.objects.exclude(code__startswith="BENCH-REPORT").order_by("pk")[:count]:
        project.board_members.add(user)
    return Project.objects.filter(board_members=user)


def reports(sizes=(1_000, 10_000, 20_000), portfolio_projects: int = 50, repeat: int = 5) -> dict:
    """The PDF milestone report of projects with ``sizes`` milestones and the portfolio PDF of a board."""
    from projects.reports import milestone_report_pdf, portfolio_report_pdf

    # The big projects copy the last generated project's agreement and vendor: never the bench vendor's (the
    # first projects), whose partner-API lists would otherwise grow by 31,000 milestones after this section.
    template = Project.objects.filter(code__startswith="BP-").order_by("-pk").first()
    results = {}
    projects = {size: _big_project(f"BENCH-REPORT-{size}", size, template) for size in sizes}
    # Fresh rows set autovacuum going: settle the tables first so it does not compete with the timed runs.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE projects_milestone, projects_deliverable")
    for size, project in projects.items():
        milestone_report_pdf(project, pause_gc=True)  # warm-up: fonts, templates, query plans
        result = measure(lambda project=project: milestone_report_pdf(project, pause_gc=True), repeat=repeat)
        result["bytes"] = len(result.pop("value"))
        results[f"project with {size:,} milestones"] = result

    board_member, _ = get_user_model().objects.get_or_create(username="bench-board")
    board = _board(board_member, portfolio_projects)
    portfolio_report_pdf(board, pause_gc=True)
    result = measure(lambda: portfolio_report_pdf(board, pause_gc=True), repeat=repeat)
    result["bytes"] = len(result.pop("value"))
    result["milestones"] = Milestone.objects.filter(project__in=board).count()
    results[f"portfolio of {board.count()} projects"] = result
    return results
