"""The migration that adds Milestone.delivered_on fills it for milestones achieved before it existed."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from projects.factories import DeliverableFactory, MilestoneFactory
from projects.models import Milestone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("projects", "0009_performance_failure_deductions")
AFTER = ("projects", "0010_deliverable_four_eyes_milestone_delivered_on")


def _migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())


def test_existing_achieved_milestones_are_delivered_on_their_last_submission_day():
    today = timezone.localdate()

    def days_ago(days):
        return today - datetime.timedelta(days=days)

    def at_noon(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))

    reviewed = MilestoneFactory(status="achieved", due_date=days_ago(8), achieved_date=days_ago(2))
    for submitted in (days_ago(10), days_ago(5)):
        DeliverableFactory(milestone=reviewed, accepted=True, submitted_at=at_noon(submitted))
    without_deliverables = MilestoneFactory(status="achieved", due_date=days_ago(8), achieved_date=days_ago(3))
    # Data entered out of order (submitted after acceptance) is capped at the acceptance day.
    odd = MilestoneFactory(status="achieved", due_date=days_ago(30), achieved_date=days_ago(20))
    DeliverableFactory(milestone=odd, accepted=True, submitted_at=at_noon(today))
    still_open = MilestoneFactory()

    _migrate(BEFORE)
    try:
        _migrate(AFTER)
    finally:
        _migrate()  # back to the latest schema for the tests that follow

    delivered = dict(Milestone.objects.values_list("pk", "delivered_on"))
    assert delivered[reviewed.pk] == days_ago(5)  # so it counts as 3 days late, not 6
    assert delivered[without_deliverables.pk] == days_ago(3)
    assert delivered[odd.pk] == days_ago(20)
    assert delivered[still_open.pk] is None
    assert Milestone.objects.get(pk=reviewed.pk).days_late() == 3
