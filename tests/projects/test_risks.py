"""The risk register: scores, review dates and what a vendor may see."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from procurement.factories import AgreementFactory, VendorFactory
from projects.factories import ProjectFactory, RiskFactory
from projects.models import Risk
from projects.selectors import risks_due_for_review, risks_for_vendor

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("likelihood", "impact", "score", "level"),
    [(1, 1, 1, "low"), (2, 2, 4, "low"), (1, 5, 5, "medium"), (3, 3, 9, "medium"), (2, 5, 10, "high"),
     (4, 4, 16, "high"), (4, 5, 20, "critical"), (5, 5, 25, "critical")],
)  # fmt: skip
def test_score_is_likelihood_times_impact_and_sets_the_level(likelihood, impact, score, level):
    risk = RiskFactory(likelihood=likelihood, impact=impact)
    risk.refresh_from_db()

    assert risk.score == score and risk.level == level


@pytest.mark.parametrize(("field", "value"), [("likelihood", 0), ("likelihood", 6), ("impact", 0), ("impact", 6)])
def test_likelihood_and_impact_stay_within_1_to_5_in_the_database(field, value):
    risk = RiskFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.filter(pk=risk.pk).update(**{field: value})


def test_risks_past_their_review_date_are_due_worst_first():
    project = ProjectFactory()
    yesterday = TODAY - datetime.timedelta(days=1)
    minor = RiskFactory(project=project, review_date=yesterday, likelihood=1, impact=2)
    major = RiskFactory(project=project, review_date=yesterday, likelihood=5, impact=4)
    RiskFactory(project=project, review_date=TODAY)  # due today: not late yet
    RiskFactory(project=project, review_date=yesterday, status=Risk.Status.CLOSED)
    RiskFactory(review_date=yesterday)  # another project

    assert list(risks_due_for_review(project, on=TODAY)) == [major, minor]
    assert major.is_due_for_review(TODAY) and not Risk.objects.get(review_date=TODAY).is_due_for_review(TODAY)


def test_a_vendor_sees_only_private_and_shared_risks_of_its_own_agreements():
    vendor, other = VendorFactory(), VendorFactory()
    project = ProjectFactory(agreement=AgreementFactory(active=True, vendors=[vendor, other]))
    private = RiskFactory(project=project, allocation=Risk.Allocation.PRIVATE)
    shared = RiskFactory(project=project, allocation=Risk.Allocation.SHARED)
    RiskFactory(project=project, allocation=Risk.Allocation.PUBLIC)
    RiskFactory(allocation=Risk.Allocation.PRIVATE)  # someone else's agreement

    assert set(risks_for_vendor(vendor)) == {private, shared}
    assert not risks_for_vendor(VendorFactory()).exists()


@pytest.mark.parametrize("size", [1, 6])
def test_vendor_risk_list_takes_one_query_at_any_size(django_assert_num_queries, size):
    vendor = VendorFactory()
    project = ProjectFactory(agreement=AgreementFactory(active=True, vendors=[vendor]))
    RiskFactory.create_batch(size, project=project, allocation=Risk.Allocation.PRIVATE)

    with django_assert_num_queries(1):
        rows = [(risk.project.code, risk.owner.username, risk.score) for risk in risks_for_vendor(vendor)]

    assert len(rows) == size
