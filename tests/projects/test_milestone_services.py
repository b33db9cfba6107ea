import datetime

import pytest

from ppp.errors import RuleViolation, TransitionError
from projects import services
from projects.factories import DeliverableFactory, MilestoneFactory
from projects.models import Milestone

pytestmark = pytest.mark.django_db
M = Milestone.Status
LEGAL = {
    (M.PLANNED, M.IN_PROGRESS),
    (M.PLANNED, M.ACHIEVED),
    (M.PLANNED, M.MISSED),
    (M.PLANNED, M.CANCELLED),
    (M.IN_PROGRESS, M.ACHIEVED),
    (M.IN_PROGRESS, M.MISSED),
    (M.IN_PROGRESS, M.CANCELLED),
    (M.MISSED, M.ACHIEVED),
}
SERVICES = {
    M.IN_PROGRESS: services.milestone_start,
    M.ACHIEVED: services.milestone_achieve,
    M.MISSED: services.milestone_miss,
    M.CANCELLED: services.milestone_cancel,
}


def _milestone(status):
    return MilestoneFactory(status=status, achieved_date=datetime.date(2026, 1, 1) if status == M.ACHIEVED else None)


@pytest.mark.parametrize(("current", "target"), [(c, t) for c in M for t in SERVICES if c != t])
def test_milestone_transitions(current, target, officer):
    milestone = _milestone(current)

    if (current, target) in LEGAL:
        SERVICES[target](milestone_id=milestone.pk, by=officer)
        milestone.refresh_from_db()
        assert milestone.status == target
        assert (milestone.achieved_date is not None) == (target == M.ACHIEVED)
    else:
        with pytest.raises(TransitionError, match=f"from '{current}' to '{target}'"):
            SERVICES[target](milestone_id=milestone.pk, by=officer)


def test_milestone_with_open_deliverables_cannot_be_achieved_by_hand(officer):
    milestone = MilestoneFactory()
    DeliverableFactory(milestone=milestone, accepted=True)
    DeliverableFactory(milestone=milestone)

    with pytest.raises(TransitionError, match="1 deliverable"):
        services.milestone_achieve(by=officer, milestone_id=milestone.pk)


def test_rescheduling_keeps_the_baseline(officer):
    milestone = MilestoneFactory(due_date=datetime.date(2026, 5, 1), baseline_due_date=datetime.date(2026, 5, 1))

    services.milestone_reschedule(by=officer, milestone_id=milestone.pk, due_date=datetime.date(2026, 5, 15))

    milestone.refresh_from_db()
    assert milestone.baseline_due_date == datetime.date(2026, 5, 1)
    assert milestone.slip_days == 14


def test_closed_milestones_do_not_move(officer):
    milestone = _milestone(M.ACHIEVED)

    with pytest.raises(RuleViolation, match="achieved"):
        services.milestone_reschedule(by=officer, milestone_id=milestone.pk, due_date=datetime.date(2027, 1, 1))
