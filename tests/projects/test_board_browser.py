"""A board member reads their project's milestones in a real browser (Debian's chromium, headless).

Skipped where /usr/bin/chromium is missing (a newcomer's laptop); CI installs it (.ci/run) and sets
PPP_REQUIRE_BROWSER=1, which turns a missing browser into a failure instead of a skip. Screenshots go to
var/screenshots/ for a person to look at.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from ppp.factories import DEMO_PASSWORD, BoardMemberFactory
from projects import selectors
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
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "screenshots"
WIDTHS = {"desktop": 1440, "phone": 390}

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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
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


def log_in(page, live_server, username):
    page.goto(live_server.url + reverse("boards:project_list"))
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{reverse('boards:project_list')}")


def overflow(page) -> tuple[int, int]:
    """The page's scrollable width against the viewport's: equal when nothing pushes the page sideways."""
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


@pytest.mark.parametrize("device", WIDTHS)
def test_board_pages_fit_the_screen_on_a_desktop_and_a_phone(live_server, scene, browser_page, device):
    page = browser_page
    page.set_viewport_size({"width": WIDTHS[device], "height": 900})
    log_in(page, live_server, scene["username"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    for name, url in (("board-list", reverse("boards:project_list")), ("board-project", scene["project_url"])):
        page.goto(live_server.url + url)
        scroll_width, viewport = overflow(page)
        assert scroll_width <= viewport, f"{url} is {scroll_width} px wide at {viewport} px"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{WIDTHS[device]}.png"), full_page=True)

    # The timeline stays readable on a phone: it keeps its size and scrolls inside its own box.
    timeline = page.locator("section[aria-labelledby=timeline-heading] svg.chart")
    assert timeline.bounding_box()["width"] >= 860
    assert page.locator("#overall-status").inner_text().startswith("Red")
    # "2 of 10"-style cells never break across lines.
    page.goto(live_server.url + reverse("boards:project_list"))
    cell = page.locator("#projects tbody td.nowrap", has_text=" of ").first
    assert cell.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"


def test_a_project_with_more_milestones_than_a_page_reads_on_a_phone(live_server, scene, browser_page, monkeypatch):
    # The live server runs in this process: pages of four make the eleven milestones three pages, today on the second.
    monkeypatch.setattr(selectors, "MILESTONES_PER_PAGE", 4)
    page = browser_page
    page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
    log_in(page, live_server, scene["username"])

    page.goto(live_server.url + scene["project_url"])

    assert page.locator("#attention tbody tr").count() == 7  # 3 overdue, 4 due soon
    assert page.locator("#milestones tbody tr").count() == 4
    scroll_width, viewport = overflow(page)
    assert scroll_width <= viewport, f"{scroll_width} px wide at {viewport} px"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-project-paginated-390.png"), full_page=True)
    page.click("nav.pages >> text=Later")
    page.wait_for_url("**?page=3*")
    assert page.locator("#milestones tbody tr").count() == 3
