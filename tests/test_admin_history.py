"""History pages show past versions and never write: not for a board member, an officer or a superuser.

Every admin with history is found in the admin registry (a new one is covered without editing this file), and
each version page is POSTed with changed values of every field, as the reproduced attack did. The database
(every row of every domain table, history tables included) must be exactly as it was.
"""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import models
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from ppp.admin import ReadOnlyHistoryAdmin
from ppp.factories import UserFactory
from ppp.roles import DOMAIN_APPS
from projects.models import Project
from tests.test_admin import BOARD_HIDDEN, one_of_each  # noqa: F401  (fixture: one row of every domain model)

pytestmark = pytest.mark.django_db

HISTORY_ADMINS = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, SimpleHistoryAdmin)
]


def _snapshot():
    """Every row of every domain table (history tables included) and the admin's change log."""
    tables = {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for app in DOMAIN_APPS
        for model in apps.get_app_config(app).get_models()
    }
    tables["admin.LogEntry"] = list(LogEntry.objects.order_by("pk").values())
    return tables


def _other_value(field, value, instance):
    """A valid-looking value different from ``value``, as a browser would post it."""
    if isinstance(field, models.ForeignKey):
        other = field.related_model._default_manager.exclude(pk=value).first()
        return other.pk if other else value
    if field.choices:
        return next((choice for choice, _ in field.flatchoices if choice != value), value)
    if isinstance(field, models.BooleanField):
        return "" if value else "on"
    if isinstance(field, models.DateTimeField):
        return "2031-01-02 03:04:05"
    if isinstance(field, models.DateField):
        return ((value or datetime.date(2030, 1, 1)) + datetime.timedelta(days=17)).isoformat()
    if isinstance(field, models.DecimalField):
        return str((value or Decimal("0")) + Decimal("1234.50"))
    if isinstance(field, models.IntegerField):
        return 1 if value != 1 else 2
    if isinstance(field, models.EmailField):
        return "rewritten@attacker.example"
    if isinstance(field, models.URLField):
        return "https://attacker.example/"
    if isinstance(field, models.JSONField):
        return '["rewritten@attacker.example"]'
    if isinstance(field, (models.CharField, models.TextField)):
        return f"{value or ''} rewritten through history"[: field.max_length or None]
    return value


def _changed_post_data(instance):
    data = {"_save": "Revert", "_change_history": "Change History"}
    for field in instance._meta.fields:
        if field.editable and not field.primary_key and not isinstance(field, models.FileField):
            data[field.name] = _other_value(field, field.value_from_object(instance), instance)
    for field in instance._meta.many_to_many:
        data[field.name] = [user.pk for user in field.related_model._default_manager.all()]
    return data


def _version_url(model, instance):
    opts = model._meta
    version = instance.history.earliest("history_date")
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[instance.pk, version.pk])


@pytest.fixture
def every_role(one_of_each, board_member, officer):  # noqa: F811
    for project in Project.objects.all():
        project.board_members.add(board_member)
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    return {"board": board_member, "officer": officer, "superuser": superuser}


def test_every_admin_with_history_uses_the_read_only_history():
    assert HISTORY_ADMINS, "the registry has admins with history"
    stock = [model for model, model_admin in HISTORY_ADMINS if not isinstance(model_admin, ReadOnlyHistoryAdmin)]
    assert stock == []


@pytest.mark.parametrize("role", ["board", "officer", "superuser"])
@pytest.mark.parametrize(("model", "model_admin"), HISTORY_ADMINS, ids=lambda value: getattr(value, "__name__", ""))
def test_posting_to_a_version_page_changes_nothing(client, every_role, role, model, model_admin):
    # Given a row with a recorded version, and a user in this role logged in
    instance = model._default_manager.first()
    url = _version_url(model, instance)
    client.force_login(every_role[role])
    before = _snapshot()

    # When they post the version form with every field changed (the Revert button's request)
    response = client.post(url, _changed_post_data(instance))

    # Then the request is refused as a method the page does not accept, and no row anywhere changed
    assert response.status_code == 405, url
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["board", "officer", "superuser"])
@pytest.mark.parametrize(("model", "model_admin"), HISTORY_ADMINS, ids=lambda value: getattr(value, "__name__", ""))
def test_a_version_page_shows_the_version_without_a_form_to_save(client, every_role, role, model, model_admin):
    instance = model._default_manager.first()
    client.force_login(every_role[role])
    if role == "board" and model in BOARD_HIDDEN:
        pytest.skip(f"board members do not see {model._meta.verbose_name_plural} at all (tests/test_admin.py)")

    response = client.get(_version_url(model, instance))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Revert"' not in body and "_change_history" not in body
    assert "Press the 'Revert' button" not in body
    # Every field is shown as text: the page has no input a browser could send back.
    assert not response.context["adminform"].form.fields
    assert response.context["title"].startswith("View ")
    assert '<div class="readonly">' in body


def test_the_history_list_says_view_not_change(officer_client, every_role):
    milestone = apps.get_model("projects", "Milestone").objects.first()
    response = officer_client.get(reverse("admin:projects_milestone_history", args=[milestone.pk]))
    assert response.status_code == 200
    assert response.context["title"].startswith("View history")
