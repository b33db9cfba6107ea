"""Board members are staff, but the partner API's agency view is for officers who see every project."""

import pytest
from django.urls import reverse

from projects.factories import MilestoneFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["project-list", "milestone-list", "deliverable-list", "agreement-list", "api-me"])
def test_board_member_session_is_refused(board_client, board_member, name):
    MilestoneFactory().project.board_members.add(board_member)

    response = board_client.get(reverse(name))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_officer_session_still_reads_everything(officer_client):
    MilestoneFactory.create_batch(2)

    response = officer_client.get(reverse("milestone-list"))

    assert response.status_code == 200 and response.json()["count"] == 2
