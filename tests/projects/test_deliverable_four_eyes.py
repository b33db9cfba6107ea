"""Four eyes: a deliverable of a milestone paying the threshold or more is accepted only by two different officers."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ppp.errors import RuleViolation
from ppp.factories import OfficerFactory
from projects import services
from projects.factories import DeliverableFactory, MilestoneFactory
from projects.models import Deliverable, Milestone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD = Decimal("100000")


@pytest.fixture
def big_milestone():
    return MilestoneFactory(status="in_progress", payment_amount=Decimal("100000.00"))


@pytest.fixture
def first_officer():
    return OfficerFactory(username="olivia")


@pytest.fixture
def second_officer():
    return OfficerFactory(username="omar")


def test_the_first_acceptance_above_the_threshold_is_a_first_approval_only(big_milestone, first_officer):
    deliverable = DeliverableFactory(milestone=big_milestone, submitted=True)

    result = services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer, comment="Looks right")

    deliverable.refresh_from_db()
    assert result.awaiting_second_approval and deliverable.awaiting_second_approval
    assert deliverable.status == Deliverable.Status.SUBMITTED
    assert deliverable.first_approved_by == first_officer and deliverable.first_approved_at is not None
    assert deliverable.reviewer is None and deliverable.version == 2
    assert deliverable.history.first().history_user == first_officer
    big_milestone.refresh_from_db()
    assert big_milestone.status == Milestone.Status.IN_PROGRESS


def test_a_second_officer_accepts_and_the_milestone_is_achieved(big_milestone, first_officer, second_officer):
    deliverable = DeliverableFactory(milestone=big_milestone, submitted=True)
    services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer)

    services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=second_officer, comment="Agreed")

    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.ACCEPTED and not deliverable.awaiting_second_approval
    assert (deliverable.first_approved_by, deliverable.reviewer) == (first_officer, second_officer)
    big_milestone.refresh_from_db()
    assert big_milestone.status == Milestone.Status.ACHIEVED


def test_the_same_officer_twice_is_refused_with_a_clear_message(big_milestone, first_officer):
    deliverable = DeliverableFactory(milestone=big_milestone, submitted=True, title="Depot design")
    services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer)

    with pytest.raises(RuleViolation) as excinfo:
        services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer)

    assert excinfo.value.field == "reviewer"
    assert excinfo.value.message.startswith("You gave the first approval of deliverable 'Depot design' on ")
    assert "a second officer must accept it (four-eyes rule for milestone payments of 100,000 or more)" in (
        excinfo.value.message
    )
    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.SUBMITTED and deliverable.version == 2


def test_a_rejection_clears_the_first_approval(big_milestone, first_officer, second_officer):
    deliverable = DeliverableFactory(milestone=big_milestone, submitted=True)
    services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer)

    services.deliverable_reject(deliverable_id=deliverable.pk, reviewer=second_officer, comment="Annex missing")

    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.REJECTED
    assert (deliverable.first_approved_by, deliverable.first_approved_at) == (None, None)
    # The reworked submission needs two approvals again; the first officer may give the first of them.
    services.deliverable_start(deliverable_id=deliverable.pk, by=first_officer)
    services.deliverable_submit(deliverable_id=deliverable.pk, by=first_officer)
    services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer)
    deliverable.refresh_from_db()
    assert deliverable.awaiting_second_approval


def test_below_the_threshold_one_officer_accepts(first_officer):
    milestone = MilestoneFactory(status="in_progress", payment_amount=Decimal("99999.99"))
    deliverable = DeliverableFactory(milestone=milestone, submitted=True)

    services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer)

    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.ACCEPTED and deliverable.first_approved_by is None


def test_the_threshold_is_a_setting(settings, first_officer):
    settings.PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD = Decimal("1000")
    milestone = MilestoneFactory(status="in_progress", payment_amount=Decimal("1000.00"))
    deliverable = DeliverableFactory(milestone=milestone, submitted=True)

    services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=first_officer)

    deliverable.refresh_from_db()
    assert deliverable.awaiting_second_approval


def _accepted_with(first, reviewer):
    deliverable = DeliverableFactory(submitted=True)
    Deliverable.objects.filter(pk=deliverable.pk).update(
        status="accepted",
        reviewed_at=timezone.now(),
        reviewer=reviewer,
        first_approved_by=first,
        first_approved_at=timezone.now(),
    )


def test_the_database_refuses_an_acceptance_by_the_first_approver(first_officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        _accepted_with(first_officer, first_officer)


def test_the_database_accepts_two_distinct_approvers(first_officer, second_officer):
    _accepted_with(first_officer, second_officer)


@pytest.mark.parametrize("status", ["in_progress", "rejected"])
def test_the_database_refuses_a_first_approval_outside_review(first_officer, status):
    deliverable = DeliverableFactory(status=status, submitted_at=timezone.now(), reviewed_at=timezone.now())

    with pytest.raises(IntegrityError), transaction.atomic():
        Deliverable.objects.filter(pk=deliverable.pk).update(
            first_approved_by=first_officer, first_approved_at=timezone.now()
        )


def _accept_action(client, pks):
    changelist = reverse("admin:projects_deliverable_changelist")
    return client.post(changelist, {"action": "accept_selected", "_selected_action": pks}, follow=True)


def test_the_admin_accept_action_says_a_second_officer_is_needed(client):
    first, second = OfficerFactory(), OfficerFactory()
    milestone = MilestoneFactory(status="in_progress", payment_amount=Decimal("250000.00"))
    deliverable = DeliverableFactory(milestone=milestone, submitted=True, title="Depot design")

    client.force_login(first)
    response = _accept_action(client, [deliverable.pk])
    assert [str(m) for m in response.context["messages"]] == [
        "'Depot design': first approval recorded; needs a second officer to accept it (four-eyes rule)."
    ]
    again = _accept_action(client, [deliverable.pk])
    assert "a second officer must accept it" in " ".join(str(m) for m in again.context["messages"])
    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.SUBMITTED

    client.force_login(second)
    response = _accept_action(client, [deliverable.pk])
    assert [str(m) for m in response.context["messages"]] == ["Accepted 1 item(s)."]
    deliverable.refresh_from_db()
    assert (deliverable.status, deliverable.first_approved_by, deliverable.reviewer) == ("accepted", first, second)
