"""The partner API shows a project's phase and how it passed its gates: each decision with its checklist as
answered, read-only, only for the vendor's own projects (another vendor's answers 404), never naming an officer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services
from projects.factories import ProjectFactory
from projects.models import GateDecision

pytestmark = pytest.mark.django_db


def _pass_gate(project, by, to_phase, **decision):
    checks = [
        {"criterion": c, "met": c.text != "Equity committed", "evidence": "On file"}
        for c in services.gate_checklist(project, to_phase)
    ]
    return services.project_change_phase(project_id=project.pk, to_phase=to_phase, by=by, checks=checks, **decision)


@pytest.fixture
def decisions(vendor_a, vendor_b, officer):
    project = vendor_a.project
    first = _pass_gate(project, officer, "financial_close")
    project.refresh_from_db()
    second = _pass_gate(project, officer, "construction", override_reason="Equity letter from the sponsor")
    other = _pass_gate(vendor_b.project, officer, "financial_close")
    return {"first": first, "second": second, "other": other}


def test_a_vendor_reads_the_phase_and_the_gate_checklists_of_its_projects(client_a, vendor_a, decisions):
    project = client_a.get(f"/api/v1/projects/{vendor_a.project.pk}/").json()
    listed = client_a.get("/api/v1/gate-decisions/").json()["results"]
    page = client_a.get(f"/api/v1/gate-decisions/{decisions['second'].pk}/")

    assert (project["delivery_method"], project["phase"]) == ("ppp", "construction")
    assert [row["id"] for row in listed] == [decisions["second"].pk, decisions["first"].pk]
    body = page.json()
    assert body == listed[0]
    assert (body["from_phase"], body["to_phase"], body["criteria_met"], body["overridden"]) == (
        "financial_close",
        "construction",
        False,
        True,
    )
    checks = {check["criterion_text"]: check for check in body["checks"]}
    assert checks["Equity committed"]["met"] is False and checks["Senior debt agreements signed"]["met"] is True
    assert checks["Senior debt agreements signed"]["evidence"] == "On file"
    # Who decided, and the override's wording, stay inside the agency.
    assert "decided_by" not in body and "override_reason" not in body


def test_another_vendors_gate_decisions_are_not_found(client_a, decisions):
    assert client_a.get(f"/api/v1/gate-decisions/{decisions['other'].pk}/").status_code == 404
    listed = client_a.get("/api/v1/gate-decisions/").json()["results"]
    assert decisions["other"].pk not in [row["id"] for row in listed]


def test_gate_decisions_filter_by_project_and_phase_and_refuse_bad_values(api_officer_client, vendor_a, decisions):
    by_project = api_officer_client.get(f"/api/v1/gate-decisions/?project={vendor_a.project.pk}").json()
    by_phase = api_officer_client.get("/api/v1/gate-decisions/?to_phase=financial_close").json()
    refused = api_officer_client.get("/api/v1/gate-decisions/?to_phase=rollout")

    assert by_project["count"] == 2
    assert {row["id"] for row in by_phase["results"]} == {decisions["first"].pk, decisions["other"].pk}
    assert refused.status_code == 400 and "to_phase" in refused.json()["fields"]


def test_projects_filter_by_the_new_phases_and_refuse_the_old_ones(client_a, vendor_a):
    ProjectFactory(agreement=vendor_a.project.agreement, delivery_method="agile")

    agile = client_a.get("/api/v1/projects/?phase=discovery").json()
    old = client_a.get("/api/v1/projects/?phase=pilot")

    assert [row["delivery_method"] for row in agile["results"]] == ["agile"]
    assert old.status_code == 400 and "phase" in old.json()["fields"]


def test_gate_decisions_are_read_only(client_a, decisions):
    response = client_a.post("/api/v1/gate-decisions/", {"project": decisions["first"].project_id}, format="json")

    assert response.status_code == 405 and GateDecision.objects.count() == 3


def test_the_schema_lists_the_lifecycle_phases_and_the_gate_decisions_endpoint(api_officer_client):
    schema = api_officer_client.get("/api/v1/schema/?format=json").json()

    assert "/api/v1/gate-decisions/" in schema["paths"]
    phases = set(schema["components"]["schemas"]["PhaseEnum"]["enum"])
    assert {"procurement", "financial_close", "commercial_operation", "handback", "discovery", "live"} <= phases
    assert "pilot" not in phases


@pytest.mark.parametrize("caller", ["client_a", "api_officer_client"])
def test_gate_decision_list_queries_do_not_grow_with_rows(request, vendor_a, officer, caller):
    client = request.getfixturevalue(caller)

    def add_projects_past_two_gates(count):
        for _ in range(count):
            project = ProjectFactory(agreement=vendor_a.project.agreement)
            _pass_gate(project, officer, "financial_close")
            project.refresh_from_db()
            _pass_gate(project, officer, "construction", override_reason="Sponsor letter")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/gate-decisions/?page_size=100")
        assert response.status_code == 200
        return response.json()["count"], len(queries)

    add_projects_past_two_gates(2)
    rows, at_4 = count_queries()
    add_projects_past_two_gates(10)
    more_rows, at_24 = count_queries()

    assert (rows, more_rows) == (4, 24)
    assert at_24 == at_4
