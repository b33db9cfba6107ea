"""The partner API for webhooks: a vendor's own endpoints and delivery log only; the secret shown once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import token_client
from webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_dns(monkeypatch):
    """hooks.alpha.example resolves to a public address (no real DNS in tests)."""
    import socket

    def fake(host, port, *args, **kwargs):
        table = {
            "hooks.alpha.example": "93.184.215.14",
            "internal.alpha.example": "10.1.2.3",
            "metadata.alpha.example": "169.254.169.254",
            "loop.alpha.example": "127.0.0.1",
            "v6loop.alpha.example": "::1",
            "mapped.alpha.example": "::ffff:10.0.0.1",
            "localhost": "127.0.0.1",
        }
        if host not in table:
            raise socket.gaierror("unknown")
        family = socket.AF_INET6 if ":" in table[host] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (table[host], port))]

    monkeypatch.setattr("webhooks.safety.socket.getaddrinfo", fake)


def test_a_vendor_registers_an_endpoint_and_sees_the_secret_only_then(vendor_a, client_a, public_dns):
    response = client_a.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.alpha.example/ppp", "description": "ERP", "events": ["payment.made"]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert (endpoint.vendor, endpoint.created_by, endpoint.events) == (vendor_a.vendor, vendor_a.user, ["payment.made"])
    assert "secret" not in client_a.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    assert "secret" not in client_a.get("/api/v1/webhooks/").json()["results"][0]
    assert endpoint.history.first().history_user == vendor_a.user


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.alpha.example/ppp", "https://"),
        ("https://127.0.0.1/ppp", "host name"),
        ("https://localhost:8443/ppp", "host name"),
        ("https://[::1]/ppp", "host name"),
        ("https://internal.alpha.example/ppp", "private"),
        ("https://metadata.alpha.example/latest/meta-data", "private"),
        ("https://loop.alpha.example:8443/ppp", "private"),
        ("https://v6loop.alpha.example/ppp", "private"),
        ("https://mapped.alpha.example/ppp", "private"),
        ("https://nowhere.alpha.example/ppp", "does not resolve"),
        ("https://user:pw@hooks.alpha.example/ppp", "host name"),
        ("https://hooks.alpha.example/ppp\n", "valid URL"),
        ("not a url", "host name"),
    ],
)
def test_an_unsafe_or_bad_url_is_a_400_on_the_url_field(client_a, public_dns, url, says):
    response = client_a.post("/api/v1/webhooks/", {"url": url}, format="json")

    assert response.status_code == 400
    assert says in " ".join(response.json()["fields"]["url"])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/ppp",
        "https://10.0.0.7/ppp",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/ppp",
        "https://[::ffff:10.0.0.1]/ppp",
        "https://[fe80::1]/ppp",
        "https://0.0.0.0/ppp",
    ],
)
def test_the_service_refuses_private_address_literals_from_any_caller(vendor_a, url):
    from ppp.errors import RuleViolation
    from webhooks import services

    with pytest.raises(RuleViolation) as refused:
        services.endpoint_create(vendor=vendor_a.vendor, by=vendor_a.user, url=url)
    assert refused.value.field == "url" and "private" in refused.value.message


@pytest.mark.parametrize("value", [0, "yes", "true", None])
def test_is_active_takes_true_or_false_only(client_a, public_dns, value):
    response = client_a.post(
        "/api/v1/webhooks/", {"url": "https://hooks.alpha.example/", "is_active": value}, format="json"
    )
    assert response.status_code == 400 and "is_active" in response.json()["fields"]


def test_a_description_must_be_text(client_a, public_dns):
    response = client_a.post(
        "/api/v1/webhooks/", {"url": "https://hooks.alpha.example/", "description": 0}, format="json"
    )
    assert response.status_code == 400 and "description" in response.json()["fields"]


def test_an_unknown_event_name_is_a_400_on_events(client_a, public_dns):
    response = client_a.post(
        "/api/v1/webhooks/", {"url": "https://hooks.alpha.example/", "events": ["payment.lost"]}, format="json"
    )
    assert response.status_code == 400 and "events.0" in response.json()["fields"]


def test_an_endpoint_moved_to_a_private_address_is_refused_at_send_time(vendor_a, settings):
    """A name that resolves somewhere private later (DNS rebinding) gets nothing: the check runs again."""
    endpoint = WebhookEndpointFactory(vendor=vendor_a.vendor, url="https://127.0.0.1:9/ppp")
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    from webhooks.tasks import send_delivery

    assert send_delivery(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert "private" in delivery.last_error and delivery.last_status_code is None


def test_a_vendor_changes_rotates_pings_and_removes_its_endpoint(vendor_a, client_a, public_dns):
    endpoint = WebhookEndpointFactory(vendor=vendor_a.vendor, url="https://hooks.alpha.example/ppp")
    old_secret = endpoint.secret

    changed = client_a.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": False, "events": []}, format="json")
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert client_a.post(f"/api/v1/webhooks/{endpoint.pk}/ping/").status_code == 409  # inactive

    client_a.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True}, format="json")
    rotated = client_a.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    assert rotated.status_code == 200 and rotated.json()["secret"] == endpoint.secret != old_secret

    pinged = client_a.post(f"/api/v1/webhooks/{endpoint.pk}/ping/")
    assert pinged.status_code == 202 and pinged.json()["event"] == "ping"

    assert client_a.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_another_vendors_endpoints_and_deliveries_are_404(vendor_a, vendor_b, client_a):
    theirs = WebhookEndpointFactory(vendor=vendor_b.vendor)
    delivery = WebhookDeliveryFactory(endpoint=theirs, status="failed", next_attempt_at=None)

    assert client_a.get("/api/v1/webhooks/").json()["count"] == 0
    assert client_a.get("/api/v1/webhook-deliveries/").json()["count"] == 0
    for method, url in [
        ("get", f"/api/v1/webhooks/{theirs.pk}/"),
        ("patch", f"/api/v1/webhooks/{theirs.pk}/"),
        ("delete", f"/api/v1/webhooks/{theirs.pk}/"),
        ("post", f"/api/v1/webhooks/{theirs.pk}/rotate-secret/"),
        ("post", f"/api/v1/webhooks/{theirs.pk}/ping/"),
        ("get", f"/api/v1/webhook-deliveries/{delivery.pk}/"),
        ("post", f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/"),
    ]:
        assert getattr(client_a, method)(url, {}, format="json").status_code == 404, url
    assert WebhookEndpoint.objects.get().secret == theirs.secret
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_officers_read_every_endpoint_but_do_not_manage_them(vendor_a, api_officer_client):
    endpoint = WebhookEndpointFactory(vendor=vendor_a.vendor)

    assert api_officer_client.get("/api/v1/webhooks/").json()["count"] == 1
    assert api_officer_client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/").status_code == 403
    assert api_officer_client.post("/api/v1/webhooks/", {"url": "https://x.example/"}, format="json").status_code == 403


def test_the_delivery_log_filters_and_redelivers(vendor_a, client_a, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(vendor=vendor_a.vendor)
    other = WebhookEndpointFactory(vendor=vendor_a.vendor)
    failed = WebhookDeliveryFactory(endpoint=endpoint, event="payment.made", status="failed", next_attempt_at=None)
    WebhookDeliveryFactory(endpoint=endpoint, event="deliverable.accepted")
    WebhookDeliveryFactory(endpoint=other, event="payment.made")

    def ids(query):
        response = client_a.get(f"/api/v1/webhook-deliveries/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert len(ids(f"endpoint={endpoint.pk}")) == 2
    assert ids("status=failed") == [failed.pk]
    assert len(ids("event=payment.made")) == 2
    assert client_a.get("/api/v1/webhook-deliveries/?event=nonsense").status_code == 400

    response = client_a.post(f"/api/v1/webhook-deliveries/{failed.pk}/redeliver/")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    failed.refresh_from_db()
    assert (failed.attempts, failed.redelivery_requested_by) == (0, vendor_a.user)
    # Already pending: nothing to redeliver.
    assert client_a.post(f"/api/v1/webhook-deliveries/{failed.pk}/redeliver/").status_code == 409


@pytest.mark.parametrize("resource", ["webhooks", "webhook-deliveries"])
def test_lists_cost_the_same_queries_at_5_and_50_rows(vendor_a, client_a, resource, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            endpoint = WebhookEndpointFactory(vendor=vendor_a.vendor)
            WebhookDeliveryFactory(endpoint=endpoint, occurred_at=timezone.now() - datetime.timedelta(minutes=1))

    add(5)
    with CaptureQueriesContext(connection) as at_5:
        assert client_a.get(f"/api/v1/{resource}/?page_size=100").json()["count"] == 5
    add(45)
    with django_assert_num_queries(len(at_5)):
        assert client_a.get(f"/api/v1/{resource}/?page_size=100").json()["count"] == 50


def test_the_endpoints_are_in_the_openapi_document(api_officer_client):
    paths = api_officer_client.get("/api/v1/schema/?format=json").json()["paths"]
    assert {
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/",
        "/api/v1/webhooks/{id}/rotate-secret/",
        "/api/v1/webhooks/{id}/ping/",
        "/api/v1/webhook-deliveries/",
        "/api/v1/webhook-deliveries/{id}/redeliver/",
    } <= set(paths)
    assert "409" in paths["/api/v1/webhook-deliveries/{id}/redeliver/"]["post"]["responses"]


def test_a_token_of_a_suspended_vendor_is_refused(vendor_a):
    vendor_a.vendor.status = "suspended"
    vendor_a.vendor.save()
    assert token_client(vendor_a.user).get("/api/v1/webhooks/").status_code in (401, 403)
