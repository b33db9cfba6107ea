"""One "due soon": the board's amber, the admin index count and the reminder scan read the same setting."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.alerts import alerts_scan
from projects.factories import MilestoneFactory
from projects.models import Alert, Milestone
from projects.selectors import Rag, milestone_rag
from projects.tasks import queue_alert_digest

pytestmark = pytest.mark.django_db


def test_the_board_the_index_and_the_alerts_agree_on_due_soon(settings, officer_client):
    # Given a 3-day horizon, one milestone due in 3 days and one in 5
    settings.DUE_SOON_DAYS = 3
    today = timezone.localdate()
    inside = MilestoneFactory(due_date=today + datetime.timedelta(days=3))
    outside = MilestoneFactory(due_date=today + datetime.timedelta(days=5))

    # Then only the first is due soon, wherever an officer looks
    assert milestone_rag(inside, today) == Rag.DUE_SOON
    assert milestone_rag(outside, today) == Rag.ON_TRACK
    assert list(Milestone.objects.due_soon(on=today)) == [inside]
    index = officer_client.get(reverse("admin:index"))
    assert index.context["due_soon_count"] == 1
    assert "Open milestones due within 3 days" in index.content.decode()
    scan = alerts_scan(queue_digest=queue_alert_digest, on=today, dry_run=True)
    assert scan.raised == {Alert.DUE_SOON: 1}
    assert [milestone for milestone, _, _ in scan.raised_sample] == [inside]
