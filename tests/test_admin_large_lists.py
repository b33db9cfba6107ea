"""Admin lists at national-programme size (ppp.admin_lists): counts that are estimated or capped and say so,
pages that stay reachable, autocomplete filters on large relations (permission-checked), a date bar without a
scan, and a fixed number of queries per page. Runs on PostgreSQL (the estimate is PostgreSQL's)."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ppp import admin_lists
from ppp.admin_lists import LargeListPaginator
from ppp.factories import UserFactory
from procurement.factories import AgreementFactory, VendorFactory, VendorUserFactory
from projects.admin import MilestoneAdmin
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Milestone

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
MILESTONES = reverse("admin:projects_milestone_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")


def _queries(client, url, params=None) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response
    return response, [query["sql"] for query in queries]


@pytest.fixture
def estimated(monkeypatch):
    """Given PostgreSQL's planner believes the milestone table holds a million rows."""
    monkeypatch.setattr(admin_lists, "estimated_rows", lambda model: 1_000_000 if model is Milestone else None)


@pytest.fixture
def small_bound(monkeypatch):
    """Given lists count exactly only up to 3 rows, and show 2 rows a page."""
    monkeypatch.setattr(LargeListPaginator, "count_bound", 3)
    monkeypatch.setattr(MilestoneAdmin, "list_per_page", 2)


# --- Counts ------------------------------------------------------------------------------------------------------


def test_the_whole_list_shows_the_planners_estimate_and_counts_nothing(officer_client, estimated):
    MilestoneFactory.create_batch(3)

    response, queries = _queries(officer_client, MILESTONES)

    body = response.content.decode()
    assert "about 1,000,000 milestones" in body
    assert not [sql for sql in queries if sql.startswith("SELECT COUNT(") and "projects_milestone" in sql]
    assert "Show all" not in body.split('class="paginator"')[1]


def test_the_estimate_is_read_from_postgresql_once_the_table_is_analysed():
    MilestoneFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_milestone")

    assert admin_lists.estimated_rows(Milestone) == 3


def test_a_small_list_is_counted_exactly(officer_client):
    MilestoneFactory.create_batch(3)

    response, _ = _queries(officer_client, MILESTONES)

    cl = response.context["cl"]
    assert cl.count_is_exact and cl.result_count == 3
    assert "3 milestones" in response.content.decode()


def test_a_filtered_list_is_counted_up_to_the_bound_then_says_more_than(officer_client, small_bound):
    vendor = VendorFactory(legal_name="Acme Roads Ltd")
    MilestoneFactory.create_batch(5, responsible_vendor=vendor)
    MilestoneFactory.create_batch(2)

    response, queries = _queries(officer_client, MILESTONES, {"responsible_vendor": vendor.pk})

    body = response.content.decode()
    assert "more than 3 milestones" in body
    counts = [sql for sql in queries if sql.startswith("SELECT COUNT(")]
    assert len(counts) == 1 and "LIMIT 4" in counts[0]  # no count of every row, no second full count


def test_pages_past_the_bound_stay_reachable_and_no_last_page_is_invented(officer_client, small_bound):
    vendor = VendorFactory()
    for days in range(5):
        MilestoneFactory(responsible_vendor=vendor, due_date=datetime.date(2027, 1, 1) + datetime.timedelta(days))
    filters = {"responsible_vendor": vendor.pk}

    first = officer_client.get(MILESTONES, filters)
    third = officer_client.get(MILESTONES, {**filters, "p": 3})

    paginator = first.content.decode().split('class="paginator"')[1].split("</p>")[0]
    assert 'rel="next"' in paginator and "p=2" in paginator and "p=3" not in paginator  # next, never a "last"
    assert [m.due_date.day for m in third.context["cl"].result_list] == [5]  # the fifth row, past the bound
    last = third.content.decode().split('class="paginator"')[1].split("</p>")[0]
    assert 'rel="next"' not in last and 'rel="prev"' in last


def test_selecting_across_pages_names_the_estimate_not_a_false_total(officer_client, estimated):
    MilestoneFactory.create_batch(3)

    response = officer_client.get(MILESTONES)

    assert response.context["selection_note_all"] == "All about 1,000,000 milestones selected"
    assert "Select all about 1,000,000 milestones" in response.content.decode()


# --- Queries per page --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changelist", "make", "filters"),
    [
        ("admin:projects_milestone_changelist", lambda: MilestoneFactory(overdue_days=2), {"status__exact": "planned"}),
        (
            "admin:projects_deliverable_changelist",
            lambda: DeliverableFactory(submitted=True),
            {"status__exact": "submitted"},
        ),
        ("admin:procurement_agreement_changelist", lambda: AgreementFactory(active=True), {"status__exact": "active"}),
    ],
)
def test_queries_per_page_do_not_grow_with_rows_filtered_or_estimated(officer_client, changelist, make, filters):
    url = reverse(changelist)
    make()
    few = [len(_queries(officer_client, url, params)[1]) for params in ({}, filters)]
    for _index in range(6):
        make()

    many = [len(_queries(officer_client, url, params)[1]) for params in ({}, filters)]

    assert many == few


def test_queries_per_page_are_the_same_for_an_estimated_list_and_its_later_pages(officer_client, estimated):
    MilestoneFactory.create_batch(3)
    first = len(_queries(officer_client, MILESTONES)[1])
    MilestoneFactory.create_batch(9)

    assert len(_queries(officer_client, MILESTONES)[1]) == first
    assert len(_queries(officer_client, MILESTONES, {"p": 2})[1]) == first


# --- Date bar ----------------------------------------------------------------------------------------------------


def test_the_date_bar_offers_the_years_between_the_first_and_last_date_without_a_scan(officer_client):
    MilestoneFactory(due_date=datetime.date(2025, 3, 1))
    MilestoneFactory(due_date=datetime.date(2027, 3, 1))

    response, queries = _queries(officer_client, MILESTONES)

    toplinks = response.content.decode().split('class="toplinks"')[1].split("</nav>")[0]
    assert ">2025<" in toplinks and ">2026<" in toplinks and ">2027<" in toplinks
    assert not [sql for sql in queries if "DISTINCT" in sql.upper() and "DATE_TRUNC" in sql.upper()]


# --- Autocomplete filters ----------------------------------------------------------------------------------------


def test_the_vendor_filter_is_typed_filters_and_keeps_its_choice_in_the_url(officer_client):
    acme, bravo = VendorFactory(legal_name="Acme Roads Ltd"), VendorFactory(legal_name="Bravo Rail plc")
    MilestoneFactory(responsible_vendor=acme, title="Road works")
    MilestoneFactory(responsible_vendor=bravo, title="Rail works")

    page = officer_client.get(MILESTONES).content.decode()
    filtered = officer_client.get(MILESTONES, {"responsible_vendor": acme.pk, "status__exact": "planned"})

    sidebar = page.split('id="changelist-filter"')[1]
    assert "Bravo Rail plc" not in sidebar and "Acme Roads Ltd" not in sidebar  # no vendor is listed
    assert "admin-autocomplete" in sidebar and 'data-field-name="responsible_vendor"' in sidebar
    assert [m.title for m in filtered.context["cl"].result_list] == ["Road works"]
    body = filtered.content.decode()
    assert f'<option value="{acme.pk}" selected>Acme Roads Ltd</option>' in body  # the choice, shown again
    assert '<input type="hidden" name="status__exact" value="planned">' in body  # other filters kept


def test_the_project_filter_of_deliverables_goes_through_the_milestone(officer_client):
    wanted = ProjectFactory(code="WANTED")
    DeliverableFactory(milestone__project=wanted, title="Mine")
    DeliverableFactory(title="Elsewhere")

    response = officer_client.get(reverse("admin:projects_deliverable_changelist"), {"milestone__project": wanted.pk})

    assert [d.title for d in response.context["cl"].result_list] == ["Mine"]


def test_the_agreements_party_filter_is_typed(officer_client):
    party = VendorFactory(legal_name="Acme Roads Ltd")
    AgreementFactory(vendors=[party], reference="AGR-ACME")
    AgreementFactory(reference="AGR-OTHER")

    response = officer_client.get(reverse("admin:procurement_agreement_changelist"), {"cost_shares__vendor": party.pk})

    assert [a.reference for a in response.context["cl"].result_list] == ["AGR-ACME"]


def _search(client, term, model_name="milestone", field_name="responsible_vendor"):
    return client.get(
        AUTOCOMPLETE, {"app_label": "projects", "model_name": model_name, "field_name": field_name, "term": term}
    )


def test_an_officer_finds_a_vendor_by_typing(officer_client):
    VendorFactory(legal_name="Acme Roads Ltd")
    VendorFactory(legal_name="Bravo Rail plc")

    response = _search(officer_client, "acme")

    assert [row["text"] for row in json.loads(response.content)["results"]] == ["Acme Roads Ltd"]


def test_a_vendors_login_and_staff_without_permissions_find_nothing(client):
    VendorFactory(legal_name="Acme Roads Ltd")
    client.force_login(VendorUserFactory().user)
    assert b"Acme" not in _search(client, "acme").content  # not staff: the admin's login page

    client.force_login(UserFactory(is_staff=True))
    assert _search(client, "acme").status_code == 403


def test_a_board_member_finds_only_their_boards_projects(client, board_member):
    ProjectFactory(code="BOARD-1", board_members=[board_member])
    ProjectFactory(code="BOARD-2")
    client.force_login(board_member)

    response = _search(client, "BOARD", field_name="project")

    assert [row["text"] for row in json.loads(response.content)["results"]] == [str(board_member.board_projects.get())]
