"""Each list costs the same number of queries at 5 rows as at 50 (no per-row lookups)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procurement.factories import AgreementFactory
from projects.factories import DeliverableFactory, IterationFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _add_rows(world, resource: str, count: int) -> None:
    """Give vendor A ``count`` more rows of ``resource`` (plus whatever each needs to exist)."""
    agreement = world.project.agreement
    if resource == "agreements":
        AgreementFactory.create_batch(count, active=True, vendors=[world.vendor])
    elif resource == "projects":
        ProjectFactory.create_batch(count, agreement=agreement)
    elif resource == "milestones":
        iteration = IterationFactory(project__agreement=agreement)
        MilestoneFactory.create_batch(count, project=iteration.project, iteration=iteration)
    else:
        DeliverableFactory.create_batch(count, milestone=world.milestone)


def _expected_queries(caller: str, resource: str) -> int:
    """Vendor token: the token with its user and vendor, then the page, which counts the vendor's rows too
    (agreements are read as objects: count, page and the visible cost shares). Officer session: session, user,
    membership, two permission reads, count, page (+ the cost shares for agreements)."""
    if caller == "officer":
        return 7 + (resource == "agreements")
    return 4 if resource == "agreements" else 2


def _list(client, resource):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{resource}/?page_size=100")
    assert response.status_code == 200
    return response.json()["count"], len(queries)


@pytest.mark.parametrize("resource", ["agreements", "projects", "milestones", "deliverables"])
@pytest.mark.parametrize("caller", ["vendor", "officer"])
def test_list_queries_do_not_grow_with_rows(request, vendor_a, resource, caller, django_assert_num_queries):
    client = request.getfixturevalue("client_a" if caller == "vendor" else "api_officer_client")
    _add_rows(vendor_a, resource, 5 - _list(client, resource)[0])
    rows, queries_at_5 = _list(client, resource)
    assert rows == 5
    assert queries_at_5 == _expected_queries(caller, resource)

    _add_rows(vendor_a, resource, 45)

    with django_assert_num_queries(queries_at_5):
        response = client.get(f"/api/v1/{resource}/?page_size=100")
    assert response.json()["count"] == 50
