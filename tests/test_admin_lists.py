"""Admin lists read as an officer needs them: badges, grouped money with its currency, the one date format,
alert levels by name, and board members who are agency people, by full name. (Vendors are chosen by typing:
tests/test_admin_large_lists.py.)"""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ppp.factories import BoardMemberFactory, UserFactory
from ppp.roles import DOMAIN_APPS
from procurement.factories import AgreementFactory, VendorUserFactory
from projects.factories import AlertFactory, DeliverableFactory, MilestoneFactory

pytestmark = pytest.mark.django_db
MILESTONES = reverse("admin:projects_milestone_changelist")


def test_milestone_list_shows_badges_money_dates_and_the_full_title_on_hover(officer_client):
    title = "Commissioning of the regional data centre and migration of the legacy registers"
    MilestoneFactory(
        title=title,
        overdue_days=3,
        payment_amount=Decimal("1234567.80"),
        due_date=datetime.date(2026, 1, 5),
        project__agreement__currency="EUR",
    )

    body = officer_client.get(MILESTONES).content.decode()

    assert 'class="ppp-money">1,234,567.80 EUR</span>' in body
    assert "5 Jan 2026" in body
    assert 'class="ppp-badge ppp-tone-info">In progress' in body or 'ppp-tone-muted">Planned' in body
    assert f'<span title="{title}">Commissioning of the regional data centre' in body
    assert f"{title}</" not in body  # cut to one line in the cell


def test_slippage_is_never_green(officer_client):
    milestone = MilestoneFactory()
    milestone.due_date = milestone.baseline_due_date + datetime.timedelta(days=10)
    milestone.save(update_fields=["due_date"])

    body = officer_client.get(reverse("admin:projects_milestone_change", args=[milestone.pk])).content.decode()

    assert 'ppp-tone-bad">+10 days' in body


def test_alert_level_filter_names_the_levels_and_who_they_reach(officer_client):
    AlertFactory(level=2)

    body = officer_client.get(reverse("admin:projects_alert_changelist")).content.decode()
    sidebar = body.split('id="changelist-filter"')[1]

    assert "Due soon" in sidebar and "Level 1 – owner, vendor contacts" in sidebar and "Level 2 – board" in sidebar
    assert "Level 3 – authority" in sidebar


def test_board_member_picker_offers_agency_people_by_full_name_never_vendor_logins(officer_client):
    BoardMemberFactory(username="bbanks", first_name="Beatrice", last_name="Banks")
    VendorUserFactory(user=UserFactory(username="vendorlogin", first_name="Victor", last_name="Vendor"))
    project = MilestoneFactory().project

    form = officer_client.get(reverse("admin:projects_project_change", args=[project.pk])).context["adminform"].form
    labels = [label for _pk, label in form.fields["board_members"].choices]

    assert "Beatrice Banks (bbanks)" in labels
    assert not any("Victor" in label or "vendorlogin" in label for label in labels)


def test_every_secondary_column_is_a_column_of_its_list():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in DOMAIN_APPS:
            assert set(getattr(model_admin, "list_secondary", [])) <= set(model_admin.list_display), model


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("changelist", "make"),
    [
        ("admin:projects_milestone_changelist", lambda: MilestoneFactory(overdue_days=2)),
        ("admin:projects_deliverable_changelist", lambda: DeliverableFactory(submitted=True)),
        ("admin:procurement_agreement_changelist", lambda: AgreementFactory(active=True)),
        ("admin:projects_alert_changelist", lambda: AlertFactory()),
    ],
)
def test_list_queries_do_not_grow_with_rows(officer_client, changelist, make):
    make()
    few = _queries(officer_client, reverse(changelist))
    for _index in range(5):
        make()

    assert _queries(officer_client, reverse(changelist)) == few
