"""Alerts follow the plan: a new cycle per due date, nothing for closed work, review-waiting reminders, the
outbox's at-most-once send with its crash points, the alert.raised event, and what each email says and links."""

import datetime

import pytest
from django.core import mail
from django.utils import translation

from ppp import events
from procurement.factories import VendorUserFactory
from procurement.models import Agreement
from projects import alerts, services
from projects.alerts import alerts_scan
from projects.factories import DeliverableFactory
from projects.models import Alert, AlertDelivery, Notification, Project
from projects.tasks import queue_alert_digest

from .alerting import AUTHORITY, BOARD, DUE, OWNER, VENDOR_PM, FlakyBackend, days, due, recipients_of_outbox

pytestmark = pytest.mark.django_db


# --- 1. Cycles ---------------------------------------------------------------------------------


def test_a_rescheduled_milestone_that_slips_again_alerts_again_but_never_twice_for_one_date(officer, world, scan):
    milestone = due(world, days(-8))
    scan(DUE)  # level 2 for the first due date: owner, vendor, board
    assert recipients_of_outbox() == sorted([BOARD, OWNER, VENDOR_PM])

    services.milestone_reschedule(milestone_id=milestone.pk, due_date=days(10), by=officer)
    mail.outbox.clear()
    scan(days(18))  # 8 days late again, against the new date

    assert recipients_of_outbox() == sorted([BOARD, OWNER, VENDOR_PM])
    assert sorted(milestone.alerts.values_list("due_date", "level")) == [(days(-8), 2), (days(10), 2)]
    mail.outbox.clear()
    scan(days(19))
    assert mail.outbox == []  # same date, same level: once


def test_a_reschedule_skips_the_old_cycles_unsent_alerts(officer, world, django_capture_on_commit_callbacks, scan):
    milestone = due(world, days(-2))
    with django_capture_on_commit_callbacks():  # raised, the digests never went out
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)

    services.milestone_reschedule(milestone_id=milestone.pk, due_date=days(30), by=officer)

    alert = milestone.alerts.get()
    assert alert.status == "skipped" and "rescheduled" in alert.last_error
    scan(DUE)
    assert mail.outbox == []


def test_a_rebaseline_starts_new_cycles(officer, world, scan):
    milestone = due(world, days(-1))
    scan(DUE)
    services.milestones_rebaseline(agreement_id=world.agreement.pk, shift=datetime.timedelta(days=20), by=officer)
    mail.outbox.clear()

    scan(days(21))  # one day late against the re-baselined date

    assert sorted(milestone.alerts.values_list("due_date", "level", "status")) == [
        (days(-1), 1, "sent"),
        (days(19), 1, "sent"),
    ]
    assert recipients_of_outbox() == sorted([OWNER, VENDOR_PM])


# --- 2. Closed projects, terminated agreements ------------------------------------------------


@pytest.mark.parametrize(
    "close, reason",
    [
        (lambda world: Project.objects.filter(pk=world.project.pk).update(phase="closed"), "Project closed"),
        (
            lambda world: Agreement.objects.filter(pk=world.agreement.pk).update(status="terminated"),
            "Agreement terminated",
        ),
    ],
)
def test_closed_projects_and_terminated_agreements_stop_escalating(
    world, scan, django_capture_on_commit_callbacks, close, reason
):
    pending = due(world, days(-1))
    with django_capture_on_commit_callbacks() as queued:
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)
    close(world)
    due(world, days(-3))

    for callback in queued:  # the digests queued before the close go nowhere
        callback()
    scan(days(10))

    assert mail.outbox == []
    assert Alert.objects.count() == 1
    alert = pending.alerts.get()
    assert alert.status == "skipped" and alert.last_error.startswith(reason)


# --- 3. Review waiting -------------------------------------------------------------------------


def test_submitted_work_stops_the_vendors_escalation_and_reminds_the_owner_once(officer, world, scan):
    milestone = due(world, days(-1))
    deliverable = DeliverableFactory(milestone=milestone, submitted=True)

    scan(DUE)
    scan(days(7))  # level 2 would reach the board: not while the officer holds the work

    assert recipients_of_outbox() == [OWNER]
    reminder = milestone.alerts.get()
    assert reminder.kind == "review_waiting" and reminder.level_label == "Review waiting"
    assert "Review waiting: the vendor has submitted work" in mail.outbox[0].body

    services.deliverable_reject(deliverable_id=deliverable.pk, reviewer=officer, comment="Missing annex")
    mail.outbox.clear()
    scan(days(8))  # back with the vendor: the escalation resumes where it stands

    assert recipients_of_outbox() == sorted([BOARD, OWNER, VENDOR_PM])


def test_an_unsent_escalation_is_skipped_once_work_is_submitted(world, scan, django_capture_on_commit_callbacks):
    milestone = due(world, days(-1))
    with django_capture_on_commit_callbacks():
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)
    DeliverableFactory(milestone=milestone, submitted=True)

    scan(DUE)

    level_1 = milestone.alerts.get(kind="deadline")
    assert level_1.status == "skipped" and "waiting for review" in level_1.last_error
    assert recipients_of_outbox() == [OWNER]  # the review-waiting reminder only


# --- 4. Outbox and its crash points ------------------------------------------------------------


@pytest.fixture
def owner_only(world):
    return due(world, days(-1), responsible_vendor=None)


def _claimed_then(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)
    return queued[-1]


def test_the_delivery_is_committed_as_sending_before_the_mail_server_sees_it(
    owner_only, world, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []

    def spy_send(message, *args, **kwargs):
        seen.append(list(AlertDelivery.objects.values_list("recipient", "status")))
        return 1

    send = _claimed_then(world, django_capture_on_commit_callbacks)
    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", spy_send)
    send()

    assert seen == [[(OWNER, "sending")]]
    assert list(AlertDelivery.objects.values_list("status", flat=True)) == ["sent"]


def test_a_send_that_raises_is_failed_and_sent_by_the_retry(
    owner_only, world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.projects.alerting.FlakyBackend"
    FlakyBackend.failures = 1
    send = _claimed_then(world, django_capture_on_commit_callbacks)
    with pytest.raises(Exception, match="unexpectedly closed"):
        send()
    assert list(AlertDelivery.objects.values_list("status", flat=True)) == ["failed"]

    alerts.alert_digest_send(recipient=OWNER, alert_ids=[owner_only.alerts.get().pk])  # the task's retry

    assert recipients_of_outbox() == [OWNER]
    assert list(AlertDelivery.objects.values_list("status", "attempts")) == [("sent", 2)]


def test_a_process_that_dies_after_the_send_leaves_it_in_doubt_and_never_sends_it_again(
    owner_only, world, officer, monkeypatch, scan, django_capture_on_commit_callbacks
):
    send = _claimed_then(world, django_capture_on_commit_callbacks)

    def dies(*args, **kwargs):  # the mail server accepted it; the process dies before the record
        raise SystemExit("worker killed")

    monkeypatch.setattr(alerts, "_record_delivery_after_send", dies)
    with pytest.raises(SystemExit):
        send()
    monkeypatch.undo()
    assert recipients_of_outbox() == [OWNER]

    scan(days(1))  # redelivery, tomorrow's scan: nothing goes out again on its own
    alerts.alert_digest_send(recipient=OWNER, alert_ids=[owner_only.alerts.get().pk])
    assert recipients_of_outbox() == [OWNER]
    alert = owner_only.alerts.get()
    assert list(Alert.objects.in_doubt()) == [alert]

    # The officer decides to send it again, knowingly.
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alert_resend(alert_id=alert.pk, queue_digest=queue_alert_digest, by=officer)

    assert recipients_of_outbox() == [OWNER, OWNER]
    delivery = alert.deliveries.get()
    assert delivery.status == "sent" and delivery.requeued_by == officer
    assert not Alert.objects.in_doubt().exists()


def test_a_sent_alert_cannot_be_resent(owner_only, officer, scan):
    scan(DUE)
    with pytest.raises(Exception, match="only pending, failed or in-doubt"):
        alerts.alert_resend(alert_id=owner_only.alerts.get().pk, queue_digest=queue_alert_digest, by=officer)


# --- 6. The alert.raised event, 5. notifications --------------------------------------------------


def test_each_new_alert_is_published_with_its_vendor(world, scan):
    heard = []
    listener = events.subscribe(heard.append)
    try:
        milestone = due(world, days(-8))
        scan(DUE)
        scan(DUE)
    finally:
        events._listeners.remove(listener)

    raised = [event for event in heard if event.name == "alert.raised"]
    assert len(raised) == 1
    (event,) = raised
    alert = milestone.alerts.get()
    assert event.vendor_ids == (world.vendor.pk,)
    assert event.payload == {
        "alert_id": alert.pk,
        "milestone_id": milestone.pk,
        "kind": "deadline",
        "level": 2,
        "label": "Level 2",
        "due_date": days(-8).isoformat(),
        "days_overdue": 8,
    }


def test_a_raised_alert_notifies_the_logins_it_concerns(world, scan):
    vendor_user = VendorUserFactory(vendor=world.vendor).user
    milestone = due(world, days(-8))

    scan(DUE)

    board_member = world.project.board_members.get()
    assert set(Notification.objects.values_list("user_id", flat=True)) == {
        world.project.owner_id,
        board_member.pk,
        vendor_user.pk,
    }
    assert set(Notification.objects.values_list("alert__milestone", flat=True)) == {milestone.pk}


# --- 7. What each email says and where it links --------------------------------------------------


def test_each_email_says_what_its_level_means_and_links_where_its_reader_can_go(world, scan):
    milestone = due(world, days(-30))

    scan(DUE)

    by_recipient = {message.to[0]: message.body for message in mail.outbox}
    meaning = "Level 3: 30 days overdue; the contracting authority has been told."
    assert all(meaning in body for body in by_recipient.values())
    assert f"/admin/projects/milestone/{milestone.pk}/change/" in by_recipient[OWNER]
    assert f"/boards/projects/{world.project.pk}/" in by_recipient[BOARD]
    assert f"/api/v1/milestones/{milestone.pk}/" in by_recipient[VENDOR_PM]
    assert "/api/v1/docs/" in by_recipient[VENDOR_PM]
    assert "http" not in by_recipient[AUTHORITY].split("Level 3")[1]  # no login: no link it cannot open
    assert OWNER in by_recipient[AUTHORITY]  # whom to ask instead
    for body in by_recipient.values():
        assert "/admin/" not in body or body is by_recipient[OWNER]


def test_level_meanings_follow_the_settings():
    assert alerts.level_meaning(2) == "Level 2: 7 days overdue; the project board has been told."
    assert alerts.level_meaning(1) == (
        "Level 1: 1 day overdue; the project owner and the vendor's alert contacts have been told."
    )
    assert alerts.level_meaning(0).startswith("Due soon: due within 14 days")


@pytest.mark.django_db
def test_the_webhook_payload_label_stays_english_whatever_the_agency_language(world, scan, settings):
    settings.LANGUAGE_CODE = "fr"
    heard = []
    listener = events.subscribe(heard.append)
    try:
        due(world, days(-8))
        with translation.override("fr"):
            scan(DUE)
    finally:
        events._listeners.remove(listener)
    (event,) = [event for event in heard if event.name == "alert.raised"]
    assert event.payload["label"] == "Level 2"
