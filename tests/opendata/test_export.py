"""Published agreements exported as OCDS-for-PPPs packages: what each release says, valid against the schema."""

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from opendata import schema
from opendata.builders import iter_contents, milestone_status
from opendata.models import Release
from opendata.services import releases_record
from ppp.factories import OfficerFactory
from procurement import services
from procurement.factories import AgreementFactory, ExpenditureFactory, VendorFactory
from procurement.models import Agreement, Amendment, Expenditure, VendorContact
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory, RiskFactory
from projects.models import Milestone, Risk

from .conftest import contract, export

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.ocds_schemas,  # skipped without the official schemas, failed in CI (tests/conftest.py)
]
CODELISTS = Path(settings.OCDS_SCHEMA_DIR or ".") / "codelists"


def codes(name: str) -> set[str]:
    return {line.split(",", 1)[0] for line in (CODELISTS / name).read_text().splitlines()[1:]}


@pytest.fixture(scope="module")
def demo_package(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            call_command("seed_demo", stdout=io.StringIO())
            package = export(tmp_path_factory.mktemp("ocds"))
            expected = {
                "published": {a.reference: a for a in Agreement.objects.exclude(status=Agreement.Status.DRAFT)},
                "drafts": list(
                    Agreement.objects.filter(status=Agreement.Status.DRAFT).values_list("reference", flat=True)
                ),
                "milestones": {
                    f"milestone-{m.pk}": m
                    for m in Milestone.objects.select_related("project__agreement").exclude(
                        project__agreement__status=Agreement.Status.DRAFT
                    )
                },
                "expenditures": Expenditure.objects.exclude(agreement__status=Agreement.Status.DRAFT).count(),
                "amendments": {
                    f"amendment-{a.pk}": a
                    for a in Amendment.objects.filter(status="approved").prefetch_related("share_changes__vendor")
                },
                "contact_emails": list(VendorContact.objects.values_list("email", flat=True)),
            }
            transaction.set_rollback(True)
    return package, expected


def test_demo_export_is_a_valid_release_package_declaring_its_extensions(demo_package):
    package, _ = demo_package
    assert schema.package_errors(package) == []
    assert package["version"] == "1.1" and package["publisher"]["name"]
    assert package["extensions"] and all(url.endswith("extension.json") for url in package["extensions"])
    # Made on demand, the package is dated by its newest release.
    assert package["publishedDate"] == max(r["date"] for r in package["releases"])


def test_every_published_agreement_appears_with_its_values_and_no_draft(demo_package):
    package, expected = demo_package
    latest = {r["ocid"]: r for r in package["releases"]}
    assert latest.keys() == {f"{settings.OCDS_OCID_PREFIX}-{ref}" for ref in expected["published"]}
    for reference, agreement in expected["published"].items():
        item = contract(latest[f"{settings.OCDS_OCID_PREFIX}-{reference}"])
        assert item["value"] == {"amount": float(agreement.total_value), "currency": agreement.currency}
        assert item["period"]["startDate"] == f"{agreement.start_date}T00:00:00Z"
    assert not any(ref in json.dumps(package) for ref in expected["drafts"])


def test_every_milestone_appears_with_its_values(demo_package):
    package, expected = demo_package
    exported = {m["id"]: m for r in package["releases"] for m in contract(r)["implementation"]["milestones"]}
    assert exported.keys() == expected["milestones"].keys()
    for key, milestone in expected["milestones"].items():
        item = exported[key]
        assert item["dueDate"] == f"{milestone.due_date}T00:00:00Z"
        assert item["title"] == milestone.title
        if milestone.status == "achieved":
            assert item["status"] == "met" and item["dateMet"] == f"{milestone.achieved_date}T00:00:00Z"
        if milestone.payment_amount:
            assert f"Pays {milestone.payment_amount:,}" in item["description"]


def test_every_approved_amendment_appears_dated_before_its_release(demo_package):
    package, expected = demo_package
    exported = {
        (item["id"], r["date"]): item for r in package["releases"] for item in contract(r).get("amendments", [])
    }
    assert expected["amendments"] and {key for key, _ in exported} == expected["amendments"].keys()
    for (key, release_date), item in exported.items():
        amendment = expected["amendments"][key]
        assert item["rationale"] == amendment.reason and item["description"] == amendment.summary()
        assert item["date"] <= release_date


def test_transactions_come_from_expenditures_with_their_payer(demo_package):
    package, expected = demo_package
    transactions = [t for r in package["releases"] for t in contract(r)["implementation"]["transactions"]]
    spending = [t for t in transactions if t["id"].startswith("expenditure-")]
    assert len(spending) == expected["expenditures"] > 0
    assert all("payer" in t and "source" not in t for t in spending)


def test_codes_come_from_the_ppp_codelists(demo_package):
    package, _ = demo_package
    releases = package["releases"]
    roles = {role for r in releases for party in r["parties"] for role in party["roles"]}
    assert roles <= codes("partyRole.csv") and "publicAuthority" not in roles
    milestones = [m for r in releases for m in contract(r)["implementation"]["milestones"]]
    assert {m["type"] for m in milestones} <= codes("milestoneType.csv")
    risks = [risk for r in releases for risk in contract(r)["riskAllocation"]]
    assert {risk["category"] for risk in risks if "category" in risk} <= codes("riskCategory.csv")
    assert {risk["allocation"] for risk in risks} <= codes("riskAllocation.csv")
    assert {tag for r in releases for tag in r["tag"]} <= codes("releaseTag.csv")


def test_parties_are_identified_with_a_scheme_and_a_country_name(demo_package):
    package, _ = demo_package
    parties = [party for r in package["releases"] for party in r["parties"]]
    assert all(party["identifier"]["scheme"] for party in parties)
    vendors = [party for party in parties if party["id"].startswith("vendor-")]
    assert vendors and all(len(party["address"]["countryName"]) > 2 for party in vendors)


def test_vendor_contact_details_are_never_exported(demo_package):
    package, expected = demo_package
    text = json.dumps(package)
    assert expected["contact_emails"]
    assert not any(email in text for email in expected["contact_emails"])
    assert "contactPoint" not in text


@pytest.mark.parametrize(
    ("status", "accepted", "total", "expected"),
    [
        ("planned", 0, 2, "scheduled"),
        ("in_progress", 0, 2, "scheduled"),
        ("in_progress", 1, 2, "partiallyMet"),
        ("in_progress", 2, 2, "scheduled"),
        ("missed", 0, 1, "notMet"),
        ("achieved", 1, 1, "met"),
        ("cancelled", 0, 1, None),
    ],
)
def test_milestone_status_mapping_reads_stored_facts_only(status, accepted, total, expected):
    # Long past its due date: still "scheduled" until someone records it missed; the export date plays no part.
    milestone = Milestone(status=status, due_date=datetime.date(2000, 1, 1))
    assert milestone_status(milestone, accepted=accepted, total=total) == expected


def test_a_planning_milestone_is_a_pre_procurement_one(tmp_path, agreement):
    MilestoneFactory(project=ProjectFactory(agreement=agreement), type=Milestone.Type.PLANNING)

    (item,) = contract(export(tmp_path)["releases"][-1])["implementation"]["milestones"]

    assert item["type"] == "preProcurement"


def test_each_recorded_change_of_state_is_a_release_with_a_fitting_tag(tmp_path, officer):
    agreement = AgreementFactory(reference="PPP-LIFE", vendors=[VendorFactory()])
    releases_record(by=officer)  # a draft: nothing is published
    services.agreement_activate(agreement_id=agreement.pk, by=officer)
    releases_record(by=officer)
    services.agreement_suspend(agreement_id=agreement.pk, by=officer)
    releases_record(by=officer)
    services.agreement_terminate(agreement_id=agreement.pk, by=officer)

    releases = export(tmp_path, "--agreement", "PPP-LIFE")["releases"]

    assert [r["tag"] for r in releases] == [
        ["tender", "award", "contract"],
        ["contractUpdate"],
        ["contractTermination"],
    ]
    assert [contract(r)["status"] for r in releases] == ["active", "active", "terminated"]
    assert [r["id"] for r in releases] == [f"{settings.OCDS_OCID_PREFIX}-PPP-LIFE-{n:04d}" for n in (1, 2, 3)]


def test_open_milestone_with_some_deliverables_accepted_is_partially_met(tmp_path, agreement):
    milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement))
    DeliverableFactory(milestone=milestone, accepted=True)
    DeliverableFactory(milestone=milestone)

    (item,) = contract(export(tmp_path)["releases"][-1])["implementation"]["milestones"]

    assert item["status"] == "partiallyMet"


def test_cost_shares_become_finance_charges_and_risk_allocation(tmp_path):
    vendor = VendorFactory(legal_name="Acme Ltd")
    agreement = AgreementFactory(active=True, total_value=Decimal("1000.00"), vendors=[vendor])
    MilestoneFactory(project=ProjectFactory(agreement=agreement))
    ExpenditureFactory(agreement=agreement, vendor=None, amount=Decimal("100.00"))

    item = contract(export(tmp_path, "--agreement", agreement.reference)["releases"][-1])

    (finance,) = item["finance"]
    assert finance["financingParty"]["name"] == "Acme Ltd" and finance["value"]["amount"] == 600
    (charge,) = item["implementation"]["charges"]
    assert charge["paidBy"] == "government" and charge["estimatedValue"]["amount"] == 400
    assert charge["actualValue"]["amount"] == 100
    assert item["riskAllocation"][0]["allocation"] == "privateParty"


def test_approved_amendments_appear_with_the_new_terms(tmp_path, officer):
    agreement = AgreementFactory(active=True, reference="PPP-AMEND", total_value=Decimal("1000.00"))
    releases_record(by=officer)
    approved = services.amendment_propose(
        agreement_id=agreement.pk, reason="Two more regions", by=officer, new_total_value=Decimal("1500.00")
    )
    services.amendment_approve(amendment_id=approved.pk, approver=OfficerFactory())
    rejected = services.amendment_propose(
        agreement_id=agreement.pk, reason="Too costly", by=officer, new_total_value=Decimal("9000.00")
    )
    services.amendment_reject(amendment_id=rejected.pk, by=officer, note="No budget")

    first, amended = export(tmp_path, "--agreement", "PPP-AMEND")["releases"]

    # The authority's charge follows the new value: the implementation changed too.
    assert amended["tag"] == ["contractAmendment", "implementation"] and contract(amended)["value"]["amount"] == 1500
    (item,) = contract(amended)["amendments"]
    assert item["id"] == f"amendment-{approved.pk}" and item["rationale"] == "Two more regions"
    assert "1,000.00 → 1,500.00" in item["description"] and item["date"] <= amended["date"]
    assert "amendments" not in contract(first) and contract(first)["value"]["amount"] == 1000


def test_register_risks_use_codes_from_the_codelists(tmp_path):
    project = ProjectFactory()
    RiskFactory(project=project, category="forceMajeure", allocation="shared", title="Flooding of depot")
    RiskFactory(project=project, category="technology", allocation="private", title="Ticketing platform")
    RiskFactory(project=project, category="other", allocation="public", title="Unforeseen")

    risks = {r["id"]: r for r in contract(export(tmp_path)["releases"][-1])["riskAllocation"]}

    flooding, platform, unforeseen = (risks[f"risk-{r.pk}"] for r in project.risks.order_by("pk"))
    assert flooding["category"] == "forceMajeure" and flooding["allocation"] == "undefined"
    assert flooding["notes"].startswith("Shared") and "Flooding of depot" in flooding["description"]
    assert platform["category"] == "design" and platform["allocation"] == "privateParty"
    assert "category" not in unforeseen and "(Other)" in unforeseen["description"]


def test_metrics_performance_failures_and_project_appear(tmp_path, achieved, vendor):
    from projects.factories import KPIFactory, KPIMeasurementFactory, PerformanceFailureFactory

    kpi = KPIFactory(project=achieved.project, name="Availability", unit="%", target=Decimal("98"))
    KPIMeasurementFactory(kpi=kpi, date=datetime.date(2026, 3, 1), value=Decimal("97.5"))
    PerformanceFailureFactory(milestone=achieved, vendor=vendor)

    release = export(tmp_path)["releases"][-1]

    assert release["planning"]["project"]["id"] == achieved.project.code
    (metric,) = contract(release)["implementation"]["metrics"]
    assert metric["title"] == "Availability" and metric["observations"][0]["measure"] == 97.5
    assert contract(release)["agreedMetrics"][0]["observations"][0]["measure"] == 98
    (failure,) = contract(release)["implementation"]["performanceFailures"]
    assert failure["id"].startswith("failure-") and failure["penaltyContracted"].endswith(
        achieved.project.agreement.currency
    )


def test_since_leaves_out_older_releases(tmp_path, time_machine, officer):
    time_machine.move_to(datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC))
    old = AgreementFactory(active=True, reference="PPP-OLD")
    releases_record(by=None)
    time_machine.move_to(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC))
    services.agreement_suspend(agreement_id=old.pk, by=officer)

    releases = export(tmp_path, "--since", "2026-02-01")["releases"]

    assert [(r["ocid"], r["tag"]) for r in releases] == [(f"{settings.OCDS_OCID_PREFIX}-PPP-OLD", ["contractUpdate"])]


def test_nothing_to_export_writes_nothing(tmp_path):
    AgreementFactory()  # a draft
    target = tmp_path / "out.json"
    stderr = io.StringIO()

    call_command("export_ocds", "-o", str(target), stderr=stderr)

    assert not target.exists() and "No releases match" in stderr.getvalue()


@pytest.mark.parametrize("args", [["--since", "last week"], ["--agreement", "NOPE"]])
def test_bad_arguments_are_clear_errors(args):
    with pytest.raises(CommandError, match="YYYY-MM-DD|No agreement"):
        call_command("export_ocds", *args)


def test_a_broken_release_is_rejected_with_its_json_path(agreement):
    releases_record(by=None)
    release = json.loads(Release.objects.get().body)
    release["contracts"][0]["value"]["currency"] = "EURO"
    release["contracts"][0]["status"] = "signed"

    paths = {error.path for error in schema.release_errors(release, index=3)}

    assert {"$.releases[3].contracts[0].value.currency", "$.releases[3].contracts[0].status"} <= paths


def test_the_format_checker_refuses_a_source_that_is_not_a_uri(agreement):
    """The check the issue found missing: Draft 4 with its format checker, as the community's tools run it."""
    releases_record(by=None)
    release = json.loads(Release.objects.get().body)
    release["contracts"][0]["implementation"]["transactions"] = [
        {"id": "t1", "source": "milestone-28", "value": {"amount": 1, "currency": "EUR"}}
    ]
    release["date"] = "yesterday"

    messages = {error.path: error.message for error in schema.release_errors(release)}

    assert "is not a 'uri'" in messages["$.releases[0].contracts[0].implementation.transactions[0].source"]
    assert "is not a 'date-time'" in messages["$.releases[0].date"]


def test_an_invalid_release_is_never_recorded_and_the_export_leaves_no_file(tmp_path, monkeypatch, agreement):
    from opendata import builders

    monkeypatch.setitem(builders.CONTRACT_STATUS, Agreement.Status.ACTIVE, "signed")
    target = tmp_path / "out.json"

    with pytest.raises(CommandError, match=r"contracts\[0\]\.status"):
        call_command("export_ocds", "-o", str(target), stderr=io.StringIO())

    assert not target.exists() and list(tmp_path.iterdir()) == [] and not Release.objects.exists()


def test_building_reads_a_fixed_number_of_queries_per_chunk(django_assert_num_queries, officer):
    def build(count):
        for _ in range(count):
            agreement = AgreementFactory(active=True)
            amendment = services.amendment_propose(
                agreement_id=agreement.pk, reason="More scope", by=officer, new_total_value=Decimal("2000000.00")
            )
            services.amendment_approve(amendment_id=amendment.pk, approver=OfficerFactory())
            milestone = MilestoneFactory(project=ProjectFactory(agreement=agreement))
            DeliverableFactory(milestone=milestone)
            ExpenditureFactory(agreement=agreement)
            RiskFactory(project=milestone.project)

    build(2)
    # The agreements, then per chunk: shares, expenditures, projects, deliverable counts, milestones, amendments
    # (with their share changes and vendors), risks, KPIs, measurements, failures, payments; then the empty page.
    with django_assert_num_queries(13):
        small = len(list(iter_contents(chunk_size=50)))
    build(8)
    with django_assert_num_queries(13):
        assert len(list(iter_contents(chunk_size=50))) > small


def test_schema_is_fetched_once_from_its_official_url_and_cached(settings, tmp_path, monkeypatch):
    shared = Path(settings.OCDS_SCHEMA_DIR)
    fetched = []

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(url, timeout):
        fetched.append(url)
        return Response((shared / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(schema.urllib.request, "urlopen", fake_urlopen)
    settings.OCDS_SCHEMA_DIR = None
    settings.OCDS_SCHEMA_CACHE_DIR = str(tmp_path)
    schema.clear_cache()
    try:
        assert schema.package_errors({"uri": "x"})  # no releases: invalid, but the schema loaded
        schema.clear_cache()
        schema.package_errors({"uri": "x"})
    finally:
        schema.clear_cache()

    assert sorted(fetched) == [schema.PACKAGE_SCHEMA_URL, schema.RELEASE_SCHEMA_URL]
    assert (tmp_path / "release-schema.json").exists()


def test_unreachable_schema_is_a_clear_error(settings, tmp_path, monkeypatch):
    def offline(url, timeout):
        raise OSError("network is unreachable")

    monkeypatch.setattr(schema.urllib.request, "urlopen", offline)
    settings.OCDS_SCHEMA_DIR = None
    settings.OCDS_SCHEMA_CACHE_DIR = str(tmp_path)
    schema.clear_cache()
    AgreementFactory(active=True)
    try:
        with pytest.raises(CommandError, match="OCDS_SCHEMA_DIR"):
            call_command("export_ocds", "-o", str(tmp_path / "x.json"), stderr=io.StringIO())
    finally:
        schema.clear_cache()


def test_timezone_is_utc_in_release_dates(tmp_path, agreement):
    release = export(tmp_path)["releases"][0]
    assert release["date"].endswith("Z")
    assert datetime.datetime.fromisoformat(release["date"]) <= timezone.now()


def test_release_content_is_english_whatever_language_the_request_is_in(agreement):
    """Published data says "language": "en", and a French officer's action must not make a new release."""
    RiskFactory(project=ProjectFactory(agreement=agreement), allocation=Risk.Allocation.PRIVATE)
    english = dict(iter_contents())
    with translation.override("fr"):
        french_request = dict(iter_contents())

    assert french_request == english
    assert "Private (vendor)" in json.dumps(list(english.values()), default=str)
