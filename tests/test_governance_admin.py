"""Officers govern agreements and projects in the admin: amendments, phase gates, risks, KPIs, penalties."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ppp.errors import TransitionError
from ppp.factories import OfficerFactory
from procurement.factories import AgreementFactory, VendorFactory
from procurement.models import Amendment
from procurement.services import amendment_propose
from projects.factories import KPIFactory, KPIMeasurementFactory, MilestoneFactory, ProjectFactory, RiskFactory
from projects.models import GateDecision

pytestmark = pytest.mark.django_db


def _action(client, changelist, action, pks, **extra):
    return client.post(
        reverse(changelist), {"action": action, "_selected_action": [str(pk) for pk in pks], **extra}, follow=True
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def vendor():
    return VendorFactory()


@pytest.fixture
def agreement(vendor):
    return AgreementFactory(active=True, vendors=[vendor])


def test_signed_agreement_value_and_end_date_are_read_only(officer_client, agreement):
    response = officer_client.get(reverse("admin:procurement_agreement_change", args=[agreement.pk]))

    fields = response.context["adminform"].form.fields
    assert "total_value" not in fields and "end_date" not in fields
    assert "Propose an amendment" in response.content.decode()


def _amendment_form(agreement, vendor, authority_share, vendor_share, **extra):
    return {
        "agreement": agreement.pk,
        "reason": "Two more regions",
        "new_total_value": "1250000",
        "new_end_date": "",
        "share_changes-TOTAL_FORMS": "2",
        "share_changes-INITIAL_FORMS": "0",
        "share_changes-0-vendor": "",
        "share_changes-0-new_percentage": authority_share,
        "share_changes-1-vendor": vendor.pk,
        "share_changes-1-new_percentage": vendor_share,
        **extra,
    }


def test_officer_proposes_an_amendment_through_the_admin(officer_client, officer, agreement, vendor):
    response = officer_client.post(
        reverse("admin:procurement_amendment_add"), _amendment_form(agreement, vendor, "50", "50"), follow=True
    )

    assert response.status_code == 200
    amendment = Amendment.objects.get()
    assert amendment.proposed_by == officer and amendment.new_total_value == Decimal("1250000")
    assert amendment.share_changes.count() == 2
    agreement.refresh_from_db()
    assert agreement.total_value == Decimal("1000000.00")  # not until approved


def test_the_admin_form_refuses_shares_that_do_not_sum_to_100(officer_client, agreement, vendor):
    response = officer_client.post(
        reverse("admin:procurement_amendment_add"), _amendment_form(agreement, vendor, "50", "40")
    )

    assert response.status_code == 200
    assert "sum to 90 %" in response.content.decode()
    assert not Amendment.objects.exists()


def test_approve_and_reject_actions_call_the_services(officer_client, officer, agreement):
    colleague = OfficerFactory()  # four eyes: the approver is not the proposer
    to_approve = amendment_propose(
        agreement_id=agreement.pk, reason="Indexation", by=colleague, new_total_value=1100000
    )
    to_reject = amendment_propose(
        agreement_id=agreement.pk, reason="Extension", by=officer, new_end_date=agreement.end_date.replace(year=2099)
    )
    changelist = "admin:procurement_amendment_changelist"

    approved = _action(officer_client, changelist, "approve_selected", [to_approve.pk])
    assert "Approved 1 item(s)." in _messages(approved)
    page = _action(officer_client, changelist, "reject_selected", [to_reject.pk])
    assert "Reject with this reason" in page.content.decode()
    _action(officer_client, changelist, "reject_selected", [to_reject.pk], apply="1", note="Not affordable")

    agreement.refresh_from_db()
    to_reject.refresh_from_db()
    assert agreement.total_value == Decimal("1100000") and agreement.end_date.year != 2099
    assert (to_reject.status, to_reject.decision_note) == ("rejected", "Not affordable")


def test_the_proposer_cannot_approve_their_own_amendment_in_the_admin(officer_client, officer, agreement):
    own = amendment_propose(agreement_id=agreement.pk, reason="Indexation", by=officer, new_total_value=1100000)

    response = _action(officer_client, "admin:procurement_amendment_changelist", "approve_selected", [own.pk])

    assert any("another officer must approve it (four-eyes rule)" in message for message in _messages(response))
    own.refresh_from_db()
    agreement.refresh_from_db()
    assert own.status == "proposed" and agreement.total_value == Decimal("1000000.00")


def test_a_decided_amendment_is_read_only(officer_client, officer, agreement):
    amendment = amendment_propose(agreement_id=agreement.pk, reason="Indexation", by=officer, new_total_value=1100000)

    response = officer_client.get(reverse("admin:procurement_amendment_change", args=[amendment.pk]))

    assert not response.context["adminform"].form.fields


def _gate_form(project, **extra):
    return {"project": project.pk, "to_phase": "rollout", "decided_on": "2026-06-15", "criteria_met": "on", **extra}


def test_project_phase_is_read_only_and_moves_through_a_gate_decision(officer_client, officer):
    project = ProjectFactory()
    page = officer_client.get(reverse("admin:projects_project_change", args=[project.pk]))
    assert "phase" not in page.context["adminform"].form.fields

    officer_client.post(reverse("admin:projects_gatedecision_add"), _gate_form(project), follow=True)

    project.refresh_from_db()
    decision = GateDecision.objects.get()
    assert project.phase == "rollout" and decision.decided_by == officer


def test_gate_form_refuses_rollout_with_an_overdue_milestone_unless_overridden(officer_client):
    project = ProjectFactory()
    MilestoneFactory(project=project, due_date=datetime.date(2026, 6, 1))
    url = reverse("admin:projects_gatedecision_add")

    refused = officer_client.post(url, _gate_form(project))
    assert "1 milestone(s) are overdue" in refused.content.decode()
    assert not GateDecision.objects.exists()

    officer_client.post(url, _gate_form(project, override_reason="Overdue item is a report only"))
    project.refresh_from_db()
    assert project.phase == "rollout" and GateDecision.objects.get().is_override


def test_risk_list_filters_risks_past_their_review_date(officer_client):
    late = RiskFactory(review_date=datetime.date(2020, 1, 1), likelihood=5, impact=5)
    RiskFactory()

    response = officer_client.get(reverse("admin:projects_risk_changelist"), {"review": "overdue"})

    assert list(response.context["cl"].result_list) == [late]
    assert "25 (critical)" in response.content.decode()


def test_kpi_list_shows_latest_value_trend_and_target(officer_client):
    kpi = KPIFactory(name="Citizen satisfaction", unit="%", target=Decimal("80"))
    KPIMeasurementFactory(kpi=kpi, date=datetime.date(2026, 1, 1), value=Decimal("70"))
    KPIMeasurementFactory(kpi=kpi, date=datetime.date(2026, 2, 1), value=Decimal("80"))

    body = officer_client.get(reverse("admin:projects_kpi_changelist")).content.decode()

    assert "80.00 % (1 Feb 2026)" in body and "Improving" in body


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("changelist", "make"),
    [
        ("admin:projects_risk_changelist", lambda project: RiskFactory(project=project)),
        ("admin:projects_kpi_changelist", lambda project: KPIMeasurementFactory(kpi__project=project)),
        ("admin:procurement_amendment_changelist", None),
    ],
)
def test_governance_lists_take_the_same_queries_at_any_size(officer_client, officer, changelist, make):
    agreement = AgreementFactory(active=True, vendors=[VendorFactory()])
    project = ProjectFactory(agreement=agreement)

    def add_one():
        if make:
            make(project)
        else:
            amendment_propose(agreement_id=agreement.pk, reason="r", by=officer, new_total_value=Decimal(2 + add_one.n))
            add_one.n += 1

    add_one.n = 0
    add_one()
    small = _count_queries(officer_client, reverse(changelist))
    for _ in range(5):
        add_one()
    assert _count_queries(officer_client, reverse(changelist)) == small


def test_index_counts_risk_reviews_and_amendments_awaiting_a_decision(officer_client, officer, agreement):
    RiskFactory(review_date=datetime.date(2020, 1, 1))
    amendment_propose(agreement_id=agreement.pk, reason="Indexation", by=officer, new_total_value=1100000)

    response = officer_client.get(reverse("admin:index"))

    assert (response.context["risk_review_count"], response.context["pending_amendment_count"]) == (1, 1)
    assert "Amendments awaiting a decision" in response.content.decode()


def test_a_refusal_between_form_check_and_save_is_reported_not_a_server_error(officer_client, monkeypatch):
    project = ProjectFactory()

    def refuse(**kwargs):
        raise TransitionError(project, "pilot", "rollout", "a milestone became overdue meanwhile")

    monkeypatch.setattr("projects.services.project_change_phase", refuse)
    response = officer_client.post(reverse("admin:projects_gatedecision_add"), _gate_form(project), follow=True)

    assert response.status_code == 200
    assert any("became overdue meanwhile" in message for message in _messages(response))
    assert not GateDecision.objects.exists()
