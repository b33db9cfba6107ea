"""In the admin a board member sees what the board pages show: their boards' projects and nothing of the others
(another project's page answers like a missing one), and no vendor contacts; officers still see everything."""

import pytest
from django.contrib import admin
from django.urls import reverse

from procurement.factories import (
    AgreementFactory,
    AmendmentShareChangeFactory,
    ExpenditureFactory,
    VendorContactFactory,
    VendorFactory,
)
from procurement.models import Agreement, Amendment, CostShare, Expenditure
from projects.factories import (
    AlertFactory,
    DeliverableFactory,
    GateDecisionFactory,
    IterationFactory,
    KPIMeasurementFactory,
    MilestoneFactory,
    PerformanceFailureDisputeFactory,
    PerformanceFailureFactory,
    ProjectFactory,
    RiskFactory,
)
from projects.models import (
    KPI,
    Deliverable,
    GateDecision,
    Iteration,
    Milestone,
    PerformanceFailure,
    Project,
    Risk,
)

pytestmark = pytest.mark.django_db

SCOPED_MODELS = [
    Project,
    Iteration,
    Milestone,
    Deliverable,
    Risk,
    KPI,
    GateDecision,
    PerformanceFailure,
    Agreement,
    CostShare,
    Amendment,
    Expenditure,
]


def _project_with_everything(code):
    vendor = VendorFactory()
    agreement = AgreementFactory(active=True, vendors=[vendor])
    project = ProjectFactory(agreement=agreement, code=code)
    milestone = MilestoneFactory(project=project, responsible_vendor=vendor)
    IterationFactory(project=project)
    DeliverableFactory(milestone=milestone, responsible_vendor=vendor)
    ExpenditureFactory(agreement=agreement, vendor=vendor, milestone=milestone)
    AmendmentShareChangeFactory(amendment__agreement=agreement, vendor=vendor, new_percentage=60)
    GateDecisionFactory(project=project)
    RiskFactory(project=project)
    KPIMeasurementFactory(kpi__project=project)
    failure = PerformanceFailureFactory(milestone=MilestoneFactory(project=project, status="missed", overdue_days=9))
    PerformanceFailureDisputeFactory(failure=failure)
    AlertFactory(milestone=milestone)
    VendorContactFactory(vendor=vendor)
    return project


@pytest.fixture
def two_projects(board_member):
    mine, theirs = _project_with_everything("MINE-1"), _project_with_everything("THEIRS-1")
    mine.board_members.add(board_member)
    return mine, theirs


def _rows_of(model, project):
    path = admin.site._registry[model].project_path
    return set(model.objects.filter(**{f"{path}__in": [project.pk]}).values_list("pk", flat=True))


def _changelist_pks(client, model):
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_board_member_lists_only_their_projects_rows(board_client, two_projects, model):
    mine, theirs = two_projects

    listed = _changelist_pks(board_client, model)

    assert listed == _rows_of(model, mine) and listed
    assert not listed & _rows_of(model, theirs)


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_officer_still_lists_every_row(officer_client, two_projects, model):
    assert _changelist_pks(officer_client, model) == set(model.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_another_projects_pages_answer_like_missing_ones(board_client, two_projects, model):
    _, theirs = two_projects
    opts = model._meta
    pk = next(iter(_rows_of(model, theirs)))

    change = board_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
    history = board_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[pk]))

    assert change.status_code == 302 and change["Location"] == reverse("admin:index")
    assert history.status_code in (302, 404)
    assert "THEIRS-1" not in history.content.decode()


def test_single_history_version_of_another_project_is_refused(board_client, two_projects):
    _, theirs = two_projects
    version = theirs.history.first()

    url = reverse("admin:projects_project_simple_history", args=[theirs.pk, version.history_id])

    assert board_client.get(url).status_code == 404


def test_own_project_page_shows_only_its_own_inline_rows(board_client, two_projects):
    mine, _ = two_projects

    page = board_client.get(reverse("admin:projects_project_change", args=[mine.pk]))

    assert page.status_code == 200
    assert "THEIRS-1" not in page.content.decode()


@pytest.mark.parametrize("model_name", ["vendorcontact", "vendoruser"])
def test_board_member_cannot_see_vendor_people(board_client, two_projects, model_name):
    assert board_client.get(reverse(f"admin:procurement_{model_name}_changelist")).status_code == 403


def test_vendor_page_hides_contacts_from_board_members(board_client, two_projects):
    vendor = two_projects[0].agreement.cost_shares.get(vendor__isnull=False).vendor
    contact = vendor.contacts.get()

    page = board_client.get(reverse("admin:procurement_vendor_change", args=[vendor.pk]))

    assert page.status_code == 200 and contact.email not in page.content.decode()


def test_officer_sees_vendor_contacts(officer_client, two_projects):
    page = officer_client.get(reverse("admin:procurement_vendorcontact_changelist"))

    assert page.status_code == 200 and page.context["cl"].result_count == 2


def test_board_member_on_no_board_sees_empty_lists(client, two_projects):
    from ppp.factories import BoardMemberFactory

    client.force_login(BoardMemberFactory())

    assert _changelist_pks(client, Milestone) == set()


def test_dashboard_counts_only_their_projects(client, board_member, officer, two_projects):
    for project in two_projects:
        MilestoneFactory(project=project, overdue_days=3)

    def overdue_count_for(user):
        client.force_login(user)
        return client.get(reverse("admin:index")).context["overdue_count"]

    assert overdue_count_for(board_member) == 1
    assert overdue_count_for(officer) == 2


def test_filters_offer_only_their_projects(board_client, two_projects):
    page = board_client.get(reverse("admin:projects_risk_changelist"))

    body = page.content.decode()
    assert "MINE-1" in body and "THEIRS-1" not in body
