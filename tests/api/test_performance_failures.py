"""Vendors read the performance failures charged to them and dispute one; officers decide the dispute."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.factories import CertificateFactory
from payments.models import Deduction
from payments.services import certificate_issue
from ppp.errors import StateConflict
from projects import services
from projects.factories import MilestoneFactory, PerformanceFailureDisputeFactory, PerformanceFailureFactory
from projects.models import Milestone, PerformanceFailure, PerformanceFailureDispute

from .conftest import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/performance-failures/"


def failure_of(world, **kwargs) -> PerformanceFailure:
    milestone = MilestoneFactory(
        project=world.project, responsible_vendor=world.vendor, status=Milestone.Status.MISSED, overdue_days=10
    )
    return PerformanceFailureFactory(milestone=milestone, **kwargs)


def test_vendor_lists_only_its_own_failures_with_penalty_and_no_officer_named(client_a, vendor_a, vendor_b):
    mine = failure_of(vendor_a)
    failure_of(vendor_b)

    body = client_a.get(URL).json()

    assert [row["id"] for row in body["results"]] == [mine.pk]
    row = body["results"][0]
    assert row["penalty_imposed"] == "10000.00" and row["deducted"] == "0.00"
    assert row["penalty_status"] == "deductible" and row["disputes"] == []
    assert row["currency"] == vendor_a.project.agreement.currency
    assert "recorded_by" not in row


def test_another_vendors_failure_is_404_to_read_and_to_dispute(client_a, vendor_b):
    theirs = failure_of(vendor_b)

    assert client_a.get(f"{URL}{theirs.pk}/").status_code == 404
    response = client_a.post(f"{URL}{theirs.pk}/dispute/", {"reason": "Not ours"}, format="json")
    assert response.status_code == 404
    assert not PerformanceFailureDispute.objects.exists()


def test_vendor_disputes_with_a_reason_and_a_second_open_dispute_is_409(client_a, vendor_a):
    failure = failure_of(vendor_a)

    response = client_a.post(f"{URL}{failure.pk}/dispute/", {"reason": "  Site handed over late.  "}, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "open" and response.json()["reason"] == "Site handed over late."
    dispute = PerformanceFailureDispute.objects.get()
    assert dispute.raised_by == vendor_a.user and dispute.vendor == vendor_a.vendor
    assert dispute.history.first().history_user == vendor_a.user
    assert client_a.get(f"{URL}{failure.pk}/").json()["penalty_status"] == "suspended"

    again = client_a.post(f"{URL}{failure.pk}/dispute/", {"reason": "Again"}, format="json")
    assert again.status_code == 409
    assert again.json()["current_status"] == "open"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 5001}])
def test_dispute_without_a_usable_reason_is_400_on_the_field(client_a, vendor_a, body):
    failure = failure_of(vendor_a)

    response = client_a.post(f"{URL}{failure.pk}/dispute/", body, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]


def test_officers_may_read_but_not_dispute(api_officer_client, vendor_a):
    failure = failure_of(vendor_a)

    assert api_officer_client.get(URL).json()["count"] == 1
    response = api_officer_client.post(f"{URL}{failure.pk}/dispute/", {"reason": "x"}, format="json")
    assert response.status_code == 403


def test_filters_by_project_and_recorded_on(client_a, vendor_a):
    old = failure_of(vendor_a, recorded_on=timezone.localdate() - datetime.timedelta(days=40))
    new = failure_of(vendor_a)

    assert [r["id"] for r in client_a.get(f"{URL}?recorded_on_before={old.recorded_on}").json()["results"]] == [old.pk]
    assert client_a.get(f"{URL}?project={vendor_a.project.pk}").json()["count"] == 2
    assert client_a.get(f"{URL}?project=").status_code == 400
    assert new.pk in [r["id"] for r in client_a.get(URL).json()["results"]]


def test_list_queries_do_not_grow_with_rows(client_a, vendor_a):
    for _ in range(3):
        PerformanceFailureDisputeFactory(failure=failure_of(vendor_a), raised_by=vendor_a.user)
    with CaptureQueriesContext(connection) as small:
        assert client_a.get(URL).json()["count"] == 3
    for _ in range(12):
        PerformanceFailureDisputeFactory(failure=failure_of(vendor_a), decided=True, raised_by=vendor_a.user)
    with CaptureQueriesContext(connection) as large:
        assert client_a.get(URL).json()["count"] == 15
    assert len(large) == len(small)


# --- The decision and what it does to the penalty -------------------------------------------------


@pytest.fixture
def penalised(vendor_a):
    """A fixed 1,000.00 penalty on vendor A, and an achieved milestone of A's to be paid 10,000.00."""
    failure = failure_of(vendor_a, penalty_imposed=Decimal("1000.00"))
    day = timezone.localdate() - datetime.timedelta(days=2)
    payable = MilestoneFactory(
        project=vendor_a.project,
        responsible_vendor=vendor_a.vendor,
        payment_amount=Decimal("10000.00"),
        due_date=day,
        status=Milestone.Status.ACHIEVED,
        achieved_date=day,
    )
    return failure, payable


def test_an_open_dispute_holds_the_penalty_back_and_a_dismissal_lets_it_through(penalised, vendor_a, officer):
    failure, payable = penalised
    dispute = services.performance_failure_dispute(
        performance_failure_id=failure.pk, vendor=vendor_a.vendor, by=vendor_a.user, reason="Not our fault"
    )

    held = certificate_issue(milestone_id=payable.pk, by=officer)
    assert held.penalty_amount == 0
    held.delete()

    services.performance_failure_dispute_dismiss(dispute_id=dispute.pk, by=officer, reason="It was.")
    charged = certificate_issue(milestone_id=payable.pk, by=officer)
    assert charged.penalty_amount == Decimal("1000.00")
    assert Deduction.objects.get(kind="penalty").failure == failure


def test_an_upheld_dispute_waives_the_penalty_for_good(penalised, vendor_a, officer):
    failure, payable = penalised
    dispute = services.performance_failure_dispute(
        performance_failure_id=failure.pk, vendor=vendor_a.vendor, by=vendor_a.user, reason="Not our fault"
    )

    upheld = services.performance_failure_dispute_uphold(dispute_id=dispute.pk, by=officer, reason="Agreed.")

    assert upheld.status == "upheld" and upheld.decided_by == officer and upheld.decided_at
    assert certificate_issue(milestone_id=payable.pk, by=officer).penalty_amount == 0
    with pytest.raises(StateConflict):
        services.performance_failure_dispute(
            performance_failure_id=failure.pk, vendor=vendor_a.vendor, by=vendor_a.user, reason="Again"
        )
    body = token_client(vendor_a.user).get(f"{URL}{failure.pk}/").json()
    assert body["penalty_status"] == "waived"
    assert body["disputes"][0]["decision_reason"] == "Agreed."


def test_a_decided_dispute_cannot_be_decided_again(vendor_a, officer):
    dispute = PerformanceFailureDisputeFactory(failure=failure_of(vendor_a), decided=True)

    with pytest.raises(StateConflict):
        services.performance_failure_dispute_uphold(dispute_id=dispute.pk, by=officer, reason="Changed my mind")


def test_the_database_allows_one_open_dispute_per_failure(vendor_a):
    failure = failure_of(vendor_a)
    PerformanceFailureDisputeFactory(failure=failure)
    with pytest.raises(IntegrityError):
        PerformanceFailureDisputeFactory(failure=failure)


def test_officer_upholds_from_the_admin_with_a_reason(officer_client, officer, vendor_a):
    dispute = PerformanceFailureDisputeFactory(failure=failure_of(vendor_a))
    url = reverse("admin:projects_performancefailuredispute_changelist")
    selected = {"action": "uphold_selected", "_selected_action": [dispute.pk]}

    asks = officer_client.post(url, selected)
    assert asks.status_code == 200 and b"Reason" in asks.content
    done = officer_client.post(url, {**selected, "apply": "1", "decision_reason": "The authority was late."})

    assert done.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == "upheld" and dispute.decision_reason == "The authority was late."
    assert dispute.decided_by == officer and dispute.history.first().history_user == officer


def test_failure_page_shows_its_disputes(officer_client, vendor_a):
    dispute = PerformanceFailureDisputeFactory(failure=failure_of(vendor_a))

    page = officer_client.get(reverse("admin:projects_performancefailure_change", args=[dispute.failure_id]))

    assert page.status_code == 200 and dispute.reason.encode() in page.content


def test_paid_certificate_shows_in_deducted(penalised, vendor_a, officer):
    failure, payable = penalised
    CertificateFactory(milestone=payable, status="certified")

    row = token_client(vendor_a.user).get(f"{URL}{failure.pk}/").json()

    assert row["deducted"] == "1000.00"
