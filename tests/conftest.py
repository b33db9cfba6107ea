import pytest
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
