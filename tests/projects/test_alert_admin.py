"""Officers see every alert, filter them, resend failed ones, and find them on the milestone's page."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.factories import AlertFactory, MilestoneFactory
from projects.models import Alert, AlertDelivery

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:projects_alert_changelist")


def _resend(client, *alerts):
    return client.post(
        CHANGELIST,
        {"action": "resend_selected", "_selected_action": [str(alert.pk) for alert in alerts]},
        follow=True,
    )


def test_resend_sends_a_failed_alert_and_refuses_a_sent_one(officer_client, django_capture_on_commit_callbacks):
    failed = AlertFactory()
    sent = AlertFactory(status="sent", sent_at="2026-06-15T07:00Z", delivered_to=["x@example.org"])

    with django_capture_on_commit_callbacks(execute=True):
        response = _resend(officer_client, failed, sent)

    messages = [str(message) for message in response.context["messages"]]
    assert "Queued again 1 item(s)." in messages
    assert any(
        "from 'sent' to 'pending'" in message and "only pending, failed or in-doubt alerts" in message
        for message in messages
    )
    failed.refresh_from_db()
    assert failed.status == "sent" and [message.to for message in mail.outbox] == [failed.recipients]


def test_board_members_neither_see_alerts_nor_resend(board_client, django_capture_on_commit_callbacks):
    # Alerts list the recipients' e-mail addresses: they stay with the officers.
    failed = AlertFactory()

    assert board_client.get(CHANGELIST).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        _resend(board_client, failed)

    failed.refresh_from_db()
    assert failed.status == "failed" and mail.outbox == []


def test_alerts_filter_by_level_status_and_project(officer_client):
    failed = AlertFactory(level=1)
    AlertFactory(level=2, status="pending", last_error="")

    def count(**params):
        return officer_client.get(CHANGELIST, params).context["cl"].result_count

    assert count(level=1) == 1 and count(status="pending") == 1 and count(status="failed") == 1
    assert count(milestone__project__id__exact=failed.milestone.project_id) == 1


def test_milestone_page_lists_its_alerts_read_only(officer_client):
    alert = AlertFactory(level=2)

    response = officer_client.get(reverse("admin:projects_milestone_change", args=[alert.milestone_id]))

    body = response.content.decode()
    assert "Level 2" in body and alert.recipients[0] in body and "SMTPServerDisconnected" in body
    assert 'name="alerts-0-status"' not in body  # shown, not editable


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    return len(queries)


def test_alert_list_queries_do_not_grow_with_rows(officer_client):
    for _ in range(3):
        AlertFactory(milestone=MilestoneFactory(overdue_days=2))
    few = _list_queries(officer_client)
    for _ in range(27):
        AlertFactory(milestone=MilestoneFactory(overdue_days=2))

    assert Alert.objects.count() == 30
    assert _list_queries(officer_client) == few


def test_the_list_shows_which_recipients_are_in_doubt_and_filters_them(officer_client):
    in_doubt = AlertFactory(status="pending")
    AlertDelivery.objects.create(alert=in_doubt, recipient=in_doubt.recipients[0], status="sending", attempts=1)
    AlertFactory()

    response = officer_client.get(CHANGELIST, {"in_doubt": "yes"})

    assert list(response.context["cl"].result_list) == [in_doubt]
    assert in_doubt.recipients[0] in response.content.decode()
