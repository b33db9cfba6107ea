"""Phase gates: a project changes phase only through a recorded decision."""

import datetime

import pytest

from ppp.errors import TransitionError
from projects import services
from projects.factories import MilestoneFactory, ProjectFactory
from projects.models import GateDecision, Project

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)
P = Project.Phase


def _move(project, to_phase, by, **decision):
    decision.setdefault("criteria_met", True)
    return services.project_change_phase(project_id=project.pk, to_phase=to_phase, by=by, decided_on=TODAY, **decision)


def test_moving_phase_records_the_decision_and_who_made_it(officer):
    project = ProjectFactory()

    decision = _move(project, P.ROLLOUT, officer, notes="Service assessment passed")

    project.refresh_from_db()
    assert project.phase == P.ROLLOUT
    assert (decision.from_phase, decision.to_phase, decision.decided_by, decision.decided_on) == (
        P.PILOT,
        P.ROLLOUT,
        officer,
        TODAY,
    )
    assert decision.notes == "Service assessment passed" and not decision.is_override
    assert project.history.first().history_user == officer


@pytest.mark.parametrize(
    ("current", "target"),
    [(P.PILOT, P.OPERATION), (P.ROLLOUT, P.PILOT), (P.OPERATION, P.ROLLOUT), (P.CLOSED, P.OPERATION)],
)
def test_phases_move_forward_one_gate_at_a_time(officer, current, target):
    project = ProjectFactory(phase=current)

    with pytest.raises(TransitionError, match=f"from '{current}' to '{target}'"):
        _move(project, target, officer)

    project.refresh_from_db()
    assert project.phase == current and not GateDecision.objects.exists()


@pytest.mark.parametrize("current", [P.PILOT, P.ROLLOUT, P.OPERATION])
def test_a_project_may_close_from_any_open_phase(officer, current):
    project = ProjectFactory(phase=current)

    assert _move(project, P.CLOSED, officer).to_phase == P.CLOSED


def test_rollout_is_refused_while_a_milestone_is_overdue(officer):
    project = ProjectFactory()
    MilestoneFactory(project=project, due_date=TODAY - datetime.timedelta(days=1))

    with pytest.raises(TransitionError, match="1 milestone\\(s\\) are overdue"):
        _move(project, P.ROLLOUT, officer)

    project.refresh_from_db()
    assert project.phase == P.PILOT and not GateDecision.objects.exists()


def test_a_milestone_due_on_the_decision_day_is_not_overdue(officer):
    project = ProjectFactory()
    MilestoneFactory(project=project, due_date=TODAY)

    assert _move(project, P.ROLLOUT, officer).to_phase == P.ROLLOUT


def test_an_explicit_override_with_a_reason_enters_rollout_anyway(officer):
    project = ProjectFactory()
    MilestoneFactory(project=project, due_date=TODAY - datetime.timedelta(days=3))

    decision = _move(project, P.ROLLOUT, officer, override_reason="Late item is a report, not the service")

    project.refresh_from_db()
    assert project.phase == P.ROLLOUT
    assert decision.is_override and decision.overdue_milestones_at_decision == 1


def test_a_blank_override_reason_is_no_override(officer):
    project = ProjectFactory()
    MilestoneFactory(project=project, due_date=TODAY - datetime.timedelta(days=3))

    with pytest.raises(TransitionError, match="overdue"):
        _move(project, P.ROLLOUT, officer, override_reason="   ")


def test_overdue_milestones_do_not_block_later_gates(officer):
    project = ProjectFactory(phase=P.ROLLOUT)
    MilestoneFactory(project=project, due_date=TODAY - datetime.timedelta(days=3))

    assert _move(project, P.OPERATION, officer).to_phase == P.OPERATION


def test_unmet_criteria_need_an_override(officer):
    project = ProjectFactory()

    with pytest.raises(TransitionError, match="criteria are not met"):
        _move(project, P.ROLLOUT, officer, criteria_met=False)
    decision = _move(project, P.ROLLOUT, officer, criteria_met=False, override_reason="Ministerial direction")

    assert decision.is_override and not decision.criteria_met
