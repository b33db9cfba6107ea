"""The board's PDF milestone report: what a board member reads before the meeting."""

import datetime
import io
import time

import pypdf
import pytest
from django.utils import timezone

from projects.factories import MilestoneFactory, ProjectFactory
from projects.models import Milestone, Project
from projects.reports import milestone_report_pdf, portfolio_report_pdf
from projects.reports.pdf import TABLE_CHUNK_ROWS

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
    # Ten live milestones of 50,000 each; the two achieved ones are paid.
    assert "500,000.00" in pages[0]
    assert "100,000.00" in pages[0]


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
    assert len(table_pages) > 1000 // TABLE_CHUNK_ROWS  # the table spans many pages...
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
    # projects, milestones, open deliverables of late milestones, cost shares, spend
    with django_assert_num_queries(5):
        portfolio_report_pdf(projects)

    for _ in range(3):
        MilestoneFactory(project=ProjectFactory(), overdue_days=2)

    with django_assert_num_queries(5):
        pages = pdf_pages(portfolio_report_pdf(projects))
    assert len(pages) == 5
