import io
import re

import pytest
from django.core.management import call_command
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F

from payments.models import Certificate, VendorInvoice
from procurement.catalogue import email_local_part
from procurement.factories import VendorContactFactory, VendorFactory
from procurement.models import Agreement, Amendment, ContractingAuthority, CostShare, Vendor, VendorUser
from projects.factories import DeliverableFactory, IterationFactory, RiskFactory
from projects.models import (
    KPI,
    Deliverable,
    GateCheck,
    GateDecision,
    Iteration,
    KPIMeasurement,
    Milestone,
    PerformanceFailure,
    Project,
    Risk,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo data set, built once for the read-only checks below (rolled back afterwards)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


MODELS = [
    ContractingAuthority,
    Vendor,
    VendorUser,
    Agreement,
    CostShare,
    Project,
    Milestone,
    Deliverable,
    Amendment,
    GateDecision,
    GateCheck,
    Risk,
    KPI,
    KPIMeasurement,
    PerformanceFailure,
    Certificate,
    VendorInvoice,
]


def test_seed_demo_builds_a_realistic_set_and_running_again_adds_nothing(seeded, capsys):
    first = {model.__name__: model.objects.count() for model in MODELS}

    call_command("seed_demo")
    second = {model.__name__: model.objects.count() for model in MODELS}
    output = capsys.readouterr().out

    assert first == second and "already present" in output
    assert first["ContractingAuthority"] == 4 and first["Vendor"] == 12 and first["VendorUser"] == 12
    assert first["Agreement"] == 8 and first["Project"] == 20 and 200 <= first["Milestone"] <= 400
    assert Milestone.objects.overdue().exists()
    for agreement in Agreement.objects.prefetch_related("cost_shares"):
        assert agreement.share_total() == 100 and agreement.status == "active"
    # Governance: the public-sector KPIs on every project, risk reviews to chase, recorded gates and amendments.
    # Six confirmed readings per KPI, and one vendor's report per project awaiting confirmation.
    assert first["KPI"] == 60 and first["KPIMeasurement"] == 380
    assert KPIMeasurement.objects.filter(status="reported").count() == 20
    # Each sector measures what its contracts pay for: adoption for digital services, availability for buildings.
    kpis = set(Project.objects.values_list("code", "kpis__name"))
    assert ("PRJ-001-1", "Digital service adoption") in kpis and ("PRJ-004-1", "Facility availability") in kpis
    assert ("PRJ-007-1", "Lane availability") in kpis and ("PRJ-008-1", "Classroom availability") in kpis
    assert Risk.objects.due_for_review().exists() and first["PerformanceFailure"] > 0
    # Both methods, each project past its first gate through recorded decisions with every check answered.
    assert set(Project.objects.values_list("delivery_method", flat=True)) == {"ppp", "agile"}
    for project in Project.objects.all():
        lifecycle = Project.LIFECYCLES[project.delivery_method]
        trail = list(project.gate_decisions.order_by("id").values_list("to_phase", flat=True))
        assert trail == list(lifecycle[1 : lifecycle.index(project.phase) + 1]) != []
    assert GateCheck.objects.exists() and not GateCheck.objects.filter(met=False).exists()
    assert sorted(Amendment.objects.values_list("status", flat=True)) == ["approved", "proposed"]
    assert Milestone.objects.filter(due_date__gt=F("baseline_due_date")).exists()
    # Payments: a whole chain, from drafts (retention releases) to reconciled, with a partial and a void one.
    statuses = set(Certificate.objects.values_list("status", flat=True))
    assert {"draft", "certified", "approved", "paid", "reconciled", "void"} <= statuses
    assert Certificate.objects.filter(kind="retention_release").exists()
    assert (
        VendorInvoice.objects.filter(status="matched").count()
        == Certificate.objects.filter(status="reconciled").count()
    )
    # The rules hold in the demo: evidence behind every submission, a delivery date on every achievement, one
    # deliverable awaiting its second (four-eyes) approval.
    assert not Deliverable.objects.exclude(status__in=["not_started", "in_progress"]).filter(evidence_url="").exists()
    assert not Milestone.objects.filter(status="achieved", delivered_on__isnull=True).exists()
    assert Milestone.objects.filter(delivered_on__lt=F("achieved_date")).exists()
    assert Deliverable.objects.filter(status="submitted", first_approved_by__username="officer").count() == 1
    for login in ("officer", "board", "vendor1", "vendor2", "ppp-demo-pass"):
        assert login in output


# --- Demo data reads like a real programme --------------------------------------------------------------------

# Each country's postcode as its post office writes it, and its international dialling code.
POSTCODES = {
    "IE": r"\b[A-Z]\d{2} [0-9A-Z]{4}$",  # Eircode, last line
    "GB": r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$",
    "DE": r"^\d{5} \w",
    "FR": r"^\d{5} \w",
    "ES": r"^\d{5} \w",
    "NL": r"^\d{4} [A-Z]{2} \w",
    "KE": r"P\.O\. Box \d+-\d{5}",
    "IN": r"\b\d{6}$",
    "CA": r"\b[A-Z]\d[A-Z] \d[A-Z]\d$",
}
DIALLING = {"IE": "+353", "GB": "+44", "DE": "+49", "FR": "+33", "ES": "+34", "NL": "+31", "KE": "+254", "IN": "+91"}
DIALLING["CA"] = "+1"
FILLER = re.compile(r"lorem|ipsum|dolor sit|consectetur|\b(Milestone|Deliverable|Risk|Iteration) \d+\b", re.I)


def assert_address_in(country: str, address: str):
    assert re.search(POSTCODES[country], address, re.M), f"{country}: {address!r}"


def test_seeded_vendors_have_addresses_phones_and_websites_of_their_own_country(seeded):
    for vendor in Vendor.objects.prefetch_related("contacts"):
        assert_address_in(vendor.country, vendor.address)
        domain = vendor.website.removeprefix("https://www.")
        for contact in vendor.contacts.all():
            assert contact.phone.startswith(DIALLING[vendor.country] + " "), (vendor, contact.phone)
            assert contact.email == f"{email_local_part(contact.name)}@{domain}"
    # One national programme, paid in its currency, with parties from several countries bidding.
    assert set(Agreement.objects.values_list("currency", flat=True)) == {"EUR"}
    assert Vendor.objects.values("country").distinct().count() >= 5


def test_seeded_texts_have_no_filler(seeded):
    texts = [
        *Agreement.objects.values_list("title", flat=True),
        *ContractingAuthority.objects.values_list("name", flat=True),
        *Vendor.objects.values_list("legal_name", flat=True),
        *Project.objects.values_list("name", flat=True),
        *Project.objects.values_list("description", flat=True),
        *Milestone.objects.values_list("title", flat=True),
        *Milestone.objects.values_list("description", flat=True),
        *Deliverable.objects.values_list("title", flat=True),
        *Deliverable.objects.values_list("description", flat=True),
        *Risk.objects.values_list("title", flat=True),
        *Risk.objects.values_list("description", flat=True),
        *Risk.objects.values_list("mitigation", flat=True),
        *Iteration.objects.values_list("goal", flat=True),
    ]
    assert all(text.strip() for text in texts)
    # Every link a partner API client or an OCDS reader follows is a valid URL (registration numbers have spaces).
    valid_url = URLValidator()
    for url in [
        *Vendor.objects.values_list("website", flat=True),
        *Deliverable.objects.exclude(evidence_url="").values_list("evidence_url", flat=True),
    ]:
        valid_url(url)
    assert [text for text in texts if FILLER.search(text)] == []
    # Built assets are PPPs, digital services agile; hospitals, roads and schools are all there.
    assert not Project.objects.filter(name__icontains="school", delivery_method="agile").exists()
    assert Project.objects.filter(name__icontains="identity", delivery_method="agile").count() == 3
    for word in ("hospital", "road", "school", "rail"):
        assert Agreement.objects.filter(title__icontains=word).exists(), word


@pytest.mark.parametrize("country", sorted(POSTCODES))
def test_factory_vendors_and_contacts_match_the_country_a_test_picks(country):
    vendor = VendorFactory(country=country)
    contact = VendorContactFactory(vendor=vendor)

    assert_address_in(country, vendor.address)
    assert contact.phone.startswith(DIALLING[country] + " ")
    assert not FILLER.search(vendor.legal_name + vendor.address + contact.name)


def test_factory_defaults_read_like_a_programme():
    deliverable = DeliverableFactory()
    risk = RiskFactory(project=deliverable.milestone.project)
    iteration = IterationFactory()

    for text in (
        deliverable.description,
        deliverable.milestone.description,
        deliverable.milestone.project.name,
        deliverable.milestone.project.description,
        deliverable.milestone.project.agreement.title,
        deliverable.milestone.project.agreement.authority.name,
        risk.description,
        risk.mitigation,
        iteration.goal,
    ):
        assert text and not FILLER.search(text), text
