"""A vendor reads the amendments of its agreements and the risks it bears through the partner API: only its
own (another vendor's answers 404), with the contract terms but never an officer's name; officers read all."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ppp.factories import OfficerFactory
from procurement.factories import AmendmentFactory, AmendmentShareChangeFactory, VendorFactory, VendorUserFactory
from procurement.models import Amendment, CostShare
from projects.factories import ProjectFactory, RiskFactory
from projects.models import Risk

from .conftest import token_client

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def _approved_amendment(world, **fields) -> Amendment:
    """An approved amendment of ``world``'s agreement moving its share to 60 % and the authority's to 40 %."""
    amendment = AmendmentFactory(
        agreement=world.project.agreement,
        status=Amendment.Status.APPROVED,
        decided_by=OfficerFactory(email="approver@agency.example"),
        decided_at=timezone.now(),
        decision_note="Approved by the steering committee.",
        new_end_date=world.project.agreement.end_date + datetime.timedelta(days=90),
        **fields,
    )
    AmendmentShareChangeFactory(amendment=amendment, vendor=world.vendor, new_percentage=Decimal("60"))
    AmendmentShareChangeFactory(amendment=amendment, vendor=None, old_percentage=None, new_percentage=Decimal("40"))
    return amendment


@pytest.fixture
def amendments(vendor_a, vendor_b):
    return {
        "approved": _approved_amendment(vendor_a),
        "proposed": AmendmentFactory(agreement=vendor_a.project.agreement),
        "other_vendors": AmendmentFactory(agreement=vendor_b.project.agreement),
    }


@pytest.fixture
def risks(vendor_a, vendor_b):
    project = vendor_a.project
    return {
        "private": RiskFactory(project=project, allocation=Risk.Allocation.PRIVATE, likelihood=5, impact=4),
        "shared": RiskFactory(project=project, allocation=Risk.Allocation.SHARED, status=Risk.Status.CLOSED),
        "public": RiskFactory(project=project, allocation=Risk.Allocation.PUBLIC),
        "other_vendors": RiskFactory(project=vendor_b.project, allocation=Risk.Allocation.PRIVATE),
    }


# --- Amendments ------------------------------------------------------------------------------


def test_a_vendor_reads_the_amendments_of_its_agreements_with_their_terms(client_a, vendor_a, amendments):
    approved = amendments["approved"]

    listed = client_a.get("/api/v1/amendments/")
    page = client_a.get(f"/api/v1/amendments/{approved.pk}/")

    assert sorted(_ids(listed)) == sorted([approved.pk, amendments["proposed"].pk])
    assert page.status_code == 200
    body = page.json()
    assert body == next(row for row in listed.json()["results"] if row["id"] == approved.pk)
    agreement = vendor_a.project.agreement
    assert body["agreement"] == agreement.pk
    assert body["agreement_reference"] == agreement.reference
    assert body["status"] == "approved"
    assert body["reason"] == approved.reason
    assert Decimal(body["old_total_value"]) == approved.old_total_value
    assert Decimal(body["new_total_value"]) == approved.new_total_value
    assert body["old_end_date"] == approved.old_end_date.isoformat()
    assert body["new_end_date"] == approved.new_end_date.isoformat()
    assert body["decision_note"] == "Approved by the steering committee."
    assert body["proposed_at"] and body["decided_at"]
    # Only the vendor's own share line, as on its agreements: the other parties' terms are not its business.
    (line,) = body["share_changes"]
    assert (line["party"], line["vendor"]) == (vendor_a.vendor.legal_name, vendor_a.vendor.pk)
    assert Decimal(line["new_percentage"]) == Decimal("60")


def test_an_officer_reads_every_partys_share_line(api_officer_client, amendments):
    body = api_officer_client.get(f"/api/v1/amendments/{amendments['approved'].pk}/").json()

    assert len(body["share_changes"]) == 2


def test_an_amendment_never_names_the_officers_who_proposed_or_decided_it(client_a, amendments):
    approved = amendments["approved"]

    for url in ("/api/v1/amendments/", f"/api/v1/amendments/{approved.pk}/"):
        content = client_a.get(url).content.decode()

        for officer in (approved.proposed_by, approved.decided_by):
            assert officer.username not in content
            assert officer.email not in content
    body = client_a.get(f"/api/v1/amendments/{approved.pk}/").json()
    assert not {"proposed_by", "decided_by"} & set(body)


def test_another_vendors_amendment_answers_404(client_a, amendments):
    response = client_a.get(f"/api/v1/amendments/{amendments['other_vendors'].pk}/")

    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "Not found.", "fields": {}}
    assert amendments["other_vendors"].pk not in _ids(client_a.get("/api/v1/amendments/"))


def test_a_vendor_that_an_amendment_removed_still_reads_it(vendor_a, vendor_b, client_a):
    # Given an amendment of B's agreement that took A's (former) share to 0 %
    exit_amendment = AmendmentFactory(agreement=vendor_b.project.agreement)
    AmendmentShareChangeFactory(amendment=exit_amendment, vendor=vendor_a.vendor, new_percentage=Decimal("0"))

    # Then A reads it, as it concerns A's own share
    assert client_a.get(f"/api/v1/amendments/{exit_amendment.pk}/").status_code == 200


def test_an_officer_reads_every_amendment(api_officer_client, amendments):
    assert sorted(_ids(api_officer_client.get("/api/v1/amendments/"))) == sorted(a.pk for a in amendments.values())
    assert api_officer_client.get(f"/api/v1/amendments/{amendments['other_vendors'].pk}/").status_code == 200


def test_amendments_filter_by_agreement_and_status(client_a, vendor_a, vendor_b, amendments):
    agreement = vendor_a.project.agreement

    assert _ids(client_a.get("/api/v1/amendments/?status=proposed")) == [amendments["proposed"].pk]
    assert _ids(client_a.get("/api/v1/amendments/?status=approved&status=rejected")) == [amendments["approved"].pk]
    assert len(_ids(client_a.get(f"/api/v1/amendments/?agreement={agreement.pk}"))) == 2
    # Filtering by another vendor's agreement finds nothing, and says nothing about it.
    assert _ids(client_a.get(f"/api/v1/amendments/?agreement={vendor_b.project.agreement_id}")) == []


def test_amendments_order_by_the_allowed_fields(client_a, amendments):
    ids = sorted([amendments["approved"].pk, amendments["proposed"].pk])

    assert _ids(client_a.get("/api/v1/amendments/?ordering=id")) == ids
    assert _ids(client_a.get("/api/v1/amendments/?ordering=-id")) == ids[::-1]


# --- Risks -----------------------------------------------------------------------------------


def test_a_vendor_reads_the_risks_it_bears_on_its_projects(client_a, vendor_a, risks):
    private = risks["private"]

    listed = client_a.get("/api/v1/risks/")
    page = client_a.get(f"/api/v1/risks/{private.pk}/")

    # Worst score first; the authority's own (public) risks are not the vendor's.
    assert _ids(listed) == [private.pk, risks["shared"].pk]
    assert page.status_code == 200
    assert page.json() == listed.json()["results"][0]
    assert page.json() == {
        "id": private.pk,
        "project": vendor_a.project.pk,
        "title": private.title,
        "description": private.description,
        "category": "technology",
        "likelihood": 5,
        "impact": 4,
        "score": 20,
        "allocation": "private",
        "allocated_to": None,
        "status": "open",
        "review_date": private.review_date.isoformat(),
        "mitigation": private.mitigation,
    }


def test_a_risk_never_names_its_owner(client_a, risks):
    owner = risks["private"].owner

    for url in ("/api/v1/risks/", f"/api/v1/risks/{risks['private'].pk}/"):
        content = client_a.get(url).content.decode()

        assert owner.username not in content
        assert owner.email not in content


@pytest.mark.parametrize("kind", ["public", "other_vendors"])
def test_a_risk_the_vendor_does_not_bear_answers_404(client_a, risks, kind):
    response = client_a.get(f"/api/v1/risks/{risks[kind].pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_officer_reads_every_risk(api_officer_client, risks):
    assert sorted(_ids(api_officer_client.get("/api/v1/risks/"))) == sorted(r.pk for r in risks.values())
    assert api_officer_client.get(f"/api/v1/risks/{risks['public'].pk}/").status_code == 200


def test_risks_filter_by_project_status_and_allocation(client_a, vendor_a, risks):
    other_project = ProjectFactory(agreement=vendor_a.project.agreement)
    elsewhere = RiskFactory(project=other_project, allocation=Risk.Allocation.SHARED, likelihood=1, impact=1)

    assert _ids(client_a.get(f"/api/v1/risks/?project={other_project.pk}")) == [elsewhere.pk]
    assert _ids(client_a.get("/api/v1/risks/?status=closed")) == [risks["shared"].pk]
    assert _ids(client_a.get("/api/v1/risks/?allocation=private")) == [risks["private"].pk]
    assert _ids(client_a.get("/api/v1/risks/?allocation=public")) == []


def test_risks_order_by_the_allowed_fields(client_a, risks):
    assert _ids(client_a.get("/api/v1/risks/?ordering=score")) == [risks["shared"].pk, risks["private"].pk]


# --- Both ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("/api/v1/amendments/?status=pending", "status"),
        ("/api/v1/amendments/?agreement=abc", "agreement"),
        ("/api/v1/amendments/?agreement=", "agreement"),
        ("/api/v1/risks/?allocation=everyone", "allocation"),
        ("/api/v1/risks/?status=", "status"),
        ("/api/v1/risks/?project=1e308", "project"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_it(client_a, vendor_a, query, field):
    response = client_a.get(query)

    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    "path, allowed, refused",
    [
        ("/api/v1/amendments/", ["proposed_at", "decided_at", "status", "id"], "proposed_by__username"),
        ("/api/v1/risks/", ["score", "review_date", "status", "id"], "owner__username"),
    ],
)
def test_an_unknown_ordering_is_a_400_naming_the_allowed_fields(client_a, vendor_a, path, allowed, refused):
    for ordering in ("bogus", refused, "-", f"{allowed[0]},bogus"):
        response = client_a.get(path, {"ordering": ordering})

        assert response.status_code == 400
        [message] = response.json()["fields"]["ordering"]
        assert all(name in message for name in allowed)


def _add_rows(world, resource: str, count: int) -> None:
    if resource == "amendments":
        for _ in range(count):
            _approved_amendment(world)
    else:
        RiskFactory.create_batch(count, project=world.project, allocation=Risk.Allocation.PRIVATE)


# Vendor token: the token with its user and vendor, then the page, counting the rows too (amendments are read
# as objects: count, page and their share lines). Officer session: session, user, membership, two permission
# reads, count, page (+ share lines).
EXPECTED_QUERIES = {
    ("vendor", "risks"): 2,
    ("vendor", "amendments"): 4,
    ("officer", "risks"): 7,
    ("officer", "amendments"): 8,
}


@pytest.mark.parametrize("resource", ["amendments", "risks"])
@pytest.mark.parametrize("caller", ["vendor", "officer"])
def test_list_queries_do_not_grow_with_rows(request, vendor_a, resource, caller, django_assert_num_queries):
    client = request.getfixturevalue("client_a" if caller == "vendor" else "api_officer_client")
    _add_rows(vendor_a, resource, 5)
    client.get(f"/api/v1/{resource}/")  # the first request fills the per-process caches (content types)
    expected = EXPECTED_QUERIES[caller, resource]

    with django_assert_num_queries(expected):
        response = client.get(f"/api/v1/{resource}/?page_size=100")
    assert response.json()["count"] == 5

    _add_rows(vendor_a, resource, 45)

    with django_assert_num_queries(expected):
        response = client.get(f"/api/v1/{resource}/?page_size=100")
    assert response.json()["count"] == 50


def test_a_risk_allocated_to_one_vendor_is_read_by_that_vendor_only(vendor_a):
    partner = VendorFactory(legal_name="Gamma Partner")
    agreement = vendor_a.project.agreement
    CostShare.objects.filter(agreement=agreement, vendor=vendor_a.vendor).update(percentage=30)
    CostShare.objects.create(agreement=agreement, vendor=partner, percentage=30)
    everyones = RiskFactory(project=vendor_a.project, allocation=Risk.Allocation.PRIVATE)
    theirs = RiskFactory(project=vendor_a.project, allocation=Risk.Allocation.SHARED, allocated_to=partner)
    mine = RiskFactory(project=vendor_a.project, allocation=Risk.Allocation.PRIVATE, allocated_to=vendor_a.vendor)

    listed = token_client(vendor_a.user).get("/api/v1/risks/")

    assert sorted(_ids(listed)) == sorted([everyones.pk, mine.pk])
    assert token_client(vendor_a.user).get(f"/api/v1/risks/{theirs.pk}/").status_code == 404
    assert sorted(_ids(token_client(VendorUserFactory(vendor=partner).user).get("/api/v1/risks/"))) == sorted(
        [everyones.pk, theirs.pk]
    )


def test_a_risk_is_allocated_only_to_a_party_and_never_when_public(vendor_a, vendor_b):
    private = RiskFactory.build(
        project=vendor_a.project, allocation=Risk.Allocation.PRIVATE, allocated_to=vendor_b.vendor
    )
    public = RiskFactory.build(
        project=vendor_a.project, allocation=Risk.Allocation.PUBLIC, allocated_to=vendor_a.vendor
    )

    with pytest.raises(ValidationError) as not_party:
        private.clean()
    with pytest.raises(ValidationError) as on_public:
        public.clean()
    assert "allocated_to" in not_party.value.message_dict and "allocated_to" in on_public.value.message_dict
