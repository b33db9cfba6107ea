"""Overdue-milestone alerts: who hears what on which day, once, in one digest, even when mail fails."""

import pytest
from celery.app import autoretry
from celery.utils.time import get_exponential_backoff_interval
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procurement.factories import VendorContactFactory
from projects import services
from projects.alerts import MAIL_ERRORS, alerts_scan
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Alert
from projects.tasks import queue_alert_digest, send_alert_digest

from .alerting import AUTHORITY, BOARD, DUE, OWNER, VENDOR_PM, FlakyBackend, days, due, recipients_of_outbox

pytestmark = pytest.mark.django_db


def test_each_level_reaches_its_audience_on_its_day_and_not_before(world, scan, settings):
    settings.DUE_SOON_DAYS = 7  # the reminder's day follows the one "due soon" setting (default 14)
    due(world, DUE)

    heard = {}
    for offset in range(-10, 35):
        mail.outbox.clear()
        scan(days(offset))
        if mail.outbox:
            heard[offset] = recipients_of_outbox()

    assert heard == {
        -7: [VENDOR_PM],  # due soon: the vendor's alert contacts only
        1: sorted([OWNER, VENDOR_PM]),
        7: sorted([BOARD, OWNER, VENDOR_PM]),
        30: sorted([AUTHORITY, BOARD, OWNER, VENDOR_PM]),
    }
    assert sorted(Alert.objects.values_list("level", "status")) == [(0, "sent"), (1, "sent"), (2, "sent"), (3, "sent")]


def test_a_milestone_first_seen_long_overdue_gets_only_its_current_level(world, scan):
    due(world, days(-40))

    scan(DUE)

    assert list(Alert.objects.values_list("level", flat=True)) == [3]
    assert len(mail.outbox) == 4  # owner, vendor contact, board member, authority: one email each


def test_each_recipient_gets_one_digest_listing_all_their_milestones(world, scan):
    first = due(world, days(-3), title="Pilot environment live")
    second = due(world, days(-1), title="Security accreditation")
    DeliverableFactory(milestone=first, title="Hosting runbook", progress=40, status="in_progress")
    DeliverableFactory(milestone=first, title="Signed-off design", accepted=True)
    other_project = ProjectFactory(agreement=world.agreement)
    due_elsewhere = MilestoneFactory(project=other_project, due_date=days(-2), title="Data migration")

    scan(DUE)

    assert recipients_of_outbox() == sorted([OWNER, VENDOR_PM, other_project.owner.email])
    vendor_mail = next(message for message in mail.outbox if message.to == [VENDOR_PM])
    assert vendor_mail.subject == "[ppp-tracker] 3 late milestones"
    text, (html, mimetype) = vendor_mail.body, vendor_mail.alternatives[0]
    assert mimetype == "text/html"
    for milestone in (first, second, due_elsewhere):
        assert milestone.title in text and milestone.title in html
        # A vendor cannot open the admin: its links lead to the partner API, which it can.
        assert f"http://localhost:8000/api/v1/milestones/{milestone.pk}/" in text
        assert "/admin/" not in text
    assert "3 days late" in text and "1 day late" in text and "3 days late" in html
    assert "Hosting runbook (In progress, 40 %)" in text
    assert "Signed-off design" not in text  # accepted: not open any more
    owner_mail = next(message for message in mail.outbox if message.to == [OWNER])
    assert due_elsewhere.title not in owner_mail.body  # not their project
    assert f"http://localhost:8000/admin/projects/milestone/{first.pk}/change/" in owner_mail.body


def test_contacts_who_opted_out_and_empty_addresses_hear_nothing(world, scan):
    VendorContactFactory(vendor=world.vendor, email="finance@vendor.example", receives_alerts=False)
    due(world, days(-1))

    scan(DUE)

    assert recipients_of_outbox() == sorted([OWNER, VENDOR_PM])


def test_scanning_twice_sends_nothing_more(world, scan):
    due(world, days(-1))
    due(world, days(-8))

    scan(DUE)
    first_run = len(mail.outbox)
    again = scan(DUE)

    assert first_run == 3  # owner, vendor contact, board member (for the level-2 one)
    assert len(mail.outbox) == first_run
    assert sum(again.raised.values()) == 0 and again.digests == {}
    assert Alert.objects.count() == 2


def test_a_milestone_closed_before_its_alert_is_sent_gets_no_alert(
    officer, world, scan, django_capture_on_commit_callbacks
):
    achieved_soon = due(world, days(-2))
    cancelled = due(world, days(-2))
    with django_capture_on_commit_callbacks() as queued_sends:
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)
    assert Alert.objects.filter(status="pending").count() == 2

    DeliverableFactory(milestone=achieved_soon, accepted=True)
    services.milestone_achieve(by=officer, milestone_id=achieved_soon.pk)
    services.milestone_cancel(by=officer, milestone_id=cancelled.pk)
    for send in queued_sends:
        send()

    assert mail.outbox == []
    assert set(Alert.objects.values_list("status", flat=True)) == {"skipped"}
    assert "before it was sent" in Alert.objects.first().last_error


def test_a_level_reached_before_the_lower_one_went_out_replaces_it(world, django_capture_on_commit_callbacks):
    milestone = due(world, days(-1))
    with django_capture_on_commit_callbacks():  # level 1 raised, its digests never sent (broker down)
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)

    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan(queue_digest=queue_alert_digest, on=days(6))

    assert sorted(milestone.alerts.values_list("level", "status")) == [(1, "skipped"), (2, "sent")]
    assert milestone.alerts.get(level=1).last_error == "Superseded by a higher level."
    assert recipients_of_outbox() == sorted([BOARD, OWNER, VENDOR_PM])  # one email each, about level 2


def test_closed_milestones_raise_nothing(world, scan):
    due(world, days(-5), status="cancelled")
    due(world, days(-5), status="missed")

    scan(DUE)

    assert not Alert.objects.exists() and mail.outbox == []


@pytest.fixture
def retrying_mail(settings, monkeypatch):
    """A flaky mail server, and eager tasks that retry like a worker (without waiting out the countdowns,
    which are returned for inspection)."""
    settings.EMAIL_BACKEND = "tests.projects.alerting.FlakyBackend"
    # Eager mode retries in-line only when it does not propagate the first error.
    monkeypatch.setitem(send_alert_digest.app.conf, "task_eager_propagates", False)
    countdowns = []

    def recording_backoff(**kwargs):
        countdowns.append(get_exponential_backoff_interval(**kwargs))
        return countdowns[-1]

    monkeypatch.setattr(autoretry, "get_exponential_backoff_interval", recording_backoff)
    return countdowns


def test_a_mail_server_that_fails_twice_then_recovers_delivers_exactly_once(world, scan, retrying_mail):
    FlakyBackend.failures = 2
    due(world, days(-1), responsible_vendor=None)  # the owner is the only recipient

    scan(DUE)

    assert recipients_of_outbox() == [OWNER]
    alert = Alert.objects.get()
    assert alert.status == "sent" and alert.sent_at is not None and alert.last_error == ""
    assert alert.attempts == 3
    assert len(retrying_mail) == 2


def test_a_send_that_keeps_failing_ends_failed_and_the_next_scan_tries_again(world, scan, retrying_mail):
    FlakyBackend.failures = 10_000
    due(world, days(-1), responsible_vendor=None)

    scan(DUE)

    alert = Alert.objects.get()
    assert alert.status == "failed" and alert.sent_at is None and mail.outbox == []
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in alert.last_error
    # Bounded retries (the first try plus max_retries), backing off with jitter, never over 10 minutes.
    assert alert.attempts == send_alert_digest.max_retries + 1
    assert all(0 <= countdown <= 600 for countdown in retrying_mail)

    FlakyBackend.failures = 0
    scan(days(1))

    alert.refresh_from_db()
    assert alert.status == "sent" and recipients_of_outbox() == [OWNER]


def test_the_send_task_retries_only_mail_errors_with_a_capped_backoff(settings):
    assert send_alert_digest.acks_late and send_alert_digest.reject_on_worker_lost
    assert set(send_alert_digest.autoretry_for) == set(MAIL_ERRORS)
    assert send_alert_digest.retry_backoff_max == 600 and send_alert_digest.retry_jitter
    assert 0 < send_alert_digest.max_retries < 20
    # Worst case: every countdown below the broker's visibility timeout, so no task is handed out twice.
    assert get_exponential_backoff_interval(factor=30, retries=50, maximum=600, full_jitter=False) == 600


def test_a_partly_delivered_alert_is_retried_only_for_those_who_missed_it(
    world, scan, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.projects.alerting.FlakyBackend"
    due(world, days(-1))
    with django_capture_on_commit_callbacks() as queued_sends:
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)
    first, second = queued_sends[-2:]  # after the alert.raised event
    FlakyBackend.failures = 0
    first()
    FlakyBackend.failures = 1
    with pytest.raises(Exception, match="unexpectedly closed"):
        second()
    assert Alert.objects.get().status == "pending"

    FlakyBackend.failures = 0
    scan(DUE)

    assert recipients_of_outbox() == sorted([OWNER, VENDOR_PM])
    assert Alert.objects.get().status == "sent"


def test_dry_run_sends_nothing_and_writes_nothing(world, scan):
    due(world, days(-1))

    result = scan(DUE, dry_run=True)

    assert not Alert.objects.exists() and mail.outbox == []
    assert result.raised == {1: 1}
    assert result.digest_sizes == {OWNER: 1, VENDOR_PM: 1}


def test_no_recipient_means_a_skipped_alert_not_a_stuck_one(world, scan):
    world.project.owner.email = ""
    world.project.owner.save()
    due(world, days(-1), responsible_vendor=None)

    scan(DUE)

    alert = Alert.objects.get()
    assert alert.status == "skipped" and "Nobody to tell" in alert.last_error


def _scan_queries(on, **kwargs) -> int:
    """Queries of one scan. SQLite splits a bulk insert into batches of ~80 rows (its bound-variable limit),
    so there inserts are counted as one; PostgreSQL inserts a page in one statement."""
    with CaptureQueriesContext(connection) as queries:
        alerts_scan(queue_digest=queue_alert_digest, on=on, **kwargs)
    statements = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "sqlite":
        inserts = [sql for sql in statements if sql.startswith("INSERT")]
        return len(statements) - len(inserts) + min(len(inserts), 1)
    return len(statements)


def _late_milestones(world, count):
    projects = [world.project, *ProjectFactory.create_batch(3, agreement=world.agreement)]
    for index in range(count):
        MilestoneFactory(project=projects[index % len(projects)], due_date=days(-1 - index % 40))


def test_scan_queries_stay_constant_from_10_to_200_milestones(world):
    _late_milestones(world, 10)
    small = _scan_queries(DUE)
    Alert.objects.all().delete()
    _late_milestones(world, 190)
    large = _scan_queries(DUE)

    assert Alert.objects.count() == 200
    assert small == large


def test_scan_queries_grow_with_pages_not_milestones(world):
    _late_milestones(world, 120)

    one_page = _scan_queries(DUE, chunk_size=500)
    Alert.objects.all().delete()
    three_pages = _scan_queries(DUE, chunk_size=50)

    assert Alert.objects.count() == 120
    per_page = (three_pages - one_page) / 2
    # page, board, contacts, vendor users, insert, read back, notifications, supersede: none per milestone
    assert 0 < per_page <= 10


def test_a_scan_with_nothing_new_to_raise_reads_one_query_per_page(world):
    _late_milestones(world, 120)
    alerts_scan(queue_digest=queue_alert_digest, on=DUE)

    one_page = _scan_queries(DUE, chunk_size=500)
    three_pages = _scan_queries(DUE, chunk_size=50)

    assert Alert.objects.count() == 120
    assert three_pages - one_page == 2


def _owner_digest_queries(world, count, django_capture_on_commit_callbacks) -> int:
    for _ in range(count):
        DeliverableFactory(milestone=due(world, days(-2), responsible_vendor=None))
    with django_capture_on_commit_callbacks() as queued_sends:
        alerts_scan(queue_digest=queue_alert_digest, on=DUE)
    owner_digest = queued_sends[-1]  # after the alert.raised events
    with CaptureQueriesContext(connection) as queries:
        owner_digest()
    return len(queries)


def test_sending_a_digest_takes_the_same_queries_for_2_or_20_milestones(world, django_capture_on_commit_callbacks):
    few = _owner_digest_queries(world, 2, django_capture_on_commit_callbacks)
    Alert.objects.update(status="sent", sent_at="2026-06-15T07:00Z")
    many = _owner_digest_queries(world, 20, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2 and mail.outbox[1].body.count("Open in ppp-tracker") == 20
    assert few == many
