"""The officer's home page: "My work" (what waits for me, four eyes respected), two charts, bounded queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.factories import CertificateFactory
from ppp import admin as ppp_admin
from ppp.factories import OfficerFactory, UserFactory
from procurement.factories import AgreementFactory, AmendmentFactory, ExpenditureFactory
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Deliverable

pytestmark = pytest.mark.django_db
INDEX = reverse("admin:index")


def _first_approval(deliverable, by):
    Deliverable.objects.filter(pk=deliverable.pk).update(first_approved_by=by, first_approved_at=timezone.now())


@pytest.fixture
def work(officer):
    """Given an officer who owns one project, a colleague, and work on both their projects."""
    colleague = OfficerFactory()
    mine = ProjectFactory(owner=officer, code="MINE")
    theirs = ProjectFactory(owner=colleague, code="THEIRS")
    late_mine = MilestoneFactory(project=mine, overdue_days=3, title="Late on my project")
    MilestoneFactory(project=mine, due_date=timezone.localdate() + datetime.timedelta(days=5), title="Due soon")
    MilestoneFactory(project=mine, due_date=timezone.localdate() + datetime.timedelta(days=90), title="Far off")
    late_theirs = MilestoneFactory(project=theirs, overdue_days=3)
    review = DeliverableFactory(milestone=late_mine, submitted=True, title="Survey report")
    DeliverableFactory(milestone=late_theirs, submitted=True, title="Not my project")
    second_look = DeliverableFactory(milestone=late_theirs, submitted=True, title="Needs a second officer")
    _first_approval(second_look, colleague)
    approved_by_me = DeliverableFactory(milestone=late_mine, submitted=True, title="I approved first")
    _first_approval(approved_by_me, officer)
    AmendmentFactory(proposed_by=colleague)
    AmendmentFactory(proposed_by=officer)
    achieved = {"status": "achieved", "achieved_date": timezone.localdate()}
    CertificateFactory(milestone=MilestoneFactory(project=theirs, **achieved), status="certified", certifier=colleague)
    CertificateFactory(milestone=MilestoneFactory(project=mine, **achieved), status="certified", certifier=officer)
    return {"review": review, "second_look": second_look}


def _panel_titles(response, key):
    panel = next(panel for panel in response.context["work_panels"] if panel.key == key)
    return panel, [item.text for item in panel.items]


def test_my_work_lists_what_waits_for_me_and_not_what_four_eyes_forbid(officer_client, work):
    response = officer_client.get(INDEX)

    review, titles = _panel_titles(response, "review_count")
    # My project's submission, and another project's that waits for a second officer; never one I approved first.
    assert sorted(titles) == ["Needs a second officer", "Survey report"] and review.count == 2
    _, late = _panel_titles(response, "attention_count")
    assert late == ["Late on my project", "Due soon"]
    assert response.context["amendment_approval_count"] == 1  # not the one I proposed
    assert response.context["certificate_approval_count"] == 1  # not the one I certified
    body = response.content.decode()
    assert reverse("admin:projects_deliverable_change", args=[work["review"].pk]) in body
    assert "3 days late" in body


@pytest.mark.parametrize(
    ("key", "changelist"),
    [
        ("review_count", "admin:projects_deliverable_changelist"),
        ("attention_count", "admin:projects_milestone_changelist"),
        ("amendment_approval_count", "admin:procurement_amendment_changelist"),
        ("certificate_approval_count", "admin:payments_certificate_changelist"),
    ],
)
def test_each_panel_links_to_the_list_holding_exactly_its_rows(officer_client, work, key, changelist):
    panel = next(panel for panel in officer_client.get(INDEX).context["work_panels"] if panel.key == key)

    listed = officer_client.get(panel.url)

    assert panel.url.startswith(reverse(changelist))
    assert listed.context["cl"].result_count == panel.count > 0


def test_a_board_member_sees_their_boards_milestones_and_nothing_to_approve(client, board_member, work):
    ProjectFactory(code="BOARD", board_members=[board_member])
    MilestoneFactory(project__code="ELSEWHERE", overdue_days=2)
    on_board = MilestoneFactory(project=board_member.board_projects.get(), overdue_days=1, title="On my board")
    client.force_login(board_member)

    response = client.get(INDEX)

    assert [panel.key for panel in response.context["work_panels"]] == ["attention_count"]
    _, titles = _panel_titles(response, "attention_count")
    assert titles == [on_board.title]
    assert "my boards" in response.content.decode()


def test_a_superuser_sees_every_projects_late_milestones(client, work):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    panel, _ = _panel_titles(client.get(INDEX), "attention_count")

    assert panel.count == 3  # both projects' late ones and the one due soon


def test_charts_are_drawn_on_the_server(officer_client, work):
    agreement = AgreementFactory(active=True, total_value=Decimal("1000.00"), currency="EUR")
    ExpenditureFactory(agreement=agreement, amount=Decimal("1500.00"))  # over budget

    body = officer_client.get(INDEX).content.decode()

    chart = body.split('id="milestone_chart"')[1].split('id="spend_chart"')[0]
    assert "<svg" in chart and "<script" not in body.split('id="my-work"')[1].split("</main>")[0]
    assert "Overdue: 2" in chart  # this month's late milestones, in the bar's tooltip
    assert "1,500.00 of 1,000.00\u00a0EUR (150\u00a0%)" in body.replace("&nbsp;", "\u00a0")
    assert "#c62828" in body.split('id="spend_chart"')[1]  # over budget reads red


def test_spend_chart_sums_the_rest_per_currency(officer_client):
    for index in range(8):
        AgreementFactory(active=True, total_value=Decimal(1_000_000 - index), currency="EUR" if index % 2 else "USD")

    body = officer_client.get(INDEX).content.decode()

    assert "1 other agreement" in body  # the 7th and 8th largest: one in each currency, never added together
    assert "0.00 of 999,993.00\u00a0EUR" in body and "0.00 of 999,994.00\u00a0USD" in body


def _index_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


def test_the_dashboard_reads_a_fixed_number_of_queries(officer_client, officer):
    def add_work(count):
        colleague = OfficerFactory()
        for _index in range(count):
            project = ProjectFactory(owner=officer)
            milestone = MilestoneFactory(project=project, overdue_days=2)
            DeliverableFactory(milestone=milestone, submitted=True)
            AmendmentFactory(proposed_by=colleague, agreement=project.agreement)
            ExpenditureFactory(agreement=project.agreement)

    add_work(1)
    few = _index_queries(officer_client)
    add_work(7)
    many = _index_queries(officer_client)

    assert few == many
    # Session and user (2), permissions (2), the unread notifications count, then the dashboard itself: its lines
    # and charts, and two queries per "My work" panel (the first rows, a count that stops at its bound).
    assert many - 5 <= 16


def test_a_panel_shows_its_first_rows_and_how_many_more_linking_to_the_list(officer_client, officer):
    project = ProjectFactory(owner=officer)
    for days in range(1, 8):
        MilestoneFactory(project=project, overdue_days=days)

    response = officer_client.get(INDEX)

    panel, titles = _panel_titles(response, "attention_count")
    assert len(titles) == 5 and panel.count == 7 and panel.count_is_exact
    body = response.content.decode().split('id="attention_count"')[1].split('id="')[0]
    assert f'<a href="{panel.url}">and 2 more →</a>' in body


def test_a_panel_stops_counting_at_its_bound_and_says_so(officer_client, officer, monkeypatch):
    monkeypatch.setattr(ppp_admin, "WORK_PANEL_COUNT_BOUND", 6)
    project = ProjectFactory(owner=officer)
    for days in range(1, 9):
        MilestoneFactory(project=project, overdue_days=days)

    with CaptureQueriesContext(connection) as queries:
        response = officer_client.get(INDEX)

    panel, titles = _panel_titles(response, "attention_count")
    assert len(titles) == 5 and panel.count == 6 and not panel.count_is_exact
    body = response.content.decode().split('id="attention_count"')[1].split('id="')[0]
    assert ">6+</span>" in body and "and more than 1 more →" in body
    assert not [query["sql"] for query in queries if "OVER" in query["sql"]]  # no window count over every row
