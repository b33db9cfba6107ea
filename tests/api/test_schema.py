"""The OpenAPI document validates without warnings and the interactive docs need no CDN."""

import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/deliverables/{id}/submit/", "/api/v1/milestones/", "/api/v1/me/"} <= set(schema["paths"])


def test_every_operation_documents_its_error_responses():
    schema = APIClient().get("/api/v1/schema/?format=json").json()

    patch = schema["paths"]["/api/v1/deliverables/{id}/"]["patch"]["responses"]
    submit = schema["paths"]["/api/v1/deliverables/{id}/submit/"]["post"]["responses"]
    listing = schema["paths"]["/api/v1/milestones/"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "412", "429"} <= set(patch)
    assert {"200", "401", "403", "404", "409", "412"} <= set(submit)
    assert {"200", "400", "401", "403", "404"} <= set(listing)
    assert patch["412"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_interactive_docs_are_served_from_our_own_static_files():
    response = APIClient().get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html


def test_the_accept_operation_documents_the_four_eyes_first_approval():
    schema = APIClient().get("/api/v1/schema/?format=json").json()

    accept = schema["paths"]["/api/v1/deliverables/{id}/accept/"]["post"]
    deliverable = schema["components"]["schemas"]["Deliverable"]["properties"]

    assert accept["responses"]["202"]["description"].startswith("First approval recorded; needs a second officer.")
    assert {"200", "400", "409", "412"} <= set(accept["responses"])
    assert deliverable["awaiting_second_approval"]["readOnly"] is True
    assert "four-eyes" in deliverable["first_approved_at"]["description"]


@pytest.mark.parametrize(
    "reference, documented_as_valid", [("INV-2026-001", True), ("\x00INV", False), ("   ", False), ("", False)]
)
def test_the_invoice_reference_schema_admits_only_what_the_api_accepts(reference, documented_as_valid):
    # A NUL character or only whitespace is refused with a 400; the schema must not call it valid.
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    field = schema["components"]["schemas"]["InvoiceSubmitRequest"]["properties"]["reference"]

    matches = re.search(field["pattern"], reference) is not None and len(reference) >= field["minLength"]

    assert matches is documented_as_valid
