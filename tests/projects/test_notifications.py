"""In-app notifications in the admin (officers) and on the board pages (board members): each user sees, counts
and marks read only their own."""

import pytest
from django.urls import reverse

from projects.factories import NotificationFactory
from projects.models import Notification

pytestmark = pytest.mark.django_db
ADMIN_LIST = reverse("admin:projects_notification_changelist")
BOARD_LIST = reverse("boards:notifications")


@pytest.fixture
def theirs(db):
    """Someone else's notification, which no path may show or touch."""
    return NotificationFactory(alert__milestone__title="Someone else's milestone")


# --- Admin (officers) ----------------------------------------------------------------------------


def test_the_admin_index_counts_my_unread_notifications_only(officer, officer_client, theirs):
    NotificationFactory.create_batch(2, user=officer)
    NotificationFactory(user=officer, read_at="2026-06-15T07:00Z")

    response = officer_client.get(reverse("admin:index"))

    assert response.context["unread_notifications"] == 2
    assert "Unread notifications" in response.content.decode()


def test_the_admin_list_shows_mine_and_never_anyone_elses(officer, officer_client, theirs):
    mine = NotificationFactory(user=officer, alert__milestone__title="My milestone")

    response = officer_client.get(ADMIN_LIST)

    page = response.content.decode()
    assert "My milestone" in page and "Someone else" not in page
    assert list(response.context["cl"].result_list) == [mine]
    detail = reverse("admin:projects_notification_change", args=[theirs.pk])
    assert officer_client.get(detail).status_code in (302, 404)


def test_an_officer_marks_one_or_all_read_in_the_admin_and_never_someone_elses(officer, officer_client, theirs):
    first, second, third = NotificationFactory.create_batch(3, user=officer)

    officer_client.post(
        ADMIN_LIST, {"action": "mark_read", "_selected_action": [str(first.pk), str(theirs.pk)]}, follow=True
    )
    assert Notification.objects.unread().filter(user=officer).count() == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None

    officer_client.post(reverse("admin:projects_notification_read_all"))

    assert not Notification.objects.filter(user=officer).unread().exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("size", [2, 20])
def test_the_admin_list_takes_the_same_queries_at_any_size(
    officer, officer_client, size, django_assert_max_num_queries
):
    NotificationFactory.create_batch(size, user=officer)
    officer_client.get(ADMIN_LIST)  # warm the session and content types

    with django_assert_max_num_queries(10):
        response = officer_client.get(ADMIN_LIST)
    assert len(response.context["cl"].result_list) == size


# --- Board pages (board members) ------------------------------------------------------------------


def test_the_board_header_shows_my_unread_count(board_member, board_client, theirs):
    NotificationFactory.create_batch(3, user=board_member)

    page = board_client.get(reverse("boards:project_list")).content.decode()

    assert '<span class="badge" aria-label="3 unread">3</span>' in page


def test_the_board_list_shows_mine_filters_unread_and_marks_read(board_member, board_client, theirs):
    unread = NotificationFactory(user=board_member, alert__milestone__title="Unread milestone")
    NotificationFactory(user=board_member, alert__milestone__title="Read milestone", read_at="2026-06-15T07:00Z")

    page = board_client.get(BOARD_LIST).content.decode()
    assert "Unread milestone" in page and "Read milestone" in page and "Someone else" not in page
    unread_page = board_client.get(BOARD_LIST, {"unread": "1"}).content.decode()
    assert "Unread milestone" in unread_page and "Read milestone" not in unread_page

    response = board_client.post(reverse("boards:notification_read", args=[unread.pk]))
    assert response.status_code == 302
    unread.refresh_from_db()
    assert unread.read_at is not None


def test_a_board_member_cannot_mark_someone_elses_read(board_client, theirs):
    response = board_client.post(reverse("boards:notification_read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_on_the_board_pages_touches_only_mine(board_member, board_client, theirs):
    NotificationFactory.create_batch(2, user=board_member)

    board_client.post(reverse("boards:notifications_read_all"))

    assert not Notification.objects.filter(user=board_member).unread().exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(board_member, board_client):
    notification = NotificationFactory(user=board_member)
    assert board_client.get(reverse("boards:notification_read", args=[notification.pk])).status_code == 405


@pytest.mark.parametrize("size", [2, 20])
def test_the_board_list_takes_the_same_queries_at_any_size(board_member, board_client, size, django_assert_num_queries):
    NotificationFactory.create_batch(size, user=board_member)

    # session, user, the page's rows, the count for the pager, the unread count and the header badge
    with django_assert_num_queries(6):
        response = board_client.get(BOARD_LIST)
    assert len(response.context["page"].object_list) == size
