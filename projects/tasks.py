"""Background work for projects: the daily overdue scan and the alert digests it queues."""

import datetime

from celery import shared_task
from django.conf import settings

from . import alerts


@shared_task(acks_late=True)
def scan_overdue_milestones(on: str | None = None) -> dict:
    """Beat runs this daily. Idempotent, so a duplicate tick or a redelivery raises and sends nothing new."""
    result = alerts.alerts_scan(on=datetime.date.fromisoformat(on) if on else None)
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
    return alerts.alert_digest_send(
        recipient=recipient, alert_ids=alert_ids, final_attempt=self.request.retries >= self.max_retries
    )
