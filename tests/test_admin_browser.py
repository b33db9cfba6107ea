"""The officer's admin in a real browser (Debian's chromium, headless) at desktop and phone widths.

Every changelist of the domain apps, the dashboard and change pages with inlines open without a horizontal
scroll bar at 1440 and 390 px, and are screenshotted under var/screenshots/ for a person to look at.
Skipped where /usr/bin/chromium is missing; PPP_REQUIRE_BROWSER=1 (CI) turns that into a failure.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from payments.models import Certificate
from ppp.factories import DEMO_PASSWORD
from ppp.roles import DOMAIN_APPS, sync_role_groups
from procurement.models import Agreement
from projects.models import Milestone, Project
from tests.projects.test_board_browser import CHROMIUM, CHROMIUM_ARGS  # one browser set-up for both tests

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
WIDTHS = {"desktop": 1440, "phone": 390}

if not CHROMIUM.exists() and os.environ.get("PPP_REQUIRE_BROWSER") != "1":
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does this)", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture
def pages(transactional_db):
    """The demo data (seed_demo, the same factories as the tests) and the admin pages to open, all read before
    the browser starts: Playwright's sync API runs an event loop in this thread, where the ORM may not run."""
    from django.apps import apps

    sync_role_groups(apps)  # a transactional test's flush empties the role groups the migrations filled
    call_command("seed_demo", stdout=StringIO())
    changelists = sorted(
        (
            f"{model._meta.app_label}-{model._meta.model_name}",
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
        )
        for model in admin.site._registry
        if model._meta.app_label in DOMAIN_APPS
    )
    project = Project.objects.order_by("pk").first()
    milestone = Milestone.objects.filter(status="in_progress", deliverables__isnull=False).order_by("pk").first()
    change_pages = [
        ("change-project", reverse("admin:projects_project_change", args=[project.pk])),
        ("change-milestone", reverse("admin:projects_milestone_change", args=[milestone.pk])),
        ("change-agreement", reverse("admin:procurement_agreement_change", args=[Agreement.objects.first().pk])),
    ]
    certificate = Certificate.objects.order_by("pk").first()
    if certificate:
        change_pages.append(("change-certificate", reverse("admin:payments_certificate_change", args=[certificate.pk])))
    return [("dashboard", reverse("admin:index")), *changelists, *change_pages]


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _log_in(page, base_url, username):
    page.goto(base_url + reverse("admin:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{reverse('admin:index')}")


def test_every_admin_page_fits_desktop_and_phone_without_sideways_scrolling(live_server, pages, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflowing = []
    for device, width in WIDTHS.items():
        page = browser.new_page(viewport={"width": width, "height": 900})
        _log_in(page, live_server.url, "officer")
        for name, url in pages:
            response = page.goto(live_server.url + url)
            assert response.status == 200, f"{name} answered {response.status}"
            # The page never scrolls sideways, and a list's table fits its box (rather than scrolling or being
            # cut off inside it).
            scroll_width, inner_width, list_overflow = page.evaluate(
                "(() => { const box = document.querySelector('#changelist-form .results');"
                " return [document.documentElement.scrollWidth, window.innerWidth,"
                " box ? box.scrollWidth - box.clientWidth : 0]; })()"
            )
            if scroll_width > inner_width or list_overflow > 1:
                overflowing.append(
                    f"{name} at {width} px: page {scroll_width} > {inner_width} or list +{list_overflow}"
                )
            page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-{device}.png"), full_page=True)
        page.close()

    assert overflowing == [], "\n".join(overflowing)


def test_the_dashboard_shows_my_work_and_the_charts(live_server, pages, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    _log_in(page, live_server.url, "officer")

    assert page.locator("#my-work .ppp-panel").count() == 4
    assert page.locator("#milestone_chart svg[role=img] rect").count() > 0
    assert page.locator("#spend_chart svg.ppp-bar").count() > 0
    # Each row links to where the work is done.
    first = page.locator("#attention_count ul.ppp-items a").first
    first.click()
    page.wait_for_url("**/admin/projects/milestone/*/change/")
