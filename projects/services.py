"""Writes with rules for milestones and deliverables. Admin actions, the API and tests call these.

Each transition locks its row (``select_for_update`` inside ``transaction.atomic``), checks the
model's guard, changes state and timestamps, saves only the fields it touched and records who did
it in the change history. When a deliverable and its milestone are both locked, the deliverable is
locked first, always, so two reviewers cannot deadlock.
"""

import datetime
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext

from ppp import limits
from ppp.errors import RuleViolation, StaleVersion, StateConflict, TransitionError
from ppp.services import record_create, record_delete, record_update, save_with_author

from .evidence import remove_evidence_after_commit
from .models import (
    KPI,
    Deliverable,
    GateDecision,
    Iteration,
    KPIMeasurement,
    Milestone,
    PerformanceFailure,
    Project,
    Risk,
)
from .validators import validate_evidence_file


def _save(instance, by, fields):
    save_with_author(instance, by, [*fields, "updated_at"])
    return instance


# --- Amendments of the agreement (procurement calls these through its AmendmentParticipant hook) ----------


class MilestonesUnderAmendment:
    """What an agreement amendment means for its projects' milestones (registered in ``ProjectsConfig.ready``)."""

    def check(self, agreement, *, leaving_vendors) -> None:
        if (
            leaving_vendors
            and Milestone.objects.open()
            .filter(project__agreement=agreement, responsible_vendor__in=leaving_vendors)
            .exists()
        ):
            raise RuleViolation(
                gettext(
                    "A party that leaves the agreement is still responsible for open milestones; reassign them first."
                ),
                field="share_changes",
            )

    def apply(self, amendment, agreement, *, by) -> None:
        if amendment.rebaseline_milestones and amendment.new_end_date:
            milestones_rebaseline(agreement_id=agreement.pk, shift=amendment.end_date_shift, by=by)


milestones_under_amendment = MilestonesUnderAmendment()


@transaction.atomic
def milestones_rebaseline(*, agreement_id: int, shift: datetime.timedelta, by) -> int:
    """Move every open milestone of the agreement's projects by ``shift``; returns how many moved.

    The baseline (first plan) stays, so the slip against it shows in the admin and the board report.
    """
    milestones = Milestone.objects.open().select_for_update().filter(project__agreement_id=agreement_id)
    moved = 0
    for milestone in milestones:
        milestone.due_date += shift
        _save(milestone, by, ["due_date"])
        moved += 1
    return moved


# --- Milestones ------------------------------------------------------------------------------


def _milestone_move(
    milestone: Milestone, target: str, by, *, reason: str = "", delivered_on: datetime.date | None = None
) -> Milestone:
    """Move an already locked milestone; the caller holds the row lock.

    Achieving it records today as the acceptance day (``achieved_date``) and ``delivered_on`` (default: today)
    as the vendor's delivery, by which lateness is judged.
    """
    if not milestone.can_move_to(target):
        raise TransitionError(milestone, milestone.status, target, reason)
    milestone.status = target
    fields = ["status"]
    if target == Milestone.Status.ACHIEVED:
        milestone.achieved_date = timezone.localdate()
        milestone.delivered_on = min(delivered_on or milestone.achieved_date, milestone.achieved_date)
        fields += ["achieved_date", "delivered_on"]
    return _save(milestone, by, fields)


def _last_submission_day(milestone: Milestone) -> datetime.date | None:
    """The day (agency time) the milestone's last deliverable was submitted: when the vendor delivered."""
    last = milestone.deliverables.aggregate(last=Max("submitted_at"))["last"]
    return timezone.localdate(last) if last else None


@transaction.atomic
def milestone_start(*, milestone_id: int, by) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    return _milestone_move(milestone, Milestone.Status.IN_PROGRESS, by)


@transaction.atomic
def milestone_achieve(*, milestone_id: int, by, delivered_on: datetime.date | None = None) -> Milestone:
    """Mark a milestone achieved by hand; refused while any of its deliverables is not accepted.

    ``delivered_on`` is the day the vendor delivered (by which lateness is judged); without it, the day its last
    deliverable was submitted, or today when it has none.
    """
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    open_count = milestone.deliverables.open().count()
    if open_count:
        raise TransitionError(
            milestone,
            milestone.status,
            Milestone.Status.ACHIEVED,
            f"{open_count} deliverable(s) not yet accepted",
        )
    today = timezone.localdate()
    if delivered_on is not None and delivered_on > today:
        raise RuleViolation(
            gettext(
                "The delivery date {delivered_on} is in the future; a milestone is achieved once delivered."
            ).format(delivered_on=delivered_on),
            field="delivered_on",
        )
    delivered_on = delivered_on or _last_submission_day(milestone) or today
    return _milestone_move(milestone, Milestone.Status.ACHIEVED, by, delivered_on=delivered_on)


@transaction.atomic
def milestone_miss(*, milestone_id: int, by) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    return _milestone_move(milestone, Milestone.Status.MISSED, by)


@transaction.atomic
def milestone_cancel(*, milestone_id: int, by) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    return _milestone_move(milestone, Milestone.Status.CANCELLED, by)


@transaction.atomic
def milestone_reschedule(*, milestone_id: int, due_date: datetime.date, by) -> Milestone:
    """Move an open milestone's due date; its baseline (the first plan) stays as it was."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    if not milestone.is_open:
        raise RuleViolation(
            gettext("Milestone '{milestone}' is {status}; only open milestones move.").format(
                milestone=milestone, status=milestone.get_status_display().lower()
            ),
            field="due_date",
        )
    milestone.due_date = due_date
    return _save(milestone, by, ["due_date"])


# --- Deliverables ----------------------------------------------------------------------------


def _lock_deliverable(deliverable_id: int, expected_version: int | None = None) -> Deliverable:
    """Lock a deliverable for a write; call inside ``transaction.atomic``.

    With ``expected_version`` (the version the caller last read), a conditional
    ``UPDATE … WHERE version = v`` takes the write lock and checks the version in one statement, so of two
    writers holding the same version exactly one goes on, on PostgreSQL and SQLite alike; the other gets
    StaleVersion and nothing changes.
    """
    if expected_version is not None:
        matched = Deliverable.objects.filter(pk=deliverable_id, version=expected_version).update(version=F("version"))
        if not matched:
            current = Deliverable.objects.get(pk=deliverable_id)  # DoesNotExist when it is gone
            raise StaleVersion(current, expected_version, current.version)
    return Deliverable.objects.select_for_update().get(pk=deliverable_id)


def _deliverable_move(deliverable: Deliverable, target: str, by, fields=(), *, reason: str = ""):
    if not deliverable.can_move_to(target):
        raise TransitionError(deliverable, deliverable.status, target, reason)
    deliverable.status = target
    # The row is locked, so a plain increment is safe (and the history row gets a real number).
    deliverable.version += 1
    return _save(deliverable, by, ["status", "version", *fields])


@transaction.atomic
def deliverable_start(*, deliverable_id: int, by, expected_version: int | None = None) -> Deliverable:
    """Start (or, after a rejection, resume) work; a planned milestone becomes in progress with it."""
    deliverable = _lock_deliverable(deliverable_id, expected_version)
    _deliverable_move(deliverable, Deliverable.Status.IN_PROGRESS, by)
    milestone = Milestone.objects.select_for_update().get(pk=deliverable.milestone_id)
    if milestone.status == Milestone.Status.PLANNED:
        _milestone_move(milestone, Milestone.Status.IN_PROGRESS, by)
    return deliverable


@transaction.atomic
def deliverable_submit(*, deliverable_id: int, by, expected_version: int | None = None) -> Deliverable:
    """Hand a deliverable in for review; refused without evidence (a file or a URL) to review it by."""
    deliverable = _lock_deliverable(deliverable_id, expected_version)
    if deliverable.can_move_to(Deliverable.Status.SUBMITTED) and not deliverable.has_evidence:
        # A fact about the deliverable, not about the (empty) submit request: a state conflict (409), naming what
        # to add first.
        raise StateConflict(
            gettext(
                "Deliverable '{deliverable}' has no evidence: upload a file or give an evidence URL, then submit."
            ).format(deliverable=deliverable),
            current=deliverable.status,
            field="evidence",
        )
    deliverable.submitted_at = timezone.now()
    return _deliverable_move(deliverable, Deliverable.Status.SUBMITTED, by, ["submitted_at"])


@transaction.atomic
def deliverable_accept(
    *, deliverable_id: int, reviewer, comment: str = "", expected_version: int | None = None
) -> Deliverable:
    """Accept a submitted deliverable; accepting the milestone's last open one achieves the milestone.

    Four eyes: when the milestone pays PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD or more, the first officer's
    acceptance is recorded as a first approval and the deliverable stays submitted (``awaiting_second_approval``);
    a second, different officer then accepts it. The same officer twice is refused.
    """
    limits.check_text_length(comment, limits.NOTE, field="comment")
    deliverable = _lock_deliverable(deliverable_id, expected_version)
    if not deliverable.can_move_to(Deliverable.Status.ACCEPTED):
        raise TransitionError(deliverable, deliverable.status, Deliverable.Status.ACCEPTED)
    milestone = Milestone.objects.select_for_update().get(pk=deliverable.milestone_id)
    if deliverable.first_approved_by_id is None and milestone.needs_two_approvals:
        return _record_first_approval(deliverable, reviewer, comment)
    if deliverable.first_approved_by_id is not None and deliverable.first_approved_by_id == reviewer.pk:
        raise RuleViolation(
            gettext(
                "You gave the first approval of deliverable '{deliverable}' on {localtime:%Y-%m-%d %H:%M}; a "
                "second officer must accept it (four-eyes rule for milestone payments of "
                "{PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD:,} or more)."
            ).format(
                deliverable=deliverable,
                localtime=timezone.localtime(deliverable.first_approved_at),
                PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD=settings.PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD,
            ),
            field="reviewer",
        )
    deliverable.reviewed_at = timezone.now()
    deliverable.reviewer = reviewer
    deliverable.review_comment = comment or deliverable.review_comment
    deliverable.progress = 100
    _deliverable_move(
        deliverable, Deliverable.Status.ACCEPTED, reviewer, ["reviewed_at", "reviewer", "review_comment", "progress"]
    )
    if milestone.can_move_to(Milestone.Status.ACHIEVED) and not milestone.deliverables.open().exists():
        # Delivered when the last deliverable was handed in, not today: review time is not vendor lateness.
        _milestone_move(milestone, Milestone.Status.ACHIEVED, reviewer, delivered_on=_last_submission_day(milestone))
    return deliverable


def _record_first_approval(deliverable: Deliverable, officer, comment: str) -> Deliverable:
    """The first of two acceptances: who and when; the deliverable stays submitted. Call with the row locked."""
    deliverable.first_approved_by = officer
    deliverable.first_approved_at = timezone.now()
    deliverable.review_comment = comment
    deliverable.version += 1
    return _save(deliverable, officer, ["first_approved_by", "first_approved_at", "review_comment", "version"])


@transaction.atomic
def deliverable_reject(
    *, deliverable_id: int, reviewer, comment: str, expected_version: int | None = None
) -> Deliverable:
    """Send a submitted deliverable back; the vendor must be told why."""
    if not (comment or "").strip():
        raise RuleViolation(gettext("A comment is required to reject a deliverable."), field="comment")
    limits.check_text_length(comment.strip(), limits.NOTE, field="comment")
    deliverable = _lock_deliverable(deliverable_id, expected_version)
    deliverable.reviewed_at = timezone.now()
    deliverable.reviewer = reviewer
    deliverable.review_comment = comment.strip()
    # A first approval was for the work as submitted; the reworked submission needs two approvals again.
    deliverable.first_approved_by = None
    deliverable.first_approved_at = None
    return _deliverable_move(
        deliverable,
        Deliverable.Status.REJECTED,
        reviewer,
        ["reviewed_at", "reviewer", "review_comment", "first_approved_by", "first_approved_at"],
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
    limits.check_text_length(notes.strip(), limits.DESCRIPTION, field="notes")
    limits.check_text_length(override_reason.strip(), limits.NOTE, field="override_reason")
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
    save_with_author(project, by, ["phase"])
    return decision


# What the responsible vendor reports on its own; status, review and money stay with the agency.
VENDOR_EDITABLE_FIELDS = ("progress", "description", "evidence_url", "evidence_file")
# Under review (submitted) or done (accepted), the work is frozen until the reviewer sends it back.
EDITABLE_STATUSES = (Deliverable.Status.NOT_STARTED, Deliverable.Status.IN_PROGRESS, Deliverable.Status.REJECTED)


@transaction.atomic
def deliverable_update(
    *, deliverable_id: int, by, changes: Mapping[str, object], expected_version: int | None = None
) -> Deliverable:
    """Record the vendor's progress report: any of progress, description, evidence URL and evidence file.

    Saves only the fields in ``changes`` (so two reports touching different fields both survive) and
    bumps the version. Raises RuleViolation naming the field for a bad value, StateConflict once submitted.
    """
    unknown = sorted(set(changes) - set(VENDOR_EDITABLE_FIELDS))
    if unknown:
        raise RuleViolation(
            gettext("'{unknown}' is not something a vendor reports.").format(unknown=unknown[0]), field=unknown[0]
        )
    deliverable = _lock_deliverable(deliverable_id, expected_version)
    if deliverable.status not in EDITABLE_STATUSES:
        raise StateConflict(
            gettext(
                "Deliverable '{deliverable}' is {status}; it can be changed only before submission or after a "
                "rejection."
            ).format(deliverable=deliverable, status=deliverable.get_status_display().lower()),
            current=deliverable.status,
        )
    if not changes:
        return deliverable  # nothing reported: no new version, no history row
    previous_file = deliverable.evidence_file.name
    for name, value in changes.items():
        if name == "evidence_file":
            validate_evidence_file(value)
        else:
            try:
                value = Deliverable._meta.get_field(name).clean(value, deliverable)
            except ValidationError as exc:
                raise RuleViolation(" ".join(exc.messages), field=name) from exc
        setattr(deliverable, name, value)
    deliverable.version += 1
    _save(deliverable, by, [*changes, "version"])
    if "evidence_file" in changes and previous_file != deliverable.evidence_file.name:
        remove_evidence_after_commit(previous_file)  # the replaced file; kept if this transaction rolls back
    return deliverable


# --- Records officers keep in the admin: create / update / delete, each through the models' lock tables ------------
# ``data`` and ``changes`` map field names to values (a related row or its id). Each update locks the row, refuses a
# change to a locked field (``Model.locked_fields()``), runs the model's guards and records ``by`` in the history.


def project_create(*, by, data) -> Project:
    """A new project starts in the pilot phase; it moves on only through ``project_change_phase``."""
    return record_create(Project, by=by, data=data)


def project_update(*, project_id: int, by, changes) -> Project:
    return record_update(Project, pk=project_id, by=by, changes=changes)


def project_delete(*, project_id: int, by) -> Project:
    return record_delete(Project, pk=project_id, by=by)


def iteration_create(*, by, data) -> Iteration:
    return record_create(Iteration, by=by, data=data)


def iteration_update(*, iteration_id: int, by, changes) -> Iteration:
    return record_update(Iteration, pk=iteration_id, by=by, changes=changes)


def iteration_delete(*, iteration_id: int, by) -> Iteration:
    return record_delete(Iteration, pk=iteration_id, by=by)


def milestone_create(*, by, data) -> Milestone:
    """A new milestone is planned; its first due date becomes its baseline."""
    return record_create(Milestone, by=by, data=data)


@transaction.atomic
def milestone_update(*, milestone_id: int, by, changes: Mapping[str, object]) -> Milestone:
    """Edit a milestone within its lock table; a new due date goes through ``milestone_reschedule``."""
    changes = dict(changes)
    due_date = changes.pop("due_date", None)
    if due_date is not None and due_date != Milestone.objects.values_list("due_date", flat=True).get(pk=milestone_id):
        milestone_reschedule(milestone_id=milestone_id, due_date=due_date, by=by)
    return record_update(Milestone, pk=milestone_id, by=by, changes=changes)


def milestone_delete(*, milestone_id: int, by) -> Milestone:
    return record_delete(Milestone, pk=milestone_id, by=by)


def deliverable_create(*, by, data) -> Deliverable:
    if data.get("evidence_file"):
        validate_evidence_file(data["evidence_file"])
    return record_create(Deliverable, by=by, data=data)


def deliverable_edit(
    *, deliverable_id: int, by, changes: Mapping[str, object], expected_version: int | None = None
) -> Deliverable:
    """An officer's edit of a deliverable (the vendor's report is ``deliverable_update``).

    Bumps the version, so a vendor still holding the old ETag gets 412 instead of overwriting the edit; with
    ``expected_version`` the officer's own stale copy is refused the same way (StaleVersion).
    """
    if "evidence_file" not in changes:
        return record_update(Deliverable, pk=deliverable_id, by=by, changes=changes, expected_version=expected_version)
    if changes["evidence_file"]:
        validate_evidence_file(changes["evidence_file"])
    with transaction.atomic():
        previous_file = Deliverable.objects.values_list("evidence_file", flat=True).get(pk=deliverable_id)
        deliverable = record_update(
            Deliverable, pk=deliverable_id, by=by, changes=changes, expected_version=expected_version
        )
        if previous_file != deliverable.evidence_file.name:
            remove_evidence_after_commit(previous_file)  # replaced or cleared by the officer
    return deliverable


def deliverable_delete(*, deliverable_id: int, by) -> Deliverable:
    return record_delete(Deliverable, pk=deliverable_id, by=by)


def risk_create(*, by, data) -> Risk:
    return record_create(Risk, by=by, data=data)


def risk_update(*, risk_id: int, by, changes) -> Risk:
    return record_update(Risk, pk=risk_id, by=by, changes=changes)


def kpi_create(*, by, data) -> KPI:
    return record_create(KPI, by=by, data=data)


def kpi_update(*, kpi_id: int, by, changes) -> KPI:
    return record_update(KPI, pk=kpi_id, by=by, changes=changes)


def kpi_delete(*, kpi_id: int, by) -> KPI:
    return record_delete(KPI, pk=kpi_id, by=by)


def kpi_measurement_create(*, by, data) -> KPIMeasurement:
    return record_create(KPIMeasurement, by=by, data=data)


def kpi_measurement_update(*, kpi_measurement_id: int, by, changes) -> KPIMeasurement:
    return record_update(KPIMeasurement, pk=kpi_measurement_id, by=by, changes=changes)


def kpi_measurement_delete(*, kpi_measurement_id: int, by) -> KPIMeasurement:
    return record_delete(KPIMeasurement, pk=kpi_measurement_id, by=by)


def performance_failure_create(*, by, data) -> PerformanceFailure:
    return record_create(PerformanceFailure, by=by, data={**data, "recorded_by": by})


def performance_failure_update(*, performance_failure_id: int, by, changes) -> PerformanceFailure:
    return record_update(PerformanceFailure, pk=performance_failure_id, by=by, changes=changes)
