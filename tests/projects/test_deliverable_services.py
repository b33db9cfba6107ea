import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ppp.errors import RuleViolation, StateConflict, TransitionError
from projects import services
from projects.factories import DeliverableFactory, MilestoneFactory
from projects.models import Deliverable, Milestone

pytestmark = pytest.mark.django_db

D = Deliverable.Status
LEGAL = {
    (D.NOT_STARTED, D.IN_PROGRESS): "start",
    (D.REJECTED, D.IN_PROGRESS): "start",
    (D.IN_PROGRESS, D.SUBMITTED): "submit",
    (D.SUBMITTED, D.ACCEPTED): "accept",
    (D.SUBMITTED, D.REJECTED): "reject",
}
ACTIONS = {
    "start": lambda d, user: services.deliverable_start(deliverable_id=d.pk, by=user),
    "submit": lambda d, user: services.deliverable_submit(deliverable_id=d.pk, by=user),
    "accept": lambda d, user: services.deliverable_accept(deliverable_id=d.pk, reviewer=user),
    "reject": lambda d, user: services.deliverable_reject(deliverable_id=d.pk, reviewer=user, comment="Fix page 3"),
}
TARGET = {"start": D.IN_PROGRESS, "submit": D.SUBMITTED, "accept": D.ACCEPTED, "reject": D.REJECTED}


def _in_state(status, **kwargs):
    kwargs.setdefault("with_evidence", True)
    if status in (D.SUBMITTED, D.ACCEPTED, D.REJECTED):
        kwargs.setdefault("submitted", True)
    deliverable = DeliverableFactory(**kwargs)
    if status in (D.ACCEPTED, D.REJECTED):
        from django.utils import timezone

        deliverable.reviewed_at = timezone.now()
    deliverable.status = status
    deliverable.save()
    return deliverable


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_deliverable_transitions(current, target, officer):
    deliverable = _in_state(current)
    # A second open deliverable keeps the milestone open, so only the deliverable is under test here.
    DeliverableFactory(milestone=deliverable.milestone)

    ACTIONS[LEGAL[(current, target)]](deliverable, officer)

    deliverable.refresh_from_db()
    assert deliverable.status == target
    assert deliverable.version == 2
    assert deliverable.history.first().history_user == officer


ILLEGAL = [(current, action) for current in D for action in ACTIONS if (current, TARGET[action]) not in LEGAL]


@pytest.mark.parametrize(("current", "action"), ILLEGAL)
def test_illegal_deliverable_transitions_are_refused(current, action, officer):
    deliverable = _in_state(current)

    with pytest.raises(TransitionError) as excinfo:
        ACTIONS[action](deliverable, officer)

    assert f"from '{current}' to '{TARGET[action]}'" in str(excinfo.value)
    deliverable.refresh_from_db()
    assert deliverable.status == current and deliverable.version == 1


def test_starting_work_starts_a_planned_milestone(officer):
    deliverable = DeliverableFactory()

    services.deliverable_start(deliverable_id=deliverable.pk, by=officer)

    deliverable.milestone.refresh_from_db()
    assert deliverable.milestone.status == Milestone.Status.IN_PROGRESS


def test_accepting_the_last_open_deliverable_achieves_the_milestone(officer):
    milestone = MilestoneFactory(status="in_progress")
    first = DeliverableFactory(milestone=milestone, submitted=True)
    second = DeliverableFactory(milestone=milestone, submitted=True)

    services.deliverable_accept(deliverable_id=first.pk, reviewer=officer)
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.IN_PROGRESS

    services.deliverable_accept(deliverable_id=second.pk, reviewer=officer, comment="Good work")
    milestone.refresh_from_db()
    second.refresh_from_db()
    assert milestone.status == Milestone.Status.ACHIEVED and milestone.achieved_date is not None
    assert second.reviewer == officer and second.review_comment == "Good work" and second.progress == 100


def test_rejection_needs_a_comment_and_rework_reopens(officer):
    deliverable = DeliverableFactory(submitted=True)

    with pytest.raises(RuleViolation, match="comment") as excinfo:
        services.deliverable_reject(deliverable_id=deliverable.pk, reviewer=officer, comment="  ")
    assert excinfo.value.field == "comment"

    services.deliverable_reject(deliverable_id=deliverable.pk, reviewer=officer, comment="Missing annex")
    services.deliverable_start(deliverable_id=deliverable.pk, by=officer)
    deliverable.refresh_from_db()
    assert deliverable.status == D.IN_PROGRESS and deliverable.review_comment == "Missing annex"


def test_submission_records_its_time(officer):
    deliverable = DeliverableFactory(status="in_progress", with_evidence=True)

    services.deliverable_submit(by=officer, deliverable_id=deliverable.pk)

    deliverable.refresh_from_db()
    assert deliverable.submitted_at is not None


def test_submission_without_evidence_is_refused_and_changes_nothing(officer):
    deliverable = DeliverableFactory(status="in_progress", title="Pilot report")

    with pytest.raises(StateConflict) as excinfo:
        services.deliverable_submit(deliverable_id=deliverable.pk, by=officer)

    assert excinfo.value.field == "evidence"
    assert excinfo.value.message == (
        "Deliverable 'Pilot report' has no evidence: upload a file or give an evidence URL, then submit."
    )
    deliverable.refresh_from_db()
    assert (deliverable.status, deliverable.submitted_at, deliverable.version) == (D.IN_PROGRESS, None, 1)


@pytest.mark.parametrize(
    "evidence",
    [
        {"evidence_url": "https://files.example.com/pilot-report.pdf"},
        {"evidence_file": SimpleUploadedFile("pilot-report.pdf", b"%PDF-1.4 report")},
    ],
    ids=["url", "file"],
)
def test_a_file_or_a_url_is_enough_evidence_to_submit(evidence, officer):
    deliverable = DeliverableFactory(status="in_progress")
    services.deliverable_update(deliverable_id=deliverable.pk, by=officer, changes=evidence)

    services.deliverable_submit(deliverable_id=deliverable.pk, by=officer)

    deliverable.refresh_from_db()
    assert deliverable.status == D.SUBMITTED


def test_a_wrong_state_is_reported_before_missing_evidence(officer):
    deliverable = DeliverableFactory(status="not_started")

    with pytest.raises(TransitionError, match="from 'not_started' to 'submitted'"):
        services.deliverable_submit(deliverable_id=deliverable.pk, by=officer)
