"""Build a realistic demo data set with the same factories the tests use. Safe to run again.

It lives in payments, the app at the top of the dependency order (procurement <- projects <- payments),
because the demo spans all three.
"""

import datetime
import random
from decimal import Decimal

import factory.random
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from payments.management.commands.demo_logins import write_logins
from payments.services import split_largest_remainder
from ppp.factories import BoardMemberFactory, OfficerFactory, UserFactory
from procurement import catalogue
from procurement import services as procurement_services
from procurement.factories import (
    AgreementFactory,
    ContractingAuthorityFactory,
    VendorContactFactory,
    VendorFactory,
    VendorUserFactory,
)
from procurement.models import Agreement, ContractingAuthority
from procurement.selectors import shares_in_force
from projects import catalogue as delivery
from projects import services as project_services
from projects.alerts import alerts_scan
from projects.factories import (
    DeliverableFactory,
    GateCheckFactory,
    GateDecisionFactory,
    IterationFactory,
    KPIFactory,
    KPIMeasurementFactory,
    MilestoneFactory,
    PerformanceFailureFactory,
    ProjectFactory,
    RiskFactory,
)
from projects.models import Deliverable, GateCriterion, Milestone, Project, Risk

# The programme itself (authorities, vendors, agreements, projects, milestones, risks, KPIs) is in the catalogues
# the factories also draw from: procurement/catalogue.py and projects/catalogue.py.
AUTHORITIES = catalogue.AUTHORITIES


def _noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


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
        officer = OfficerFactory(username="officer", first_name="Olivia", last_name="Quinn")
        second_officer = OfficerFactory(username="officer2", first_name="Omar", last_name="Okafor")
        board = BoardMemberFactory(username="board", first_name="Brendan", last_name="Doherty")
        BoardMemberFactory(username="board2", first_name="Beatrice", last_name="Flynn")
        UserFactory(username="admin", is_staff=True, is_superuser=True, first_name="Ada", last_name="Moran")

        self._step(f"{len(AUTHORITIES)} contracting authorities")
        authorities = {
            code: ContractingAuthorityFactory(code=code, name=name, contact_name=contact, contact_email=email)
            for code, name, contact, email in AUTHORITIES
        }

        self._step(f"{len(catalogue.DEMO_VENDORS)} vendors with contacts and API users")
        vendors = []
        for index, demo_vendor in enumerate(catalogue.DEMO_VENDORS):
            domain = catalogue.domain_for(demo_vendor.legal_name)
            vendor = VendorFactory(
                legal_name=demo_vendor.legal_name,
                registration_number=demo_vendor.registration_number,
                country=demo_vendor.country,
                address=demo_vendor.address,
                website=f"https://www.{domain}",
            )
            for number in range(2):
                name = catalogue.person_for(demo_vendor.country, index + number)
                VendorContactFactory(
                    vendor=vendor,
                    name=name,
                    email=f"{catalogue.email_local_part(name)}@{domain}",
                    phone=catalogue.phone_for(demo_vendor.country, index * 2 + number),
                    role=catalogue.CONTACT_ROLES[number],
                )
            VendorUserFactory(vendor=vendor, user=UserFactory(username=f"vendor{index + 1}", email=f"api@{domain}"))
            vendors.append(vendor)
        vendors[-1].status = vendors[-1].Status.SUSPENDED
        vendors[-1].save(update_fields=["status"])

        self._step(f"{len(delivery.PROGRAMME)} agreements with cost shares")
        projects = []
        for reference, title, authority_code, method, vendor_indexes, sector, project_specs in delivery.PROGRAMME:
            start = today - datetime.timedelta(days=rng.randint(200, 500))
            built = sector != delivery.DIGITAL
            agreement = AgreementFactory(
                reference=reference,
                title=title,
                authority=authorities[authority_code],
                procurement_method=method,
                # Hospitals, roads and schools cost tens of millions; digital services a few.
                total_value=Decimal(
                    rng.randrange(40_000_000, 180_000_000, 500_000)
                    if built
                    else rng.randrange(2_000_000, 30_000_000, 250_000)
                ),
                currency=catalogue.PROGRAMME_CURRENCY,
                start_date=start,
                end_date=start + datetime.timedelta(days=rng.choice([3, 4, 5]) * 365),
                active=True,
                vendors=[vendors[i] for i in vendor_indexes],
                vendors__authority_share=Decimal(rng.choice([30, 40, 50])),
            )
            for number, (project_name, method_code) in enumerate(project_specs):
                code = f"{reference.replace('DEMO-PPP-', 'PRJ-')}-{number + 1}"
                method = Project.DeliveryMethod(method_code)
                project = ProjectFactory(
                    code=code,
                    name=project_name,
                    description=f"Part of '{title}' for the {agreement.authority.name}.",
                    agreement=agreement,
                    owner=officer if number % 2 == 0 else second_officer,
                    delivery_method=method,
                    # Past its first gate: financial close, construction or commercial operation (PPP); alpha,
                    # beta or live (agile).
                    phase=Project.LIFECYCLES[method][number % 3 + 1],
                    start_date=agreement.start_date,
                    end_date=agreement.end_date,
                )
                # A digital part of a built programme (ticketing on the tramway) delivers like a digital service.
                project_sector = delivery.DIGITAL if method_code == "agile" else sector
                if len(projects) % 2 == 0:
                    project.board_members.add(board)
                projects.append((project, agreement, [vendors[i] for i in vendor_indexes], project_sector))

        self._step(f"{len(projects)} projects with milestones and deliverables")
        for project, agreement, parties, sector in projects:
            self._seed_milestones(project, agreement, parties, sector, rng, today)
        self._step("expenditures")
        for project, agreement, _parties, _sector in projects:
            for milestone in project.milestones.filter(status=Milestone.Status.ACHIEVED)[:6]:
                # Split by the shares in force on the day it was achieved, to the cent, like a certificate.
                terms = shares_in_force(agreement, on=milestone.achieved_date)
                amounts = split_largest_remainder(milestone.payment_amount, [term.percentage for term in terms])
                for share, amount in zip(terms, amounts, strict=True):
                    if amount:
                        # Through the service, so the demo obeys the rules (commitment, once per payment).
                        procurement_services.expenditure_record(
                            agreement_id=agreement.pk,
                            vendor=share.vendor,
                            milestone=milestone,
                            amount=amount,
                            date=milestone.achieved_date,
                            description=f"Payment for '{milestone.title}'",
                            by=officer,
                        )
        self._step("governance: KPIs, risk registers, gate decisions, penalties, amendments")
        for project, _agreement, _parties, sector in projects:
            self._seed_governance(project, sector, officer, rng, today)
        self._seed_amendments(officer, second_officer, today)
        self._step("payment certificates: certified, approved, paid, reconciled, a partial and a void one")
        self._seed_payments(officer, second_officer)
        self._seed_first_approval(officer)
        self._step("today's alerts and in-app notifications (raised, not emailed: the worker sends them)")
        alerts_scan(queue_digest=lambda recipient, alert_ids: None, on=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {Project.objects.count()} projects, {Milestone.objects.count()} milestones "
                f"({Milestone.objects.overdue(on=today).count()} overdue), {Deliverable.objects.count()} deliverables."
            )
        )

    def _seed_milestones(self, project, agreement, parties, sector, rng, today):
        plan = delivery.MILESTONES[sector]
        iterations = []
        if project.delivery_method == Project.DeliveryMethod.AGILE:
            for number, (name, goal) in enumerate(delivery.ITERATIONS):
                start = project.start_date + datetime.timedelta(days=90 * number)
                iterations.append(
                    IterationFactory(
                        project=project,
                        name=name,
                        goal=goal,
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
            if number < len(plan):
                title, milestone_type, description = plan[number]
            else:
                # Past the build-up, a project reports every quarter, as the agreement's monitoring schedule asks.
                quarter = f"Q{(due.month - 1) // 3 + 1} {due.year}"
                title, milestone_type = f"Quarterly performance report, {quarter}", Milestone.Type.REPORTING
                description = f"Availability, service failures, deductions and KPIs for {quarter}."
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
                title=title,
                description=description,
                type=milestone_type,
                due_date=due,
                baseline_due_date=min(baseline, due),
                status=status,
                achieved_date=achieved,
                # Delivered a few days before acceptance (review time), derived without drawing on rng, so the
                # rest of the demo stays as it was.
                delivered_on=achieved - datetime.timedelta(days=number % 4) if achieved else None,
                responsible_vendor=vendor,
                payment_amount=Decimal(rng.randrange(0, 400_000, 5_000)),
            )
            titles = delivery.deliverable_titles(sector, milestone_type)
            for item in range(rng.randint(1, 3)):
                text = {
                    "title": titles[(number + item) % len(titles)],
                    "description": delivery.DELIVERABLE_DESCRIPTIONS[item % len(delivery.DELIVERABLE_DESCRIPTIONS)],
                }
                if status == Milestone.Status.ACHIEVED:
                    DeliverableFactory(
                        **text,
                        milestone=milestone,
                        responsible_vendor=vendor,
                        accepted=True,
                        submitted_at=_noon(milestone.delivered_on),
                        reviewed_at=_noon(milestone.achieved_date),
                    )
                elif status == Milestone.Status.IN_PROGRESS:
                    kind = rng.choice(["not_started", "in_progress", "submitted", "accepted"])
                    if kind == "submitted":
                        DeliverableFactory(**text, milestone=milestone, responsible_vendor=vendor, submitted=True)
                    elif kind == "accepted":
                        DeliverableFactory(**text, milestone=milestone, responsible_vendor=vendor, accepted=True)
                    else:
                        DeliverableFactory(
                            **text,
                            milestone=milestone,
                            responsible_vendor=vendor,
                            status=kind,
                            progress=rng.randint(5, 90) if kind == "in_progress" else 0,
                        )
                else:
                    DeliverableFactory(**text, milestone=milestone, responsible_vendor=vendor)

    def _seed_governance(self, project, sector, officer, rng, today):
        for name, unit, baseline, target, direction in delivery.KPIS[sector]:
            kpi = KPIFactory(
                project=project, name=name, unit=unit, baseline=baseline, target=target, direction=direction
            )
            # Six monthly readings moving from the baseline toward (sometimes past) the target, with noise.
            reach = Decimal(rng.choice(["0.6", "0.8", "1.05"]))
            for month in range(6):
                progress = reach * (month + 1) / 6
                noise = Decimal(rng.uniform(-0.04, 0.04)).quantize(Decimal("0.01"))
                value = baseline + (target - baseline) * (progress + noise)
                KPIMeasurementFactory(
                    kpi=kpi,
                    date=today - datetime.timedelta(days=30 * (6 - month)),
                    value=value.quantize(Decimal("0.01")),
                )
        # This month's reading of the last KPI, reported by the vendor and awaiting an officer's confirmation.
        KPIMeasurementFactory(kpi=kpi, reported=True, date=today, value=value.quantize(Decimal("0.01")))
        for title, category, allocation, description, mitigation in rng.sample(delivery.risks_for(sector), 4):
            RiskFactory(
                project=project,
                title=title,
                description=description,
                mitigation=mitigation,
                category=category,
                allocation=allocation,
                likelihood=rng.randint(1, 5),
                impact=rng.randint(1, 5),
                owner=project.owner,
                status=rng.choice([Risk.Status.OPEN, Risk.Status.OPEN, Risk.Status.MITIGATING, Risk.Status.CLOSED]),
                # Some reviews are overdue: the register's "past review date" filter has something to show.
                review_date=today + datetime.timedelta(days=rng.randint(-45, 90)),
            )
        # Projects past their first phase got there through recorded gates, each check answered.
        phases = Project.LIFECYCLES[Project.DeliveryMethod(project.delivery_method)]
        passed = phases[: phases.index(project.phase) + 1]
        for step, (from_phase, to_phase) in enumerate(zip(passed, passed[1:], strict=False), 1):
            decision = GateDecisionFactory(
                project=project,
                from_phase=from_phase,
                to_phase=to_phase,
                decided_by=officer,
                decided_on=project.start_date + datetime.timedelta(days=120 * step),
                notes=f"Gate review {step}: evidence on file.",
            )
            for criterion in GateCriterion.objects.for_gate(project.delivery_method, to_phase):
                GateCheckFactory(decision=decision, criterion=criterion, evidence="Checked at the gate review.")
        for milestone in project.milestones.filter(status=Milestone.Status.MISSED, responsible_vendor__isnull=False)[
            :1
        ]:
            contracted = Decimal(rng.randrange(10_000, 60_000, 5_000))
            imposed = contracted * Decimal(rng.choice(["0.5", "1"]))
            PerformanceFailureFactory(
                milestone=milestone,
                vendor=milestone.responsible_vendor,
                description=f"'{milestone.title}' was not delivered by {milestone.due_date}.",
                recorded_on=milestone.due_date + datetime.timedelta(days=14),
                penalty_contracted=contracted,
                penalty_imposed=imposed,
                penalty_paid=imposed if rng.random() < 0.5 else Decimal("0"),
                recorded_by=officer,
            )

    def _seed_amendments(self, officer, approver, today):
        # One approved extension (milestones re-baselined, so slips show) and one proposal awaiting a decision.
        extended = Agreement.objects.get(reference="DEMO-PPP-001")
        amendment = procurement_services.amendment_propose(
            agreement_id=extended.pk,
            reason="Identity verification extended to two more regions; delivery moves by a quarter.",
            by=officer,
            new_total_value=(extended.total_value * Decimal("1.12")).quantize(Decimal("1")),
            new_end_date=extended.end_date + datetime.timedelta(days=91),
            rebaseline_milestones=True,
        )
        procurement_services.amendment_approve(
            amendment_id=amendment.pk, approver=approver, note="Board minute 2026/14"
        )
        rebalanced = Agreement.objects.get(reference="DEMO-PPP-006")
        shares = {share.vendor: share.percentage for share in rebalanced.cost_shares.select_related("vendor")}
        authority_share = shares[None]
        procurement_services.amendment_propose(
            agreement_id=rebalanced.pk,
            reason="Operator takes a larger share in exchange for ticketing revenue.",
            by=officer,
            share_changes={None: authority_share - 10, **{v: p + 5 for v, p in shares.items() if v is not None}},
        )

    def _seed_payments(self, officer, approver):
        """A realistic certificate chain on achieved milestones, each step through the payment services."""
        from payments import services as payment_services
        from payments.factories import advance

        achieved = list(
            Milestone.objects.filter(
                status=Milestone.Status.ACHIEVED,
                payment_amount__gt=0,
                responsible_vendor__status="active",
                project__agreement__status=Agreement.Status.ACTIVE,
            )
            .select_related("project__agreement")
            .order_by("achieved_date", "pk")[:7]
        )
        stages = ["reconciled", "reconciled", "paid", "approved", "certified", "partial", "void"]
        for milestone, stage in zip(achieved, stages, strict=False):
            if stage == "partial":
                half = (milestone.payment_amount / 2).quantize(Decimal("0.01"))
                certificate = payment_services.certificate_issue(
                    milestone_id=milestone.pk, by=officer, gross_amount=half
                )
                advance(certificate, to="certified", certifier=officer, approver=approver)
                continue
            certificate = payment_services.certificate_issue(milestone_id=milestone.pk, by=officer)
            if stage == "void":
                payment_services.certificate_void(
                    certificate_id=certificate.pk, by=officer, reason="Issued before the acceptance report was signed."
                )
                continue
            advance(
                certificate,
                to=stage,
                certifier=officer,
                approver=approver,
                payment_reference=f"TRX-{certificate.pk:06d}",
            )
            if stage == "reconciled" and certificate.retention_amount:
                payment_services.retention_release_issue(certificate_id=certificate.pk, by=officer)

    def _seed_first_approval(self, officer):
        # One large payment's deliverable approved once by "officer": "officer2" sees it await the second approval.
        waiting = (
            Deliverable.objects.filter(
                status=Deliverable.Status.SUBMITTED,
                milestone__payment_amount__gte=settings.PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD,
            )
            .order_by("id")
            .first()
        )
        if waiting is not None:
            project_services.deliverable_accept(deliverable_id=waiting.pk, reviewer=officer)

    def _print_logins(self):
        self.stdout.write("")
        write_logins(self.stdout, self.style)
