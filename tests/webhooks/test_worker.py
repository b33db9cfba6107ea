"""A real Celery worker (in a thread, in-memory broker) delivers queued events to the local HTTPS receiver."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from ppp import events
from ppp.celery import app
from webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookDelivery


@pytest.fixture
def real_worker(settings):
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_each_event_once(receiver, real_worker):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.secret = endpoint.secret

    published = [events.publish("payment.made", vendor_ids=[endpoint.vendor_id], payload={"n": n}) for n in range(5)]

    deadline = time.monotonic() + 30
    while WebhookDelivery.objects.exclude(status="delivered").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert WebhookDelivery.objects.filter(status="delivered").count() == 5
    assert sorted(request["json"]["id"] for request in receiver.requests) == sorted(str(e.id) for e in published)
    assert all(request["verified"] for request in receiver.requests)
