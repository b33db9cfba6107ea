"""A board member reads their project's milestones in a real browser (Debian's chromium, headless).

Skipped where /usr/bin/chromium is missing (a newcomer's laptop); CI installs it (.ci/run) and sets
PPP_REQUIRE_BROWSER=1, which turns a missing browser into a failure instead of a skip.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from ppp.factories import DEMO_PASSWORD, BoardMemberFactory
from projects.factories import ProjectFactory

CHROMIUM = Path(os.environ.get("PPP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

if not CHROMIUM.exists() and os.environ.get("PPP_REQUIRE_BROWSER") != "1":
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does this)", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture
def scene(report_project):
    """All database work happens before the browser starts: Playwright's sync API runs an event loop in this
    thread, and an ORM call under it would open a second connection (or raise SynchronousOnlyOperation)."""
    ProjectFactory(code="PRJ-NOT-MINE", board_members=[BoardMemberFactory()])
    return {
        "username": report_project.board_members.get().username,
        "project_url": reverse("boards:project_detail", args=[report_project.pk]),
        "titles": list(report_project.milestones.order_by("due_date", "id").values_list("title", flat=True)),
    }


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1366, "height": 900})
        finally:
            browser.close()


def test_board_member_logs_in_and_reads_the_project_milestones(live_server, scene, browser_page):
    page = browser_page

    page.goto(live_server.url + reverse("boards:project_list"))
    page.fill("#id_username", scene["username"])
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{reverse('boards:project_list')}")
    assert page.locator("main table tbody tr").count() == 1
    assert "PRJ-NOT-MINE" not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-project-list.png"), full_page=True)

    page.click("text=PRJ-BOARD-1")
    page.wait_for_url(f"**{scene['project_url']}")
    shown = [
        title.split("\n")[0].strip() for title in page.locator("#milestones tbody th[scope=row]").all_inner_texts()
    ]
    assert shown == scene["titles"]
    overdue_row = page.locator("#milestones tbody tr", has_text="Security accreditation")
    assert overdue_row.locator(".rag").inner_text() == "Overdue"
    assert page.locator("svg[role=img] g.bar").count() == 10

    page.screenshot(path=str(ARTIFACTS / "board-project-page.png"), full_page=True)
    assert (ARTIFACTS / "board-project-page.png").stat().st_size > 10_000
