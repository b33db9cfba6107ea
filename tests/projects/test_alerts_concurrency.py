"""Exactly once when two scans run at the same time, and the whole path through a real Celery worker."""

import datetime
import os
import threading
import time

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.utils import timezone

from ppp.celery import app
from projects.alerts import alerts_scan, scan_page_query
from projects.factories import MilestoneFactory
from projects.models import Alert
from projects.tasks import queue_alert_digest, scan_overdue_milestones

from .alerting import BOARD, OWNER, VENDOR_PM, make_world


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_alert_exactly_once():
    world = make_world()
    today = timezone.localdate()
    for days_late in (1, 2, 3, 8, 9):
        MilestoneFactory(project=world.project, due_date=today - datetime.timedelta(days=days_late))
    start, errors = threading.Barrier(2), []

    def scan():
        try:
            start.wait()
            # digests are sent in-line (eager tasks) as soon as the scan commits
            alerts_scan(queue_digest=queue_alert_digest, on=today)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Alert.objects.count() == 5 and set(Alert.objects.values_list("status", flat=True)) == {"sent"}
    # One digest per recipient in all; each alert reached each of its recipients once.
    assert sorted(message.to[0] for message in mail.outbox) == sorted([OWNER, VENDOR_PM, BOARD])
    for alert in Alert.objects.all():
        assert sorted(alert.delivered_to) == sorted(alert.recipients)


@pytest.fixture
def real_worker(settings, tmp_path):
    """A Celery worker thread consuming from a real broker: Redis when REDIS_URL is set (CI), else in-memory."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    broker = os.environ.get("REDIS_URL", "memory://")
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    app.conf.update(broker_url=broker, task_always_eager=False, broker_transport_options={"visibility_timeout": 3600})
    _drop_broker_connections()
    import celery.contrib.testing.tasks  # noqa: F401 - registers the ping task start_worker checks with

    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
            yield tmp_path
    finally:
        app.conf.update(saved)
        _drop_broker_connections()


def _drop_broker_connections():
    # The app caches its connection and producer pools; fresh ones pick up the broker URL set above.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_the_scan_task_runs_through_the_broker_and_a_real_worker_sends_the_digests(real_worker):
    world = make_world()
    MilestoneFactory(project=world.project, due_date=timezone.localdate() - datetime.timedelta(days=2))

    scan_overdue_milestones.delay()

    def delivered():
        # The worker writes the email file before it commits the delivery: wait for both.
        return len(list(real_worker.iterdir())) >= 2 and not Alert.objects.exclude(status="sent").exists()

    deadline = time.monotonic() + 90  # generous for a loaded machine; ends as soon as delivered
    while time.monotonic() < deadline and not delivered():
        time.sleep(0.2)
    sent = sorted(path.read_text() for path in real_worker.iterdir())
    assert len(sent) == 2
    assert any(f"To: {OWNER}" in message for message in sent) and any(f"To: {VENDOR_PM}" in message for message in sent)
    assert Alert.objects.get().status == "sent"


@pytest.mark.postgres
def test_the_scan_reads_milestones_through_a_due_date_index(db):
    today = timezone.localdate()
    first_page = scan_page_query(today, "in_progress", 500)
    next_page = scan_page_query(today, "in_progress", 500, after=(today, 1))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table would be read whole anyway
        plans = [first_page.explain(), next_page.explain()]

    # (status, due_date), or the partial index of open milestones' due dates the planner prefers once it exists.
    assert all("milestone_status_due_idx" in plan or "milestone_open_due_idx" in plan for plan in plans)
