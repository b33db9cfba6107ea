"""Domain events: what happened, announced to whoever listens (webhooks, notifications...).

The domain apps publish; higher apps subscribe in their ``AppConfig.ready()``. ``ppp`` imports no domain
app, so this module is the meeting point that keeps the dependency direction one way
(tests/test_app_dependencies.py).

Publishing inside a transaction delivers nothing until it commits: listeners run from
``transaction.on_commit``, so a rolled-back change announces nothing. Listeners must be quick (enqueue a
Celery task by id, write an outbox row); a listener that raises is logged and does not undo the change.

An outbox (webhooks) subscribes with ``in_transaction=True`` instead: it runs at ``publish``, inside the
publishing transaction, so its rows commit or roll back with the change itself. A process that dies just
after the commit then loses nothing (an after-commit listener would never have run). Such a listener that
raises undoes the change: an event that could not be recorded must not silently vanish.

Every event carries an ``id`` (a UUID, one per publish) that receivers deduplicate on.

Event names are ``<entity>.<what happened>``: ``deliverable.accepted``, ``deliverable.rejected``,
``certificate.approved``, ``payment.made``, ``alert.raised``, ``amendment.approved``.
"""

import datetime
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str
    # The vendors the event concerns: a webhook is sent only to these vendors' endpoints.
    vendor_ids: tuple[int, ...]
    # JSON-serialisable facts about the event (ids, statuses, amounts as strings, ISO dates).
    payload: dict = field(default_factory=dict)
    # One per publish: the outbox keys its rows by it and receivers deduplicate on it.
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime.datetime = field(default_factory=timezone.now)


Listener = Callable[[Event], None]
_listeners: list[Listener] = []
_in_transaction_listeners: list[Listener] = []


def subscribe(listener: Listener, *, in_transaction: bool = False) -> Listener:
    """Register ``listener`` for every event (idempotent, so ``ready()`` may run twice).

    ``in_transaction=True``: run it at ``publish``, inside the publishing transaction (an outbox's writes); it
    is called with every event of one ``publish_many`` at once: ``listener(*events)``.
    """
    registry = _in_transaction_listeners if in_transaction else _listeners
    if listener not in registry:
        registry.append(listener)
    return listener


def publish(name: str, *, vendor_ids, payload: dict | None = None) -> Event:
    """Announce ``name`` to the listeners once the current transaction commits (at once outside one)."""
    return publish_many([(name, vendor_ids, payload)])[0]


def publish_many(announcements) -> list[Event]:
    """Announce several events at once: ``(name, vendor_ids, payload)`` triples. In-transaction listeners get
    them in one call (``listener(*events)``), so an outbox writes a scan's thousand alerts in a few queries,
    not a thousand."""
    batch = [
        Event(name=name, vendor_ids=tuple(sorted(set(vendor_ids))), payload=dict(payload or {}))
        for name, vendor_ids, payload in announcements
    ]
    if not batch:
        return []
    for listener in list(_in_transaction_listeners):
        listener(*batch)  # may raise: the change rolls back rather than lose the events
    for event in batch:
        transaction.on_commit(lambda event=event: _deliver(event))
    return batch


def _deliver(event: Event) -> None:
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:  # one broken listener must not hide the event from the others
            logger.exception("Event listener %r failed on %s", listener, event.name)
