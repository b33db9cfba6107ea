"""Officers read endpoints (with history, never the secret) and deliveries, and redeliver; boards see neither."""

import pytest
from django.urls import reverse

from ppp.factories import OfficerFactory
from webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def test_officers_read_endpoints_and_their_history_without_the_secret(officer_client):
    endpoint = WebhookEndpointFactory()

    listing = officer_client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    page = officer_client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    history = officer_client.get(reverse("admin:webhooks_webhookendpoint_history", args=[endpoint.pk]))

    assert listing.status_code == page.status_code == history.status_code == 200
    assert endpoint.url in listing.content.decode()
    assert endpoint.secret not in page.content.decode() + listing.content.decode() + history.content.decode()
    assert officer_client.get(reverse("admin:webhooks_webhookendpoint_add")).status_code == 403


def test_officers_redeliver_given_up_deliveries_from_the_log(officer_client, officer):
    failed = WebhookDeliveryFactory(status="failed", next_attempt_at=None, attempts=8)
    pending = WebhookDeliveryFactory()

    response = officer_client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "redeliver_selected", "_selected_action": [failed.pk, pending.pk]},
        follow=True,
    )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.redelivery_requested_by) == ("pending", 0, officer)
    assert "still pending" in response.content.decode()  # the pending one is refused, with why


def test_the_delivery_log_lists_in_constant_queries(officer_client, django_assert_max_num_queries):
    WebhookDeliveryFactory.create_batch(3)
    url = reverse("admin:webhooks_webhookdelivery_changelist")
    officer_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        officer_client.get(url)
    WebhookDeliveryFactory.create_batch(20)
    with django_assert_max_num_queries(len(small)):
        officer_client.get(url)


def test_board_members_see_no_webhooks(board_client):
    assert board_client.get(reverse("admin:webhooks_webhookendpoint_changelist")).status_code == 403
    assert board_client.get(reverse("admin:webhooks_webhookdelivery_changelist")).status_code == 403


def test_an_officer_without_the_change_permission_cannot_redeliver(client):
    viewer = OfficerFactory()
    viewer.groups.clear()
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(viewer)
    failed = WebhookDeliveryFactory(status="failed", next_attempt_at=None)

    client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "redeliver_selected", "_selected_action": [failed.pk]},
    )

    assert WebhookDelivery.objects.get().status == "failed"
