"""Phase gates: a project follows its delivery method's lifecycle, one gate at a time, through recorded decisions
that answer the gate's checklist and are dated when they are made."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from ppp.errors import RuleViolation, TransitionError
from projects import services
from projects.factories import GateCriterionFactory, MilestoneFactory, ProjectFactory
from projects.models import GateCheck, GateCriterion, GateDecision, Project

pytestmark = pytest.mark.django_db
P = Project.Phase
M = Project.DeliveryMethod


def answers(project, to_phase, *, unmet=()):
    """Every check of the gate's checklist answered: met, except the criteria whose text is in ``unmet``."""
    return [
        {"criterion": c, "met": c.text not in unmet, "evidence": f"Seen: {c.text}"}
        for c in services.gate_checklist(project, to_phase)
    ]


def move(project, to_phase, by, *, unmet=(), **decision):
    decision.setdefault("checks", answers(project, to_phase, unmet=unmet))
    return services.project_change_phase(project_id=project.pk, to_phase=to_phase, by=by, **decision)


# --- Lifecycles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "lifecycle"),
    [
        (M.PPP, [P.PROCUREMENT, P.FINANCIAL_CLOSE, P.CONSTRUCTION, P.COMMERCIAL_OPERATION, P.HANDBACK, P.CLOSED]),
        (M.AGILE, [P.DISCOVERY, P.ALPHA, P.BETA, P.LIVE, P.CLOSED]),
    ],
)
def test_a_project_walks_its_methods_lifecycle_gate_by_gate(officer, method, lifecycle):
    project = services.project_create(
        by=officer,
        data={
            "code": "P-1",
            "name": "Ring road",
            "agreement": ProjectFactory().agreement,
            "delivery_method": method,
            "phase": P.CLOSED,  # ignored: every project starts at the beginning of its lifecycle
            "owner": officer,
            "start_date": datetime.date(2026, 1, 1),
            "end_date": datetime.date(2030, 1, 1),
        },
    )
    assert project.phase == lifecycle[0]

    for to_phase in lifecycle[1:]:
        move(project, to_phase, officer)
        project.refresh_from_db()
        assert project.phase == to_phase

    trail = list(project.gate_decisions.order_by("id").values_list("from_phase", "to_phase"))
    assert trail == list(zip(lifecycle, lifecycle[1:], strict=False))
    assert not project.gate_decisions.filter(criteria_met=False).exists()


@pytest.mark.parametrize(
    ("method", "current", "target"),
    [
        (M.PPP, P.PROCUREMENT, P.CONSTRUCTION),  # skips financial close
        (M.PPP, P.CONSTRUCTION, P.FINANCIAL_CLOSE),  # backwards
        (M.PPP, P.CONSTRUCTION, P.BETA),  # another method's phase
        (M.AGILE, P.ALPHA, P.LIVE),
        (M.AGILE, P.BETA, P.COMMERCIAL_OPERATION),
        (M.AGILE, P.CLOSED, P.LIVE),
    ],
)
def test_phases_move_forward_one_gate_at_a_time_within_the_method(officer, method, current, target):
    project = ProjectFactory(delivery_method=method, phase=current)

    with pytest.raises(TransitionError, match=f"from '{current}' to '{target}'"):
        services.project_change_phase(project_id=project.pk, to_phase=target, by=officer, override_reason="Try")

    project.refresh_from_db()
    assert project.phase == current and not GateDecision.objects.exists()


def test_moving_phase_records_the_decision_its_checks_and_who_made_it(officer):
    project = ProjectFactory()
    checklist = services.gate_checklist(project, P.FINANCIAL_CLOSE)

    decision = move(project, P.FINANCIAL_CLOSE, officer, notes="Signed on the 3rd")

    project.refresh_from_db()
    assert project.phase == P.FINANCIAL_CLOSE
    assert (decision.from_phase, decision.to_phase, decision.decided_by) == (P.PROCUREMENT, P.FINANCIAL_CLOSE, officer)
    assert decision.criteria_met and not decision.is_override and decision.notes == "Signed on the 3rd"
    checks = list(decision.checks.order_by("criterion__position", "criterion_id"))
    assert [check.criterion for check in checks] == checklist
    assert all(check.met for check in checks) and checks[0].evidence == f"Seen: {checklist[0].text}"
    assert project.history.first().history_user == officer


def test_the_seeded_checklists_hold_real_world_criteria():
    financial_close = set(GateCriterion.objects.for_gate(M.PPP, P.CONSTRUCTION).values_list("text", flat=True))
    beta = set(GateCriterion.objects.for_gate(M.AGILE, P.BETA).values_list("text", flat=True))

    assert {"Senior debt agreements signed", "Conditions precedent satisfied", "Equity committed"} <= financial_close
    assert "Service assessment passed" in beta


# --- Checks --------------------------------------------------------------------------------------


def test_an_unmet_check_needs_an_override_reason(officer):
    project = ProjectFactory(phase=P.FINANCIAL_CLOSE)

    with pytest.raises(TransitionError, match="not every check of the gate is met"):
        move(project, P.CONSTRUCTION, officer, unmet={"Equity committed"})
    decision = move(project, P.CONSTRUCTION, officer, unmet={"Equity committed"}, override_reason="Ministerial letter")

    assert decision.is_override and not decision.criteria_met
    unmet = decision.checks.get(met=False)
    assert unmet.criterion.text == "Equity committed"


def test_every_check_must_be_answered_once_and_belong_to_the_gate(officer):
    project = ProjectFactory(phase=P.FINANCIAL_CLOSE)
    full = answers(project, P.CONSTRUCTION)
    foreign = GateCriterionFactory(delivery_method=M.AGILE, to_phase=P.BETA)

    with pytest.raises(RuleViolation, match="missing: Equity committed"):
        move(project, P.CONSTRUCTION, officer, checks=[a for a in full if a["criterion"].text != "Equity committed"])
    with pytest.raises(RuleViolation, match="answered twice"):
        move(project, P.CONSTRUCTION, officer, checks=[*full, full[0]])
    with pytest.raises(RuleViolation, match="not part of this gate"):
        move(project, P.CONSTRUCTION, officer, checks=[*full, {"criterion": foreign.pk, "met": True}])

    project.refresh_from_db()
    assert project.phase == P.FINANCIAL_CLOSE and not GateDecision.objects.exists()


def test_retired_criteria_are_no_longer_asked(officer):
    project = ProjectFactory(phase=P.FINANCIAL_CLOSE)
    retired = GateCriterion.objects.for_gate(M.PPP, P.CONSTRUCTION).first()
    retired.active = False
    retired.save()

    decision = move(project, P.CONSTRUCTION, officer)

    assert not decision.checks.filter(criterion=retired).exists()


def test_a_gate_without_criteria_passes_with_no_checks(officer):
    GateCriterion.objects.filter(delivery_method=M.AGILE, to_phase=P.ALPHA).delete()
    project = ProjectFactory(delivery_method=M.AGILE)

    decision = move(project, P.ALPHA, officer, checks=[])

    assert decision.criteria_met and not decision.checks.exists()


# --- Closing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "current"), [(M.PPP, P.CONSTRUCTION), (M.AGILE, P.DISCOVERY), (M.AGILE, P.BETA)])
def test_closing_early_needs_a_reason(officer, method, current):
    project = ProjectFactory(delivery_method=method, phase=current)

    with pytest.raises(TransitionError, match="early closure"):
        move(project, P.CLOSED, officer)
    decision = move(project, P.CLOSED, officer, override_reason="Funding withdrawn by parliament")

    assert decision.to_phase == P.CLOSED and decision.is_override


@pytest.mark.parametrize(("method", "last"), [(M.PPP, P.HANDBACK), (M.AGILE, P.LIVE)])
def test_closing_after_the_last_phase_answers_the_closure_checklist(officer, method, last):
    project = ProjectFactory(delivery_method=method, phase=last)

    decision = move(project, P.CLOSED, officer)

    assert decision.checks.count() == len(services.gate_checklist(project, P.CLOSED)) > 0
    assert not decision.is_override


# --- Overdue milestones, checked today -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "current", "target"),
    [
        (M.PPP, P.FINANCIAL_CLOSE, P.CONSTRUCTION),
        (M.PPP, P.CONSTRUCTION, P.COMMERCIAL_OPERATION),
        (M.AGILE, P.ALPHA, P.BETA),
        (M.AGILE, P.BETA, P.LIVE),
    ],
)
def test_entering_delivery_or_live_phases_is_refused_while_a_milestone_is_overdue(officer, method, current, target):
    project = ProjectFactory(delivery_method=method, phase=current)
    MilestoneFactory(project=project, due_date=timezone.localdate() - datetime.timedelta(days=1))

    with pytest.raises(TransitionError, match="1 milestone\\(s\\) are overdue"):
        move(project, target, officer)

    decision = move(project, target, officer, override_reason="Late item is a report, not the works")
    assert decision.is_override and decision.overdue_milestones_at_decision == 1


def test_overdue_milestones_do_not_block_the_financing_gates(officer):
    project = ProjectFactory()
    MilestoneFactory(project=project, due_date=timezone.localdate() - datetime.timedelta(days=3))

    assert move(project, P.FINANCIAL_CLOSE, officer).to_phase == P.FINANCIAL_CLOSE


def test_a_milestone_due_today_is_not_overdue(officer):
    project = ProjectFactory(phase=P.FINANCIAL_CLOSE)
    MilestoneFactory(project=project, due_date=timezone.localdate())

    assert move(project, P.CONSTRUCTION, officer).to_phase == P.CONSTRUCTION


def test_a_blank_reason_is_no_override(officer):
    project = ProjectFactory(phase=P.FINANCIAL_CLOSE)
    MilestoneFactory(project=project, due_date=timezone.localdate() - datetime.timedelta(days=3))

    with pytest.raises(TransitionError, match="overdue"):
        move(project, P.CONSTRUCTION, officer, override_reason="   ")


# --- Dated when made -----------------------------------------------------------------------------


def test_a_decision_is_dated_the_day_it_is_recorded_and_cannot_be_backdated(officer):
    project = ProjectFactory(phase=P.FINANCIAL_CLOSE)
    with time_machine.travel(datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC), tick=False):
        today = timezone.localdate()
        MilestoneFactory(project=project, due_date=today - datetime.timedelta(days=2))

        with pytest.raises(TypeError):
            move(project, P.CONSTRUCTION, officer, decided_on=today - datetime.timedelta(days=10))
        # The board met before the milestone fell due: recorded, but the overdue check is still made today.
        with pytest.raises(TransitionError, match="overdue"):
            move(project, P.CONSTRUCTION, officer, meeting_date=today - datetime.timedelta(days=10))
        decision = move(
            project,
            P.CONSTRUCTION,
            officer,
            meeting_date=today - datetime.timedelta(days=10),
            override_reason="Board approved before the slip",
        )

    assert decision.decided_on == datetime.date(2026, 6, 15)
    assert decision.meeting_date == datetime.date(2026, 6, 5)
    assert decision.overdue_milestones_at_decision == 1


def test_the_board_cannot_have_met_in_the_future(officer):
    project = ProjectFactory()

    with pytest.raises(RuleViolation, match="after today") as refused:
        move(project, P.FINANCIAL_CLOSE, officer, meeting_date=timezone.localdate() + datetime.timedelta(days=1))

    assert refused.value.field == "meeting_date"


def test_an_unknown_phase_is_a_clear_refusal(officer):
    project = ProjectFactory()

    with pytest.raises(RuleViolation, match="'rollout' is not a phase"):
        services.project_change_phase(project_id=project.pk, to_phase="rollout", by=officer)


# --- Delivery method -----------------------------------------------------------------------------


def test_before_its_first_gate_a_project_may_change_method_and_restarts_its_lifecycle(officer):
    project = ProjectFactory()

    services.project_update(project_id=project.pk, by=officer, changes={"delivery_method": M.AGILE, "name": "Portal"})

    project.refresh_from_db()
    assert (project.delivery_method, project.phase, project.name) == (M.AGILE, P.DISCOVERY, "Portal")
    assert project.history.first().history_user == officer


def test_past_the_first_gate_the_delivery_method_is_locked(officer):
    project = ProjectFactory()
    move(project, P.FINANCIAL_CLOSE, officer)

    with pytest.raises(RuleViolation, match="past its first gate") as refused:
        services.project_update(project_id=project.pk, by=officer, changes={"delivery_method": M.AGILE})

    assert refused.value.field == "delivery_method"
    project.refresh_from_db()
    assert (project.delivery_method, project.phase) == (M.PPP, P.FINANCIAL_CLOSE)


# --- Database guards -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "phase"), [(M.PPP, P.BETA), (M.AGILE, P.CONSTRUCTION), (M.PPP, "pilot")])
def test_the_database_refuses_a_phase_outside_the_method(method, phase):
    project = ProjectFactory(delivery_method=method)

    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(phase=phase)


def test_the_database_refuses_an_early_closure_without_a_reason_and_a_meeting_after_the_decision(officer):
    project = ProjectFactory(phase=P.CONSTRUCTION)
    base = {"project": project, "decided_by": officer, "criteria_met": True}

    with pytest.raises(IntegrityError), transaction.atomic():
        GateDecision.objects.create(from_phase=P.CONSTRUCTION, to_phase=P.CLOSED, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        GateDecision.objects.create(
            from_phase=P.CONSTRUCTION,
            to_phase=P.COMMERCIAL_OPERATION,
            meeting_date=timezone.localdate() + datetime.timedelta(days=1),
            **base,
        )
    GateDecision.objects.create(from_phase=P.HANDBACK, to_phase=P.CLOSED, **base)  # closing at the end: no reason


def test_the_database_refuses_a_check_answered_twice_and_a_criterion_gate_outside_the_method(officer):
    project = ProjectFactory()
    decision = move(project, P.FINANCIAL_CLOSE, officer)
    answered = decision.checks.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        GateCheck.objects.create(decision=decision, criterion=answered.criterion, met=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        GateCriterion.objects.create(delivery_method=M.AGILE, to_phase=P.CONSTRUCTION, text="Concrete poured")
    with pytest.raises(IntegrityError), transaction.atomic():
        GateCriterion.objects.create(delivery_method=M.PPP, to_phase=P.PROCUREMENT, text="No gate leads in here")
