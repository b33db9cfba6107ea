"""The overall red / amber / green status of a project, and the timeline's calendar: what a board reads first."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.factories import MilestoneFactory, ProjectFactory
from projects.reports.timeline import milestone_timeline, planned_vs_achieved
from projects.selectors import board_list, project_report
from projects.status import ScheduleFacts, project_status


def facts(**values) -> ScheduleFacts:
    defaults = {
        "milestones": 10,
        "achieved": 3,
        "overdue": 0,
        "oldest_overdue_days": 0,
        "missed": 0,
        "due_soon": 0,
        "slipped": 0,
        "payments": Decimal("1000"),
        "certified": Decimal("620"),
    }
    return ScheduleFacts(**{**defaults, **values})


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ({"overdue": 3, "oldest_overdue_days": 45}, "Red: 3 milestones overdue, the oldest 45 days"),
        ({"overdue": 1, "oldest_overdue_days": 1}, "Red: 1 milestone overdue by 1 day"),
        ({"missed": 2}, "Red: 2 milestones missed"),
        (
            {"overdue": 2, "oldest_overdue_days": 9, "missed": 1, "due_soon": 4},
            "Red: 2 milestones overdue, the oldest 9 days, 1 milestone missed",
        ),
        ({"due_soon": 2}, "Amber: 2 due within 14 days"),
        ({"slipped": 1}, "Amber: 1 slipped past its baseline"),
        ({"due_soon": 1, "slipped": 3}, "Amber: 1 due within 14 days, 3 slipped past their baselines"),
        ({}, "Green: on schedule, 62 % of payments certified"),
        (
            {"achieved": 10, "certified": Decimal("1000")},
            "Green: all 10 milestones achieved, 100 % of payments certified",
        ),
        ({"payments": Decimal("0"), "certified": Decimal("0")}, "Green: on schedule, 3 of 10 milestones achieved"),
        ({"milestones": 0, "achieved": 0, "payments": Decimal("0")}, "Green: no milestones planned yet"),
    ],
)
def test_the_rule_red_before_amber_before_green_with_a_one_line_reason(values, line):
    assert project_status(facts(**values)).line == line


@pytest.mark.django_db
def test_the_board_list_and_the_report_agree_on_every_projects_status(board_member):
    today = timezone.localdate()
    late = ProjectFactory(code="PRJ-A", board_members=[board_member])
    MilestoneFactory(project=late, overdue_days=30)
    MilestoneFactory(project=late, overdue_days=4, status="in_progress")
    MilestoneFactory(project=late, overdue_days=10, status="missed")
    MilestoneFactory(project=late, overdue_days=50, status="cancelled")
    soon = ProjectFactory(code="PRJ-B", board_members=[board_member])
    MilestoneFactory(project=soon, due_date=today)  # due today: not late, due soon
    slipped = ProjectFactory(code="PRJ-C", board_members=[board_member])
    MilestoneFactory(
        project=slipped, baseline_due_date=today + datetime.timedelta(days=30), due_date=today + datetime.timedelta(90)
    )
    fine = ProjectFactory(code="PRJ-D", board_members=[board_member])
    MilestoneFactory(project=fine, achieved=True, overdue_days=5)
    MilestoneFactory(project=fine, due_date=today + datetime.timedelta(days=60))

    board = board_list(board_member, on=today)

    from_list = {row.project.code: row.status.line for row in board.rows}
    from_reports = {row.project.code: project_report(row.project, on=today).status.line for row in board.rows}
    assert (
        from_list
        == from_reports
        == {
            "PRJ-A": "Red: 2 milestones overdue, the oldest 30 days, 1 milestone missed",
            "PRJ-B": "Amber: 1 due within 14 days",
            "PRJ-C": "Amber: 1 slipped past its baseline",
            "PRJ-D": "Green: on schedule, 0 % of payments certified",
        }
    )
    assert board.statuses == {"red": 1, "amber": 2, "green": 1}


# --- The timeline's calendar -------------------------------------------------------------------


def rows_spanning(start: datetime.date, end: datetime.date):
    project = ProjectFactory()
    for day in (start, end):
        MilestoneFactory(project=project, due_date=day)
    return project_report(project, on=start).rows


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "labels"),
    [
        (150, ["Feb 2026", "Mar 2026", "Apr 2026", "May 2026", "Jun 2026"]),  # months
        (600, ["Q2 2026", "Q3 2026", "Q4 2026", "Q1 2027", "Q2 2027", "Q3 2027"]),  # quarters
        (1600, ["Jul 2026", "Jan 2027", "Jul 2027", "Jan 2028", "Jul 2028", "Jan 2029", "Jul 2029", "Jan 2030"]),
        (3000, ["2027", "2028", "2029", "2030", "2031", "2032", "2033", "2034"]),  # years
    ],
)
def test_timeline_ticks_fall_on_calendar_months_quarters_or_years_by_span(days, labels):
    start = datetime.date(2026, 1, 10)
    rows = rows_spanning(start, start + datetime.timedelta(days=days))

    timeline = milestone_timeline(rows, start)

    assert [label for _x, label in timeline.ticks] == labels
    assert all(0 <= x <= 1 for x, _label in timeline.ticks)


@pytest.mark.django_db
def test_the_achieved_line_stops_at_the_report_date():
    today = datetime.date(2026, 6, 15)
    project = ProjectFactory()
    MilestoneFactory(project=project, due_date=datetime.date(2026, 2, 1), achieved=True)
    MilestoneFactory(project=project, due_date=datetime.date(2026, 12, 1))

    series = planned_vs_achieved(project_report(project, on=today).rows, today)

    months = [month.strftime("%Y-%m") for month in series.months]
    assert months[0] == "2026-02" and months[-1] == "2026-12"
    achieved = dict(zip(months, series.achieved, strict=True))
    assert achieved["2026-06"] == 1  # the month of the report date still counts ...
    assert achieved["2026-07"] is None and achieved["2026-12"] is None  # ... the future is not drawn flat
    assert series.planned[-1] == 2
