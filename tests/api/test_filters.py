"""Filters, ordering and pagination on the list endpoints."""

import datetime

import pytest
from django.utils import timezone

from projects.factories import DeliverableFactory, IterationFactory, MilestoneFactory
from projects.models import Deliverable, Milestone

pytestmark = pytest.mark.django_db


def _ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def milestones(vendor_a):
    project = vendor_a.project
    today = timezone.localdate()
    return {
        "late": MilestoneFactory(project=project, overdue_days=3),
        "due_today": MilestoneFactory(project=project, due_date=today),
        "late_but_achieved": MilestoneFactory(project=project, overdue_days=10, achieved=True),
        "next_week": MilestoneFactory(project=project, due_date=today + datetime.timedelta(days=7)),
        "baseline": vendor_a.milestone,  # due in 30 days
    }


def test_overdue_true_lists_open_milestones_past_due(client_a, milestones):
    assert _ids(client_a.get("/api/v1/milestones/?overdue=true")) == [milestones["late"].pk]


def test_overdue_false_lists_the_rest(client_a, milestones):
    assert milestones["late"].pk not in _ids(client_a.get("/api/v1/milestones/?overdue=false"))
    assert len(_ids(client_a.get("/api/v1/milestones/?overdue=false"))) == 4


def test_due_date_range(client_a, milestones):
    today = timezone.localdate()
    url = f"/api/v1/milestones/?due_date_after={today}&due_date_before={today + datetime.timedelta(days=7)}"

    assert _ids(client_a.get(url)) == [milestones["due_today"].pk, milestones["next_week"].pk]


def test_status_accepts_several_values(client_a, milestones):
    Milestone.objects.filter(pk=milestones["next_week"].pk).update(status=Milestone.Status.IN_PROGRESS)

    ids = _ids(client_a.get("/api/v1/milestones/?status=achieved&status=in_progress"))

    assert sorted(ids) == sorted([milestones["late_but_achieved"].pk, milestones["next_week"].pk])


def test_milestones_by_project_and_iteration(client_a, vendor_a, vendor_b):
    iteration = IterationFactory(project__agreement=vendor_a.project.agreement)
    in_sprint = MilestoneFactory(project=iteration.project, iteration=iteration)

    assert _ids(client_a.get(f"/api/v1/milestones/?project={vendor_a.project.pk}")) == [vendor_a.milestone.pk]
    assert _ids(client_a.get(f"/api/v1/milestones/?iteration={iteration.pk}")) == [in_sprint.pk]
    assert _ids(client_a.get(f"/api/v1/milestones/?project={vendor_b.project.pk}")) == []


def test_deliverables_by_milestone_project_and_status(client_a, vendor_a):
    other = DeliverableFactory(milestone=MilestoneFactory(project__agreement=vendor_a.project.agreement))

    assert _ids(client_a.get(f"/api/v1/deliverables/?milestone={other.milestone_id}")) == [other.pk]
    assert _ids(client_a.get(f"/api/v1/deliverables/?project={other.milestone.project_id}")) == [other.pk]
    assert _ids(client_a.get("/api/v1/deliverables/?status=submitted")) == [vendor_a.submitted.pk]


@pytest.mark.parametrize(
    "query, field",
    [
        ("/api/v1/milestones/?overdue=perhaps", "overdue"),
        ("/api/v1/milestones/?due_date_after=yesterday", "due_date"),
        ("/api/v1/milestones/?status=late", "status"),
        ("/api/v1/milestones/?project=abc", "project"),
        ("/api/v1/deliverables/?status=done", "status"),
        ("/api/v1/milestones/?due_date_before=", "due_date"),
        ("/api/v1/deliverables/?project=", "project"),
        ("/api/v1/deliverables/?status=", "status"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_it(client_a, vendor_a, query, field):
    response = client_a.get(query)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_ordering(client_a, vendor_a):
    Deliverable.objects.filter(pk=vendor_a.deliverable.pk).update(progress=90)

    assert _ids(client_a.get("/api/v1/deliverables/?ordering=progress")) == [
        vendor_a.deliverable.pk,
        vendor_a.submitted.pk,
    ]
    assert _ids(client_a.get("/api/v1/deliverables/?ordering=-progress")) == [
        vendor_a.submitted.pk,
        vendor_a.deliverable.pk,
    ]


@pytest.mark.parametrize(
    "path, allowed",
    [
        ("/api/v1/agreements/", ["reference", "start_date", "end_date", "status"]),
        ("/api/v1/projects/", ["code", "name", "start_date", "end_date"]),
        ("/api/v1/milestones/", ["due_date", "baseline_due_date", "status", "title", "id"]),
        ("/api/v1/deliverables/", ["id", "status", "progress", "updated_at", "submitted_at"]),
    ],
)
@pytest.mark.parametrize("ordering", ["bogus", "progress,bogus", "-", "", " id", "responsible_vendor__legal_name"])
def test_an_unknown_ordering_is_a_400_naming_the_allowed_fields(client_a, vendor_a, path, allowed, ordering):
    # DRF's own OrderingFilter would silently sort by the default and answer 200.
    if ordering == "progress,bogus" and "progress" not in allowed:
        ordering = f"{allowed[0]},bogus"

    response = client_a.get(path, {"ordering": ordering})

    assert response.status_code == 400
    [message] = response.json()["fields"]["ordering"]
    assert all(name in message for name in allowed)


def test_several_orderings_combine(client_a, vendor_a):
    response = client_a.get("/api/v1/deliverables/?ordering=-status,id")

    assert response.status_code == 200
    assert _ids(response) == [vendor_a.submitted.pk, vendor_a.deliverable.pk]


def test_the_schema_documents_the_allowed_orderings():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    [ordering] = [p for p in schema["paths"]["/api/v1/projects/"]["get"]["parameters"] if p["name"] == "ordering"]

    assert "code, name, start_date, end_date" in ordering["description"]
    assert ordering["schema"]["pattern"] == "^-?(code|name|start_date|end_date)(,-?(code|name|start_date|end_date))*$"


def test_pages_and_their_size(client_a, vendor_a):
    DeliverableFactory.create_batch(3, milestone=vendor_a.milestone)

    first = client_a.get("/api/v1/deliverables/?page_size=2").json()
    largest = client_a.get("/api/v1/deliverables/?page_size=200").json()

    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["next"].endswith("page=2&page_size=2")
    assert len(largest["results"]) == 5


def test_a_page_past_the_end_is_a_404(client_a, vendor_a):
    response = client_a.get("/api/v1/deliverables/?page=9")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page_size", ["0", "-3", "ten", "1.5", "", "201"])
def test_a_bad_page_size_is_a_400(client_a, vendor_a, page_size):
    response = client_a.get(f"/api/v1/deliverables/?page_size={page_size}")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["page_size"]


@pytest.mark.parametrize("value", ["1e308", "-1.7976931348623157e+308", "99999999999999999999", "0", "1.5"])
def test_ids_out_of_range_are_a_400_not_a_database_error(client_a, vendor_a, value):
    response = client_a.get(f"/api/v1/projects/?agreement={value}")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["agreement"]


def test_an_unknown_api_path_is_a_json_404(client_a):
    response = client_a.get("/api/v1/deliverables/abc/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
