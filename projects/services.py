"""Writes with rules for milestones and deliverables. Admin actions, the API and tests call these.

Each transition locks its row (``select_for_update`` inside ``transaction.atomic``), checks the
model's guard, changes state and timestamps, saves only the fields it touched and records who did
it in the change history. When a deliverable and its milestone are both locked, the deliverable is
locked first, always, so two reviewers cannot deadlock.
"""

import datetime
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext

from ppp import events, limits
from ppp.errors import RuleViolation, StaleVersion, StateConflict, TransitionError, full_clean_or_raise
from ppp.formatting import format_date
from ppp.services import record_create, record_delete, record_update, save_with_author

from .alerts import alerts_skip_old_cycles
from .evidence import remove_evidence_after_commit
from .models import (
    KPI,
    Deliverable,
    GateCheck,
    GateCriterion,
    GateDecision,
    Iteration,
    KPIMeasurement,
    Milestone,
    Notification,
    PerformanceFailure,
    PerformanceFailureDispute,
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
    moved = []
    for milestone in milestones:
        milestone.due_date += shift
        _save(milestone, by, ["due_date"])
        moved.append(milestone.pk)
    # New due dates, new alert cycles: what the old dates raised and never sent would now be wrong.
    alerts_skip_old_cycles(milestone_ids=moved)
    return len(moved)


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
    moved = milestone.due_date != due_date
    milestone.due_date = due_date
    _save(milestone, by, ["due_date"])
    if moved:
        # A new due date is a new alert cycle: its levels fire again; the old date's unsent alerts never go out.
        alerts_skip_old_cycles(milestone_ids=[milestone.pk])
    return milestone


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
    _publish_review("deliverable.accepted", deliverable, milestone_status=milestone.status)
    return deliverable


def _publish_review(name: str, deliverable: Deliverable, **extra) -> None:
    """Tell the responsible vendor (webhooks) how its deliverable was reviewed; sent once the review commits."""
    events.publish(
        name,
        vendor_ids=[deliverable.responsible_vendor_id],
        payload={
            "deliverable": deliverable.pk,
            "title": deliverable.title,
            "milestone": deliverable.milestone_id,
            "status": deliverable.status,
            "version": deliverable.version,
            "reviewed_at": deliverable.reviewed_at.isoformat(),
            "comment": deliverable.review_comment,
            **extra,
        },
    )


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
    _deliverable_move(
        deliverable,
        Deliverable.Status.REJECTED,
        reviewer,
        ["reviewed_at", "reviewer", "review_comment", "first_approved_by", "first_approved_at"],
    )
    _publish_review("deliverable.rejected", deliverable)
    return deliverable


# --- Phase gates -----------------------------------------------------------------------------


def phase_gate_blocker(project: Project, to_phase: str, *, checks_met: bool, override_reason: str = "") -> str | None:
    """Why ``project`` may not pass into ``to_phase`` with this decision, or None when it may.

    A gate with an unmet check, entry to a delivery or live phase (``Project.OVERDUE_GUARDED_PHASES``) while a
    milestone is overdue today, and closing before the lifecycle's end all need a reason. Shared by the service
    and the admin form.
    """
    if not project.can_enter(to_phase):
        return gettext("a %(method)s project in %(phase)s cannot move to %(target)s") % {
            "method": project.get_delivery_method_display(),
            "phase": project.get_phase_display().lower(),
            "target": Project.Phase(to_phase).label.lower(),
        }
    if override_reason.strip():
        return None
    if Project.is_early_closure(project.delivery_method, project.phase, to_phase):
        return gettext("closing before the end of the lifecycle is an early closure; give the reason")
    if not checks_met:
        return gettext("not every check of the gate is met; give a reason to pass anyway (an override)")
    if to_phase in Project.OVERDUE_GUARDED_PHASES:
        # Always today: the decision is dated when it is recorded, so no past day can hide a late milestone.
        overdue = project.milestones.overdue(on=timezone.localdate()).count()
        if overdue:
            return gettext("%(count)s milestone(s) are overdue; clear them or give a reason to enter %(target)s") % {
                "count": overdue,
                "target": Project.Phase(to_phase).label.lower(),
            }
    return None


def gate_checklist(project: Project, to_phase: str) -> list[GateCriterion]:
    """The checks a decision to move ``project`` into ``to_phase`` answers, in order."""
    return list(GateCriterion.objects.for_gate(project.delivery_method, to_phase))


def _answered_checks(criteria: list[GateCriterion], checks: Iterable[Mapping]) -> list[GateCheck]:
    """``checks`` (``{"criterion": id or GateCriterion, "met": bool, "evidence": str}``) as unsaved GateChecks,
    one per criterion of the gate: none missing, none twice, none from another gate."""
    by_id = {criterion.pk: criterion for criterion in criteria}
    answered: dict[int, GateCheck] = {}
    for check in checks:
        criterion_id = getattr(check["criterion"], "pk", check["criterion"])
        if criterion_id not in by_id:
            raise RuleViolation(gettext("A check is not part of this gate's checklist; reload it."), field="checks")
        if criterion_id in answered:
            raise RuleViolation(gettext("A check of the gate is answered twice."), field="checks")
        evidence = limits.check_text_length(str(check.get("evidence", "")).strip(), limits.NOTE, field="checks")
        answered[criterion_id] = GateCheck(criterion=by_id[criterion_id], met=bool(check["met"]), evidence=evidence)
    missing = [str(criterion) for pk, criterion in by_id.items() if pk not in answered]
    if missing:
        raise RuleViolation(
            gettext("Answer every check of the gate (met or not); missing: %(missing)s.")
            % {"missing": "; ".join(missing)},
            field="checks",
        )
    return [answered[criterion.pk] for criterion in criteria]


@transaction.atomic
def project_change_phase(
    *,
    project_id: int,
    to_phase: str,
    by,
    checks: Iterable[Mapping] = (),
    notes: str = "",
    override_reason: str = "",
    meeting_date: datetime.date | None = None,
) -> GateDecision:
    """Move a project through a phase gate and record the decision (the only way a project changes phase).

    ``checks`` answers every criterion of the gate's checklist. The decision is dated today, by the service:
    a board that met earlier goes in ``meeting_date``, which is for the record and changes no check.
    """
    limits.check_text_length(notes.strip(), limits.DESCRIPTION, field="notes")
    limits.check_text_length(override_reason.strip(), limits.NOTE, field="override_reason")
    today = timezone.localdate()
    if meeting_date is not None and meeting_date > today:
        raise RuleViolation(gettext("The board cannot have met after today."), field="meeting_date")
    project = Project.objects.select_for_update().get(pk=project_id)
    if to_phase not in Project.Phase.values:
        raise RuleViolation(gettext("'%(phase)s' is not a phase.") % {"phase": to_phase}, field="to_phase")
    if not project.can_enter(to_phase):
        # A move the lifecycle does not allow is refused as such, before its checklist is looked at.
        raise TransitionError(project, project.phase, to_phase, phase_gate_blocker(project, to_phase, checks_met=True))
    answered = _answered_checks(gate_checklist(project, to_phase), checks)
    checks_met = all(check.met for check in answered)
    blocker = phase_gate_blocker(project, to_phase, checks_met=checks_met, override_reason=override_reason)
    if blocker:
        raise TransitionError(project, project.phase, to_phase, blocker)
    decision = GateDecision.objects.create(
        project=project,
        from_phase=project.phase,
        to_phase=to_phase,
        decided_on=today,
        meeting_date=meeting_date,
        decided_by=by,
        criteria_met=checks_met,
        notes=notes.strip(),
        override_reason=override_reason.strip(),
        overdue_milestones_at_decision=project.milestones.overdue(on=today).count(),
    )
    for check in answered:
        check.decision = decision
    GateCheck.objects.bulk_create(answered)
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
    """A new project starts at the first phase of its delivery method (``Project.clean``); it moves on only
    through ``project_change_phase``."""
    return record_create(Project, by=by, data=data)


@transaction.atomic
def project_update(*, project_id: int, by, changes) -> Project:
    changes = dict(changes)
    method = changes.pop("delivery_method", None)
    project = record_update(Project, pk=project_id, by=by, changes=changes)
    if method is not None and method != project.delivery_method:
        _project_change_method(project, method, by)
    return project


def _project_change_method(project: Project, method: str, by) -> None:
    """Before its first gate a project may change delivery method: it restarts at the new lifecycle's first phase
    (phase and method change in one save, as the phase must always belong to the method). Call with the row locked."""
    locked = project.locked_fields()
    if "delivery_method" in locked:
        raise RuleViolation(
            gettext("The delivery method of project '%(project)s' is locked: %(reason)s.")
            % {"project": project, "reason": locked["delivery_method"]},
            field="delivery_method",
        )
    if method not in Project.DeliveryMethod.values:
        raise RuleViolation(
            gettext("'%(method)s' is not a delivery method.") % {"method": method}, field="delivery_method"
        )
    project.delivery_method = method
    project.phase = Project.first_phase(method)
    full_clean_or_raise(project)
    save_with_author(project, by, ["delivery_method", "phase"])


def project_delete(*, project_id: int, by) -> Project:
    return record_delete(Project, pk=project_id, by=by)


def gate_criterion_create(*, by, data) -> GateCriterion:
    return record_create(GateCriterion, by=by, data=data)


def gate_criterion_update(*, gate_criterion_id: int, by, changes) -> GateCriterion:
    return record_update(GateCriterion, pk=gate_criterion_id, by=by, changes=changes)


def gate_criterion_delete(*, gate_criterion_id: int, by) -> GateCriterion:
    """Only a criterion no decision answered; the others are retired (``active`` off) so the record stays whole."""
    return record_delete(GateCriterion, pk=gate_criterion_id, by=by)


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


# --- In-app notifications (each user's own; a user never touches another's) ----------------------------------


@transaction.atomic
def notification_mark_read(*, notification_id: int, by) -> Notification:
    """Mark one of ``by``'s notifications read (again is a no-op). Another user's answers DoesNotExist."""
    notification = Notification.objects.select_for_update().get(pk=notification_id, user=by)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, by, ids=None) -> int:
    """Mark every unread notification of ``by`` read, or only those of ``ids`` (a selection); returns how many.
    One UPDATE, whatever the number; another user's ids are simply not matched."""
    unread = Notification.objects.filter(user=by).unread()
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


# --- Disputes of performance failures ---------------------------------------------------------------


def _required_text(text: str | None, *, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise RuleViolation(message, field=field)
    return limits.check_text_length(text, limits.NOTE, field=field)


@transaction.atomic
def performance_failure_dispute(*, performance_failure_id: int, vendor, by, reason: str) -> PerformanceFailureDispute:
    """The vendor charged with a failure disputes it, saying why. While the dispute is open the failure's penalty
    is not deducted on new payment certificates (``PerformanceFailure.objects.deductible``)."""
    reason = _required_text(reason, field="reason", message=gettext("Say why you dispute this failure."))
    # Locked, so two disputes sent at once cannot both pass the check (the database constraint backs it).
    failure = PerformanceFailure.objects.select_for_update().get(pk=performance_failure_id)
    if failure.vendor_id != vendor.pk:
        raise RuleViolation(gettext("Only the vendor charged with a failure may dispute it."), field=None)
    standing = failure.disputes.filter(
        status__in=[PerformanceFailureDispute.Status.OPEN, PerformanceFailureDispute.Status.UPHELD]
    ).first()
    if standing is not None:
        message = (
            gettext("This failure already has an open dispute (raised %(when)s); wait for the agency's decision.")
            if standing.is_open
            else gettext("A dispute of this failure was upheld; its penalty is already waived.")
        )
        raise StateConflict(message % {"when": format_date(standing.raised_at)}, current=standing.status)
    return save_with_author(PerformanceFailureDispute(failure=failure, vendor=vendor, reason=reason, raised_by=by), by)


def _dispute_decide(*, dispute_id: int, by, reason: str, status: str) -> PerformanceFailureDispute:
    reason = _required_text(
        reason, field="decision_reason", message=gettext("Give the reason for the decision; the vendor reads it.")
    )
    dispute = PerformanceFailureDispute.objects.select_for_update().select_related("failure").get(pk=dispute_id)
    if not dispute.is_open:
        raise StateConflict(
            gettext("The dispute is already %(status)s.") % {"status": dispute.get_status_display().lower()},
            current=dispute.status,
        )
    dispute.status = status
    dispute.decided_by = by
    dispute.decided_at = timezone.now()
    dispute.decision_reason = reason
    return save_with_author(dispute, by, ["status", "decided_by", "decided_at", "decision_reason"])


@transaction.atomic
def performance_failure_dispute_uphold(*, dispute_id: int, by, reason: str) -> PerformanceFailureDispute:
    """Agree with the vendor: the failure's penalty is waived, never deducted on a certificate from now on.
    (Amounts already deducted on earlier certificates are not refunded here; that is a separate payment.)"""
    return _dispute_decide(dispute_id=dispute_id, by=by, reason=reason, status=PerformanceFailureDispute.Status.UPHELD)


@transaction.atomic
def performance_failure_dispute_dismiss(*, dispute_id: int, by, reason: str) -> PerformanceFailureDispute:
    """Keep the failure: its penalty is deducted again from the vendor's next certificate."""
    return _dispute_decide(
        dispute_id=dispute_id, by=by, reason=reason, status=PerformanceFailureDispute.Status.DISMISSED
    )


# --- KPI self-reporting ---------------------------------------------------------------------------


@transaction.atomic
def kpi_measurement_report(
    *,
    kpi_id: int,
    vendor,
    by,
    value,
    date: datetime.date,
    period_start: datetime.date | None = None,
    note: str = "",
    evidence_file=None,
) -> KPIMeasurement:
    """A vendor reports a KPI of one of its projects. It counts (board, PDF, trends, OCDS) only once an officer
    confirms it with ``kpi_measurement_confirm``."""
    # Locked, so two reports for the same KPI and day are checked one after the other.
    kpi = KPI.objects.select_for_update().filter(pk=kpi_id).first()
    if kpi is None or not Project.objects.for_vendor(vendor).filter(pk=kpi.project_id).exists():
        raise RuleViolation(gettext("No such KPI on your projects."), field="kpi")
    if date > timezone.localdate():
        raise RuleViolation(gettext("A measurement cannot be dated in the future."), field="date")
    if period_start is not None and period_start > date:
        raise RuleViolation(gettext("The period cannot start after its last day."), field="period_start")
    if evidence_file:
        validate_evidence_file(evidence_file)
    taken = KPIMeasurement.objects.filter(kpi=kpi, date=date).exclude(status=KPIMeasurement.Status.REJECTED).first()
    if taken is not None:
        raise StateConflict(
            gettext("%(kpi)s already has a %(status)s measurement for %(date)s.")
            % {"kpi": kpi.name, "status": taken.get_status_display().lower(), "date": format_date(date)},
            current=taken.status,
            field="date",
        )
    measurement = KPIMeasurement(
        kpi=kpi,
        date=date,
        period_start=period_start,
        value=value,
        note=limits.check_text_length((note or "").strip(), 255, field="note"),
        status=KPIMeasurement.Status.REPORTED,
        reported_by_vendor=vendor,
        reported_by=by,
        reported_at=timezone.now(),
    )
    if evidence_file:
        measurement.evidence_file = evidence_file
    return save_with_author(measurement, by)


def _lock_reported(kpi_measurement_id: int) -> KPIMeasurement:
    measurement = KPIMeasurement.objects.select_for_update().select_related("kpi").get(pk=kpi_measurement_id)
    if measurement.status != KPIMeasurement.Status.REPORTED:
        raise StateConflict(
            gettext("The measurement '%(measurement)s' is %(status)s; only a reported one is confirmed or rejected.")
            % {"measurement": measurement, "status": measurement.get_status_display().lower()},
            current=measurement.status,
        )
    return measurement


@transaction.atomic
def kpi_measurement_confirm(*, kpi_measurement_id: int, by) -> KPIMeasurement:
    """An officer accepts a vendor's report: from now on it counts like the agency's own measurements."""
    measurement = _lock_reported(kpi_measurement_id)
    measurement.status = KPIMeasurement.Status.CONFIRMED
    measurement.decided_by = by
    measurement.decided_at = timezone.now()
    return save_with_author(measurement, by, ["status", "decided_by", "decided_at"])


@transaction.atomic
def kpi_measurement_reject(*, kpi_measurement_id: int, by, reason: str) -> KPIMeasurement:
    """An officer refuses a vendor's report, saying why; it stays on the record and never counts."""
    reason = _required_text(
        reason, field="reason", message=gettext("Say why the measurement is rejected; the vendor reads it.")
    )
    measurement = _lock_reported(kpi_measurement_id)
    measurement.status = KPIMeasurement.Status.REJECTED
    measurement.decided_by = by
    measurement.decided_at = timezone.now()
    measurement.rejection_reason = reason
    return save_with_author(measurement, by, ["status", "decided_by", "decided_at", "rejection_reason"])
