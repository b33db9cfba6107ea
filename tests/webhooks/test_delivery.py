"""Deliveries to a real HTTPS receiver: signed, retried with backoff, given up, redelivered, sent once."""

import datetime
import uuid
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from ppp import events
from procurement.factories import VendorFactory
from webhooks import sender, services, signing
from webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery
from webhooks.tasks import send_delivery, sweep_deliveries

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


@pytest.fixture
def endpoint(receiver):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.secret = endpoint.secret
    return endpoint


def publish(capture, vendor_ids, name="deliverable.accepted", payload=None):
    with capture(execute=True):
        event = events.publish(name, vendor_ids=vendor_ids, payload=payload or {"deliverable": 7})
    return event


def later(minutes=1):
    return time_machine.travel(timezone.now() + datetime.timedelta(minutes=minutes), tick=True)


def test_an_event_is_posted_signed_with_the_endpoint_secret(endpoint, receiver, django_capture_on_commit_callbacks):
    event = publish(django_capture_on_commit_callbacks, [endpoint.vendor_id])

    (request,) = receiver.requests
    assert request["verified"]
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == signing.USER_AGENT
    assert headers["x-ppp-event"] == "deliverable.accepted"
    assert headers["x-ppp-event-id"] == str(event.id)
    assert request["path"] == "/hooks/ppp?source=tests"
    assert request["json"] == {
        "id": str(event.id),
        "type": "deliverable.accepted",
        "created": event.occurred_at.isoformat(),
        "data": {"deliverable": 7},
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.DELIVERED, 1, 200)
    assert delivery.delivered_at and delivery.next_attempt_at is None
    assert headers["x-ppp-delivery"] == str(delivery.pk)


def test_the_signature_covers_timestamp_and_body():
    body = b'{"id":"1"}'
    signature = signing.sign("whsec_x", 1767225600, body)
    assert signing.verify("whsec_x", timestamp="1767225600", signature=signature, body=body, now=1767225600)
    assert not signing.verify("whsec_x", timestamp="1767225601", signature=signature, body=body, now=1767225600)
    assert not signing.verify("whsec_y", timestamp="1767225600", signature=signature, body=body, now=1767225600)
    assert not signing.verify("whsec_x", timestamp="1767225600", signature=signature, body=body + b" ", now=1767225600)
    # A captured request replayed later is refused by its old timestamp.
    assert not signing.verify("whsec_x", timestamp="1767225600", signature=signature, body=body, now=1767226600)


def test_only_endpoints_subscribed_to_the_event_and_active_get_it(receiver, django_capture_on_commit_callbacks):
    vendor = VendorFactory()
    wants = WebhookEndpointFactory(vendor=vendor, url=receiver.url, events=["deliverable.accepted"])
    WebhookEndpointFactory(vendor=vendor, url=receiver.url, events=["payment.made"])
    WebhookEndpointFactory(vendor=vendor, url=receiver.url, is_active=False)
    receiver.secret = wants.secret

    publish(django_capture_on_commit_callbacks, [vendor.pk])

    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [wants.pk]
    assert len(receiver.requests) == 1


def test_a_failed_attempt_is_retried_after_a_backoff_until_it_succeeds(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 503, 200]
    publish(django_capture_on_commit_callbacks, [endpoint.vendor_id])
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.PENDING, 1, 500)
    assert delivery.last_error == "HTTP 500"
    # Backoff with jitter: between half and all of the base (30 s) after the first failure.
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 15 <= wait <= 30

    assert sweep_deliveries() == 0  # not due yet: nothing is sent early
    with later(minutes=1):
        assert sweep_deliveries() == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert 30 <= (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() <= 60

    with later(minutes=3):
        sweep_deliveries()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.DELIVERED, 3, 200)
    assert len({request["json"]["id"] for request in receiver.requests}) == 1  # the same event each time
    assert len(receiver.requests) == 3


def test_delivery_gives_up_after_the_attempt_limit(endpoint, receiver, settings, django_capture_on_commit_callbacks):
    settings.PPP_WEBHOOK_MAX_ATTEMPTS = 3
    settings.PPP_WEBHOOK_RETRY_MAX_SECONDS = 60
    receiver.statuses = [500]
    publish(django_capture_on_commit_callbacks, [endpoint.vendor_id])
    for minutes in (2, 4, 6, 8):
        with later(minutes=minutes):
            sweep_deliveries()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.FAILED, 3, None)
    assert len(receiver.requests) == 3


def test_a_redirect_is_not_followed_and_counts_as_a_failure(endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [302]
    publish(django_capture_on_commit_callbacks, [endpoint.vendor_id])
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (Status.PENDING, 302)
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_a_receiver_whose_certificate_is_not_trusted_gets_nothing(
    endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.PPP_WEBHOOK_CA_BUNDLE = ""  # the system's CAs do not know the local test CA
    publish(django_capture_on_commit_callbacks, [endpoint.vendor_id])
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING and delivery.last_status_code is None
    assert "SSL" in delivery.last_error or "certificate" in delivery.last_error.lower()
    assert receiver.requests == []


def test_a_task_run_twice_sends_once(endpoint, receiver):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    assert send_delivery(delivery.pk) == "delivered"
    assert send_delivery(delivery.pk) == "skipped"

    assert len(receiver.requests) == 1


def test_a_claimed_attempt_is_not_sent_again_until_its_claim_expires(endpoint, receiver):
    """A worker killed mid-send: its claim blocks a second send, then the sweep hands the row on."""
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, next_attempt_at=timezone.now() + datetime.timedelta(seconds=50)
    )

    assert send_delivery(delivery.pk) == "skipped"
    assert sweep_deliveries() == 0
    with later(minutes=2):
        assert sweep_deliveries() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 2)


def test_the_sweep_sends_new_rows_whose_queued_task_was_lost(endpoint, receiver):
    WebhookDeliveryFactory(endpoint=endpoint)  # written, but its send never queued
    assert sweep_deliveries() == 0  # young rows are left to their own queued send
    with later(minutes=3):
        assert sweep_deliveries() == 1
    assert len(receiver.requests) == 1


def test_the_sweep_queues_a_new_row_waiting_behind_a_backlog_again_once_per_stale_period(endpoint):
    """10,000 events published at once: rows still waiting for their first task were queued again at every
    sweep, and the worker spent its time claiming nothing."""
    delivery = WebhookDeliveryFactory(endpoint=endpoint)  # its task is still in the queue, behind the backlog

    with later(minutes=3):
        assert services.deliveries_requeue() == [delivery.pk]
        assert services.deliveries_requeue() == []  # the next sweep leaves it to the task just queued
    with later(minutes=4):
        assert services.deliveries_requeue() == []
    with later(minutes=6):
        assert services.deliveries_requeue() == [delivery.pk]  # that task was lost too: once more
        assert send_delivery(delivery.pk) == "delivered"  # a row queued again is due, not postponed


def test_a_sweep_late_by_a_whole_period_is_dropped_not_run(settings):
    """Behind a backlog, rows old enough to look lost are mostly waiting in that same queue: a late sweep would
    queue them again (1,000 at a time) and lengthen it. Beat's next sweep, once the queue drains, runs."""
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-webhook-deliveries"]
    assert entry["task"] == sweep_deliveries.name
    assert entry["options"]["expires"] == entry["schedule"] == settings.PPP_WEBHOOK_SWEEP_SECONDS


def test_the_sweep_keeps_a_claim_made_while_it_ran(endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    lease = timezone.now() + datetime.timedelta(minutes=10)
    with later(minutes=3):
        due = services.deliveries_due()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=1, next_attempt_at=lease)  # a worker claims
        with mock.patch.object(services, "deliveries_due", return_value=due):
            assert services.deliveries_requeue() == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (1, lease)


def test_an_attempt_costs_three_queries(endpoint, receiver, django_assert_num_queries):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    with django_assert_num_queries(3):  # claim, read the row and its endpoint, record the answer
        assert send_delivery(delivery.pk) == "delivered"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.DELIVERED, 1, 200)
    assert delivery.delivered_at and delivery.next_attempt_at is None


def test_an_attempt_that_outlived_its_claim_records_only_a_success(endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    lease = timezone.now() + datetime.timedelta(seconds=50)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=2, next_attempt_at=lease)  # attempt 2 runs
    first_attempt = WebhookDelivery.objects.get(pk=delivery.pk)
    first_attempt.attempts = 1

    assert services._record(first_attempt, sender.Answer(500, "HTTP 500", 5)) == "skipped"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.PENDING, 2, lease)
    assert delivery.last_status_code is None

    assert services._record(first_attempt, sender.Answer(200, "", 5)) == "delivered"  # the receiver has it
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (Status.DELIVERED, 200)


def test_the_tls_settings_are_built_once_per_ca_bundle(endpoint, receiver, ca_bundle):
    """Loading CAs for every send (the system's store: tens of ms of CPU) cost more than the rest of it."""
    sender._tls_context.cache_clear()
    for delivery in WebhookDeliveryFactory.create_batch(3, endpoint=endpoint):
        assert send_delivery(delivery.pk) == "delivered"

    assert sender._tls_context.cache_info().misses == 1
    assert len(receiver.requests) == 3 and all(request["verified"] for request in receiver.requests)


def test_redelivery_sends_the_same_event_again(endpoint, receiver, django_capture_on_commit_callbacks):
    event = publish(django_capture_on_commit_callbacks, [endpoint.vendor_id])
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_redeliver(delivery_id=delivery.pk, by=None)

    assert [request["json"]["id"] for request in receiver.requests] == [str(event.id)] * 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert delivery.redelivery_requested_at is not None


def test_an_inactive_endpoint_gets_nothing_queued_before_it_was_disabled(endpoint, receiver):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    endpoint.is_active = False
    endpoint.save()

    assert send_delivery(delivery.pk) == "failed"
    assert receiver.requests == []


def test_the_outbox_rolls_back_with_the_change(endpoint):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("payment.made", vendor_ids=[endpoint.vendor_id], payload={})
        assert WebhookDelivery.objects.count() == 1  # written with the change...
        raise RuntimeError
    assert WebhookDelivery.objects.count() == 0  # ...and gone with it


def test_the_same_event_is_written_once_per_endpoint(endpoint):
    event = events.Event(name="payment.made", vendor_ids=(endpoint.vendor_id,), id=uuid.uuid4())
    services.deliveries_record(event)
    with pytest.raises(Exception):  # noqa: B017 (the database's unique constraint, whichever error class)
        from django.db import transaction

        with transaction.atomic():
            services.deliveries_record(event)
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("endpoints", [1, 10])
def test_recording_an_event_costs_two_queries_whatever_the_endpoints(endpoints, django_assert_num_queries):
    vendor = VendorFactory()
    WebhookEndpointFactory.create_batch(endpoints, vendor=vendor)
    event = events.Event(name="payment.made", vendor_ids=(vendor.pk,))

    with django_assert_num_queries(2):  # the endpoints, one bulk insert
        services.deliveries_record(event)

    assert WebhookDelivery.objects.count() == endpoints
