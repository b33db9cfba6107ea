import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from procurement.factories import VendorFactory
from projects.factories import DeliverableFactory, IterationFactory, MilestoneFactory, ProjectFactory
from projects.models import Deliverable, Milestone

pytestmark = pytest.mark.django_db


def _refused(action):
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


@pytest.mark.parametrize("progress", [101, 250])
def test_progress_stays_within_0_and_100(progress):
    deliverable = DeliverableFactory()
    _refused(lambda: Deliverable.objects.filter(pk=deliverable.pk).update(progress=progress))


def test_achieved_milestone_needs_an_achieved_date_and_others_none():
    milestone = MilestoneFactory()
    _refused(lambda: Milestone.objects.filter(pk=milestone.pk).update(status="achieved"))
    _refused(lambda: Milestone.objects.filter(pk=milestone.pk).update(achieved_date=datetime.date(2026, 1, 1)))


def test_payment_amount_is_not_negative():
    milestone = MilestoneFactory()
    _refused(lambda: Milestone.objects.filter(pk=milestone.pk).update(payment_amount=-1))


def test_reviewed_deliverable_has_its_timestamps():
    deliverable = DeliverableFactory()
    _refused(lambda: Deliverable.objects.filter(pk=deliverable.pk).update(status="submitted"))
    _refused(lambda: Deliverable.objects.filter(pk=deliverable.pk).update(status="accepted"))


def test_project_cannot_end_before_it_starts():
    _refused(lambda: ProjectFactory(start_date=datetime.date(2026, 2, 1), end_date=datetime.date(2026, 1, 1)))


def test_project_code_is_unique():
    ProjectFactory(code="P-1")
    _refused(lambda: ProjectFactory(code="P-1"))


def test_responsible_vendor_must_be_a_party_to_the_agreement():
    milestone = MilestoneFactory()
    milestone.responsible_vendor = VendorFactory()

    with pytest.raises(ValidationError, match="not a party"):
        milestone.full_clean()

    deliverable = DeliverableFactory(milestone=milestone)
    deliverable.responsible_vendor = VendorFactory()
    with pytest.raises(ValidationError, match="not a party"):
        deliverable.full_clean()


def test_new_milestone_takes_its_due_date_as_baseline():
    project = ProjectFactory()
    milestone = Milestone(project=project, title="Go-live", due_date=datetime.date(2026, 9, 1))

    milestone.full_clean()

    assert milestone.baseline_due_date == datetime.date(2026, 9, 1)


def test_iterations_belong_to_agile_projects_only():
    iteration = IterationFactory()
    iteration.full_clean()
    iteration.project.delivery_method = "ppp"

    with pytest.raises(ValidationError, match="agile"):
        iteration.full_clean()
