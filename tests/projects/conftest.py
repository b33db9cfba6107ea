import datetime

import pytest
from django.utils import timezone

from procurement.factories import AgreementFactory, ExpenditureFactory, VendorFactory
from projects.alerts import alerts_scan
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Milestone

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
            return alerts_scan(on=on, **kwargs)

    return run
