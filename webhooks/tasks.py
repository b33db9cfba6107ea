"""Background work for webhooks: each delivery attempt, and the sweep that loses nothing."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def send_delivery(delivery_id: int) -> str:
    """One attempt at one delivery, by id. Safe to run twice: the row is claimed before sending."""
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_deliveries() -> int:
    """Beat runs this every PPP_WEBHOOK_SWEEP_SECONDS: re-queue due retries and pending rows nobody sent."""
    ids = services.deliveries_requeue()
    for delivery_id in ids:
        send_delivery.delay(delivery_id)
    return len(ids)
