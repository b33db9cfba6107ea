"""Factories for projects, milestones and deliverables, shared by the tests and ``seed_demo``."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from ppp.factories import OfficerFactory, UserFactory
from procurement.factories import AgreementFactory

from . import catalogue
from .models import (
    KPI,
    Alert,
    Deliverable,
    GateCheck,
    GateCriterion,
    GateDecision,
    Iteration,
    KPIMeasurement,
    Milestone,
    Notification,
    PerformanceFailure,
    PerformanceFailureDispute,
    Project,
    Risk,
)

_HEALTH_MILESTONES = catalogue.MILESTONES[catalogue.HEALTH]
_BUILT_RISKS = catalogue.risks_for("built")


def _first_vendor(agreement):
    share = agreement.cost_shares.filter(vendor__isnull=False).select_related("vendor").first()
    return share.vendor if share else None


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"PRJ-{n:04d}")
    name = factory.Sequence(lambda n: catalogue.PROJECT_NAMES[n % len(catalogue.PROJECT_NAMES)][0])
    agreement = factory.SubFactory(AgreementFactory, active=True)
    delivery_method = Project.DeliveryMethod.PPP
    # New projects start at the beginning of their lifecycle; pass ``phase=`` for one further on.
    phase = factory.LazyAttribute(lambda p: Project.first_phase(p.delivery_method))
    owner = factory.SubFactory(OfficerFactory)
    start_date = factory.LazyAttribute(lambda p: p.agreement.start_date)
    end_date = factory.LazyAttribute(lambda p: p.agreement.end_date)
    description = factory.Sequence(lambda n: catalogue.PROJECT_NAMES[n % len(catalogue.PROJECT_NAMES)][1])

    @factory.post_generation
    def board_members(project, create, extracted, **kwargs):
        if create and extracted:
            project.board_members.add(*extracted)


class IterationFactory(DjangoModelFactory):
    class Meta:
        model = Iteration

    project = factory.SubFactory(ProjectFactory, delivery_method=Project.DeliveryMethod.AGILE)
    name = factory.Sequence(lambda n: f"Iteration {n}")
    start_date = factory.LazyAttribute(lambda i: i.project.start_date)
    end_date = factory.LazyAttribute(lambda i: i.start_date + datetime.timedelta(days=13))
    goal = factory.Sequence(lambda n: catalogue.ITERATIONS[n % len(catalogue.ITERATIONS)][1])


class MilestoneFactory(DjangoModelFactory):
    """An open milestone due in 30 days; the responsible vendor is the agreement's first vendor."""

    class Meta:
        model = Milestone

    class Params:
        overdue_days = None  # e.g. overdue_days=3 makes it due 3 days ago
        achieved = factory.Trait(
            status=Milestone.Status.ACHIEVED, achieved_date=factory.LazyAttribute(lambda m: m.due_date)
        )

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    description = factory.Sequence(lambda n: _HEALTH_MILESTONES[n % len(_HEALTH_MILESTONES)][2])
    type = Milestone.Type.DELIVERY
    due_date = factory.LazyAttribute(
        lambda m: (
            timezone.localdate() - datetime.timedelta(days=m.overdue_days)
            if m.overdue_days is not None
            else timezone.localdate() + datetime.timedelta(days=30)
        )
    )
    baseline_due_date = factory.LazyAttribute(lambda m: m.due_date)
    status = Milestone.Status.PLANNED
    # An achieved milestone was delivered, by default on the day it was accepted (pass delivered_on to differ).
    delivered_on = factory.LazyAttribute(lambda m: m.achieved_date)
    payment_amount = Decimal("50000.00")
    responsible_vendor = factory.LazyAttribute(lambda m: _first_vendor(m.project.agreement))


class DeliverableFactory(DjangoModelFactory):
    class Meta:
        model = Deliverable

    class Params:
        # Evidence is required to submit, so anything submitted or reviewed carries a link to it.
        with_evidence = factory.Trait(
            evidence_url=factory.LazyAttribute(
                lambda d: (
                    f"https://evidence.example.com/{slugify(d.responsible_vendor.registration_number)}/"
                    f"{slugify(d.title)}.pdf"
                )
            )
        )
        submitted = factory.Trait(
            with_evidence=True,
            status=Deliverable.Status.SUBMITTED,
            progress=100,
            submitted_at=factory.LazyFunction(timezone.now),
        )
        accepted = factory.Trait(
            with_evidence=True,
            status=Deliverable.Status.ACCEPTED,
            progress=100,
            submitted_at=factory.LazyFunction(timezone.now),
            reviewed_at=factory.LazyFunction(timezone.now),
        )

    milestone = factory.SubFactory(MilestoneFactory)
    title = factory.Sequence(lambda n: f"Deliverable {n}")
    description = factory.Sequence(
        lambda n: catalogue.DELIVERABLE_DESCRIPTIONS[n % len(catalogue.DELIVERABLE_DESCRIPTIONS)]
    )
    responsible_vendor = factory.LazyAttribute(
        lambda d: d.milestone.responsible_vendor or _first_vendor(d.milestone.project.agreement)
    )
    status = Deliverable.Status.NOT_STARTED
    progress = 0


class GateCriterionFactory(DjangoModelFactory):
    class Meta:
        model = GateCriterion

    delivery_method = Project.DeliveryMethod.PPP
    to_phase = Project.Phase.FINANCIAL_CLOSE
    text = factory.Sequence(lambda n: f"Check {n} done")
    guidance = "Signed copy on file."
    position = factory.Sequence(int)


class GateDecisionFactory(DjangoModelFactory):
    """A recorded procurement → financial close decision (tests of the rule use ``project_change_phase``)."""

    class Meta:
        model = GateDecision

    project = factory.SubFactory(ProjectFactory, phase=Project.Phase.FINANCIAL_CLOSE)
    from_phase = Project.Phase.PROCUREMENT
    to_phase = Project.Phase.FINANCIAL_CLOSE
    decided_by = factory.SubFactory(OfficerFactory)
    criteria_met = True
    notes = "Commercial close: project agreement signed."


class GateCheckFactory(DjangoModelFactory):
    class Meta:
        model = GateCheck

    decision = factory.SubFactory(GateDecisionFactory)
    criterion = factory.SubFactory(
        GateCriterionFactory,
        delivery_method=factory.SelfAttribute("..decision.project.delivery_method"),
        to_phase=factory.SelfAttribute("..decision.to_phase"),
    )
    met = True
    evidence = "Signed agreement in the file."


class RiskFactory(DjangoModelFactory):
    class Meta:
        model = Risk

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Risk {n}")
    description = factory.Sequence(lambda n: _BUILT_RISKS[n % len(_BUILT_RISKS)][3])
    category = Risk.Category.TECHNOLOGY
    likelihood = 3
    impact = 3
    allocation = Risk.Allocation.SHARED
    owner = factory.LazyAttribute(lambda r: r.project.owner)
    mitigation = factory.Sequence(lambda n: _BUILT_RISKS[n % len(_BUILT_RISKS)][4])
    status = Risk.Status.OPEN
    review_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


class KPIFactory(DjangoModelFactory):
    class Meta:
        model = KPI

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Digital service adoption {n}")
    unit = "%"
    baseline = Decimal("20")
    target = Decimal("60")
    direction = KPI.Direction.HIGHER


class KPIMeasurementFactory(DjangoModelFactory):
    """An officer's (confirmed) measurement; ``reported=True`` makes it a vendor's report awaiting confirmation."""

    class Meta:
        model = KPIMeasurement

    class Params:
        reported = factory.Trait(
            status=KPIMeasurement.Status.REPORTED,
            reported_by_vendor=factory.LazyAttribute(
                lambda m: m.kpi.project.agreement.cost_shares.exclude(vendor=None).first().vendor
            ),
            reported_at=factory.LazyFunction(timezone.now),
        )

    kpi = factory.SubFactory(KPIFactory)
    date = factory.LazyFunction(timezone.localdate)
    value = Decimal("40")


class PerformanceFailureFactory(DjangoModelFactory):
    """A penalty for a missed milestone, charged to its responsible vendor."""

    class Meta:
        model = PerformanceFailure

    milestone = factory.SubFactory(MilestoneFactory, overdue_days=10, status=Milestone.Status.MISSED)
    vendor = factory.LazyAttribute(lambda f: f.milestone.responsible_vendor)
    description = "Pilot environment delivered late."
    penalty_contracted = Decimal("20000.00")
    penalty_imposed = Decimal("10000.00")
    penalty_paid = Decimal("0.00")


class PerformanceFailureDisputeFactory(DjangoModelFactory):
    """An open dispute raised by the vendor charged with the failure (``decided=True``: dismissed by an officer)."""

    class Meta:
        model = PerformanceFailureDispute

    class Params:
        decided = factory.Trait(
            status=PerformanceFailureDispute.Status.DISMISSED,
            decided_by=factory.SubFactory(OfficerFactory),
            decided_at=factory.LazyFunction(timezone.now),
            decision_reason="The delay was within the vendor's control.",
        )

    failure = factory.SubFactory(PerformanceFailureFactory)
    vendor = factory.LazyAttribute(lambda d: d.failure.vendor)
    reason = "The site was handed over three weeks late by the authority."
    raised_by = factory.SubFactory(UserFactory)


class AlertFactory(DjangoModelFactory):
    """A level-1 alert that failed to reach the project owner."""

    class Meta:
        model = Alert

    milestone = factory.SubFactory(MilestoneFactory, overdue_days=1)
    level = 1
    due_date = factory.LazyAttribute(lambda a: a.milestone.due_date)
    scan_date = factory.LazyFunction(timezone.localdate)
    recipients = factory.LazyAttribute(lambda a: [a.milestone.project.owner.email])
    status = Alert.Status.FAILED
    attempts = 7
    last_error = "SMTPServerDisconnected: Connection unexpectedly closed"


class NotificationFactory(DjangoModelFactory):
    """An unread in-app notification of a level-1 alert for ``user``."""

    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    alert = factory.SubFactory(AlertFactory, status=Alert.Status.SENT, sent_at=factory.LazyFunction(timezone.now))
    created_at = factory.LazyFunction(timezone.now)
