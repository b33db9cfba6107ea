"""What a caller may read: a vendor its own endpoints and their deliveries; officers (``vendor=None``) all."""

from procurement.models import Vendor

from .models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, vendor: Vendor | None):
    endpoints = WebhookEndpoint.objects.all()
    return endpoints if vendor is None else endpoints.for_vendor(vendor)


def delivery_list(*, vendor: Vendor | None):
    """One query a page: the rows name their endpoint by id, nothing else is joined but the vendor filter."""
    deliveries = WebhookDelivery.objects.all()
    return deliveries if vendor is None else deliveries.for_vendor(vendor)
