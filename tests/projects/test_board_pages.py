"""Board pages and downloads: who may open what, what they show, and that their query count stays flat."""

import csv
import gc
import io
from datetime import timedelta

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ppp.factories import BoardMemberFactory, UserFactory
from projects import selectors
from projects.factories import (
    DeliverableFactory,
    KPIFactory,
    KPIMeasurementFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
)
from projects.reports.csv_export import MILESTONE_COLUMNS
from projects.reports.timeline import milestone_timeline
from projects.selectors import project_report

pytestmark = pytest.mark.django_db


def project_urls(project) -> list[str]:
    return [
        reverse("boards:project_detail", args=[project.pk]),
        reverse("boards:project_report", args=[project.pk]),
        reverse("boards:project_milestones_csv", args=[project.pk]),
        reverse("boards:project_payments_csv", args=[project.pk]),
    ]


def all_urls(project) -> list[str]:
    return [
        reverse("boards:project_list"),
        reverse("boards:portfolio_report"),
        reverse("boards:portfolio_csv"),
        *project_urls(project),
    ]


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)


# --- Permissions -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, report_project):
    for url in all_urls(report_project):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login") + "?next=")


def test_a_board_member_of_one_project_gets_404_for_another(board_client, report_project):
    other = ProjectFactory(code="PRJ-OTHER")

    for url in project_urls(other):
        assert board_client.get(url).status_code == 404, url
    for url in project_urls(report_project):
        assert board_client.get(url).status_code == 200, url


def test_the_board_list_and_portfolio_show_only_the_members_projects(board_client, report_project):
    ProjectFactory(code="PRJ-OTHER")

    page = board_client.get(reverse("boards:project_list")).content.decode()
    portfolio = pdf_text(board_client.get(reverse("boards:portfolio_report")))

    assert "PRJ-BOARD-1" in page and "PRJ-OTHER" not in page
    assert "PRJ-BOARD-1" in portfolio and "PRJ-OTHER" not in portfolio


def test_a_board_member_never_sees_another_boards_risks_or_kpis(board_client, governed_project):
    other = ProjectFactory(code="PRJ-OTHER")
    RiskFactory(project=other, title="Overdue risk elsewhere", review_date=timezone.localdate() - timedelta(days=5))
    KPIMeasurementFactory(kpi=KPIFactory(project=other, name="KPI of another board"))

    page = board_client.get(reverse("boards:project_detail", args=[governed_project.pk])).content.decode()
    portfolio = pdf_text(board_client.get(reverse("boards:portfolio_report")))

    assert "Identity provider outage" in page and "Identity provider outage" in portfolio
    for text in (page, portfolio):
        assert "Overdue risk elsewhere" not in text
        assert "KPI of another board" not in text


def test_officers_see_every_board(officer_client, report_project):
    other = ProjectFactory(code="PRJ-OTHER")

    page = officer_client.get(reverse("boards:project_list")).content.decode()

    assert "All project boards" in page
    assert "PRJ-BOARD-1" in page and "PRJ-OTHER" in page
    for url in project_urls(other):
        assert officer_client.get(url).status_code == 200, url


@pytest.mark.parametrize("user_factory", [BoardMemberFactory, UserFactory], ids=["board member elsewhere", "no role"])
def test_users_off_the_board_get_404_and_an_empty_list(client, report_project, user_factory):
    client.force_login(user_factory())

    for url in project_urls(report_project):
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("boards:project_list")).content.decode()
    assert "You do not sit on any project board yet." in page


def test_board_pages_are_read_only(board_client, report_project):
    for url in all_urls(report_project):
        assert board_client.post(url).status_code == 405, url


# --- What the pages show -----------------------------------------------------------------------


def test_project_page_lists_milestones_with_status_days_late_and_progress(board_client, report_project):
    response = board_client.get(reverse("boards:project_detail", args=[report_project.pk]))
    page = response.content.decode()

    assert response["Cache-Control"].startswith("max-age=0")
    for title in report_project.milestones.values_list("title", flat=True):
        assert title in page
    assert '<span class="rag rag-red">Overdue</span>' in page
    assert '<span class="late">12</span>' in page  # Security accreditation, 12 days late
    assert "Penetration test report" in page  # open deliverable under the late milestone
    assert 'aria-label="Security accreditation: average deliverable progress"' in page
    assert "Northwind Civic Systems Ltd" in page and "575,000.00" in page  # cost shares: remaining after spend


def test_project_page_draws_the_timeline_inline_without_scripts(board_client, report_project):
    page = board_client.get(reverse("boards:project_detail", args=[report_project.pk])).content.decode()

    assert '<svg role="img"' in page
    assert page.count('<g class="bar ') == 10  # every milestone but the cancelled one
    assert "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page


def test_project_page_lists_the_open_risks_past_their_review_date(board_client, governed_project):
    page = board_client.get(reverse("boards:project_detail", args=[governed_project.pk])).content.decode()

    risks = page.split('id="overdue-risks"', 1)[1].split("</table>", 1)[0]
    assert "2 open risks not reviewed by the review date" in risks
    assert '<th scope="row">Identity provider outage</th>' in risks
    assert '<span class="rag rag-red">20 (critical)</span>' in risks
    assert '<span class="late">10</span>' in risks
    assert "Data protection law amended" in risks and "Mitigating" in risks
    for title in ("Reviewed today risk", "Next quarter risk", "Closed vendor risk"):
        assert title not in page


def test_project_page_shows_each_kpi_against_its_target_with_a_sparkline(board_client, governed_project):
    page = board_client.get(reverse("boards:project_detail", args=[governed_project.pk])).content.decode()

    kpis = page.split('id="kpis"', 1)[1].split("</table>", 1)[0]
    rows = {row.split("</th>", 1)[0]: row for row in kpis.split('<th scope="row">')[1:]}
    adoption = next(row for name, row in rows.items() if name.startswith("Digital service adoption"))
    assert "47.50" in adoption and "Improving" in adoption
    assert '<span class="rag rag-red">Off target</span>' in adoption
    cost = next(row for name, row in rows.items() if name.startswith("Cost per transaction"))
    assert '<span class="rag rag-green">On target</span>' in cost and "Lower is better" in cost
    satisfaction = next(row for name, row in rows.items() if name.startswith("Citizen satisfaction"))
    assert "Worsening" in satisfaction
    assert "Not measured" in kpis
    assert kpis.count('<svg role="img" class="sparkline"') == 3  # one per measured KPI
    assert "Digital service adoption: 3 measurements from" in kpis  # the sparkline's accessible name
    assert "<script" not in page


def test_project_page_leads_with_the_overall_status_and_its_reason(board_client, report_project):
    page = board_client.get(reverse("boards:project_detail", args=[report_project.pk])).content.decode()

    status = page.split('id="overall-status"', 1)[1].split("</p>", 1)[0]
    assert '<span class="rag rag-red">Red</span> 3 milestones overdue, the oldest 12 days' in status
    assert '<li class="rag-red" data-status="overdue">' in page
    assert '<li class="rag-none" data-status="missed">' in page  # zero missed: not shaded red


def test_a_slipped_milestone_is_drawn_amber_or_red_never_green(board_client, report_project):
    today = timezone.localdate()
    MilestoneFactory(
        project=report_project,
        title="Slipped but on track",
        baseline_due_date=today + timedelta(days=40),
        due_date=today + timedelta(days=100),
    )
    MilestoneFactory(
        project=report_project,
        title="Slipped and achieved",
        baseline_due_date=today - timedelta(days=90),
        due_date=today - timedelta(days=60),
        status="achieved",
        achieved_date=today - timedelta(days=61),
    )
    late = report_project.milestones.get(title="Security accreditation")
    late.baseline_due_date = late.due_date - timedelta(days=20)
    late.save()

    page = board_client.get(reverse("boards:project_detail", args=[report_project.pk])).content.decode()

    bars = {bar.split("<title>", 1)[1].split(":", 1)[0]: bar for bar in page.split('<g class="bar ')[1:]}
    assert bars["Slipped but on track"].startswith('bar-on_track slip-amber"')
    assert '<rect class="fill-amber"' in bars["Slipped but on track"]
    assert bars["Slipped and achieved"].startswith('bar-achieved slip-amber"')  # the marker is green, the slip not
    assert bars["Security accreditation"].startswith('bar-overdue slip-red"')
    for bar in bars.values():
        assert '<rect class="fill-green"' not in bar
    assert "60 days later than planned" in bars["Slipped but on track"]


def test_project_page_labels_today_above_the_rows_clear_of_the_axis(board_client, report_project):
    response = board_client.get(reverse("boards:project_detail", args=[report_project.pk]))
    svg = response.context["svg"]

    assert svg.plot_top > 0
    page = response.content.decode()
    label = page.split('<text class="today-label"', 1)[1].split(">", 1)[0]
    label_y = float(label.split('y="', 1)[1].split('"', 1)[0])
    assert label_y < svg.plot_top < svg.axis_y  # above the first row, far from the axis labels


def test_project_page_charts_spend_by_party(board_client, report_project):
    page = board_client.get(reverse("boards:project_detail", args=[report_project.pk])).content.decode()

    chart = page.split('id="spend-chart"', 1)[1].split("</figure>", 1)[0]
    assert "Spend by party in EUR: committed, certified and paid" in chart
    assert chart.count('<g class="party">') == 2  # the authority and the partner
    assert '<rect class="spend-committed"' in chart and '<rect class="spend-paid"' in chart
    assert "Committed 600,000.00" in chart


def test_board_list_shows_each_projects_status_and_a_totals_row(board_client, report_project):
    member = report_project.board_members.get()
    ProjectFactory(code="PRJ-BOARD-2", board_members=[member])
    dollars = ProjectFactory(code="PRJ-BOARD-3", board_members=[member], agreement__currency="USD")
    MilestoneFactory(project=dollars, due_date=timezone.localdate() + timedelta(days=5), payment_amount="700.00")

    page = board_client.get(reverse("boards:project_list")).content.decode()

    rows = {row.split('"', 1)[0]: row for row in page.split('<tr data-project="')[1:]}
    assert (
        '<span class="rag rag-red">Red</span> <small>3 milestones overdue, the oldest 12 days</small>'
        in rows["PRJ-BOARD-1"]
    )
    assert "Green</span> <small>no milestones planned yet</small>" in rows["PRJ-BOARD-2"]
    assert "Amber</span> <small>1 due within 14 days</small>" in rows["PRJ-BOARD-3"]
    assert "2 of 10" in rows["PRJ-BOARD-1"] and '<td class="nowrap">' in rows["PRJ-BOARD-1"]
    totals = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert "1 red, 1 amber, 1 green" in totals
    assert "2 of 11" in totals
    # Amounts in different currencies are totalled apart, never added together.
    assert "500,000.00\N{NO-BREAK SPACE}EUR" in totals and "700.00\N{NO-BREAK SPACE}USD" in totals


def test_report_download_is_the_projects_pdf(board_client, report_project):
    response = board_client.get(reverse("boards:project_report", args=[report_project.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="milestone-report-PRJ-BOARD-1-')
    assert "PRJ-BOARD-1" in pdf_text(response)


def read_csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheet programs then read UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_milestones_csv_has_human_headers_labels_and_spreadsheet_values(board_client, report_project):
    late = report_project.milestones.get(title="Security accreditation")

    response = board_client.get(reverse("boards:project_milestones_csv", args=[report_project.pk]))

    rows = read_csv(response)
    assert list(rows[0]) == [str(header) for _key, header in MILESTONE_COLUMNS]
    assert list(rows[0])[:6] == ["Project", "Milestone ID", "Milestone", "Type", "Status", "Board status"]
    assert len(rows) == 11
    by_title = {row["Milestone"]: row for row in rows}
    assert by_title["Security accreditation"] == {
        **by_title["Security accreditation"],
        "Project": "PRJ-BOARD-1",
        "Milestone ID": str(late.pk),
        "Type": "Delivery",
        "Status": "Planned",  # the label, never the code "planned"
        "Board status": "Overdue",
        "Due date": late.due_date.isoformat(),  # ISO: a date to any spreadsheet, in any locale
        "Days late": "12",
        "Responsible vendor": "Northwind Civic Systems Ltd",
        "Payment": "50000.00",  # a plain decimal: a number to sum, not text
        "Currency": "EUR",
        "Deliverables": "2",
        "Deliverables accepted": "1",
        "Deliverables open": "1",
        "Average progress (%)": "80",
    }
    assert by_title["Discovery report"]["Board status"] == "Achieved"
    assert by_title["Discovery report"]["Days late"] == "5"  # achieved five days after its due date
    assert by_title["Go-live"]["Board status"] == "Due soon"
    assert by_title["Pilot environment live"]["Status"] == "In progress"


def test_a_due_date_brought_forward_reads_as_a_negative_number_not_text(board_client, report_project):
    today = timezone.localdate()
    MilestoneFactory(
        project=report_project,
        title="Brought forward",
        baseline_due_date=today + timedelta(days=40),
        due_date=today + timedelta(days=30),
    )

    rows = read_csv(board_client.get(reverse("boards:project_milestones_csv", args=[report_project.pk])))

    assert next(row for row in rows if row["Milestone"] == "Brought forward")["Slip (days)"] == "-10"


def test_payments_csv_has_human_headers_and_role_labels(board_client, report_project):
    rows = read_csv(board_client.get(reverse("boards:project_payments_csv", args=[report_project.pk])))

    assert list(rows[0])[:4] == ["Agreement", "Party", "Role", "Committed"]
    assert {row["Role"] for row in rows} == {"Authority", "Partner"}


def test_portfolio_csv_has_one_line_per_visible_project_with_status_counts_and_money(board_client, report_project):
    ProjectFactory(code="PRJ-OTHER")
    quiet = ProjectFactory(code="PRJ-BOARD-2", board_members=[report_project.board_members.get()])
    MilestoneFactory(project=quiet, due_date=timezone.localdate() + timedelta(days=60), payment_amount="1000.00")

    rows = read_csv(board_client.get(reverse("boards:portfolio_csv")))

    assert [row["Project"] for row in rows] == ["PRJ-BOARD-1", "PRJ-BOARD-2"]  # never another board's project
    first, second = rows
    assert first == {
        **first,
        "Agreement": "PPP-REPORT-001",
        "Overall status": "Red",
        "Reason": "3 milestones overdue, the oldest 12 days",
        "Milestones": "10",
        "Achieved": "2",
        "Due soon": "4",
        "Overdue": "3",
        "Oldest overdue (days)": "12",
        "Missed": "0",
        "Milestone payments": "500000.00",
        "Certified": "0.00",
        "Paid": "0.00",
        "Currency": "EUR",
    }
    assert (second["Overall status"], second["Reason"]) == ("Green", "on schedule, 0 % of payments certified")


def test_csv_cells_cannot_run_as_spreadsheet_formulas(board_client, report_project):
    MilestoneFactory(project=report_project, title='=HYPERLINK("http://evil.example","x")')

    response = board_client.get(reverse("boards:project_milestones_csv", args=[report_project.pk]))

    assert "'=HYPERLINK(" in response.content.decode()


# --- Query counts ------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_board_list_query_count_does_not_grow_with_projects(board_client, board_member):
    url = reverse("boards:project_list")
    ProjectFactory(board_members=[board_member])
    few = count_queries(board_client, url)

    for _ in range(4):
        project = ProjectFactory(board_members=[board_member])
        MilestoneFactory.create_batch(2, project=project, overdue_days=2)

    # session, user, 2 permission reads, projects with their counts, certified and paid per project, the header's
    # unread notifications
    assert count_queries(board_client, url) == few == 7


def test_project_page_and_csv_query_counts_do_not_grow_with_milestones(board_client, report_project):
    detail = reverse("boards:project_detail", args=[report_project.pk])
    download = reverse("boards:project_milestones_csv", args=[report_project.pk])
    few = count_queries(board_client, detail), count_queries(board_client, download)

    for day in range(10):
        milestone = MilestoneFactory(project=report_project, overdue_days=4)
        DeliverableFactory.create_batch(2, milestone=milestone)
        RiskFactory(project=report_project, review_date=timezone.localdate() - timedelta(days=day + 1))
        KPIMeasurementFactory(kpi=KPIFactory(project=report_project))

    # session, user, 2 permission reads, project, milestones, open deliverables, 2 budget reads;
    # the page also reads the risks past review, the KPI measurements and the KPIs with their latest values;
    # both read the payment chain: cost shares, certified and paid per party, paid per project; the page's header
    # counts the unread notifications; the page lists the gate decisions (their checks are one more read when there
    # are any). The page reads its milestones as counts, one page of rows and the timeline's nearest rows on each
    # side of today, in place of every milestone.
    assert (count_queries(board_client, detail), count_queries(board_client, download)) == few == (21, 13)


# --- A project with more milestones than a page ---------------------------------------------------------------


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of four milestones, so the eleven of ``report_project`` take three (today falls on the second)."""
    monkeypatch.setattr(selectors, "MILESTONES_PER_PAGE", 4)


def milestone_titles(page: str, table_id: str) -> list[str]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [
        row.split('<th scope="row">', 1)[1].split("\n", 1)[0].strip() for row in table.split("<tr data-milestone=")[1:]
    ]


def test_a_long_milestone_list_opens_at_today_a_page_at_a_time_with_the_late_ones_first(
    board_client, report_project, small_pages
):
    url = reverse("boards:project_detail", args=[report_project.pk])

    page = board_client.get(url).content.decode()

    assert milestone_titles(page, "milestones") == [
        "Pilot user research",
        "Accessibility audit",
        "Service assessment",
        "Data migration",
    ]
    assert "Milestones 5 to 8 of 11, earliest due first" in page
    assert "Page 2 of 3" in page
    assert 'href="?page=1#milestones-heading"' in page and 'href="?page=3#milestones-heading"' in page
    assert milestone_titles(page, "attention") == [
        "Security accreditation",
        "Pilot environment live",
        "Pilot user research",
        "Accessibility audit",
        "Service assessment",
        "Data migration",
        "Go-live",
    ]
    assert "7 of 7 milestones overdue, missed or due soon, most overdue first" in page
    assert "Penetration test report" in page.split('id="attention"', 1)[1].split("</table>", 1)[0]
    # The summary, the status and the timeline still count every milestone, not the page.
    assert '<span class="rag rag-red">Red</span> 3 milestones overdue, the oldest 12 days' in page
    assert '<li class="rag-amber" data-status="due_soon"><span class="count">4</span>' in page
    assert page.count('<g class="bar ') == 10

    first = board_client.get(url + "?page=1").content.decode()
    assert milestone_titles(first, "milestones") == [
        "Requirements signed off",
        "Discovery report",
        "Security accreditation",
        "Pilot environment live",
    ]
    assert "Penetration test report" in first.split('id="milestones"', 1)[1]  # listed on both tables
    last = board_client.get(url + "?page=99").content.decode()
    assert milestone_titles(last, "milestones") == ["Go-live", "Phase 2 rollout", "Dropped payment certificate"]
    assert "Page 3 of 3" in last and 'rel="next"' not in last


def test_the_attention_list_stops_at_its_limit_and_says_how_many_there_are(
    board_client, report_project, small_pages, monkeypatch
):
    monkeypatch.setattr(selectors, "ATTENTION_LIMIT", 2)

    page = board_client.get(reverse("boards:project_detail", args=[report_project.pk])).content.decode()

    assert milestone_titles(page, "attention") == ["Security accreditation", "Pilot environment live"]
    assert "2 of 7 milestones overdue, missed or due soon, most overdue first" in page


def test_a_project_page_that_fits_one_page_has_no_page_links_or_second_list(board_client, report_project):
    page = board_client.get(reverse("boards:project_detail", args=[report_project.pk])).content.decode()

    assert len(milestone_titles(page, "milestones")) == 11
    assert 'id="attention"' not in page and "?page=" not in page


def test_paginated_project_page_query_count_does_not_grow_with_milestones(board_client, report_project, small_pages):
    url = reverse("boards:project_detail", args=[report_project.pk])
    few = count_queries(board_client, url)

    for day in range(40):
        milestone = MilestoneFactory(project=report_project, overdue_days=day - 20)
        DeliverableFactory.create_batch(2, milestone=milestone)

    # As on one page (above), plus the list of milestones needing attention.
    assert count_queries(board_client, url) == few == 22


def test_the_page_counts_in_sql_what_the_pdf_counts_from_its_rows(report_project):
    today = timezone.localdate()
    MilestoneFactory(project=report_project, title="Missed", overdue_days=20, status="missed")
    MilestoneFactory(
        project=report_project,
        title="Slipped",
        baseline_due_date=today + timedelta(days=40),
        due_date=today + timedelta(days=100),
        payment_amount="1234.56",
    )

    full = project_report(report_project, on=today)
    counted = project_report(report_project, on=today, milestones=False)

    assert counted.rows == [] and counted.counted_in_sql is not None
    assert counted.tally == full.tally
    assert counted.status == full.status
    assert (counted.summary, counted.percent_achieved, counted.total_payments) == (
        full.summary,
        full.percent_achieved,
        full.total_payments,
    )


def test_the_page_timeline_draws_the_milestones_the_pdf_draws(board_client, report_project):
    for day in range(-60, 60, 3):  # 40 more, some as far from today as others (ties go to the earlier)
        MilestoneFactory(project=report_project, title=f"Extra {day}", overdue_days=day)

    response = board_client.get(reverse("boards:project_detail", args=[report_project.pk]))

    full = project_report(report_project)
    assert response.context["timeline"] == milestone_timeline(full.rows, full.on)
    assert response.context["timeline"].shown == 40 and response.context["timeline"].total == 50


def test_board_pdf_downloads_leave_the_garbage_collector_running(board_client, report_project, monkeypatch):
    """A web worker serves other requests while a report is built: pausing the collector would pause it for
    all of them, so only the benchmark opts in (``pause_gc=True``)."""
    import projects.reports.pdf as pdf_module

    collector_on_while_rendering = []
    render = pdf_module._render

    def spying_render(*args, **kwargs):
        collector_on_while_rendering.append(gc.isenabled())
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf_module, "_render", spying_render)
    for url in (reverse("boards:project_report", args=[report_project.pk]), reverse("boards:portfolio_report")):
        assert board_client.get(url).status_code == 200, url

    assert collector_on_while_rendering == [True, True]


def test_a_report_built_with_pause_gc_pauses_the_collector_and_turns_it_back_on(report_project, monkeypatch):
    import projects.reports.pdf as pdf_module

    collector_on_while_rendering = []
    render = pdf_module._render

    def spying_render(*args, **kwargs):
        collector_on_while_rendering.append(gc.isenabled())
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf_module, "_render", spying_render)
    pdf_module.milestone_report_pdf(report_project, pause_gc=True)

    assert collector_on_while_rendering == [False]
    assert gc.isenabled()


def test_the_project_page_shows_the_gates_passed_with_their_checklists(client, officer):
    from projects import services
    from projects.factories import ProjectFactory

    project = ProjectFactory()
    checks = [
        {"criterion": c, "met": c.text != "Affordability confirmed by the finance ministry", "evidence": "Minuted"}
        for c in services.gate_checklist(project, "financial_close")
    ]
    services.project_change_phase(
        project_id=project.pk, to_phase="financial_close", by=officer, checks=checks, override_reason="Budget law"
    )
    client.force_login(officer)

    body = client.get(reverse("boards:project_detail", args=[project.pk])).content.decode()

    assert "Procurement → Financial close" in body and "Budget law" in body
    assert "✘ not met:\n        Affordability confirmed by the finance ministry" in body
    assert "Project agreement signed (commercial close) – Minuted" in body
