"""Factories for webhook endpoints and deliveries (tests; endpoints are otherwise made by vendors)."""

import uuid

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from procurement.factories import VendorFactory

from .models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFactory(DjangoModelFactory):
    """Written directly, not through ``endpoint_create``: that one resolves the host, which tests may not."""

    class Meta:
        model = WebhookEndpoint

    vendor = factory.SubFactory(VendorFactory)
    url = factory.Sequence(lambda n: f"https://hooks.example.com/ppp/{n}")
    description = "ERP integration"
    events = factory.LazyFunction(list)
    is_active = True


class WebhookDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_id = factory.LazyFunction(uuid.uuid4)
    event = "deliverable.accepted"
    occurred_at = factory.LazyFunction(timezone.now)
    payload = factory.LazyFunction(lambda: {"deliverable": 1})
    status = WebhookDelivery.Status.PENDING
    next_attempt_at = factory.LazyFunction(timezone.now)
