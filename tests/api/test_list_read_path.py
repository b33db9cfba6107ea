"""The lists' fast read path (api/listing.py, api/renderers.py, the one-query token check) changes nothing a
partner sees: each row of a list reads exactly as the object's own page, and the JSON is DRF's, byte for byte."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy
from knox.models import AuthToken
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from api.renderers import ORJSONRenderer
from ppp.factories import DEMO_PASSWORD
from projects.factories import DeliverableFactory, IterationFactory, MilestoneFactory, ProjectFactory
from projects.models import Deliverable

pytestmark = pytest.mark.django_db


def _rows_and_pages(client, resource: str) -> tuple[list, list]:
    listed = client.get(f"/api/v1/{resource}/?page_size=100")
    assert listed.status_code == 200
    rows = listed.json()["results"]
    pages = [client.get(f"/api/v1/{resource}/{row['id']}/").json() for row in rows]
    return rows, pages


@pytest.mark.parametrize("caller", ["client_a", "api_officer_client"])
def test_every_list_row_reads_as_the_objects_own_page(request, vendor_a, caller):
    # Given rows with every kind of value: nulls, dates, money, an overdue and an achieved milestone,
    # an iteration, a reviewed deliverable and one with an evidence file.
    project = vendor_a.project
    ProjectFactory(agreement=project.agreement, description="Zürich – “quoted”")
    iteration = IterationFactory(project=project)
    MilestoneFactory(project=project, iteration=iteration, overdue_days=12, payment_amount=Decimal("1234.50"))
    MilestoneFactory(project=project, achieved=True, overdue_days=3)
    with_file = DeliverableFactory(milestone=vendor_a.milestone, status=Deliverable.Status.IN_PROGRESS)
    with_file.evidence_file.save("site-survey.pdf", ContentFile(b"%PDF-1.7\n..."), save=True)
    DeliverableFactory(milestone=vendor_a.milestone, submitted=True, description="Zürich – “quoted”")
    client = request.getfixturevalue(caller)

    for resource in ("projects", "milestones", "deliverables"):
        # When the list and each object's page are read
        rows, pages = _rows_and_pages(client, resource)

        # Then they agree field for field, in the same field order.
        assert len(rows) >= 2
        assert rows == pages
        assert [list(row) for row in rows] == [list(page) for page in pages]

    deliverables = client.get("/api/v1/deliverables/").json()["results"]
    assert any(row["evidence_file"] and row["evidence_file"].startswith("http") for row in deliverables)
    milestones = client.get("/api/v1/milestones/?overdue=true").json()["results"]
    assert [row["days_overdue"] for row in milestones] == [12]


def test_list_filters_ordering_and_pages_still_apply(vendor_a, client_a):
    MilestoneFactory.create_batch(4, project=vendor_a.project)

    first = client_a.get("/api/v1/milestones/?page_size=2&ordering=-id").json()
    second = client_a.get("/api/v1/milestones/?page_size=2&page=2&ordering=-id").json()

    assert first["count"] == second["count"] == 5
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True)
    assert second["next"] is not None and second["previous"] is not None


@pytest.mark.parametrize(
    "data",
    [
        {"amount": Decimal("12.50"), "when": datetime.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)},
        {"day": datetime.date(2026, 3, 1), "at": datetime.time(9, 30, 15, 250000), "none": None, "flag": True},
        {"text": "Zürich – “quoted”, line\u2028separator\u2029", "lazy": gettext_lazy("Not found."), 7: [1, 2.5]},
        [{"nested": ({"a": 1},)}],
    ],
)
def test_the_json_is_drfs_byte_for_byte(data):
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_pretty_printing_on_request_still_works():
    rendered = ORJSONRenderer().render({"a": 1}, "application/json; indent=2", {})

    assert rendered == b'{\n  "a": 1\n}'


def test_an_expired_token_is_refused_and_forgotten(vendor_a):
    expired, token = AuthToken.objects.create(user=vendor_a.user, expiry=datetime.timedelta(seconds=-1))

    response = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")

    assert response.status_code == 401
    assert not AuthToken.objects.filter(pk=expired.pk).exists()


def test_signing_in_clears_the_users_expired_tokens(vendor_a):
    AuthToken.objects.create(user=vendor_a.user, expiry=datetime.timedelta(seconds=-1))
    still_valid, _ = AuthToken.objects.create(user=vendor_a.user)

    response = APIClient().post("/api/v1/auth/login/", {"username": vendor_a.user.username, "password": DEMO_PASSWORD})

    assert response.status_code == 200
    assert AuthToken.objects.filter(user=vendor_a.user).count() == 2  # the valid one and the new one
    assert AuthToken.objects.filter(pk=still_valid.pk).exists()
