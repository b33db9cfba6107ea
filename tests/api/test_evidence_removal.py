"""A replaced or deleted deliverable's evidence file leaves storage once the change commits, and not before:
a change that rolls back keeps the file its deliverable still points at. Old links answer 404, not 500."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from projects import services
from projects.evidence import evidence_storage
from projects.models import Deliverable

PDF = b"%PDF-1.7\nquarterly report"


def upload(client, deliverable, filename="report.pdf"):
    response = client.post(
        f"/api/v1/deliverables/{deliverable.pk}/evidence/",
        {"file": SimpleUploadedFile(filename, PDF, content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    return Deliverable.objects.get(pk=deliverable.pk).evidence_file.name, response.json()["evidence_file"]


def test_replacing_the_evidence_through_the_api_removes_the_old_file(
    client_a, vendor_a, django_capture_on_commit_callbacks
):
    first, first_url = upload(client_a, vendor_a.deliverable, "first.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        second, _ = upload(client_a, vendor_a.deliverable, "second.pdf")

    assert not evidence_storage.exists(first)
    assert not os.path.exists(os.path.dirname(evidence_storage.path(first)))  # no empty random folder left
    assert evidence_storage.exists(second)
    # The old link (still in the history) is a clean 404.
    old_link = client_a.get(first_url)
    assert old_link.status_code == 404
    assert old_link.json()["code"] == "not_found"


def test_the_old_file_stays_until_the_transaction_commits(client_a, vendor_a, django_capture_on_commit_callbacks):
    first, _ = upload(client_a, vendor_a.deliverable, "first.pdf")

    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.deliverable_update(
            deliverable_id=vendor_a.deliverable.pk,
            by=vendor_a.user,
            changes={"evidence_file": SimpleUploadedFile("second.pdf", PDF)},
        )

        assert evidence_storage.exists(first)
    assert len(pending) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_replacement_keeps_the_old_file():
    from tests.api.conftest import build_vendor_world, token_client

    world = build_vendor_world()
    first, first_url = upload(token_client(world.user), world.deliverable, "first.pdf")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.deliverable_update(
            deliverable_id=world.deliverable.pk,
            by=world.user,
            changes={"evidence_file": SimpleUploadedFile("second.pdf", PDF)},
        )
        raise RuntimeError("something later in the same transaction failed")

    assert Deliverable.objects.get(pk=world.deliverable.pk).evidence_file.name == first
    assert evidence_storage.exists(first)
    assert token_client(world.user).get(first_url).status_code == 200


def test_other_changes_leave_the_file_alone(client_a, vendor_a, django_capture_on_commit_callbacks):
    first, _ = upload(client_a, vendor_a.deliverable)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.patch(f"/api/v1/deliverables/{vendor_a.deliverable.pk}/", {"progress": 60})

    assert response.status_code == 200
    assert evidence_storage.exists(first)


def test_deleting_a_deliverable_removes_its_file_after_commit(client_a, vendor_a, django_capture_on_commit_callbacks):
    name, _ = upload(client_a, vendor_a.deliverable)

    with django_capture_on_commit_callbacks(execute=True):
        Deliverable.objects.get(pk=vendor_a.deliverable.pk).delete()
        assert evidence_storage.exists(name)  # still there inside the transaction

    assert not evidence_storage.exists(name)


def test_a_file_missing_from_storage_is_a_404_not_a_500(client_a, vendor_a, api_officer_client):
    name, url = upload(client_a, vendor_a.deliverable)
    evidence_storage.delete(name)  # e.g. removed by hand, or lost in a restore

    for client in (client_a, api_officer_client):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
