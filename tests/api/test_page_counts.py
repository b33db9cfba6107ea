"""A vendor's list page carries its own total (one query): the count, next/previous links and the 404 past the
end must read exactly as when the list was counted apart."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.factories import MilestoneFactory
from projects.models import Milestone
from projects.selectors import milestone_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve_milestones(vendor_a):
    """Vendor A reads exactly 12 milestones, 5 of them achieved (topped up from what the world holds)."""
    visible = milestone_list(vendor=vendor_a.vendor)
    achieved = 5 - visible.filter(status=Milestone.Status.ACHIEVED).count()
    MilestoneFactory.create_batch(achieved, project=vendor_a.project, responsible_vendor=vendor_a.vendor, achieved=True)
    MilestoneFactory.create_batch(12 - visible.count(), project=vendor_a.project, responsible_vendor=vendor_a.vendor)
    assert visible.count() == 12 and not visible.filter(status=Milestone.Status.CANCELLED).exists()
    return vendor_a


def _page(client, query: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/milestones/?{query}")
    return response, len(queries)


def test_each_page_tells_the_whole_lists_count_in_one_query(client_a, twelve_milestones):
    seen = []
    for number in (1, 2, 3):
        response, queries = _page(client_a, f"page_size=5&page={number}")
        body = response.json()
        assert response.status_code == 200
        assert body["count"] == 12
        assert queries == 2  # the token, then the page with its total
        seen += [row["id"] for row in body["results"]]
    assert len(seen) == len(set(seen)) == 12
    assert body["next"] is None and "page=2" in body["previous"]


def test_a_filtered_page_counts_the_filtered_rows(client_a, twelve_milestones):
    response, queries = _page(client_a, "status=achieved&page_size=2&page=2")
    assert response.json()["count"] == 5
    assert len(response.json()["results"]) == 2
    assert queries == 2


def test_a_page_past_the_end_is_still_a_404(client_a, twelve_milestones):
    response, _ = _page(client_a, "page_size=5&page=4")
    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid page."


def test_an_empty_list_is_page_one_with_a_count_of_nought(client_a, twelve_milestones):
    response, _ = _page(client_a, "status=cancelled")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("page", ["0", "-1", "x", "2441659121534905614336"])
def test_a_page_that_cannot_exist_is_a_404_without_reading_rows(client_a, twelve_milestones, page):
    response, queries = _page(client_a, f"page={page}")
    assert response.status_code == 404
    assert queries <= 2  # the token (and, past any list, the count that says so); never the rows
