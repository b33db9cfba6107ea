import datetime
import io
import json
import socket
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from procurement.factories import AgreementFactory, VendorFactory
from projects.factories import MilestoneFactory, ProjectFactory
from projects.models import Milestone


def export(tmp_path, *args, name="package.json") -> dict:
    target = tmp_path / name
    call_command("export_ocds", "-o", str(target), *args, stderr=io.StringIO())
    return json.loads(target.read_text())


def export_text(tmp_path, *args, name="package.json") -> str:
    target = tmp_path / name
    call_command("export_ocds", "-o", str(target), *args, stderr=io.StringIO())
    return target.read_text()


def contract(release):
    return release["contracts"][0]


@pytest.fixture
def no_network(monkeypatch):
    """The community's tools must not fetch schemas or extensions in tests."""

    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def vendor(db):
    return VendorFactory(legal_name="Alpha Build", country="GB")


@pytest.fixture
def agreement(vendor):
    # The authority 40 %, Alpha 60 %.
    return AgreementFactory(active=True, vendors=[vendor])


@pytest.fixture
def achieved(agreement, vendor):
    """An achieved milestone paying 10,000.00 to Alpha."""
    day = timezone.localdate() - datetime.timedelta(days=5)
    return MilestoneFactory(
        project=ProjectFactory(agreement=agreement),
        responsible_vendor=vendor,
        payment_amount=Decimal("10000.00"),
        due_date=day,
        status=Milestone.Status.ACHIEVED,
        achieved_date=day,
    )
