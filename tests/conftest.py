import os

import pytest
from django.conf import settings
from django.db import connection

from ppp.factories import BoardMemberFactory, OfficerFactory


@pytest.fixture
def officer(db):
    return OfficerFactory()


@pytest.fixture
def board_member(db):
    return BoardMemberFactory()


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def board_client(client, board_member):
    client.force_login(board_member)
    return client


def pytest_collection_modifyitems(config, items):
    # Row locks and real concurrency only mean something on PostgreSQL.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


def ocds_schemas_required() -> bool:
    """In CI (CI=true, or PPP_REQUIRE_OCDS_SCHEMAS=1 as .ci/run sets) missing OCDS schemas are a failure."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("PPP_REQUIRE_OCDS_SCHEMAS") == "1"


def check_ocds_schemas() -> None:
    """Skip a test that needs the official OCDS schemas when they are missing; fail it where they are required."""
    if settings.OCDS_SCHEMA_DIR:
        return
    reason = "needs the official OCDS schemas in ../shared/ocds/ppp"
    if ocds_schemas_required():
        pytest.fail(f"{reason} (required here: CI=true or PPP_REQUIRE_OCDS_SCHEMAS=1)", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("ocds_schemas"):
        check_ocds_schemas()
