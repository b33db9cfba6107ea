"""What CI counts as a failure: the OCDS tests do not quietly skip there when their schemas are missing."""

import pytest

from tests.conftest import check_ocds_schemas


@pytest.fixture
def without_ocds_schemas(settings, monkeypatch):
    settings.OCDS_SCHEMA_DIR = None
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PPP_REQUIRE_OCDS_SCHEMAS", raising=False)


def test_on_a_workstation_missing_ocds_schemas_skip_the_ocds_tests(without_ocds_schemas):
    with pytest.raises(pytest.skip.Exception, match="official OCDS schemas"):
        check_ocds_schemas()


@pytest.mark.parametrize("variable, value", [("CI", "true"), ("PPP_REQUIRE_OCDS_SCHEMAS", "1")])
def test_in_ci_missing_ocds_schemas_fail_the_ocds_tests(without_ocds_schemas, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)

    with pytest.raises(pytest.fail.Exception, match="required here"):
        check_ocds_schemas()


def test_with_the_schemas_present_the_ocds_tests_run(settings, monkeypatch, tmp_path):
    settings.OCDS_SCHEMA_DIR = str(tmp_path)
    monkeypatch.setenv("PPP_REQUIRE_OCDS_SCHEMAS", "1")

    check_ocds_schemas()  # neither skips nor fails
