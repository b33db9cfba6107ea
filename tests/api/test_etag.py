"""Optimistic concurrency: detail responses carry a strong ETag from the deliverable's version; a write
whose If-Match is stale answers 412 and changes nothing."""

import threading

import pytest
from django.db import connection

from projects.models import Deliverable

from .conftest import token_client

pytestmark = pytest.mark.django_db


def _url(deliverable, action=""):
    return f"/api/v1/deliverables/{deliverable.pk}/" + (f"{action}/" if action else "")


def test_detail_carries_a_strong_etag_that_changes_with_each_write(client_a, vendor_a):
    first = client_a.get(_url(vendor_a.deliverable))
    patched = client_a.patch(_url(vendor_a.deliverable), {"progress": 30}, HTTP_IF_MATCH=first["ETag"])

    assert first["ETag"] == '"v1"'
    assert patched.status_code == 200
    assert patched["ETag"] == '"v2"'
    assert client_a.get(_url(vendor_a.deliverable))["ETag"] == '"v2"'


@pytest.mark.parametrize(
    "method, action, body",
    [("patch", "", {"progress": 55}), ("post", "submit", {}), ("post", "start", {})],
    ids=["patch", "submit", "start"],
)
def test_a_stale_if_match_is_a_412_and_changes_nothing(client_a, vendor_a, method, action, body):
    deliverable = vendor_a.deliverable
    if action == "start":
        Deliverable.objects.filter(pk=deliverable.pk).update(status=Deliverable.Status.NOT_STARTED)
    stale = client_a.get(_url(deliverable))["ETag"]
    client_a.patch(_url(deliverable), {"description": "A colleague's edit"})  # version moves on
    before = Deliverable.objects.values().get(pk=deliverable.pk)

    response = getattr(client_a, method)(_url(deliverable, action), body, HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert Deliverable.objects.values().get(pk=deliverable.pk) == before


def test_a_stale_if_match_stops_an_officers_verdict(api_officer_client, vendor_a):
    response = api_officer_client.post(_url(vendor_a.submitted, "accept"), {}, HTTP_IF_MATCH='"v0"')

    assert response.status_code == 412
    assert Deliverable.objects.get(pk=vendor_a.submitted.pk).status == Deliverable.Status.SUBMITTED


@pytest.mark.parametrize("header", ['W/"v1"', "v1", '"something-else"'])
def test_if_match_that_is_not_our_strong_etag_never_matches(client_a, vendor_a, header):
    response = client_a.patch(_url(vendor_a.deliverable), {"progress": 55}, HTTP_IF_MATCH=header)

    assert response.status_code == 412
    assert Deliverable.objects.get(pk=vendor_a.deliverable.pk).progress == 20


def test_if_match_star_and_no_if_match_write_unconditionally(client_a, vendor_a):
    assert client_a.patch(_url(vendor_a.deliverable), {"progress": 55}, HTTP_IF_MATCH="*").status_code == 200
    assert client_a.patch(_url(vendor_a.deliverable), {"progress": 60}).status_code == 200
    assert Deliverable.objects.get(pk=vendor_a.deliverable.pk).version == 3


def test_another_vendors_deliverable_is_404_whatever_the_if_match(client_a, vendor_b):
    response = client_a.patch(_url(vendor_b.deliverable), {"progress": 1}, HTTP_IF_MATCH='"v1"')

    assert response.status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writes_with_the_same_etag_one_wins_one_gets_412(vendor_a):
    clients = [token_client(vendor_a.user), token_client(vendor_a.user)]
    etag = clients[0].get(_url(vendor_a.deliverable))["ETag"]
    barrier = threading.Barrier(2)
    codes = []

    def write(client, progress):
        try:
            barrier.wait()
            codes.append(
                client.patch(_url(vendor_a.deliverable), {"progress": progress}, HTTP_IF_MATCH=etag).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(client, 40 + i)) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [200, 412]
    assert Deliverable.objects.get(pk=vendor_a.deliverable.pk).version == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_of_different_fields_lose_nothing(vendor_a):
    clients = [token_client(vendor_a.user), token_client(vendor_a.user)]
    barrier = threading.Barrier(2)
    bodies = [{"progress": 80}, {"description": "Integration tests green"}]

    def write(client, body):
        try:
            barrier.wait()
            assert client.patch(_url(vendor_a.deliverable), body).status_code == 200
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=pair) for pair in zip(clients, bodies, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    deliverable = Deliverable.objects.get(pk=vendor_a.deliverable.pk)
    assert (deliverable.progress, deliverable.description, deliverable.version) == (
        80,
        "Integration tests green",
        3,
    )
