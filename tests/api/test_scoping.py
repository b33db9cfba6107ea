"""The permission matrix: a vendor sees and touches only its own objects; another vendor's object answers 404,
exactly as a missing one does, for every method and action, and nothing changes. Officers read everything
and review; they do not report on a vendor's behalf."""

import io

import pytest
from django.forms.models import model_to_dict

from ppp.factories import BoardMemberFactory
from projects.models import Deliverable, Milestone

pytestmark = pytest.mark.django_db


def _urls(world):
    return {
        "agreement": f"/api/v1/agreements/{world.project.agreement_id}/",
        "project": f"/api/v1/projects/{world.project.pk}/",
        "milestone": f"/api/v1/milestones/{world.milestone.pk}/",
        "deliverable": f"/api/v1/deliverables/{world.deliverable.pk}/",
        "submitted": f"/api/v1/deliverables/{world.submitted.pk}/",
    }


def _writes(world):
    """(method, url, body) for every write the API offers, aimed at ``world``'s objects."""
    urls = _urls(world)
    return [
        ("patch", urls["deliverable"], {"progress": 90}),
        ("post", urls["deliverable"] + "start/", {}),
        ("post", urls["deliverable"] + "submit/", {}),
        ("post", urls["submitted"] + "accept/", {"comment": "fine"}),
        ("post", urls["submitted"] + "reject/", {"comment": "no"}),
    ]


def _snapshot():
    return [model_to_dict(d) for d in Deliverable.objects.order_by("pk")] + [
        model_to_dict(m) for m in Milestone.objects.order_by("pk")
    ]


def _refused_write_status(client, write) -> int:
    """Attempt ``write`` and check it changed nothing; return the status code it answered."""
    method, url, body = write
    before = _snapshot()
    response = getattr(client, method)(url, body)
    assert _snapshot() == before
    return response.status_code


@pytest.mark.parametrize("kind", ["agreement", "project", "milestone", "deliverable", "submitted"])
def test_another_vendors_object_reads_as_missing(client_a, vendor_b, kind):
    url = _urls(vendor_b)[kind]

    response = client_a.get(url)

    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "Not found.", "fields": {}}
    assert client_a.get(url.replace(url.rstrip("/").rsplit("/", 1)[1], "999999")).json() == response.json()


@pytest.mark.parametrize("write", range(5), ids=["patch", "start", "submit", "accept", "reject"])
def test_another_vendors_deliverable_cannot_be_written(client_a, vendor_b, write):
    assert _refused_write_status(client_a, _writes(vendor_b)[write]) == 404


def test_another_vendors_deliverable_gets_no_evidence(client_a, vendor_b):
    before = _snapshot()
    upload = io.BytesIO(b"%PDF-1.7 evidence")
    upload.name = "report.pdf"

    response = client_a.post(
        f"/api/v1/deliverables/{vendor_b.deliverable.pk}/evidence/", {"file": upload}, format="multipart"
    )

    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize("resource", ["agreements", "projects", "milestones", "deliverables"])
def test_lists_hold_only_the_callers_objects(client_a, vendor_a, vendor_b, resource):
    mine = {
        "agreements": {vendor_a.project.agreement_id},
        "projects": {vendor_a.project.pk},
        "milestones": {vendor_a.milestone.pk},
        "deliverables": {vendor_a.deliverable.pk, vendor_a.submitted.pk},
    }[resource]

    response = client_a.get(f"/api/v1/{resource}/")

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == mine


def test_a_vendor_sees_only_its_own_cost_share(client_a, vendor_a):
    agreement = client_a.get(f"/api/v1/agreements/{vendor_a.project.agreement_id}/").json()

    assert agreement["cost_shares"] == [
        {
            "vendor": vendor_a.vendor.pk,
            "party": "Alpha Builders Ltd",
            "percentage": "60.00",
            "committed_amount": "600000.00",
        }
    ]


def test_a_vendor_sees_a_shared_milestone_it_delivers_to_but_not_the_partners_deliverables(vendor_a, vendor_b):
    from procurement.factories import AgreementFactory
    from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory

    from .conftest import token_client

    joint = ProjectFactory(agreement=AgreementFactory(active=True, vendors=[vendor_b.vendor, vendor_a.vendor]))
    milestone = MilestoneFactory(project=joint, responsible_vendor=vendor_b.vendor)
    mine = DeliverableFactory(milestone=milestone, responsible_vendor=vendor_a.vendor)
    DeliverableFactory(milestone=milestone, responsible_vendor=vendor_b.vendor)
    client = token_client(vendor_a.user)

    assert client.get(f"/api/v1/milestones/{milestone.pk}/").status_code == 200
    listed = client.get(f"/api/v1/deliverables/?milestone={milestone.pk}").json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    shares = client.get(f"/api/v1/agreements/{joint.agreement_id}/").json()["cost_shares"]
    assert [share["vendor"] for share in shares] == [vendor_a.vendor.pk]


def test_officers_read_every_vendors_objects(api_officer_client, vendor_a, vendor_b):
    deliverables = api_officer_client.get("/api/v1/deliverables/").json()
    agreement = api_officer_client.get(f"/api/v1/agreements/{vendor_b.project.agreement_id}/").json()

    assert deliverables["count"] == 4
    assert {share["party"] for share in agreement["cost_shares"]} == {
        "Beta Systems GmbH",
        vendor_b.project.agreement.authority.name,
    }
    for url in _urls(vendor_a).values():
        assert api_officer_client.get(url).status_code == 200


@pytest.mark.parametrize("write", range(3), ids=["patch", "start", "submit"])
def test_officers_do_not_report_for_a_vendor(api_officer_client, vendor_a, write):
    assert _refused_write_status(api_officer_client, _writes(vendor_a)[write]) == 403


@pytest.mark.parametrize("verdict", ["accept", "reject"])
def test_vendors_cannot_review_their_own_work(client_a, vendor_a, verdict):
    before = _snapshot()

    response = client_a.post(f"/api/v1/deliverables/{vendor_a.submitted.pk}/{verdict}/", {"comment": "self"})

    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize("verdict", ["accept", "reject"])
def test_board_members_neither_read_nor_review_through_the_api(client, vendor_a, verdict):
    from rest_framework.test import APIClient

    board = APIClient()
    board.force_login(BoardMemberFactory())
    before = _snapshot()

    # Board members read their own boards' projects on the board pages; the API's agency view is for officers.
    assert board.get(f"/api/v1/deliverables/{vendor_a.submitted.pk}/").status_code == 403
    response = board.post(f"/api/v1/deliverables/{vendor_a.submitted.pk}/{verdict}/", {"comment": "x"})

    assert response.status_code == 403
    assert _snapshot() == before


def test_staff_without_view_permission_read_nothing(db, vendor_a):
    from rest_framework.test import APIClient

    from ppp.factories import UserFactory

    client = APIClient()
    client.force_login(UserFactory(is_staff=True))

    assert client.get("/api/v1/deliverables/").status_code == 403
    assert client.get(f"/api/v1/deliverables/{vendor_a.deliverable.pk}/").status_code == 403


@pytest.mark.parametrize("resource", ["agreements", "projects", "milestones", "deliverables"])
def test_options_on_another_vendors_object_is_a_404_too(client_a, vendor_a, vendor_b, resource):
    ids = {
        "agreements": (vendor_a.project.agreement_id, vendor_b.project.agreement_id),
        "projects": (vendor_a.project.pk, vendor_b.project.pk),
        "milestones": (vendor_a.milestone.pk, vendor_b.milestone.pk),
        "deliverables": (vendor_a.deliverable.pk, vendor_b.deliverable.pk),
    }[resource]

    assert client_a.options(f"/api/v1/{resource}/{ids[0]}/").status_code == 200
    assert client_a.options(f"/api/v1/{resource}/{ids[1]}/").status_code == 404
    assert client_a.head(f"/api/v1/{resource}/{ids[1]}/").status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_replacing_or_deleting_is_not_offered(client_a, vendor_a, method):
    before = _snapshot()

    response = getattr(client_a, method)(f"/api/v1/deliverables/{vendor_a.deliverable.pk}/", {})

    assert response.status_code == 405
    assert _snapshot() == before


def test_officer_session_writes_need_the_csrf_token(vendor_a, officer):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(f"/api/v1/deliverables/{vendor_a.submitted.pk}/accept/", {})

    assert response.status_code == 403
    assert Deliverable.objects.get(pk=vendor_a.submitted.pk).status == Deliverable.Status.SUBMITTED
