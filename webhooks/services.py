"""Writes for webhooks: vendors' endpoints, the outbox the domain events fill, and each delivery attempt.

Delivery is at least once: a row is claimed for one attempt (a conditional UPDATE, so two workers never send
it together), sent outside any transaction, then its answer recorded. A worker killed mid-send leaves the row
pending with an expired claim; the sweep (beat) hands it to another worker. Receivers deduplicate on the
event id, which never changes for a row, redeliveries included.
"""

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ppp.errors import RuleViolation, StateConflict, full_clean_or_raise
from ppp.events import Event
from ppp.services import delete_with_author, save_with_author

from . import safety, sender, signing
from .models import EVENTS, PING, WebhookDelivery, WebhookEndpoint, new_secret

Status = WebhookDelivery.Status
ENDPOINT_FIELDS = ("url", "description", "events", "is_active")


# Queues one delivery's send by id. WebhooksConfig.ready sets it to the Celery task: the tasks call these
# services, so the services never import the tasks (no import circle).
queue_send: Callable[[int], object] | None = None


def _enqueue(delivery_ids: list[int]) -> None:
    """Queue one send per delivery once the rows are committed (a task must not find them missing)."""
    if delivery_ids:
        transaction.on_commit(lambda: [queue_send(pk) for pk in delivery_ids])


# --- The outbox --------------------------------------------------------------------------------


def deliveries_record(*batch: Event) -> list[int]:
    """Write one pending delivery per active endpoint of each event's vendors that subscribes to it.

    Runs inside the publishing transaction (``events.subscribe(..., in_transaction=True)``): the rows commit
    with the change that caused the events, or not at all. Two queries per call, whatever the number of events
    (``events.publish_many`` hands a whole scan's alerts over at once) and endpoints.
    """
    vendor_ids = {vendor_id for event in batch for vendor_id in event.vendor_ids}
    if not vendor_ids:
        return []
    endpoints_by_vendor = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(vendor_id__in=vendor_ids, is_active=True).only(
        "id", "vendor_id", "events", "is_active"
    ):
        endpoints_by_vendor[endpoint.vendor_id].append(endpoint)
    now = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint.pk,
            event_id=event.id,
            event=event.name,
            occurred_at=event.occurred_at,
            payload=event.payload,
            next_attempt_at=now,
        )
        for event in batch
        for vendor_id in event.vendor_ids
        for endpoint in endpoints_by_vendor[vendor_id]
        if endpoint.wants(event.name)
    ]
    if not rows:
        return []
    ids = [row.pk for row in WebhookDelivery.objects.bulk_create(rows, batch_size=1000)]
    _enqueue(ids)
    return ids


def backoff_seconds(attempts: int) -> float:
    """Wait before attempt ``attempts + 1``: exponential from the base, capped, with jitter (half to all of
    it), so endpoints that failed together do not all come back at the same second."""
    base = settings.PPP_WEBHOOK_RETRY_BASE_SECONDS
    ceiling = min(base * 2 ** max(attempts - 1, 0), settings.PPP_WEBHOOK_RETRY_MAX_SECONDS)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (spreading retries, not a secret)


def _claim_seconds() -> int:
    # Long enough for one attempt (connect + read timeouts) and its bookkeeping, before a sweep may take over.
    return 2 * settings.PPP_WEBHOOK_TIMEOUT_SECONDS + 30


def delivery_attempt(*, delivery_id: int) -> str:
    """Make one attempt at a due pending delivery; returns "delivered", "retry", "failed" or "skipped".

    Safe to run twice or concurrently: only the run whose conditional UPDATE claims the row sends; a delivered,
    failed, not yet due or already claimed row is skipped.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + datetime.timedelta(seconds=_claim_seconds()),
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        answer = sender.Answer(None, _("The endpoint is inactive; nothing was sent."), 0)
        return _record(delivery, answer, give_up=True)
    try:
        target = safety.check_url(endpoint.url)
    except RuleViolation as exc:
        return _record(delivery, sender.Answer(None, exc.message, 0))
    if settings.PPP_WEBHOOK_OFFLINE:
        return _record(delivery, sender.Answer(None, _("Not sent: PPP_WEBHOOK_OFFLINE is on."), 0))
    body = signing.body_of(delivery)
    headers = signing.headers_for(delivery, endpoint.secret, timestamp=int(time.time()), body=body)
    return _record(delivery, sender.post(target, headers=headers, body=body))


def _record(claimed: WebhookDelivery, answer: sender.Answer, *, give_up: bool = False) -> str:
    """Store the attempt's outcome on the row: delivered, due again after a backoff, or given up.

    One conditional UPDATE, no lock and no read first (this runs once per event: a transaction with a SELECT FOR
    UPDATE made it four round trips). The condition is the guard: the row is still pending and, unless this
    attempt succeeded, still claimed by it (``claimed.attempts`` is the number the claim gave it).
    """
    now = timezone.now()
    row = WebhookDelivery.objects.filter(pk=claimed.pk, status=Status.PENDING)
    if not answer.delivered:
        row = row.filter(attempts=claimed.attempts)  # else a later attempt took the row over (this one outlived it)
    outcome = {
        "last_status_code": answer.status_code,
        "last_error": answer.error[:500],
        "last_duration_ms": answer.duration_ms,
    }
    if answer.delivered:
        outcome.update(status=Status.DELIVERED, delivered_at=now, next_attempt_at=None)
        result = "delivered"
    elif give_up or claimed.attempts >= settings.PPP_WEBHOOK_MAX_ATTEMPTS:
        outcome.update(status=Status.FAILED, next_attempt_at=None)
        result = "failed"
    else:
        outcome.update(next_attempt_at=now + datetime.timedelta(seconds=backoff_seconds(claimed.attempts)))
        result = "retry"
    return result if row.update(**outcome) else "skipped"


def deliveries_due(*, now: datetime.datetime | None = None, limit: int | None = None) -> list[int]:
    """Pending deliveries to hand (again) to the workers: retries now due, claims that expired (a killed worker),
    and new rows whose queued send never came (older than PPP_WEBHOOK_STALE_SECONDS)."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.PPP_WEBHOOK_STALE_SECONDS)
    due = WebhookDelivery.objects.filter(
        Q(attempts__gt=0, next_attempt_at__lte=now) | Q(attempts=0, next_attempt_at__lte=stale),
        status=Status.PENDING,
    )
    limit = limit or settings.PPP_WEBHOOK_SWEEP_BATCH
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def deliveries_requeue(*, now: datetime.datetime | None = None, limit: int | None = None) -> list[int]:
    """The sweep's pick (``deliveries_due``), with each new row among them marked as queued again now.

    A new row is due from its creation, and counts as lost once PPP_WEBHOOK_STALE_SECONDS old. Behind a backlog
    longer than that (10,000 events published at once) its first task is merely still waiting; unmarked, every
    sweep queued it once more, and the worker spent its time claiming nothing. Marked (its due time moved to now,
    which the claim accepts), it is queued again only after another stale period.
    """
    now = now or timezone.now()
    ids = deliveries_due(now=now, limit=limit)
    # attempts=0 in the condition: a row claimed meanwhile keeps its claim's expiry.
    WebhookDelivery.objects.filter(pk__in=ids, status=Status.PENDING, attempts=0).update(next_attempt_at=now)
    return ids


# --- Endpoints -----------------------------------------------------------------------------------


def _clean_events(events) -> list[str]:
    if events is None:
        return []
    if not isinstance(events, list | tuple) or not all(isinstance(name, str) for name in events):
        raise RuleViolation(_("Give a list of event names (empty for every event)."), field="events")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise RuleViolation(
            _("Unknown event %(name)s. Choose from: %(choices)s.") % {"name": unknown[0], "choices": ", ".join(EVENTS)},
            field="events",
        )
    return sorted(set(events))


def _check(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    safety.check_url(endpoint.url)
    endpoint.events = _clean_events(endpoint.events)
    return full_clean_or_raise(endpoint)


@transaction.atomic
def endpoint_create(*, vendor, by, url: str, description: str = "", events=None, is_active: bool = True):
    """Register a vendor's endpoint with a new secret (read it from the returned object: it is shown once)."""
    endpoint = WebhookEndpoint(
        vendor=vendor, url=url, description=description, events=events or [], is_active=is_active, created_by=by
    )
    return save_with_author(_check(endpoint), by)


@transaction.atomic
def endpoint_update(*, endpoint_id: int, by, changes) -> WebhookEndpoint:
    unknown = sorted(set(changes) - set(ENDPOINT_FIELDS))
    if unknown:
        raise RuleViolation(_("'%(name)s' cannot be changed here.") % {"name": unknown[0]}, field=unknown[0])
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if not changes:
        return endpoint
    for name, value in changes.items():
        setattr(endpoint, name, value)
    return save_with_author(_check(endpoint), by, [*changes, "updated_at"])


@transaction.atomic
def endpoint_delete(*, endpoint_id: int, by) -> None:
    """Remove an endpoint and its delivery log (deactivate it instead to keep the log)."""
    delete_with_author(WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id), by)


@transaction.atomic
def endpoint_rotate_secret(*, endpoint_id: int, by) -> WebhookEndpoint:
    """A new secret signs every attempt from now on, retries of older events included; the old one stops."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.secret = new_secret()
    endpoint.secret_rotated_at = timezone.now()
    return save_with_author(endpoint, by, ["secret", "secret_rotated_at", "updated_at"])


@transaction.atomic
def endpoint_ping(*, endpoint_id: int, by) -> WebhookDelivery:
    """Queue a ``ping`` event to this endpoint alone, to test the receiver (its outcome shows in the log)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if not endpoint.is_active:
        raise StateConflict(_("The endpoint is inactive; activate it to ping it."), current="inactive")
    event = Event(name=PING, vendor_ids=(endpoint.vendor_id,), payload={"endpoint": endpoint.pk})
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event.id,
        event=event.name,
        occurred_at=event.occurred_at,
        payload=event.payload,
        next_attempt_at=timezone.now(),
    )
    _enqueue([delivery.pk])
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery_id: int, by) -> WebhookDelivery:
    """Send a delivered or given-up event again, same event id (so the receiver can tell), attempts from zero."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery_id)
    if not delivery.can_redeliver:
        raise StateConflict(
            _("This delivery is still pending (attempt %(n)d); it will be retried on its own.")
            % {"n": delivery.attempts},
            current=delivery.status,
        )
    if not delivery.endpoint.is_active:
        raise StateConflict(_("The endpoint is inactive; activate it to redeliver."), current=delivery.status)
    now = timezone.now()
    delivery.status = Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    delivery.redelivery_requested_at = now
    delivery.redelivery_requested_by = by
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "redelivery_requested_at",
            "redelivery_requested_by",
        ]
    )
    _enqueue([delivery.pk])
    return delivery
