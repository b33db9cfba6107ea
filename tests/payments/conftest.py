import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ppp.factories import OfficerFactory
from procurement.factories import AgreementFactory, VendorFactory, VendorUserFactory
from projects.factories import MilestoneFactory, ProjectFactory
from projects.models import Milestone


@pytest.fixture
def vendor(db):
    return VendorFactory(legal_name="Alpha Build")


@pytest.fixture
def vendor_user(vendor):
    return VendorUserFactory(vendor=vendor).user


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


@pytest.fixture
def certifier(db):
    return OfficerFactory()


@pytest.fixture
def approver(db):
    return OfficerFactory()
