import datetime

import pytest

from projects.factories import MilestoneFactory
from projects.models import Milestone

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


def _due(days_from_today, **kwargs):
    return MilestoneFactory(due_date=TODAY + datetime.timedelta(days=days_from_today), **kwargs)


def test_overdue_starts_the_day_after_the_due_date():
    yesterday, today, tomorrow = _due(-1), _due(0), _due(1)

    overdue = set(Milestone.objects.overdue(on=TODAY))

    assert yesterday in overdue
    assert today not in overdue and tomorrow not in overdue
    assert yesterday.days_overdue(TODAY) == 1 and today.days_overdue(TODAY) == 0


@pytest.mark.parametrize("status", ["achieved", "missed", "cancelled"])
def test_closed_milestones_are_never_overdue(status):
    extra = {"achieved_date": TODAY} if status == "achieved" else {}
    milestone = _due(-30, status=status, **extra)

    assert not Milestone.objects.overdue(on=TODAY).exists()
    assert milestone.days_overdue(TODAY) == 0


def test_in_progress_milestones_can_be_overdue():
    milestone = _due(-3, status="in_progress")

    assert list(Milestone.objects.overdue(on=TODAY)) == [milestone]
    assert milestone.days_overdue(TODAY) == 3


def test_due_within_includes_today_and_the_last_day():
    inside = [_due(0), _due(7)]
    _due(8), _due(-1), _due(3, status="cancelled")

    assert set(Milestone.objects.due_within(7, on=TODAY)) == set(inside)


def test_overdue_defaults_to_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC))
    late = _due(-1)

    assert list(Milestone.objects.overdue()) == [late]
