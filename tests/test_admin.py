"""The officers' admin: every page opens for officers, none for strangers, and actions call the services."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from payments.factories import CertificateFactory
from payments.models import VendorInvoice
from ppp.roles import DOMAIN_APPS
from procurement.factories import (
    AgreementFactory,
    AmendmentFactory,
    AmendmentShareChangeFactory,
    ExpenditureFactory,
    VendorContactFactory,
    VendorFactory,
    VendorUserFactory,
)
from procurement.models import Agreement, VendorContact, VendorUser
from projects.factories import (
    AlertFactory,
    DeliverableFactory,
    GateCheckFactory,
    GateDecisionFactory,
    IterationFactory,
    KPIMeasurementFactory,
    MilestoneFactory,
    PerformanceFailureDisputeFactory,
    PerformanceFailureFactory,
    RiskFactory,
)
from projects.models import Alert, Deliverable, Milestone, Notification, PerformanceFailureDispute, Project
from webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

# Notifications are each user's own (no officer opens another's): tests/projects/test_notifications.py covers them.
PER_USER = {Notification}
DOMAIN_MODELS = [
    model for model in admin.site._registry if model._meta.app_label in DOMAIN_APPS and model not in PER_USER
]
# Written by the system only: officers read them, nobody adds them by hand.
# Vendors submit invoices through the partner API; officers match or reject them.
# Vendors raise disputes through the partner API too; officers decide them.
SYSTEM_WRITTEN = {Alert, VendorInvoice, PerformanceFailureDispute}
# Personal data, the alert log and vendors' invoices stay with the officers.
BOARD_HIDDEN = {VendorContact, VendorUser, Alert, VendorInvoice, WebhookEndpoint}  # and vendors' webhooks


@pytest.fixture
def one_of_each(db):
    vendor = VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[vendor])
    milestone = MilestoneFactory(project__agreement=agreement, overdue_days=5)
    IterationFactory(project__agreement=agreement)
    DeliverableFactory(milestone=milestone, submitted=True)
    VendorContactFactory(vendor=vendor)
    VendorUserFactory(vendor=vendor)
    ExpenditureFactory(agreement=agreement, vendor=vendor, milestone=milestone)
    # Governance records, all on the same agreement and project.
    project = milestone.project
    AmendmentShareChangeFactory(amendment=AmendmentFactory(agreement=agreement), vendor=vendor, new_percentage=60)
    GateCheckFactory(decision=GateDecisionFactory(project=project))
    RiskFactory(project=project)
    KPIMeasurementFactory(kpi__project=project)
    failure = PerformanceFailureFactory(milestone=MilestoneFactory(project=project, status="missed", overdue_days=9))
    PerformanceFailureDisputeFactory(failure=failure)
    AlertFactory(milestone=milestone)
    WebhookEndpointFactory(vendor=vendor)  # officers read it, with its history
    # The payment chain: a reconciled certificate (with its matched invoice) for an achieved milestone.
    VendorUserFactory(vendor=vendor)
    CertificateFactory(milestone__project=project, milestone__responsible_vendor=vendor, status="reconciled")


def _urls(model):
    opts = model._meta
    instance = model.objects.first()
    return [
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk]),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[instance.pk]),
    ]


def test_every_domain_model_is_registered():
    names = {model.__name__ for model in DOMAIN_MODELS}
    assert names >= {
        "ContractingAuthority",
        "Vendor",
        "VendorContact",
        "VendorUser",
        "Agreement",
        "CostShare",
        "Expenditure",
        "Project",
        "Iteration",
        "Milestone",
        "Deliverable",
        "Amendment",
        "GateDecision",
        "Risk",
        "KPI",
        "PerformanceFailure",
        "Alert",
    }


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda m: m.__name__)
def test_officer_opens_every_page(officer_client, one_of_each, model):
    changelist, add, change, history = _urls(model)
    for url in (changelist, change, history):
        assert officer_client.get(url).status_code == 200, url
    assert officer_client.get(add).status_code == (403 if model in SYSTEM_WRITTEN else 200)


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda m: m.__name__)
def test_anonymous_user_is_sent_to_login(client, one_of_each, model):
    for url in _urls(model):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"], url


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda m: m.__name__)
def test_board_member_reads_their_projects_but_cannot_add(board_client, board_member, one_of_each, model):
    for project in Project.objects.all():
        project.board_members.add(board_member)
    changelist, add, change, _ = _urls(model)
    # Personal data and the alert log (recipients' addresses) stay with the officers.
    expected = 403 if model in BOARD_HIDDEN else 200
    assert board_client.get(changelist).status_code == expected
    assert board_client.get(change).status_code == expected
    assert board_client.get(add).status_code == 403


def test_changelist_filters_and_search_work(officer_client, one_of_each):
    url = reverse("admin:projects_milestone_changelist")
    overdue = officer_client.get(url, {"overdue": "yes"})
    assert overdue.status_code == 200 and overdue.context["cl"].result_count == 1
    assert "5 days" in overdue.content.decode()
    assert officer_client.get(url, {"overdue": "no"}).context["cl"].result_count == Milestone.objects.count() - 1
    assert officer_client.get(url, {"q": "Milestone"}).status_code == 200
    projects = officer_client.get(reverse("admin:projects_project_changelist"), {"overdue": "yes"})
    assert projects.context["cl"].result_count == 1


def test_index_shows_the_overdue_count(officer_client, one_of_each):
    response = officer_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["overdue_count"] == 1
    assert "Overdue milestones" in response.content.decode()


def test_agreement_page_shows_budget_vs_actual(officer_client, one_of_each):
    agreement = Agreement.objects.get()
    response = officer_client.get(reverse("admin:procurement_agreement_change", args=[agreement.pk]))
    body = response.content.decode()
    assert "Budget vs actual" in body and "10,000.00" in body  # the expenditure


def _action(client, model_url, action, pks, **extra):
    return client.post(
        reverse(model_url), {"action": action, "_selected_action": [str(pk) for pk in pks], **extra}, follow=True
    )


def test_activate_action_reports_success_and_refusal(officer_client):
    ready = AgreementFactory(vendors=[VendorFactory()])
    incomplete = AgreementFactory(vendors=False, reference="PPP-INCOMPLETE")

    response = _action(
        officer_client, "admin:procurement_agreement_changelist", "activate_selected", [ready.pk, incomplete.pk]
    )

    messages = [str(m) for m in response.context["messages"]]
    assert "Activated 1 item(s)." in messages
    assert any("PPP-INCOMPLETE" in m and "'draft' to 'active'" in m and "0 %" in m for m in messages)
    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert (ready.status, incomplete.status) == ("active", "draft")


def test_accept_action_accepts_and_achieves_milestone(officer_client, officer):
    deliverable = DeliverableFactory(submitted=True)

    _action(officer_client, "admin:projects_deliverable_changelist", "accept_selected", [deliverable.pk])

    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.ACCEPTED and deliverable.reviewer == officer
    assert deliverable.milestone.__class__.objects.get(pk=deliverable.milestone_id).status == "achieved"


def test_reject_action_asks_for_a_comment_first(officer_client):
    deliverable = DeliverableFactory(submitted=True)
    url = "admin:projects_deliverable_changelist"

    page = _action(officer_client, url, "reject_selected", [deliverable.pk])
    assert "Reject with this comment" in page.content.decode()
    deliverable.refresh_from_db()
    assert deliverable.status == "submitted"

    _action(officer_client, url, "reject_selected", [deliverable.pk], apply="1", comment="Evidence missing")
    deliverable.refresh_from_db()
    assert deliverable.status == "rejected" and deliverable.review_comment == "Evidence missing"


def test_board_member_cannot_run_actions(board_client):
    deliverable = DeliverableFactory(submitted=True)

    _action(board_client, "admin:projects_deliverable_changelist", "accept_selected", [deliverable.pk])

    deliverable.refresh_from_db()
    assert deliverable.status == "submitted"


def test_cost_share_inline_refuses_more_than_100_percent(officer_client, officer):
    agreement = AgreementFactory(vendors=False)
    vendor_a, vendor_b = VendorFactory(), VendorFactory()
    url = reverse("admin:procurement_agreement_change", args=[agreement.pk])
    form = officer_client.get(url).context["adminform"].form
    data = {
        field: form.initial.get(field)
        for field in [
            "reference",
            "title",
            "authority",
            "procurement_method",
            "total_value",
            "currency",
            "start_date",
            "end_date",
        ]
    }
    data.update(
        {
            "cost_shares-TOTAL_FORMS": "2",
            "cost_shares-INITIAL_FORMS": "0",
            "cost_shares-0-vendor": vendor_a.pk,
            "cost_shares-0-percentage": "60",
            "cost_shares-1-vendor": vendor_b.pk,
            "cost_shares-1-percentage": "50",
        }
    )

    response = officer_client.post(url, data)

    assert response.status_code == 200
    assert "may not exceed 100 %" in response.content.decode()
    assert not agreement.cost_shares.exists()


def test_milestone_history_shows_who_changed_it(officer_client, officer):
    milestone = MilestoneFactory()
    from projects import services

    services.milestone_cancel(milestone_id=milestone.pk, by=officer)
    response = officer_client.get(reverse("admin:projects_milestone_history", args=[milestone.pk]))

    assert officer.username in response.content.decode()


def test_the_project_list_counts_overdue_milestones_as_the_overdue_filter_does(officer_client):
    # Given a project with two late open milestones, one due today (not late) and one late but achieved
    project = MilestoneFactory(overdue_days=3).project
    MilestoneFactory(project=project, overdue_days=40)
    MilestoneFactory(project=project, due_date=timezone.localdate())
    MilestoneFactory(project=project, overdue_days=9, status="missed")

    response = officer_client.get(reverse("admin:projects_project_changelist"))

    (row,) = response.context["cl"].result_list
    assert row.overdue_count == Milestone.objects.overdue().filter(project=project).count() == 2


def test_officers_start_milestones_from_the_list(officer_client, officer):
    milestone = MilestoneFactory()

    officer_client.post(
        reverse("admin:projects_milestone_changelist"),
        {"action": "start_selected", "_selected_action": [milestone.pk]},
    )

    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.IN_PROGRESS
    assert milestone.history.first().history_user == officer


def test_the_index_due_soon_link_lists_exactly_the_milestones_it_counts(officer_client):
    MilestoneFactory(due_date=timezone.localdate() + datetime.timedelta(days=2))  # due soon
    MilestoneFactory(due_date=timezone.localdate() + datetime.timedelta(days=200))  # not yet
    MilestoneFactory(overdue_days=3)  # late, not "due soon"

    index = officer_client.get(reverse("admin:index"))
    listed = officer_client.get(reverse("admin:projects_milestone_changelist") + "?overdue=soon")

    assert index.context["due_soon_count"] == listed.context["cl"].result_count == 1
    assert "?overdue=soon" in index.content.decode()
