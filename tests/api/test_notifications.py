"""GET /api/v1/notifications/ and marking read: a vendor user's own notifications, never another's."""

import pytest

from projects.factories import NotificationFactory
from projects.models import Notification

from .conftest import token_client

pytestmark = pytest.mark.django_db
LIST = "/api/v1/notifications/"


def test_a_vendor_user_lists_only_their_own_newest_first(vendor_a, vendor_b, client_a):
    older = NotificationFactory(user=vendor_a.user, created_at="2026-06-14T07:00Z")
    newer = NotificationFactory(user=vendor_a.user, created_at="2026-06-15T07:00Z")
    NotificationFactory(user=vendor_b.user)

    body = client_a.get(LIST).json()

    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    row = body["results"][0]
    assert row["label"] == "Level 1" and row["read"] is False
    assert row["meaning"].startswith("Level 1: 1 day overdue")
    assert row["milestone"] == newer.alert.milestone_id


def test_filter_unread_and_a_bad_value_is_a_400(vendor_a, client_a):
    unread = NotificationFactory(user=vendor_a.user)
    NotificationFactory(user=vendor_a.user, read_at="2026-06-15T07:00Z")

    assert [row["id"] for row in client_a.get(LIST, {"unread": "true"}).json()["results"]] == [unread.pk]
    assert client_a.get(LIST, {"unread": "maybe"}).status_code == 400


def test_mark_one_read_and_another_users_is_a_404(vendor_a, vendor_b, client_a):
    mine = NotificationFactory(user=vendor_a.user)
    theirs = NotificationFactory(user=vendor_b.user)

    response = client_a.post(f"{LIST}{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert client_a.post(f"{LIST}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_marks_only_mine(vendor_a, vendor_b, client_a):
    NotificationFactory.create_batch(3, user=vendor_a.user)
    theirs = NotificationFactory(user=vendor_b.user)

    response = client_a.post(f"{LIST}read-all/")

    assert response.json() == {"marked": 3}
    assert not Notification.objects.filter(user=vendor_a.user).unread().exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_officer_sees_only_their_own_too(officer, api_officer_client, vendor_a):
    NotificationFactory(user=vendor_a.user)
    mine = NotificationFactory(user=officer)

    assert [row["id"] for row in api_officer_client.get(LIST).json()["results"]] == [mine.pk]


def test_anonymous_callers_are_refused(anon_client):
    assert anon_client.get(LIST).status_code in (401, 403)


@pytest.mark.parametrize("size", [2, 20])
def test_the_list_takes_the_same_queries_at_any_size(vendor_a, size, django_assert_num_queries):
    NotificationFactory.create_batch(size, user=vendor_a.user)
    client = token_client(vendor_a.user)
    client.get(LIST)  # warm caches

    # token (with the vendor membership), count, page
    with django_assert_num_queries(3):
        response = client.get(LIST)
    assert len(response.json()["results"]) == size


def test_the_endpoints_are_in_the_openapi_document(client_a):
    paths = client_a.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/v1/notifications/", "/api/v1/notifications/{id}/read/", "/api/v1/notifications/read-all/"} <= set(
        paths
    )


def test_an_empty_page_parameter_is_a_400(client_a):
    response = client_a.get(LIST, {"page": ""})
    assert response.status_code == 400 and "page" in response.json()["fields"]
