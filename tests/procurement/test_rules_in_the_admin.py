"""The officers' admin meets the same rules as the services: suspended vendors, terminated agreements, payments."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from procurement.factories import AgreementFactory, ExpenditureFactory, VendorFactory
from procurement.models import Expenditure
from projects.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_a_suspended_vendor_cannot_be_given_a_share_in_the_admin(officer_client):
    agreement = AgreementFactory(vendors=False)
    suspended = VendorFactory(legal_name="Shady Partners Ltd", status="suspended")
    url = reverse("admin:procurement_agreement_change", args=[agreement.pk])
    form = officer_client.get(url).context["adminform"].form
    fields = ["reference", "title", "authority", "procurement_method", "total_value", "currency", "start_date"]
    data = {field: form.initial.get(field) for field in [*fields, "end_date"]}
    data.update(
        {
            "cost_shares-TOTAL_FORMS": "1",
            "cost_shares-INITIAL_FORMS": "0",
            "cost_shares-0-vendor": suspended.pk,
            "cost_shares-0-percentage": "100",
        }
    )

    response = officer_client.post(url, data)

    assert response.status_code == 200
    assert "Shady Partners Ltd is suspended and cannot join an agreement." in response.content.decode()
    assert not agreement.cost_shares.exists()


def test_the_activate_action_names_the_suspended_party(officer_client):
    vendor = VendorFactory(legal_name="Shady Partners Ltd")
    agreement = AgreementFactory(vendors=[vendor], reference="PPP-SUSP")
    vendor.status = "suspended"
    vendor.save()

    response = officer_client.post(
        reverse("admin:procurement_agreement_changelist"),
        {"action": "activate_selected", "_selected_action": [agreement.pk]},
        follow=True,
    )

    (message,) = _messages(response)
    assert "Shady Partners Ltd is suspended; only active vendors may be parties to an active agreement" in message
    agreement.refresh_from_db()
    assert agreement.status == "draft"


def _add_expenditure(client, **fields):
    data = {"date": DAY.isoformat(), "amount": "10.00", "description": "Invoice", **fields}
    return client.post(reverse("admin:procurement_expenditure_add"), {k: v for k, v in data.items() if v is not None})


def test_the_expenditure_form_refuses_a_terminated_agreement(officer_client):
    agreement = AgreementFactory(status="terminated", reference="PPP-ENDED")

    response = _add_expenditure(officer_client, agreement=agreement.pk)

    assert response.status_code == 200
    assert "Spending cannot be recorded against a terminated agreement (PPP-ENDED)." in response.content.decode()
    assert not Expenditure.objects.exists()


def test_the_expenditure_form_refuses_a_second_booking_of_a_milestone_payment(officer_client):
    vendor = VendorFactory(legal_name="Acme Ltd")
    agreement = AgreementFactory(active=True, vendors=[vendor])
    milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement), title="Pilot live")
    ExpenditureFactory(agreement=agreement, vendor=vendor, milestone=milestone, amount=Decimal("30.00"), date=DAY)

    response = _add_expenditure(officer_client, agreement=agreement.pk, vendor=vendor.pk, milestone=milestone.pk)

    assert response.status_code == 200
    assert "Acme Ltd&#x27;s share of the payment for milestone &#x27;Pilot live&#x27; is already booked" in (
        response.content.decode()
    )
    assert Expenditure.objects.count() == 1


def test_spending_past_a_commitment_is_refused_on_the_form_the_officer_filled_in(officer_client):
    # Given an agreement whose authority share is committed to a fixed amount
    agreement = AgreementFactory(active=True, vendors=[], total_value=Decimal("1000.00"))

    # When an officer books more than that (a rule only the service knows, after the form was valid)
    response = _add_expenditure(officer_client, agreement=agreement.pk, amount="5000.00", description="Big invoice")

    # Then the same form comes back with what was typed and why, and nothing is recorded
    assert response.status_code == 200
    assert "more than its commitment" in response.content.decode()
    form = response.context["adminform"].form
    assert (form["amount"].value(), form["description"].value()) == ("5000.00", "Big invoice")
    assert not Expenditure.objects.exists()
