"""Lateness is judged by when the vendor delivered (its last submission), not by when an officer accepted it."""

import csv
import datetime
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ppp.errors import RuleViolation
from ppp.formatting import format_date
from projects import services
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Milestone
from projects.reports import milestone_report_pdf
from projects.selectors import project_reports

from .test_report_pdf import pdf_pages

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 5, 20)


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(at_noon(TODAY), tick=False)


@pytest.fixture
def reviewed_late(board_member):
    """Due 10 days ago; the vendor submitted its last deliverable 8 days ago; nobody has reviewed it yet."""
    project = ProjectFactory(code="PRJ-LATE", board_members=[board_member])
    milestone = MilestoneFactory(project=project, title="Depot design", due_date=days_ago(10), status="in_progress")
    DeliverableFactory(milestone=milestone, submitted=True, submitted_at=at_noon(days_ago(12)))
    DeliverableFactory(milestone=milestone, submitted=True, submitted_at=at_noon(days_ago(8)))
    return milestone


def _accept_all(milestone, officer):
    for deliverable in milestone.deliverables.all():
        services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=officer)
    milestone.refresh_from_db()
    return milestone


def test_acceptance_keeps_the_vendors_delivery_date_and_counts_lateness_to_it(reviewed_late, officer):
    milestone = _accept_all(reviewed_late, officer)

    assert milestone.status == Milestone.Status.ACHIEVED
    assert milestone.achieved_date == TODAY  # the officer's acceptance day
    assert milestone.delivered_on == days_ago(8)  # the last submission
    assert milestone.days_late() == 2  # not 10: the eight days of review are the agency's


def test_a_manual_achievement_is_delivered_on_the_last_submission_or_today(officer):
    with_deliverable = MilestoneFactory(due_date=days_ago(5), status="in_progress")
    DeliverableFactory(milestone=with_deliverable, accepted=True, submitted_at=at_noon(days_ago(4)))
    without = MilestoneFactory(due_date=days_ago(5), status="in_progress")

    services.milestone_achieve(milestone_id=with_deliverable.pk, by=officer)
    services.milestone_achieve(milestone_id=without.pk, by=officer)

    with_deliverable.refresh_from_db()
    without.refresh_from_db()
    assert (with_deliverable.delivered_on, with_deliverable.days_late()) == (days_ago(4), 1)
    assert (without.delivered_on, without.days_late()) == (TODAY, 5)


def test_a_manual_achievement_takes_the_delivery_date_given(officer):
    milestone = MilestoneFactory(due_date=days_ago(5), status="in_progress")

    services.milestone_achieve(milestone_id=milestone.pk, by=officer, delivered_on=days_ago(6))

    milestone.refresh_from_db()
    assert (milestone.delivered_on, milestone.achieved_date, milestone.days_late()) == (days_ago(6), TODAY, 0)


def test_a_delivery_date_in_the_future_is_refused(officer):
    milestone = MilestoneFactory(due_date=days_ago(5), status="in_progress")

    with pytest.raises(RuleViolation) as excinfo:
        services.milestone_achieve(milestone_id=milestone.pk, by=officer, delivered_on=TODAY + datetime.timedelta(1))

    assert excinfo.value.field == "delivered_on"
    milestone.refresh_from_db()
    assert milestone.status == "in_progress"


def test_board_page_csv_and_pdf_count_days_late_to_the_delivery(board_client, reviewed_late, officer):
    _accept_all(reviewed_late, officer)
    project = reviewed_late.project

    (row,) = project_reports([project], on=TODAY)[0].rows
    page = board_client.get(reverse("boards:project_detail", args=[project.pk]))
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                board_client.get(reverse("boards:project_milestones_csv", args=[project.pk])).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    pdf = "\n".join(pdf_pages(milestone_report_pdf(project, on=TODAY)))

    assert row.days_late == 2
    assert page.context["board"].page.rows[0].days_late == 2  # the page lists its milestones a page at a time
    assert (csv_rows[0]["Delivered on"], csv_rows[0]["Achieved on"], csv_rows[0]["Days late"]) == (
        days_ago(8).isoformat(),
        TODAY.isoformat(),
        "2",
    )
    assert "Delivered" in pdf and format_date(days_ago(8)) in pdf


def test_the_api_shows_the_delivery_and_days_late(reviewed_late, officer, client):
    _accept_all(reviewed_late, officer)
    client.force_login(officer)

    detail = client.get(f"/api/v1/milestones/{reviewed_late.pk}/").json()
    listed = client.get("/api/v1/milestones/").json()["results"]

    expected = {"delivered_on": days_ago(8).isoformat(), "achieved_date": TODAY.isoformat(), "days_late": 2}
    assert {key: detail[key] for key in expected} == expected
    assert {key: listed[0][key] for key in expected} == expected
    assert detail["days_overdue"] == 0  # no longer open


def test_the_database_refuses_a_delivery_after_acceptance_or_an_achievement_without_one():
    milestone = MilestoneFactory(achieved=True)

    for bad in ({"delivered_on": milestone.achieved_date + datetime.timedelta(days=1)}, {"delivered_on": None}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Milestone.objects.filter(pk=milestone.pk).update(**bad)
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneFactory(delivered_on=TODAY)  # open, yet delivered
