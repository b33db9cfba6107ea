"""Writes with rules for milestones and deliverables. Admin actions, the API and tests call these.

Each transition locks its row (``select_for_update`` inside ``transaction.atomic``), checks the
model's guard, changes state and timestamps, saves only the fields it touched and records who did
it in the change history. When a deliverable and its milestone are both locked, the deliverable is
locked first, always, so two reviewers cannot deadlock.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from ppp.errors import RuleViolation, TransitionError

from .models import Deliverable, GateDecision, Milestone, Project


def _save(instance, by, fields):
    instance._history_user = by
    instance.save(update_fields=[*fields, "updated_at"])
    return instance


# --- Milestones ------------------------------------------------------------------------------


def _milestone_move(milestone: Milestone, target: str, by, *, reason: str = "") -> Milestone:
    """Move an already locked milestone; the caller holds the row lock."""
    if not milestone.can_move_to(target):
        raise TransitionError(milestone, milestone.status, target, reason)
    milestone.status = target
    fields = ["status"]
    if target == Milestone.Status.ACHIEVED:
        milestone.achieved_date = timezone.localdate()
        fields.append("achieved_date")
    return _save(milestone, by, fields)


@transaction.atomic
def milestone_start(*, milestone_id: int, by=None) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    return _milestone_move(milestone, Milestone.Status.IN_PROGRESS, by)


@transaction.atomic
def milestone_achieve(*, milestone_id: int, by=None) -> Milestone:
    """Mark a milestone achieved by hand; refused while any of its deliverables is not accepted."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    open_count = milestone.deliverables.open().count()
    if open_count:
        raise TransitionError(
            milestone,
            milestone.status,
            Milestone.Status.ACHIEVED,
            f"{open_count} deliverable(s) not yet accepted",
        )
    return _milestone_move(milestone, Milestone.Status.ACHIEVED, by)


@transaction.atomic
def milestone_miss(*, milestone_id: int, by=None) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    return _milestone_move(milestone, Milestone.Status.MISSED, by)


@transaction.atomic
def milestone_cancel(*, milestone_id: int, by=None) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    return _milestone_move(milestone, Milestone.Status.CANCELLED, by)


@transaction.atomic
def milestone_reschedule(*, milestone_id: int, due_date: datetime.date, by=None) -> Milestone:
    """Move an open milestone's due date; its baseline (the first plan) stays as it was."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    if not milestone.is_open:
        raise RuleViolation(
            f"Milestone '{milestone}' is {milestone.get_status_display().lower()}; only open milestones move.",
            field="due_date",
        )
    milestone.due_date = due_date
    return _save(milestone, by, ["due_date"])


# --- Deliverables ----------------------------------------------------------------------------


def _deliverable_move(deliverable: Deliverable, target: str, by, fields=(), *, reason: str = ""):
    if not deliverable.can_move_to(target):
        raise TransitionError(deliverable, deliverable.status, target, reason)
    deliverable.status = target
    # The row is locked, so a plain increment is safe (and the history row gets a real number).
    deliverable.version += 1
    return _save(deliverable, by, ["status", "version", *fields])


@transaction.atomic
def deliverable_start(*, deliverable_id: int, by=None) -> Deliverable:
    """Start (or, after a rejection, resume) work; a planned milestone becomes in progress with it."""
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable_id)
    _deliverable_move(deliverable, Deliverable.Status.IN_PROGRESS, by)
    milestone = Milestone.objects.select_for_update().get(pk=deliverable.milestone_id)
    if milestone.status == Milestone.Status.PLANNED:
        _milestone_move(milestone, Milestone.Status.IN_PROGRESS, by)
    return deliverable


@transaction.atomic
def deliverable_submit(*, deliverable_id: int, by=None) -> Deliverable:
    """Hand a deliverable in for review."""
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable_id)
    deliverable.submitted_at = timezone.now()
    return _deliverable_move(deliverable, Deliverable.Status.SUBMITTED, by, ["submitted_at"])


@transaction.atomic
def deliverable_accept(*, deliverable_id: int, reviewer, comment: str = "") -> Deliverable:
    """Accept a submitted deliverable; accepting the milestone's last open one achieves the milestone."""
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable_id)
    deliverable.reviewed_at = timezone.now()
    deliverable.reviewer = reviewer
    deliverable.review_comment = comment
    deliverable.progress = 100
    _deliverable_move(
        deliverable, Deliverable.Status.ACCEPTED, reviewer, ["reviewed_at", "reviewer", "review_comment", "progress"]
    )
    milestone = Milestone.objects.select_for_update().get(pk=deliverable.milestone_id)
    if milestone.can_move_to(Milestone.Status.ACHIEVED) and not milestone.deliverables.open().exists():
        _milestone_move(milestone, Milestone.Status.ACHIEVED, reviewer)
    return deliverable


@transaction.atomic
def deliverable_reject(*, deliverable_id: int, reviewer, comment: str) -> Deliverable:
    """Send a submitted deliverable back; the vendor must be told why."""
    if not (comment or "").strip():
        raise RuleViolation("A comment is required to reject a deliverable.", field="comment")
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable_id)
    deliverable.reviewed_at = timezone.now()
    deliverable.reviewer = reviewer
    deliverable.review_comment = comment.strip()
    return _deliverable_move(
        deliverable, Deliverable.Status.REJECTED, reviewer, ["reviewed_at", "reviewer", "review_comment"]
    )


# --- Phase gates -----------------------------------------------------------------------------


def phase_gate_blocker(
    project: Project, to_phase: str, *, criteria_met: bool, override_reason: str = "", on: datetime.date | None = None
) -> str | None:
    """Why ``project`` may not pass into ``to_phase`` with this decision, or None when it may.

    A gate whose criteria are not met, or entry to rollout while a milestone is overdue, needs an explicit
    override with a reason. Shared by the service and the admin form.
    """
    if not project.can_enter(to_phase):
        return f"a {project.get_phase_display().lower()} project cannot move to {Project.Phase(to_phase).label.lower()}"
    if override_reason.strip():
        return None
    if not criteria_met:
        return "the gate criteria are not met; record an override with a reason to pass anyway"
    if to_phase == Project.Phase.ROLLOUT:
        overdue = project.milestones.overdue(on=on).count()
        if overdue:
            return (
                f"{overdue} milestone(s) are overdue; clear them or record an override with a reason to enter rollout"
            )
    return None


@transaction.atomic
def project_change_phase(
    *,
    project_id: int,
    to_phase: str,
    by,
    criteria_met: bool,
    notes: str = "",
    override_reason: str = "",
    decided_on: datetime.date | None = None,
) -> GateDecision:
    """Move a project through a phase gate and record the decision (the only way a project changes phase)."""
    project = Project.objects.select_for_update().get(pk=project_id)
    decided_on = decided_on or timezone.localdate()
    blocker = phase_gate_blocker(
        project, to_phase, criteria_met=criteria_met, override_reason=override_reason, on=decided_on
    )
    if blocker:
        raise TransitionError(project, project.phase, to_phase, blocker)
    decision = GateDecision.objects.create(
        project=project,
        from_phase=project.phase,
        to_phase=to_phase,
        decided_on=decided_on,
        decided_by=by,
        criteria_met=criteria_met,
        notes=notes.strip(),
        override_reason=override_reason.strip(),
        overdue_milestones_at_decision=project.milestones.overdue(on=decided_on).count(),
    )
    project.phase = to_phase
    project._history_user = by
    project.save(update_fields=["phase"])
    return decision
