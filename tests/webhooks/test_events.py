"""Domain events reach the vendor they concern, by every path into the data (service, API, admin action), and
never another vendor; payloads carry only the receiving vendor's own figures."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from payments.factories import CertificateFactory
from payments.models import Certificate
from ppp import events
from ppp.factories import OfficerFactory
from procurement import services as procurement_services
from procurement.factories import AgreementFactory, VendorFactory
from projects import services as project_services
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Milestone
from webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    """Two vendors on one agreement (authority 40 %, each vendor 30 %), each with a webhook endpoint."""
    alpha, beta = VendorFactory(legal_name="Alpha Build"), VendorFactory(legal_name="Beta Systems")
    agreement = AgreementFactory(active=True, vendors=[alpha, beta])
    hooks = {vendor.pk: WebhookEndpointFactory(vendor=vendor) for vendor in (alpha, beta)}
    return alpha, beta, agreement, hooks


def _sent(vendor, event=None):
    deliveries = WebhookDelivery.objects.filter(endpoint__vendor=vendor).order_by("id")
    return list(deliveries.filter(event=event) if event else deliveries)


def _submitted(agreement, vendor):
    project = ProjectFactory(agreement=agreement)
    milestone = MilestoneFactory(project=project, responsible_vendor=vendor, payment_amount=Decimal("1000"))
    return DeliverableFactory(milestone=milestone, responsible_vendor=vendor, submitted=True)


def test_an_accepted_deliverable_reaches_its_vendor_only_through_the_api(parties, officer):
    alpha, beta, agreement, _ = parties
    deliverable = _submitted(agreement, alpha)
    client = APIClient()
    client.force_login(officer)

    response = client.post(f"/api/v1/deliverables/{deliverable.pk}/accept/", {"comment": "Fine"})

    assert response.status_code == 200
    (delivery,) = _sent(alpha)
    assert delivery.event == "deliverable.accepted"
    assert delivery.payload == {
        "deliverable": deliverable.pk,
        "title": deliverable.title,
        "milestone": deliverable.milestone_id,
        "status": "accepted",
        "version": response.json()["version"],
        "reviewed_at": delivery.payload["reviewed_at"],
        "comment": "Fine",
        "milestone_status": Milestone.Status.ACHIEVED,
    }
    assert _sent(beta) == []


def test_a_first_of_two_approvals_announces_nothing(parties, settings):
    alpha, _, agreement, _ = parties
    settings.PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD = Decimal("500")
    deliverable = _submitted(agreement, alpha)

    project_services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=OfficerFactory())

    assert _sent(alpha) == []


def test_a_rejection_in_the_admin_reaches_its_vendor_with_the_comment(parties, officer_client):
    alpha, beta, agreement, _ = parties
    deliverable = _submitted(agreement, beta)

    officer_client.post(
        reverse("admin:projects_deliverable_changelist"),
        {"action": "reject_selected", "_selected_action": [deliverable.pk], "apply": "1", "comment": "No evidence"},
    )

    (delivery,) = _sent(beta)
    assert delivery.event == "deliverable.rejected"
    assert (delivery.payload["status"], delivery.payload["comment"]) == ("rejected", "No evidence")
    assert _sent(alpha) == []


def _achieved(agreement, vendor):
    return MilestoneFactory(
        project=ProjectFactory(agreement=agreement),
        responsible_vendor=vendor,
        payment_amount=Decimal("10000.00"),
        status=Milestone.Status.ACHIEVED,
        due_date=agreement.start_date,
        achieved_date=agreement.start_date,
    )


def test_an_approved_certificate_tells_each_party_its_own_share_only(parties):
    alpha, beta, agreement, _ = parties

    certificate = CertificateFactory(milestone=_achieved(agreement, alpha), status=Certificate.Status.APPROVED)

    (to_alpha,) = _sent(alpha, "certificate.approved")
    (to_beta,) = _sent(beta, "certificate.approved")
    alpha_share = certificate.party_shares.get(vendor=alpha)
    assert to_alpha.payload["payee"] is True
    assert to_alpha.payload["net_amount"] == str(certificate.net_amount)
    assert to_alpha.payload["share"]["net_amount"] == str(alpha_share.net_amount)
    # Beta is a party, not the payee: its own share, no totals, nothing of Alpha's.
    beta_share = certificate.party_shares.get(vendor=beta)
    assert to_beta.payload["payee"] is False
    assert "net_amount" not in to_beta.payload and "gross_amount" not in to_beta.payload
    assert to_beta.payload["share"] == {
        "percentage": str(beta_share.percentage),
        "gross_amount": str(beta_share.gross_amount),
        "retention_amount": str(beta_share.retention_amount),
        "penalty_amount": str(beta_share.penalty_amount),
        "net_amount": str(beta_share.net_amount),
    }
    assert to_alpha.event_id != to_beta.event_id


def test_a_payment_tells_the_payee_its_reference_and_the_other_parties_their_share(parties):
    alpha, beta, agreement, _ = parties

    certificate = CertificateFactory(
        milestone=_achieved(agreement, alpha), status=Certificate.Status.PAID, payment_reference="BANK-77"
    )

    (to_alpha,) = _sent(alpha, "payment.made")
    (to_beta,) = _sent(beta, "payment.made")
    assert to_alpha.payload["payment_reference"] == "BANK-77"
    assert to_alpha.payload["paid_on"] == certificate.paid_on.isoformat()
    assert "payment_reference" not in to_beta.payload and "net_amount" not in to_beta.payload


def test_an_approved_amendment_reaches_every_party_with_its_own_line(parties, officer):
    alpha, beta, agreement, _ = parties
    newcomer = VendorFactory()
    hook = WebhookEndpointFactory(vendor=newcomer)
    amendment = procurement_services.amendment_propose(
        agreement_id=agreement.pk,
        reason="Beta leaves",
        by=officer,
        share_changes={beta: Decimal("0"), newcomer: Decimal("30")},
    )

    procurement_services.amendment_approve(amendment_id=amendment.pk, approver=OfficerFactory())

    (to_alpha,) = _sent(alpha, "amendment.approved")
    (to_beta,) = _sent(beta, "amendment.approved")
    (to_newcomer,) = _sent(newcomer, "amendment.approved")
    assert to_alpha.payload["share"] is None  # its share did not change
    assert to_beta.payload["share"] == {"old_percentage": "30.00", "new_percentage": "0.00"}
    assert to_newcomer.payload["share"] == {"old_percentage": None, "new_percentage": "30.00"}
    assert to_newcomer.endpoint == hook
    assert to_alpha.payload["agreement_reference"] == agreement.reference


def test_an_alert_raised_reaches_the_vendor_it_names(parties):
    alpha, beta, _, _ = parties

    events.publish("alert.raised", vendor_ids=[alpha.pk], payload={"alert": 1, "milestone": 2, "level": 1})

    (delivery,) = _sent(alpha)
    assert delivery.event == "alert.raised"
    assert _sent(beta) == []


def test_a_rolled_back_service_call_leaves_no_delivery(parties, officer):
    alpha, _, agreement, _ = parties
    deliverable = _submitted(agreement, alpha)

    with pytest.raises(Exception):  # noqa: B017
        from django.db import transaction

        with transaction.atomic():
            project_services.deliverable_accept(deliverable_id=deliverable.pk, reviewer=officer)
            raise RuntimeError("later step failed")

    assert _sent(alpha) == []
