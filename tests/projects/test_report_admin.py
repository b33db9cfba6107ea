"""Officers reach the same reports from the admin: an action on projects and buttons on a project's page."""

import io

import pypdf
import pytest
from django.urls import reverse

from projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:projects_project_changelist")


def run_report_action(client, *projects):
    return client.post(
        CHANGELIST, {"action": "download_milestone_report", "_selected_action": [project.pk for project in projects]}
    )


def pdf_pages(response) -> list[str]:
    assert response["Content-Type"] == "application/pdf"
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages]


def test_report_action_on_one_project_downloads_its_milestone_report(officer_client, report_project):
    response = run_report_action(officer_client, report_project)

    assert 'filename="milestone-report-PRJ-BOARD-1-' in response["Content-Disposition"]
    assert "Milestone report: PRJ-BOARD-1" in pdf_pages(response)[0]


def test_report_action_on_several_projects_downloads_a_portfolio(officer_client, report_project):
    other = ProjectFactory(code="PRJ-OTHER")

    pages = pdf_pages(run_report_action(officer_client, report_project, other))

    assert "Portfolio milestone report" in pages[0]
    assert len(pages) == 3


def test_board_members_get_reports_only_for_their_boards_from_the_admin(board_client, report_project):
    other = ProjectFactory(code="PRJ-OTHER")

    pages = pdf_pages(run_report_action(board_client, report_project, other))
    assert "PRJ-OTHER" not in "\n".join(pages)

    response = run_report_action(board_client, other)
    assert response.status_code == 302  # back to the list with a message, no PDF


def test_project_change_page_links_to_the_report_and_the_board_page(officer_client, report_project):
    page = officer_client.get(reverse("admin:projects_project_change", args=[report_project.pk])).content.decode()

    assert reverse("boards:project_report", args=[report_project.pk]) in page
    assert reverse("boards:project_detail", args=[report_project.pk]) in page
