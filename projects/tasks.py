"""Background work for projects: the daily overdue scan and the alert digests it queues."""

import datetime

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import OperationalError

from . import alerts

# A database busy past its timeout (SQLite shared by web, worker and beat) is tried again after about
# 5 s, 10 s, 20 s, ... with jitter, capped like the mail retries.
DATABASE_BUSY_BACKOFF = 5


def database_busy_countdown(retries: int) -> int:
    return get_exponential_backoff_interval(
        factor=DATABASE_BUSY_BACKOFF, retries=retries, maximum=settings.ALERT_RETRY_BACKOFF_MAX, full_jitter=True
    )


@shared_task(bind=True, acks_late=True, max_retries=settings.ALERT_SEND_MAX_RETRIES)
def scan_overdue_milestones(self, on: str | None = None) -> dict:
    """Beat runs this daily. Idempotent, so a duplicate tick, a redelivery or a retry raises and sends nothing new."""
    try:
        result = alerts.alerts_scan(on=datetime.date.fromisoformat(on) if on else None, queue_digest=queue_alert_digest)
    except OperationalError as exc:
        if not alerts.is_database_busy(exc):
            raise
        raise self.retry(exc=exc, countdown=database_busy_countdown(self.request.retries)) from exc
    return {"scanned": result.scanned, "raised": sum(result.raised.values()), "digests": len(result.digests)}


@shared_task(
    bind=True,
    # Acknowledge only after the run, and requeue if the worker dies mid-send: at-least-once.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=alerts.MAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=settings.ALERT_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.ALERT_SEND_MAX_RETRIES,
)
def send_alert_digest(self, recipient: str, alert_ids: list[int]) -> int:
    try:
        return alerts.alert_digest_send(
            recipient=recipient, alert_ids=alert_ids, final_attempt=self.request.retries >= self.max_retries
        )
    except OperationalError as exc:
        if not alerts.is_database_busy(exc):
            raise
        # The service raises a busy database only before the send (after it, it retries the record itself),
        # so running the whole task again cannot send this digest twice.
        raise self.retry(exc=exc, countdown=database_busy_countdown(self.request.retries)) from exc


def queue_alert_digest(recipient: str, alert_ids: list[int]) -> None:
    """Send a digest from the worker once the current transaction commits (what the alert services queue)."""
    send_alert_digest.delay_on_commit(recipient, alert_ids)
