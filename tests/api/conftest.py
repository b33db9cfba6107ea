"""Two vendors, each with an agreement, a project, a milestone and deliverables, and ways to call the API."""

from dataclasses import dataclass

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from procurement.factories import AgreementFactory, VendorFactory, VendorUserFactory
from procurement.models import Vendor, VendorUser
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Deliverable, Milestone, Project


@dataclass
class VendorWorld:
    vendor: Vendor
    membership: VendorUser
    project: Project
    milestone: Milestone
    deliverable: Deliverable  # in progress: the vendor may report on it
    submitted: Deliverable  # awaiting the agency's review

    @property
    def user(self):
        return self.membership.user


def build_vendor_world(**vendor_fields) -> VendorWorld:
    vendor = VendorFactory(**vendor_fields)
    agreement = AgreementFactory(active=True, vendors=[vendor])
    project = ProjectFactory(agreement=agreement)
    milestone = MilestoneFactory(project=project)
    return VendorWorld(
        vendor=vendor,
        membership=VendorUserFactory(vendor=vendor),
        project=project,
        milestone=milestone,
        deliverable=DeliverableFactory(milestone=milestone, status=Deliverable.Status.IN_PROGRESS, progress=20),
        submitted=DeliverableFactory(milestone=milestone, submitted=True),
    )


@pytest.fixture
def vendor_a(db):
    return build_vendor_world(legal_name="Alpha Builders Ltd")


@pytest.fixture
def vendor_b(db):
    return build_vendor_world(legal_name="Beta Systems GmbH")


def token_client(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def client_a(vendor_a):
    return token_client(vendor_a.user)


@pytest.fixture
def api_officer_client(officer):
    client = APIClient()
    client.force_login(officer)
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # Throttle counters live in the cache; each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
