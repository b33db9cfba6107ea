"""Free text has a maximum length, held by the admin's forms, the services, the partner API and the database."""

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.db import IntegrityError, models, transaction
from django.test import RequestFactory

from payments import factories as payments_factories
from ppp import limits
from ppp.errors import RuleViolation
from ppp.roles import DOMAIN_APPS
from procurement import factories as procurement_factories
from procurement.models import Amendment, Vendor
from procurement.services import amendment_reject
from projects import factories as projects_factories
from projects import services
from projects.models import Alert, AlertDelivery, Deliverable

pytestmark = pytest.mark.django_db

# Written by the alert task (and cut to 2,000 characters there), not by people.
SYSTEM_TEXT = {(Alert, "last_error"), (AlertDelivery, "last_error")}


def user_text_fields():
    for model in apps.get_models():
        if model._meta.app_label not in DOMAIN_APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField) and (model, field.name) not in SYSTEM_TEXT:
                yield model, field


BOUNDED = sorted(user_text_fields(), key=lambda pair: (pair[0].__name__, pair[1].name))


def test_every_text_field_people_fill_is_bounded():
    assert len(BOUNDED) >= 14  # guards against the discovery above silently finding nothing
    for model, field in BOUNDED:
        assert field.max_length in (limits.ADDRESS, limits.NOTE, limits.DESCRIPTION), (model, field.name)
        constraint_names = {constraint.name for constraint in model._meta.constraints}
        assert any(name.endswith(f"_{field.name}_max_length") for name in constraint_names), (model, field.name)


FACTORIES = {
    "Vendor": procurement_factories.VendorFactory,
    "Amendment": procurement_factories.AmendmentFactory,
    "Project": projects_factories.ProjectFactory,
    "Iteration": projects_factories.IterationFactory,
    "Milestone": projects_factories.MilestoneFactory,
    "Deliverable": projects_factories.DeliverableFactory,
    "GateDecision": projects_factories.GateDecisionFactory,
    "GateCriterion": projects_factories.GateCriterionFactory,
    "GateCheck": projects_factories.GateCheckFactory,
    "Risk": projects_factories.RiskFactory,
    "KPI": projects_factories.KPIFactory,
    "PerformanceFailure": projects_factories.PerformanceFailureFactory,
    "PerformanceFailureDispute": projects_factories.PerformanceFailureDisputeFactory,
    "KPIMeasurement": projects_factories.KPIMeasurementFactory,
    "Certificate": lambda: payments_factories.CertificateFactory(status="reconciled"),
    "VendorInvoice": lambda: payments_factories.CertificateFactory(status="reconciled").invoices.get(),
}


@pytest.mark.parametrize("model, field", BOUNDED, ids=lambda value: getattr(value, "__name__", None) or value.name)
def test_the_database_refuses_text_over_the_limit_even_past_the_code(model, field):
    instance = FACTORIES[model.__name__]()
    rows = model.objects.filter(pk=instance.pk)

    rows.update(**{field.name: "x" * field.max_length})  # exactly the limit is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(**{field.name: "x" * (field.max_length + 1)})


def test_the_admin_form_refuses_an_over_long_address(officer):
    vendor = procurement_factories.VendorFactory()
    request = RequestFactory().get("/")
    request.user = officer
    form_class = site._registry[Vendor].get_form(request, vendor)

    data = {
        "legal_name": vendor.legal_name,
        "registration_number": vendor.registration_number,
        "country": vendor.country,
        "status": vendor.status,
        "address": "x" * (limits.ADDRESS + 1),
    }
    form = form_class(data, instance=vendor)

    assert not form.is_valid()
    assert "address" in form.errors


def test_a_rejection_comment_over_the_limit_is_a_rule_violation_not_a_database_error(officer):
    submitted = projects_factories.DeliverableFactory(submitted=True)

    with pytest.raises(RuleViolation) as refused:
        services.deliverable_reject(deliverable_id=submitted.pk, reviewer=officer, comment="x" * (limits.NOTE + 1))

    assert refused.value.field == "comment"
    assert Deliverable.objects.get(pk=submitted.pk).status == Deliverable.Status.SUBMITTED


def test_an_amendment_decision_note_over_the_limit_is_refused(officer):
    amendment = procurement_factories.AmendmentFactory()

    with pytest.raises(RuleViolation) as refused:
        amendment_reject(amendment_id=amendment.pk, by=officer, note="x" * (limits.NOTE + 1))

    assert refused.value.field == "note"
    assert Amendment.objects.get(pk=amendment.pk).is_proposed


def test_a_vendor_description_over_the_limit_is_refused_by_the_service(vendor_a):
    with pytest.raises(RuleViolation) as refused:
        services.deliverable_update(
            deliverable_id=vendor_a.deliverable.pk,
            by=vendor_a.user,
            changes={"description": "x" * (limits.DESCRIPTION + 1)},
        )

    assert refused.value.field == "description"


@pytest.fixture
def vendor_a(db):
    from tests.api.conftest import build_vendor_world

    return build_vendor_world(legal_name="Alpha Builders Ltd")
