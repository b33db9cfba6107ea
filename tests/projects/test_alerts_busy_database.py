"""A database that stays busy (SQLite shared by web, worker and beat) never costs an alert nor doubles one.

Before the send a busy database is retried by running the task again; after the send only the record of
delivery is retried, so the recipient does not get the same digest twice.
"""

import datetime

import pytest
from django.core import mail
from django.db import OperationalError

from projects import alerts, tasks
from projects.models import Alert
from projects.tasks import scan_overdue_milestones, send_alert_digest

from .alerting import OWNER, VENDOR_PM, due

pytestmark = pytest.mark.django_db
DUE = datetime.date(2026, 6, 15)
LATE = DUE - datetime.timedelta(days=1)


def locked():
    return OperationalError("database is locked")


def fails_first(times: int, real, error=locked):
    """``real``, except that its first ``times`` calls raise ``error()``; the calls are counted."""

    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        if wrapper.calls <= times:
            raise error()
        return real(*args, **kwargs)

    wrapper.calls = 0
    return wrapper


@pytest.fixture
def retrying_tasks(monkeypatch):
    """Eager tasks that retry like a worker, without waiting out their countdowns (returned for inspection)."""
    monkeypatch.setitem(send_alert_digest.app.conf, "task_eager_propagates", False)
    countdowns = []

    def recording_countdown(retries):
        countdowns.append(real_countdown(retries))
        return countdowns[-1]

    real_countdown = tasks.database_busy_countdown
    monkeypatch.setattr(tasks, "database_busy_countdown", recording_countdown)
    return countdowns


@pytest.fixture
def no_waiting(monkeypatch):
    pauses = []
    monkeypatch.setattr(alerts.time, "sleep", pauses.append)
    return pauses


def delivered(alert: Alert) -> list[str]:
    alert.refresh_from_db()
    return sorted(alert.delivered_to)


def test_a_record_that_fails_after_the_send_is_recorded_again_and_the_email_not_sent_twice(
    world, scan, monkeypatch, no_waiting
):
    # Given a late milestone whose owner and vendor contact each get a digest,
    due(world, LATE)
    # when the database is busy at the moment the first delivery is recorded (the mail already went out),
    monkeypatch.setattr(alerts, "_record_delivery", fails_first(1, alerts._record_delivery))

    scan(DUE)

    # then each recipient got exactly one email, and the alert records both deliveries, once each.
    assert sorted(address for message in mail.outbox for address in message.to) == sorted([OWNER, VENDOR_PM])
    alert = Alert.objects.get()
    assert delivered(alert) == sorted([OWNER, VENDOR_PM])
    assert alert.status == Alert.Status.SENT and alert.attempts == 2
    assert no_waiting == [1]  # the second try of the record, a second later, succeeded


def test_a_record_busy_for_a_while_waits_longer_each_time(world, scan, monkeypatch, no_waiting):
    due(world, LATE, responsible_vendor=None)  # the owner is the only recipient
    monkeypatch.setattr(alerts, "_record_delivery", fails_first(3, alerts._record_delivery))

    scan(DUE)

    assert len(mail.outbox) == 1
    assert delivered(Alert.objects.get()) == [OWNER]
    assert no_waiting == [1, 2, 4]  # tries: after the send, then after 1 s, 2 s and 4 s


def test_a_record_that_never_succeeds_leaves_the_delivery_in_doubt_and_never_sends_it_again(
    world, scan, monkeypatch, no_waiting
):
    # At-most-once: a delivery the mail server may have taken is never sent again on its own; an officer sees it.
    due(world, LATE, responsible_vendor=None)
    monkeypatch.setattr(alerts, "_record_delivery", fails_first(10_000, alerts._record_delivery))

    with pytest.raises(alerts.DeliveryNotRecorded, match="locked"):
        scan(DUE)

    assert len(mail.outbox) == 1
    alert = Alert.objects.get()
    assert alert.status == Alert.Status.PENDING and alert.delivered_to == []
    assert list(alert.deliveries.values_list("recipient", "status")) == [(OWNER, "sending")]
    assert list(Alert.objects.in_doubt()) == [alert]
    assert len(no_waiting) == alerts.RECORD_DELIVERY_ATTEMPTS - 1

    monkeypatch.undo()
    scan(DUE + datetime.timedelta(days=1))

    assert [message.to for message in mail.outbox] == [[OWNER]]
    assert delivered(alert) == []


def test_a_database_busy_before_the_send_runs_the_task_again_and_sends_once(world, scan, monkeypatch, retrying_tasks):
    due(world, LATE, responsible_vendor=None)
    monkeypatch.setattr(alerts, "alert_digest_send", fails_first(2, alerts.alert_digest_send))

    scan(DUE)

    assert [message.to for message in mail.outbox] == [[OWNER]]
    assert delivered(Alert.objects.get()) == [OWNER]
    assert len(retrying_tasks) == 2
    assert all(0 <= countdown <= 600 for countdown in retrying_tasks)


def test_other_database_errors_are_not_retried(world, scan, monkeypatch, retrying_tasks):
    due(world, LATE, responsible_vendor=None)
    send = fails_first(1, alerts.alert_digest_send, error=lambda: OperationalError("no such table: projects_alert"))
    monkeypatch.setattr(alerts, "alert_digest_send", send)

    scan(DUE)

    assert send.calls == 1 and retrying_tasks == [] and mail.outbox == []
    assert Alert.objects.get().status == Alert.Status.PENDING


def test_the_daily_scan_runs_again_when_the_database_is_busy(world, monkeypatch, retrying_tasks, time_machine):
    time_machine.move_to(datetime.datetime.combine(DUE, datetime.time(7), tzinfo=datetime.UTC), tick=False)
    due(world, LATE, responsible_vendor=None)
    monkeypatch.setattr(alerts, "alerts_scan", fails_first(1, alerts.alerts_scan))

    result = scan_overdue_milestones.delay(DUE.isoformat()).get()

    assert result["raised"] == 1 and len(retrying_tasks) == 1
    assert Alert.objects.get().level == 1
