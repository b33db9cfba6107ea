"""Every change names who made it: services take their actor as required, and one helper records it."""

import inspect

import pytest

import payments.services
import ppp.services
import procurement.services
import projects.services
from procurement.factories import VendorFactory
from procurement.models import Vendor

ACTOR_NAMES = {"by", "approver", "reviewer"}


def _public_services():
    for module in (procurement.services, projects.services, payments.services, ppp.services):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module.__name__}.{name}", inspect.signature(function)


def test_no_service_lets_its_actor_default_to_nobody():
    defaulted = [
        f"{name}({parameter.name}=...)"
        for name, signature in _public_services()
        for parameter in signature.parameters.values()
        if parameter.name in ACTOR_NAMES and parameter.default is not inspect.Parameter.empty
    ]
    assert defaulted == []


@pytest.mark.django_db
def test_the_helper_records_the_author_and_refuses_an_anonymous_change(officer):
    vendor = VendorFactory(legal_name="Before Ltd")

    vendor.legal_name = "After Ltd"
    ppp.services.save_with_author(vendor, officer, ["legal_name"])

    assert Vendor.objects.get(pk=vendor.pk).legal_name == "After Ltd"
    assert vendor.history.first().history_user == officer
    with pytest.raises(ValueError, match="needs the user who makes it"):
        ppp.services.save_with_author(vendor, None, ["legal_name"])
