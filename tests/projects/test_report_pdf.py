"""The board's PDF milestone report: what a board member reads before the meeting."""

import datetime
import io
import time

import pypdf
import pytest
from django.utils import timezone

from ppp.formatting import format_date
from projects.factories import KPIFactory, KPIMeasurementFactory, MilestoneFactory, ProjectFactory, RiskFactory
from projects.models import Milestone, Project
from projects.reports import milestone_report_pdf, portfolio_report_pdf

pytestmark = pytest.mark.django_db


def pdf_pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def summary_counts(first_page: str) -> dict[str, str]:
    """The summary block on the first page: 'Milestones', then label and value lines up to the payments."""
    block = first_page.split("\nMilestones\n", 1)[1].split("\nMilestone payments", 1)[0]
    lines = block.splitlines()
    return dict(zip(lines[::2], lines[1::2], strict=True))


def test_report_holds_the_project_each_milestone_and_the_status_counts(report_project):
    pages = pdf_pages(milestone_report_pdf(report_project))
    text = "\n".join(pages)

    assert "PRJ-BOARD-1" in pages[0]
    assert "PPP-REPORT-001" in pages[0]
    assert "Northwind Civic Systems Ltd" in pages[0]  # a partner in the cover block
    for title in report_project.milestones.values_list("title", flat=True):
        assert title in text
    assert summary_counts(pages[0]) == {
        "Achieved": "2",
        "On track": "1",
        "Due soon": "4",
        "Overdue": "3",
        "Missed": "0",
        "Cancelled": "1",
        "Total": "11",
    }
    # Ten live milestones of 50,000 each; achieved is not paid: only paid payment certificates count (none yet).
    assert "500,000.00" in pages[0]
    assert "Paid by certificates (EUR)\n0.00" in pages[0]


def test_report_lists_cost_shares_with_actual_spend(report_project):
    first_page = pdf_pages(milestone_report_pdf(report_project))[0]

    shares = first_page.split("Cost shares: budget against actual spend", 1)[1]
    assert "Northwind Civic Systems Ltd\nPartner\n60.00 %\n600,000.00\n25,000.00\n575,000.00" in shares
    assert "Authority\n40.00 %\n400,000.00\n0.00\n400,000.00" in shares


def test_report_draws_both_charts(report_project):
    text = "\n".join(pdf_pages(milestone_report_pdf(report_project)))

    assert "Milestone timeline" in text
    assert "Overdue or missed" in text  # the timeline's legend, drawn inside the chart
    assert "Planned vs achieved milestones" in text
    assert "Planned (cumulative)" in text
    assert "Achieved (cumulative)" in text


def test_report_shows_days_late_and_open_deliverables_of_late_milestones(report_project):
    text = "\n".join(pdf_pages(milestone_report_pdf(report_project)))

    late_section = text.split("Open deliverables under late milestones", 1)[1]
    assert "Security accreditation" in late_section
    assert "Penetration test report" in late_section
    assert "Threat model" not in late_section  # accepted: not open
    assert "\nOverdue\n12\n1 / 2\n" in text  # status, days late, deliverables accepted of the late milestone


def test_every_page_names_the_agreement_and_is_numbered(report_project):
    pages = pdf_pages(milestone_report_pdf(report_project))

    for number, page in enumerate(pages, start=1):
        assert "Agreement PPP-REPORT-001 · Project PRJ-BOARD-1" in page
        assert f"Page {number} of {len(pages)}" in page
        assert "Generated " in page


def test_a_project_without_milestones_still_renders(db):
    project = ProjectFactory(code="PRJ-EMPTY")

    pages = pdf_pages(milestone_report_pdf(project))

    assert "PRJ-EMPTY" in pages[0]
    assert "No milestones to chart yet." in "\n".join(pages)
    assert "No milestone is overdue or missed." in "\n".join(pages)


def test_a_thousand_milestones_render_across_pages_with_repeated_headers(db, capsys):
    project = ProjectFactory(code="PRJ-LARGE")
    today = timezone.localdate()
    Milestone.objects.bulk_create(
        Milestone(
            project=project,
            title=f"Wave {index:04d} rollout",
            due_date=today + datetime.timedelta(days=index - 500),
            baseline_due_date=today + datetime.timedelta(days=index - 520),
        )
        for index in range(1000)
    )
    project = Project.objects.select_related("agreement__authority").get(pk=project.pk)

    started = time.perf_counter()
    pdf = milestone_report_pdf(project)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n1,000-milestone report: {len(pdf) / 1024:.0f} KiB in {seconds:.2f} s")

    pages = pdf_pages(pdf)
    table_pages = [page for page in pages if "Wave 0" in page and "Deliverables" in page]
    assert len(table_pages) > 20  # the table spans many pages...
    assert all("Milestone\nType\nResponsible" in page for page in table_pages)  # ...each with its header
    assert "Wave 0999 rollout" in "\n".join(pages)
    assert seconds < 30


def test_portfolio_compares_the_projects_then_gives_each_a_page(report_project):
    other = ProjectFactory(code="PRJ-BOARD-2")

    pages = pdf_pages(portfolio_report_pdf(Project.objects.filter(pk__in=[report_project.pk, other.pk])))

    assert len(pages) == 3
    assert "Portfolio milestone report" in pages[0]
    assert "PRJ-BOARD-1" in pages[0] and "PRJ-BOARD-2" in pages[0]
    assert "Milestones by status" in pages[0]
    assert "PRJ-BOARD-1" in pages[1] and "PPP-REPORT-001" in pages[1]
    assert "PRJ-BOARD-2" in pages[2] and other.agreement.reference in pages[2]
    assert "Page 3 of 3" in pages[2]


def test_portfolio_reads_a_fixed_number_of_queries_however_many_projects(report_project, django_assert_num_queries):
    projects = Project.objects.all()
    # projects, milestones, open deliverables of late milestones, cost shares, spend,
    # risks past review, KPI measurements, KPIs with their latest values,
    # and from the payment chain: cost shares, certified and paid per party, paid per project
    with django_assert_num_queries(12):
        portfolio_report_pdf(projects)

    for _ in range(3):
        project = ProjectFactory()
        MilestoneFactory(project=project, overdue_days=2)
        RiskFactory.create_batch(2, project=project, review_date=timezone.localdate() - datetime.timedelta(days=3))
        kpi = KPIFactory(project=project)
        for days_ago in (30, 0):
            KPIMeasurementFactory(kpi=kpi, date=timezone.localdate() - datetime.timedelta(days=days_ago))

    with django_assert_num_queries(12):
        pages = pdf_pages(portfolio_report_pdf(projects))
    assert len(pages) == 5


# --- Governance: risks past their review date and KPIs -----------------------------------------


def section(text: str, heading: str, next_heading: str) -> str:
    return text.split(heading, 1)[1].split(next_heading, 1)[0]


def test_report_lists_the_open_risks_past_their_review_date_worst_first(governed_project):
    text = "\n".join(pdf_pages(milestone_report_pdf(governed_project)))

    risks = section(text, "Risks past their review date (2)", "Key performance indicators")
    owner = governed_project.owner.get_full_name()
    ten_days_ago = format_date(timezone.localdate() - datetime.timedelta(days=10))
    worst = "Identity provider outage\nAvailability and quality\nPrivate (vendor)\n20 (critical)"
    assert f"{worst}\n{owner}\nOpen\n{ten_days_ago}\n10\n" in risks
    assert "Data protection law amended\nChange in law\nPublic (authority)\n6 (medium)" in risks
    assert risks.index("Identity provider outage") < risks.index("Data protection law amended")
    # Due for review today, due later, or closed: not overdue, so not in the report at all.
    for title in ("Reviewed today risk", "Next quarter risk", "Closed vendor risk"):
        assert title not in text


def test_report_tabulates_each_kpis_latest_value_trend_and_whether_on_target(governed_project):
    text = "\n".join(pdf_pages(milestone_report_pdf(governed_project)))

    kpis = section(text, "Key performance indicators (4)", "KPI measurements against target")
    today = format_date(timezone.localdate())
    assert f"Digital service adoption\n%\nhigher\n20.00\n60.00\n47.50\n{today}\nImproving\nOff target" in kpis
    assert f"Cost per transaction\nEUR\nlower\n12.00\n5.00\n4.80\n{today}\nImproving\nOn target" in kpis
    assert f"Citizen satisfaction\nscore 1–5\nhigher\n3.10\n4.00\n3.60\n{today}\nWorsening\nOff target" in kpis
    assert "Assisted digital calls\ncalls\nhigher\n0.00\n1,000.00\n–\n–\n–\nNot measured" in kpis


def test_report_charts_each_kpi_against_its_target(governed_project):
    text = "\n".join(pdf_pages(milestone_report_pdf(governed_project)))

    charts = section(text, "KPI measurements against target", "Planned vs achieved milestones")
    # Drawn inside each chart: its title, the latest value against target, and the labelled reference lines.
    assert "Digital service adoption (%)\nLatest 47.50 · target 60.00 · higher is better" in charts
    assert "Cost per transaction (EUR)\nLatest 4.80 · target 5.00 · lower is better" in charts
    assert charts.count("Target ") == 3 and charts.count("Baseline ") == 3
    assert "Assisted digital calls (calls)\nLatest not measured" in charts
    assert "No measurements yet" in charts


def test_a_project_without_risks_or_kpis_says_so(report_project):
    text = "\n".join(pdf_pages(milestone_report_pdf(report_project)))

    assert "Every open risk has been reviewed on time." in text
    assert "No KPIs recorded." in text
    assert "KPI measurements against target" not in text


def test_portfolio_project_pages_show_overdue_risks_and_kpis_on_one_page(governed_project):
    for day in range(6):
        RiskFactory(
            project=governed_project,
            title=f"Supplier risk {day}",
            review_date=timezone.localdate() - datetime.timedelta(days=day + 2),
        )

    pages = pdf_pages(portfolio_report_pdf(Project.objects.filter(pk=governed_project.pk)))

    assert len(pages) == 2
    assert "Risks past their review date (8)" in pages[1]
    assert "Identity provider outage" in pages[1]  # the worst are shown...
    assert "… and 3 more in the project's milestone report." in pages[1]  # ...the rest are counted
    assert "Digital service adoption" in pages[1] and "47.50" in pages[1]


def test_portfolio_of_a_large_board_charts_every_project_across_pages(db):
    """One status chart for 30 projects would not fit a page: they are charted a page's worth at a time."""
    projects = ProjectFactory.create_batch(30)
    for project in projects:
        MilestoneFactory(project=project, overdue_days=3)

    pages = pdf_pages(portfolio_report_pdf(Project.objects.filter(pk__in=[p.pk for p in projects])))

    charts = "\n".join(pages).split("Milestones by status", 1)[1].split("Cost shares", 1)[0]
    assert all(project.code in charts for project in projects)


# --- Page 1, the overall status and the portfolio's shading ---------------------------------------


def test_page_one_holds_the_status_line_the_summary_and_both_overview_charts(report_project):
    first_page = pdf_pages(milestone_report_pdf(report_project))[0]

    assert "Red: 3 milestones overdue, the oldest 12 days" in first_page
    assert "Planned vs achieved milestones" in first_page and "Planned (cumulative)" in first_page
    assert "Spend by party" in first_page and "Committed" in first_page and "Certified" in first_page
    assert "Cost shares: budget against actual spend" in first_page  # the page is filled, not half empty


def test_portfolio_states_each_projects_status_and_shades_only_counts_that_are_not_zero(report_project):
    from projects.reports import pdf as pdf_module
    from projects.selectors import project_reports

    missed_only = ProjectFactory(code="PRJ-MISSED")
    MilestoneFactory(project=missed_only, overdue_days=5, status=Milestone.Status.MISSED)
    projects = Project.objects.filter(pk__in=[report_project.pk, missed_only.pk]).order_by("code")

    first_page = " ".join(pdf_pages(portfolio_report_pdf(projects))[0].split())  # cells wrap onto lines
    assert "Red: 3 milestones overdue, the oldest 12 days" in first_page
    assert "Red: 1 milestone missed" in first_page

    reports = project_reports(projects.select_related("agreement__authority"))
    (table,) = [f for f in pdf_module._comparison_page(reports) if isinstance(f, pdf_module._PagedTable)]
    header = table._measured[0]
    overdue, missed = header.index("Overdue"), header.index("Missed")

    def shaded(index: int) -> dict[int, str]:
        backgrounds = {}
        for name, (column, _line), _end, value in table.row_style(index, 0):
            if name == "BACKGROUND":
                backgrounds[column] = next(k for k, colour in pdf_module.RAG_BACKGROUND.items() if colour == value)
        return backgrounds

    board_one, missed_project = shaded(0), shaded(1)
    assert board_one[overdue] == "red" and missed not in board_one  # PRJ-BOARD-1: 3 overdue, 0 missed
    assert missed_project[missed] == "red" and overdue not in missed_project  # zero overdue is not red
    assert board_one[header.index("Status")] == "red"


def test_page_one_renders_to_a_picture(report_project, tmp_path):
    """Rasterise page 1 (pdftoppm, from poppler-utils) so a person can look at it: var/screenshots/."""
    import shutil
    import subprocess
    from pathlib import Path

    from django.conf import settings

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    source = tmp_path / "report.pdf"
    source.write_bytes(milestone_report_pdf(report_project))
    target = Path(settings.BASE_DIR) / "var" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            source,
            target / "milestone-report-page-1",
        ],
        check=True,
        timeout=60,
    )
    picture = target / "milestone-report-page-1.png"
    assert picture.read_bytes().startswith(b"\x89PNG") and picture.stat().st_size > 20_000
