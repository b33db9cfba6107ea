"""The admin is one more client of the services: its saves, inline saves and deletes call them, state-locked
fields stay locked even against a crafted POST, and a refusal is a message, never a server error."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files import File
from django.forms.models import BaseModelForm, BaseModelFormSet
from django.urls import reverse

from ppp.admin import ServiceAdminMixin
from ppp.errors import RuleViolation
from ppp.roles import DOMAIN_APPS
from ppp.services import locked_fields
from procurement import services as procurement_services
from procurement.factories import AgreementFactory, VendorFactory
from procurement.models import Agreement, Expenditure
from projects import services as project_services
from projects.factories import DeliverableFactory, MilestoneFactory
from projects.models import Deliverable, Milestone
from tests.api.conftest import build_vendor_world, token_client
from tests.test_admin import PER_USER, one_of_each  # noqa: F401  (fixture: one row of every domain model)

pytestmark = pytest.mark.django_db

# Each user's own notifications (marked read through services, never edited) are covered in test_notifications.
DOMAIN_ADMINS = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in DOMAIN_APPS and model not in PER_USER
]
# Written only by their own services (amendment_propose, project_change_phase) or by the scan: read-only pages.
# Records only their services write (the admin runs them through actions); their change pages are read-only.
RECORDS_WITHOUT_EDITS = {"Amendment", "GateDecision", "Alert", "Certificate", "VendorInvoice"}


def _admin_url(obj, view="change"):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def _post_data(response):
    """What the browser would send back for the change form on ``response``: every field as shown, inlines too."""

    def add_form(data, form):
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, (list, tuple)):
                data[key] = [str(getattr(item, "pk", item)) for item in value]
            elif value is None or value is False:
                continue
            elif value is True:
                data[key] = "on"
            elif isinstance(value, (datetime.date, datetime.datetime)):
                data[key] = value.isoformat()
            elif isinstance(value, File):
                continue  # files are not sent back
            else:
                data[key] = str(getattr(value, "pk", value))

    data = {}
    add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = value
        for form in formset.initial_forms:
            add_form(data, form)
    return data


@pytest.fixture
def stock_saves_fail():
    """The stock ModelAdmin / model-form saves blow up if anything reaches them."""

    def refuse(*args, **kwargs):
        raise AssertionError("a stock admin save was reached")

    targets = [
        (admin.ModelAdmin, "save_model"),
        (admin.ModelAdmin, "save_formset"),
        (admin.ModelAdmin, "delete_model"),
        (admin.ModelAdmin, "delete_queryset"),
        (BaseModelForm, "save"),
        (BaseModelFormSet, "save"),
    ]
    with mock.patch.multiple("simple_history.admin.SimpleHistoryAdmin", save_model=refuse):
        patches = [mock.patch.object(owner, name, refuse) for owner, name in targets]
        for patch in patches:
            patch.start()
        yield
        for patch in patches:
            patch.stop()


def _spy(model_admin, action):
    name = f"{model_admin.service_entity}_{model_admin.service_verbs.get(action, action)}"
    return mock.patch.object(model_admin.service_module, name, wraps=getattr(model_admin.service_module, name))


# --- Every admin ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "model_admin"), DOMAIN_ADMINS, ids=lambda value: getattr(value, "__name__", ""))
@pytest.mark.usefixtures("one_of_each")
def test_every_domain_admin_saves_through_a_service(officer_client, stock_saves_fail, model, model_admin):
    obj = model._default_manager.order_by("pk").first()
    page = officer_client.get(_admin_url(obj))
    assert page.status_code == 200

    if model.__name__ in RECORDS_WITHOUT_EDITS:
        # Given a record only its service writes, then the change page is read-only and a POST is refused.
        assert not isinstance(model_admin, ServiceAdminMixin)
        assert not model_admin.has_change_permission(page.wsgi_request, obj)
        assert not model_admin.has_delete_permission(page.wsgi_request, obj)
        assert officer_client.post(_admin_url(obj), {}).status_code == 403
        return

    assert isinstance(model_admin, ServiceAdminMixin)
    if not model_admin.has_change_permission(page.wsgi_request, obj):
        # Read-only in its current state (e.g. a signed agreement's shares): a POST is refused outright.
        assert officer_client.post(_admin_url(obj), _post_data(page)).status_code == 403
        return
    with _spy(model_admin, "update") as update:
        response = officer_client.post(_admin_url(obj), _post_data(page))
    assert response.status_code == 302, [str(m) for m in get_messages(response.wsgi_request)]
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    update.assert_called_once()
    assert update.call_args.kwargs[f"{model_admin.service_entity}_id"] == obj.pk


@pytest.mark.parametrize(
    ("model", "model_admin"),
    [(m, a) for m, a in DOMAIN_ADMINS if isinstance(a, ServiceAdminMixin) and a.inlines],
    ids=lambda value: getattr(value, "__name__", ""),
)
@pytest.mark.usefixtures("one_of_each")
def test_every_inline_row_change_goes_through_the_inlines_service(officer_client, stock_saves_fail, model, model_admin):
    obj = model._default_manager.order_by("pk").first()
    page = officer_client.get(_admin_url(obj))
    data = _post_data(page)
    edited = []
    for inline_formset in page.context["inline_admin_formsets"]:
        inline, formset = inline_formset.opts, inline_formset.formset
        text_fields = [
            name
            for name in ("title", "name", "note", "role", "goal")
            if formset.forms and name in formset.forms[0].fields
        ]
        # A row whose text may change in its state (an achieved milestone's title is locked, and refused).
        editable = [
            form for form in formset.initial_forms if text_fields and text_fields[0] not in locked_fields(form.instance)
        ]
        if isinstance(inline, ServiceAdminMixin) and editable:
            key = editable[0].add_prefix(text_fields[0])
            data[key] = f"{data.get(key, '')} (edited)"
            edited.append(inline)
    if not edited:
        pytest.skip("no inline row with a text field on this page")

    spies = [_spy(inline, "update") for inline in edited]
    called = []
    for spy in spies:
        called.append(spy.start())
    try:
        response = officer_client.post(_admin_url(obj), data)
    finally:
        for spy in spies:
            spy.stop()

    assert response.status_code == 302, response.context and response.context.get("errors")
    for update in called:
        update.assert_called_once()


@pytest.mark.parametrize(
    ("model", "model_admin"),
    [(m, a) for m, a in DOMAIN_ADMINS if isinstance(a, ServiceAdminMixin)],
    ids=lambda value: getattr(value, "__name__", ""),
)
@pytest.mark.usefixtures("one_of_each")
def test_every_delete_goes_through_a_service_or_is_not_offered(officer_client, stock_saves_fail, model, model_admin):
    obj = model._default_manager.order_by("pk").first()
    request = officer_client.get(_admin_url(obj)).wsgi_request
    if model_admin.service("delete") is None or not model_admin.has_delete_permission(request, obj):
        assert officer_client.post(_admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
        return

    with _spy(model_admin, "delete") as delete:
        response = officer_client.post(_admin_url(obj, "delete"), {"post": "yes"})

    # Deleted by the service; or refused by it with a message; or, for a row others still refer to (PROTECT),
    # the admin's own page listing what protects it. The row stays unless the service deleted it.
    if response.status_code == 200:
        assert response.context["protected"] and model._default_manager.filter(pk=obj.pk).exists()
        delete.assert_not_called()
    else:
        assert response.status_code == 302
        delete.assert_called_once()
        still_there = model._default_manager.filter(pk=obj.pk).exists()
        errors = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
        assert still_there == bool(errors), errors


# --- The reproduced bugs, end to end -------------------------------------------------------------------------------


@pytest.fixture
def vendor_world(db):
    return build_vendor_world()


def test_an_officers_admin_edit_makes_a_vendors_stale_etag_fail(officer_client, vendor_world):
    # Given a vendor who read the deliverable at v1
    deliverable = vendor_world.deliverable
    vendor_api = token_client(vendor_world.user)
    etag = vendor_api.get(f"/api/v1/deliverables/{deliverable.pk}/")["ETag"]
    assert etag == '"v1"'

    # When an officer edits it in the admin
    page = officer_client.get(_admin_url(deliverable))
    data = {**_post_data(page), "title": "Scope agreed with the officer"}
    assert officer_client.post(_admin_url(deliverable), data).status_code == 302

    # Then the vendor's write with the stale ETag is refused and the officer's edit stands
    response = vendor_api.patch(f"/api/v1/deliverables/{deliverable.pk}/", {"progress": 90}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    deliverable.refresh_from_db()
    assert (deliverable.title, deliverable.version, deliverable.progress) == ("Scope agreed with the officer", 2, 20)
    assert deliverable.history.latest("history_date").history_user.is_staff


def test_an_officer_saving_over_a_vendors_newer_report_is_told_not_overwritten(officer_client, vendor_world):
    deliverable = vendor_world.deliverable
    page = officer_client.get(_admin_url(deliverable))
    project_services.deliverable_update(deliverable_id=deliverable.pk, by=vendor_world.user, changes={"progress": 70})

    response = officer_client.post(_admin_url(deliverable), {**_post_data(page), "progress": "25"})

    # The same form again, with what the officer typed and why it was not saved.
    assert response.status_code == 200
    assert "changed since you read it" in response.content.decode()
    assert response.context["adminform"].form["progress"].value() == "25"
    deliverable.refresh_from_db()
    assert deliverable.progress == 70


def test_an_achieved_milestone_keeps_its_due_date_and_payment_against_a_crafted_post(officer_client):
    milestone = MilestoneFactory(status=Milestone.Status.ACHIEVED, achieved_date=datetime.date(2025, 1, 10))
    before = Milestone.objects.values().get(pk=milestone.pk)
    page = officer_client.get(_admin_url(milestone))
    assert {"due_date", "payment_amount", "responsible_vendor"} <= set(page.context["adminform"].readonly_fields)

    crafted = {**_post_data(page), "due_date": "2031-01-01", "payment_amount": "999999.00", "description": "Noted"}
    assert officer_client.post(_admin_url(milestone), crafted).status_code == 302

    after = Milestone.objects.values().get(pk=milestone.pk)
    assert (after["due_date"], after["payment_amount"]) == (before["due_date"], before["payment_amount"])
    assert after["description"] == "Noted"
    with pytest.raises(RuleViolation, match="only open milestones move"):
        project_services.milestone_update(
            milestone_id=milestone.pk, by=None, changes={"due_date": datetime.date(2031, 1, 1)}
        )
    with pytest.raises(RuleViolation, match="payment amount .* is locked"):
        project_services.milestone_update(milestone_id=milestone.pk, by=None, changes={"payment_amount": Decimal("1")})


def test_an_open_milestones_new_due_date_goes_through_reschedule(officer_client):
    milestone = MilestoneFactory()
    page = officer_client.get(_admin_url(milestone))
    new_date = milestone.due_date + datetime.timedelta(days=14)

    with mock.patch.object(
        project_services, "milestone_reschedule", wraps=project_services.milestone_reschedule
    ) as spy:
        officer_client.post(_admin_url(milestone), {**_post_data(page), "due_date": new_date.isoformat()})

    spy.assert_called_once()
    milestone.refresh_from_db()
    assert milestone.due_date == new_date and milestone.baseline_due_date == new_date - datetime.timedelta(days=14)


def test_an_active_agreements_signed_terms_are_locked(officer_client):
    agreement = AgreementFactory(active=True, vendors=[VendorFactory()])
    before = Agreement.objects.values().get(pk=agreement.pk)
    page = officer_client.get(_admin_url(agreement))
    assert set(Agreement.SIGNED_TERMS) <= set(page.context["adminform"].readonly_fields)

    crafted = {**_post_data(page), "reference": "PPP-NEW-OCID", "currency": "USD", "title": "Renamed"}
    assert officer_client.post(_admin_url(agreement), crafted).status_code == 302

    after = Agreement.objects.values().get(pk=agreement.pk)
    assert (after["reference"], after["currency"], after["title"]) == (
        before["reference"],
        before["currency"],
        "Renamed",
    )
    with pytest.raises(RuleViolation, match="change only by amendment"):
        procurement_services.agreement_update(agreement_id=agreement.pk, by=None, changes={"reference": "PPP-NEW"})


def test_the_cost_share_inline_calls_the_share_services(officer, officer_client):
    # Given a draft agreement split 60 / 40, which the officer swaps to 40 / 60
    vendor_a, vendor_b = VendorFactory(), VendorFactory()
    agreement = AgreementFactory(vendors=False)
    procurement_services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=vendor_a, percentage=60)
    procurement_services.cost_share_set(by=officer, agreement_id=agreement.pk, vendor=vendor_b, percentage=40)
    page = officer_client.get(_admin_url(agreement))
    data = _post_data(page)
    for index, form in enumerate(page.context["inline_admin_formsets"][0].formset.initial_forms):
        data[f"cost_shares-{index}-percentage"] = "40" if form.instance.vendor == vendor_a else "60"

    with mock.patch.object(
        procurement_services, "cost_share_update", wraps=procurement_services.cost_share_update
    ) as spy:
        response = officer_client.post(_admin_url(agreement), data)

    assert response.status_code == 302
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert spy.call_count == 2
    shares = dict(agreement.cost_shares.values_list("vendor", "percentage"))
    assert shares == {vendor_a.pk: Decimal("40"), vendor_b.pk: Decimal("60")}


def test_the_expenditure_add_form_records_through_the_service(officer_client, officer):
    agreement = AgreementFactory(active=True, vendors=[VendorFactory()])
    data = {"agreement": agreement.pk, "amount": "1250.00", "date": "2025-03-01", "description": "Design phase"}

    with mock.patch.object(
        procurement_services, "expenditure_record", wraps=procurement_services.expenditure_record
    ) as spy:
        response = officer_client.post(reverse("admin:procurement_expenditure_add"), data)

    assert response.status_code == 302
    spy.assert_called_once()
    expenditure = Expenditure.objects.get()
    assert expenditure.recorded_by == officer and expenditure.history.get().history_user == officer


def test_a_refused_delete_is_a_message_not_a_server_error(officer_client):
    # Given an achieved milestone (a closed milestone is kept; it is never deleted)
    milestone = MilestoneFactory(status=Milestone.Status.ACHIEVED, achieved_date=datetime.date(2025, 1, 10))

    response = officer_client.post(_admin_url(milestone, "delete"), {"post": "yes"}, follow=True)

    assert response.status_code == 200
    messages = " ".join(str(m) for m in response.context["messages"])
    assert "cannot be deleted" in messages and "cancel it instead" in messages
    assert Milestone.objects.filter(pk=milestone.pk).exists()


def test_a_refused_bulk_delete_keeps_every_selected_row(officer_client):
    # Given a planned milestone (deletable) and an achieved one (not: it is cancelled, never deleted)
    planned = MilestoneFactory()
    achieved = MilestoneFactory(status=Milestone.Status.ACHIEVED, achieved_date=datetime.date(2025, 1, 10))

    response = officer_client.post(
        reverse("admin:projects_milestone_changelist"),
        {"action": "delete_selected", "_selected_action": [planned.pk, achieved.pk], "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert "cannot be deleted" in " ".join(str(m) for m in response.context["messages"])
    assert Milestone.objects.filter(pk__in=[planned.pk, achieved.pk]).count() == 2


def test_a_submitted_deliverable_is_frozen_for_officers_too():
    deliverable = DeliverableFactory(submitted=True)
    with pytest.raises(RuleViolation, match="reject it to send it back"):
        project_services.deliverable_edit(deliverable_id=deliverable.pk, by=None, changes={"progress": 10})
    assert Deliverable.objects.get(pk=deliverable.pk).version == deliverable.version
