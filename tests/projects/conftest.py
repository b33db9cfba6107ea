import datetime

import pytest
from django.utils import timezone

from procurement.factories import AgreementFactory, ExpenditureFactory, VendorFactory
from projects.alerts import alerts_scan
from projects.factories import (
    DeliverableFactory,
    KPIFactory,
    KPIMeasurementFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
)
from projects.models import KPI, Milestone, Risk
from projects.tasks import queue_alert_digest

from .alerting import make_world


@pytest.fixture
def report_project(db, board_member):
    """A project whose board is ``board_member``: 2 achieved, 1 on track, 4 due soon, 3 overdue, 1 cancelled."""
    vendor = VendorFactory(legal_name="Northwind Civic Systems Ltd")
    agreement = AgreementFactory(active=True, vendors=[vendor], reference="PPP-REPORT-001")
    project = ProjectFactory(
        code="PRJ-BOARD-1", name="Citizen identity", agreement=agreement, board_members=[board_member]
    )
    today = timezone.localdate()
    MilestoneFactory(project=project, title="Requirements signed off", overdue_days=60, achieved=True)
    MilestoneFactory(
        project=project,
        title="Discovery report",
        due_date=today - datetime.timedelta(days=40),
        status=Milestone.Status.ACHIEVED,
        achieved_date=today - datetime.timedelta(days=35),
    )
    MilestoneFactory(project=project, title="Phase 2 rollout")  # due in 30 days: on track
    for days, title in [(1, "Accessibility audit"), (5, "Service assessment"), (9, "Data migration"), (14, "Go-live")]:
        MilestoneFactory(project=project, title=title, due_date=today + datetime.timedelta(days=days))
    late = MilestoneFactory(project=project, title="Security accreditation", overdue_days=12)
    MilestoneFactory(
        project=project, title="Pilot environment live", overdue_days=3, status=Milestone.Status.IN_PROGRESS
    )
    MilestoneFactory(project=project, title="Pilot user research", overdue_days=1)
    MilestoneFactory(project=project, title="Dropped payment certificate", status=Milestone.Status.CANCELLED)
    DeliverableFactory(milestone=late, title="Penetration test report", progress=60, status="in_progress")
    DeliverableFactory(milestone=late, title="Threat model", accepted=True)
    ExpenditureFactory(agreement=agreement, vendor=vendor, amount="25000.00")
    return project


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def scan(django_capture_on_commit_callbacks, time_machine):
    """Run the scan as beat would on ``on`` (clock moved there), letting the queued digests go out."""

    def run(on: datetime.date, **kwargs):
        time_machine.move_to(datetime.datetime.combine(on, datetime.time(7), tzinfo=datetime.UTC), tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            return alerts_scan(queue_digest=queue_alert_digest, on=on, **kwargs)

    return run


@pytest.fixture
def governed_project(report_project):
    """``report_project`` with a risk register (two risks past review, three that are not) and four KPIs."""
    today = timezone.localdate()

    def days_ago(days: int) -> datetime.date:
        return today - datetime.timedelta(days=days)

    RiskFactory(
        project=report_project,
        title="Identity provider outage",
        category=Risk.Category.AVAILABILITY_AND_QUALITY,
        allocation=Risk.Allocation.PRIVATE,
        likelihood=4,
        impact=5,
        review_date=days_ago(10),
    )
    RiskFactory(
        project=report_project,
        title="Data protection law amended",
        category=Risk.Category.CHANGE_IN_LAW,
        allocation=Risk.Allocation.PUBLIC,
        likelihood=2,
        impact=3,
        status=Risk.Status.MITIGATING,
        review_date=days_ago(1),
    )
    RiskFactory(project=report_project, title="Reviewed today risk", review_date=today)
    RiskFactory(project=report_project, title="Next quarter risk", review_date=today + datetime.timedelta(days=90))
    RiskFactory(project=report_project, title="Closed vendor risk", status=Risk.Status.CLOSED, review_date=days_ago(30))

    def kpi(name, unit, baseline, target, values, direction=KPI.Direction.HIGHER):
        indicator = KPIFactory(
            project=report_project, name=name, unit=unit, baseline=baseline, target=target, direction=direction
        )
        for months_ago, value in enumerate(reversed(values)):
            KPIMeasurementFactory(kpi=indicator, date=days_ago(30 * months_ago), value=value)
        return indicator

    kpi("Digital service adoption", "%", "20", "60", ["25", "38", "47.5"])
    kpi("Cost per transaction", "EUR", "12", "5", ["9.5", "6.1", "4.8"], direction=KPI.Direction.LOWER)
    kpi("Citizen satisfaction", "score 1–5", "3.1", "4", ["3.9", "3.6"])
    kpi("Assisted digital calls", "calls", "0", "1000", [])
    return report_project
