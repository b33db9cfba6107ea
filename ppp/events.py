"""Domain events: what happened, announced to whoever listens (webhooks, notifications...).

The domain apps publish; higher apps subscribe in their ``AppConfig.ready()``. ``ppp`` imports no domain
app, so this module is the meeting point that keeps the dependency direction one way
(tests/test_app_dependencies.py).

Publishing inside a transaction delivers nothing until it commits: listeners run from
``transaction.on_commit``, so a rolled-back change announces nothing. Listeners must be quick (enqueue a
Celery task by id, write an outbox row); a listener that raises is logged and does not undo the change.

Event names are ``<entity>.<what happened>``: ``deliverable.accepted``, ``deliverable.rejected``,
``certificate.approved``, ``payment.made``, ``alert.raised``, ``amendment.approved``.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str
    # The vendors the event concerns: a webhook is sent only to these vendors' endpoints.
    vendor_ids: tuple[int, ...]
    # JSON-serialisable facts about the event (ids, statuses, amounts as strings, ISO dates).
    payload: dict = field(default_factory=dict)


Listener = Callable[[Event], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Register ``listener`` for every event (idempotent, so ``ready()`` may run twice)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def publish(name: str, *, vendor_ids, payload: dict | None = None) -> Event:
    """Announce ``name`` to the listeners once the current transaction commits (at once outside one)."""
    event = Event(name=name, vendor_ids=tuple(sorted(set(vendor_ids))), payload=dict(payload or {}))
    transaction.on_commit(lambda: _deliver(event))
    return event


def _deliver(event: Event) -> None:
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:  # one broken listener must not hide the event from the others
            logger.exception("Event listener %r failed on %s", listener, event.name)
