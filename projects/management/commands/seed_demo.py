"""Build a realistic demo data set with the same factories the tests use. Safe to run again."""

import datetime
import random
from decimal import Decimal

import factory.random
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from ppp.factories import DEMO_PASSWORD, BoardMemberFactory, OfficerFactory, UserFactory
from procurement.factories import (
    AgreementFactory,
    ContractingAuthorityFactory,
    ExpenditureFactory,
    VendorContactFactory,
    VendorFactory,
    VendorUserFactory,
)
from procurement.models import ContractingAuthority, VendorUser
from projects.factories import DeliverableFactory, IterationFactory, MilestoneFactory, ProjectFactory
from projects.models import Deliverable, Milestone, Project

AUTHORITIES = [
    ("DEMO-DSA", "National Digital Services Agency"),
    ("DEMO-HLT", "Regional Health Authority"),
    ("DEMO-TRN", "Metropolitan Transport Authority"),
]
VENDORS = [
    "Northwind Civic Systems Ltd",
    "Helix Infrastructure Partners",
    "Bluegate Cloud Services",
    "Meridian Data Works",
    "Cobalt Health IT",
    "Atlas Transit Technologies",
    "Quillon Identity Solutions",
    "Harbourline Engineering",
    "Verdant Facilities Management",
    "Orbit Payments plc",
    "Lumen Analytics GmbH",
    "Keystone Build & Operate",
]
AGREEMENTS = [
    ("DEMO-PPP-001", "Citizen digital identity platform", "DEMO-DSA", "competitive_dialogue", [0, 6]),
    ("DEMO-PPP-002", "Government cloud hosting", "DEMO-DSA", "open", [2]),
    ("DEMO-PPP-003", "Online tax filing modernisation", "DEMO-DSA", "restricted", [3, 9, 10]),
    ("DEMO-PPP-004", "Hospital records interoperability", "DEMO-HLT", "negotiated", [4, 3]),
    ("DEMO-PPP-005", "Primary care facilities build and maintain", "DEMO-HLT", "competitive_dialogue", [7, 8]),
    ("DEMO-PPP-006", "Smart ticketing for buses and rail", "DEMO-TRN", "open", [5, 9]),
    ("DEMO-PPP-007", "Light rail depot design-build-operate", "DEMO-TRN", "competitive_dialogue", [11, 7]),
    ("DEMO-PPP-008", "Traffic data open platform", "DEMO-TRN", "direct", [1, 10]),
]
PROJECTS_PER_AGREEMENT = [3, 2, 3, 3, 2, 3, 2, 2]  # 20 projects
MILESTONE_TITLES = [
    "Requirements baseline signed off",
    "Discovery report",
    "Pilot environment live",
    "Security accreditation",
    "Pilot user research findings",
    "Data migration dry run",
    "Phase 1 rollout",
    "Accessibility audit",
    "Service assessment",
    "Phase 2 rollout",
    "Operational handover",
    "Performance review",
    "Payment certificate",
    "Annual financial report",
    "Go-live readiness review",
]


class Command(BaseCommand):
    help = "Create demo authorities, vendors, agreements, projects and milestones (idempotent)."

    def handle(self, *args, **options):
        if ContractingAuthority.objects.filter(code=AUTHORITIES[0][0]).exists():
            self.stdout.write("Demo data is already present; nothing added.")
        else:
            with transaction.atomic():
                self._seed()
        self._print_logins()

    def _step(self, message):
        self.stdout.write(f"  {message}…")

    def _seed(self):
        # Same data on every fresh database: the demo and its screenshots stay comparable.
        factory.random.reseed_random("ppp-tracker-demo")
        rng = random.Random(2026)
        today = timezone.localdate()
        self.stdout.write("Seeding demo data:")

        self._step("users")
        officer = OfficerFactory(username="officer", first_name="Olivia", last_name="Officer")
        second_officer = OfficerFactory(username="officer2", first_name="Omar", last_name="Okafor")
        board = BoardMemberFactory(username="board", first_name="Bo", last_name="Boardman")
        BoardMemberFactory(username="board2", first_name="Beatrice", last_name="Banks")
        UserFactory(username="admin", is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")

        self._step("3 contracting authorities")
        authorities = {code: ContractingAuthorityFactory(code=code, name=name) for code, name in AUTHORITIES}

        self._step("12 vendors with contacts and API users")
        vendors = []
        for index, name in enumerate(VENDORS):
            vendor = VendorFactory(legal_name=name, registration_number=f"DEMO-REG-{index + 1:03d}")
            VendorContactFactory.create_batch(2, vendor=vendor)
            VendorUserFactory(vendor=vendor, user=UserFactory(username=f"vendor{index + 1}"))
            vendors.append(vendor)
        vendors[-1].status = vendors[-1].Status.SUSPENDED
        vendors[-1].save(update_fields=["status"])

        self._step("8 agreements with cost shares")
        projects = []
        for (reference, title, authority_code, method, vendor_indexes), project_count in zip(
            AGREEMENTS, PROJECTS_PER_AGREEMENT, strict=True
        ):
            start = today - datetime.timedelta(days=rng.randint(200, 500))
            agreement = AgreementFactory(
                reference=reference,
                title=title,
                authority=authorities[authority_code],
                procurement_method=method,
                total_value=Decimal(rng.randrange(2_000_000, 60_000_000, 250_000)),
                currency="EUR",
                start_date=start,
                end_date=start + datetime.timedelta(days=rng.choice([3, 4, 5]) * 365),
                active=True,
                vendors=[vendors[i] for i in vendor_indexes],
                vendors__authority_share=Decimal(rng.choice([30, 40, 50])),
            )
            for number in range(project_count):
                agile = number % 2 == 1
                project = ProjectFactory(
                    code=f"{reference.replace('DEMO-PPP-', 'PRJ-')}-{number + 1}",
                    name=f"{title} – {['pilot', 'national rollout', 'operations'][number % 3]}",
                    agreement=agreement,
                    owner=officer if number % 2 == 0 else second_officer,
                    delivery_method=Project.DeliveryMethod.AGILE if agile else Project.DeliveryMethod.PPP,
                    phase=[Project.Phase.PILOT, Project.Phase.ROLLOUT, Project.Phase.OPERATION][number % 3],
                    start_date=agreement.start_date,
                    end_date=agreement.end_date,
                )
                if len(projects) % 2 == 0:
                    project.board_members.add(board)
                projects.append((project, agreement, [vendors[i] for i in vendor_indexes]))

        self._step("20 projects with milestones and deliverables")
        for project, agreement, parties in projects:
            self._seed_milestones(project, agreement, parties, rng, today)
        self._step("expenditures")
        for project, agreement, _parties in projects:
            for milestone in project.milestones.filter(status=Milestone.Status.ACHIEVED)[:6]:
                for share, amount in milestone.payment_split():
                    if amount:
                        ExpenditureFactory(
                            agreement=agreement,
                            vendor=share.vendor,
                            milestone=milestone,
                            amount=amount,
                            date=milestone.achieved_date,
                            description=f"Payment for '{milestone.title}'",
                            recorded_by=officer,
                        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {Project.objects.count()} projects, {Milestone.objects.count()} milestones "
                f"({Milestone.objects.overdue(on=today).count()} overdue), {Deliverable.objects.count()} deliverables."
            )
        )

    def _seed_milestones(self, project, agreement, parties, rng, today):
        iterations = []
        if project.delivery_method == Project.DeliveryMethod.AGILE:
            for number in range(4):
                start = project.start_date + datetime.timedelta(days=90 * number)
                iterations.append(
                    IterationFactory(
                        project=project,
                        name=f"{'Pilot' if number == 0 else 'Rollout wave'} {number or ''}".strip(),
                        start_date=start,
                        end_date=start + datetime.timedelta(days=89),
                    )
                )
        span = (project.end_date - project.start_date).days
        count = rng.randint(12, 18)
        for number in range(count):
            due = project.start_date + datetime.timedelta(days=int(span * (number + 1) / (count + 1)))
            baseline = due - datetime.timedelta(days=rng.choice([0, 0, 0, 14, 30]))
            vendor = parties[number % len(parties)]
            milestone_type = rng.choice(
                [Milestone.Type.DELIVERY] * 4
                + [Milestone.Type.PAYMENT, Milestone.Type.REPORTING, Milestone.Type.PLANNING]
            )
            iteration = next((it for it in iterations if it.start_date <= due <= it.end_date), None)
            past = due < today
            # Most past milestones were met; some are late (the overdue ones officers chase), a few missed.
            roll = rng.random()
            if past and roll < 0.7:
                status, achieved = Milestone.Status.ACHIEVED, due - datetime.timedelta(days=rng.randint(0, 5))
            elif past and roll < 0.75:
                status, achieved = Milestone.Status.MISSED, None
            elif past:
                status, achieved = Milestone.Status.IN_PROGRESS, None
            else:
                status, achieved = (
                    Milestone.Status.IN_PROGRESS
                    if due - today < datetime.timedelta(days=60)
                    else Milestone.Status.PLANNED,
                    None,
                )
            milestone = MilestoneFactory(
                project=project,
                iteration=iteration,
                title=MILESTONE_TITLES[number % len(MILESTONE_TITLES)],
                type=milestone_type,
                due_date=due,
                baseline_due_date=min(baseline, due),
                status=status,
                achieved_date=achieved,
                responsible_vendor=vendor,
                payment_amount=Decimal(rng.randrange(0, 400_000, 5_000)),
            )
            for _ in range(rng.randint(1, 3)):
                if status == Milestone.Status.ACHIEVED:
                    DeliverableFactory(milestone=milestone, responsible_vendor=vendor, accepted=True)
                elif status == Milestone.Status.IN_PROGRESS:
                    kind = rng.choice(["not_started", "in_progress", "submitted", "accepted"])
                    if kind == "submitted":
                        DeliverableFactory(milestone=milestone, responsible_vendor=vendor, submitted=True)
                    elif kind == "accepted":
                        DeliverableFactory(milestone=milestone, responsible_vendor=vendor, accepted=True)
                    else:
                        DeliverableFactory(
                            milestone=milestone,
                            responsible_vendor=vendor,
                            status=kind,
                            progress=rng.randint(5, 90) if kind == "in_progress" else 0,
                        )
                else:
                    DeliverableFactory(milestone=milestone, responsible_vendor=vendor)

    def _print_logins(self):
        vendor_users = list(
            VendorUser.objects.select_related("user", "vendor")
            .order_by("user__username")
            .filter(user__username__in=["vendor1", "vendor2"])
        )
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}), at http://localhost:8000/admin/")
        self.stdout.write("  officer   – procurement officer (full rights)")
        self.stdout.write("  board     – project board member (read only)")
        self.stdout.write("  admin     – superuser")
        for membership in vendor_users:
            self.stdout.write(f"  {membership.user.username:<9} – vendor user for {membership.vendor} (partner API)")
