"""Build a national-programme-sized data set on PostgreSQL, in bulk.

At scale 1: 50 authorities, 5,000 vendors, 20,000 agreements, 50,000 projects, 1,000,000 milestones
(about 50,000 of them overdue) and 3,000,000 deliverables. One vendor, "BENCH-VENDOR", is responsible
for 2,000 milestones: the partner-API load test logs in as its user.

Rows go in with bulk_create in chunks; memory holds one chunk. History tables are left empty (bulk_create
writes no history), as for data imported from another system.
"""

import datetime
import random
import sys
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from procurement.models import Agreement, ContractingAuthority, CostShare, Vendor, VendorUser
from projects.models import Milestone, Project

BENCH_VENDOR = "BENCH-VENDOR"
BENCH_USER = "bench-vendor"
BENCH_PASSWORD = "bench-pass"  # noqa: S105 - a throwaway benchmark database
CHUNK = 10_000
MILESTONES_PER_PROJECT = 20
DELIVERABLES_PER_MILESTONE = 3


class Progress:
    """A one-line progress bar on stderr: label, count, percent, rate."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.start = label, total, 0, time.perf_counter()

    def advance(self, count: int):
        self.done += count
        elapsed = time.perf_counter() - self.start
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        sys.stderr.write(
            f"\r  {self.label:<13} [{'#' * filled}{'.' * (width - filled)}] {self.done:>9,}/{self.total:,} "
            f"{self.done / max(elapsed, 1e-9):>9,.0f}/s"
        )
        sys.stderr.flush()

    def finish(self) -> float:
        elapsed = time.perf_counter() - self.start
        sys.stderr.write(f"  {elapsed:.1f} s\n")
        return elapsed


def _chunks(total: int, size: int = CHUNK):
    for start in range(0, total, size):
        yield start, min(size, total - start)


def share_terms_from_cost_shares() -> int:
    """The terms each agreement was signed with, in force from its start (as ``agreement_activate`` writes them):
    certificates, payments and the OCDS export read the split from these, not from ``CostShare``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procurement_costshareterm (agreement_id, vendor_id, percentage, effective_from) "
            "SELECT share.agreement_id, share.vendor_id, share.percentage, agreement.start_date "
            "FROM procurement_costshare share "
            "JOIN procurement_agreement agreement ON agreement.id = share.agreement_id "
            "WHERE NOT EXISTS "
            "(SELECT 1 FROM procurement_costshareterm term WHERE term.agreement_id = share.agreement_id)"
        )
        return cursor.rowcount


def generate(scale: float = 1.0, seed: int = 2026) -> dict:
    """Create the data set; return seconds per table and row counts."""
    rng = random.Random(seed)
    today = timezone.localdate()
    counts = {
        "authorities": max(2, int(50 * scale)),
        "vendors": max(10, int(5_000 * scale)),
        "agreements": max(10, int(20_000 * scale)),
        "projects": max(20, int(50_000 * scale)),
    }
    counts["milestones"] = counts["projects"] * MILESTONES_PER_PROJECT
    counts["deliverables"] = counts["milestones"] * DELIVERABLES_PER_MILESTONE
    timings = {}
    User = get_user_model()

    with transaction.atomic():
        owner, _ = User.objects.get_or_create(username="bench-officer", defaults={"is_staff": True})
        started = time.perf_counter()
        authorities = ContractingAuthority.objects.bulk_create(
            ContractingAuthority(name=f"Authority {i}", code=f"BA-{i:04d}", contact_email=f"a{i}@gov.example")
            for i in range(counts["authorities"])
        )
        vendors = Vendor.objects.bulk_create(
            [Vendor(legal_name="Bench Vendor plc", registration_number=BENCH_VENDOR, country="GB")]
            + [
                Vendor(legal_name=f"Vendor {i}", registration_number=f"BV-{i:06d}", country="DE")
                for i in range(counts["vendors"] - 1)
            ],
            batch_size=CHUNK,
        )
        bench_vendor = vendors[0]
        user = User.objects.create_user(BENCH_USER, password=BENCH_PASSWORD)
        VendorUser.objects.create(user=user, vendor=bench_vendor)
        timings["authorities + vendors"] = time.perf_counter() - started

    # The bench vendor is the responsible party on exactly 100 projects x 20 milestones = 2,000 milestones.
    bench_projects_needed = 2_000 // MILESTONES_PER_PROJECT
    agreement_ids, parties = [], {}
    bar = Progress("agreements", counts["agreements"])
    for start, size in _chunks(counts["agreements"]):
        with transaction.atomic():
            batch = []
            for i in range(start, start + size):
                begin = today - datetime.timedelta(days=rng.randint(200, 1500))
                batch.append(
                    Agreement(
                        reference=f"BENCH-{i:06d}",
                        title=f"Agreement {i}",
                        authority=rng.choice(authorities),
                        procurement_method="open",
                        total_value=Decimal(rng.randrange(1_000_000, 90_000_000)),
                        currency="EUR",
                        start_date=begin,
                        end_date=begin + datetime.timedelta(days=5 * 365),
                        signed_date=begin,
                        status=Agreement.Status.ACTIVE,
                    )
                )
            created = Agreement.objects.bulk_create(batch)
            shares = []
            for agreement in created:
                count = rng.randint(1, 3)
                chosen = rng.sample(vendors[1:], count)
                shares.append(CostShare(agreement=agreement, vendor=None, percentage=Decimal("40")))
                each = (Decimal("60") / count).quantize(Decimal("0.01"))
                for index, vendor in enumerate(chosen):
                    last = index == count - 1
                    shares.append(
                        CostShare(
                            agreement=agreement,
                            vendor=vendor,
                            percentage=Decimal("60") - each * (count - 1) if last else each,
                        )
                    )
                parties[agreement.pk] = [v.pk for v in chosen]
                agreement_ids.append(agreement.pk)
            CostShare.objects.bulk_create(shares)
        bar.advance(size)
    timings["agreements + cost shares"] = bar.finish()

    # The first agreements also take the bench vendor in (10 %, from the authority's share) so it can be
    # responsible for their projects' milestones.
    bench_agreements = agreement_ids[: bench_projects_needed // 2 + 1]
    with transaction.atomic():
        CostShare.objects.filter(agreement_id__in=bench_agreements, vendor__isnull=True).update(
            percentage=Decimal("30")
        )
        CostShare.objects.bulk_create(
            CostShare(agreement_id=pk, vendor=bench_vendor, percentage=Decimal("10")) for pk in bench_agreements
        )
        for pk in bench_agreements:
            parties[pk] = [bench_vendor.pk]

    with transaction.atomic():
        share_terms_from_cost_shares()

    other_agreements = agreement_ids[len(bench_agreements) :]
    project_rows = []  # (project id, agreement id) — 50,000 pairs of ints
    bar = Progress("projects", counts["projects"])
    for start, size in _chunks(counts["projects"]):
        with transaction.atomic():
            batch = []
            for i in range(start, start + size):
                agreement_id = agreement_ids[i // 2] if i < bench_projects_needed else rng.choice(other_agreements)
                begin = today - datetime.timedelta(days=rng.randint(100, 700))
                batch.append(
                    Project(
                        code=f"BP-{i:07d}",
                        name=f"Project {i}",
                        agreement_id=agreement_id,
                        owner=owner,
                        delivery_method="ppp",
                        phase=("financial_close", "construction", "commercial_operation")[i % 3],
                        start_date=begin,
                        end_date=begin + datetime.timedelta(days=3 * 365),
                    )
                )
            project_rows.extend((p.pk, p.agreement_id) for p in Project.objects.bulk_create(batch))
        bar.advance(size)
    timings["projects"] = bar.finish()

    # Milestones and deliverables (4 million rows at scale 1) go in with PostgreSQL's COPY, ten times
    # faster than INSERT; milestone ids are drawn from their sequence first so deliverables can point at them.
    milestone_bar = Progress("milestones", counts["milestones"])
    projects_per_chunk = CHUNK // MILESTONES_PER_PROJECT
    now = timezone.now()
    for start in range(0, len(project_rows), projects_per_chunk):
        chunk = project_rows[start : start + projects_per_chunk]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('projects_milestone', 'id')) FROM generate_series(1, %s)",
                [len(chunk) * MILESTONES_PER_PROJECT],
            )
            ids = iter([row[0] for row in cursor.fetchall()])
            deliverables = []
            with cursor.cursor.copy(
                "COPY projects_milestone (id, project_id, title, description, type, baseline_due_date, due_date, "
                "status, achieved_date, delivered_on, payment_amount, responsible_vendor_id, created_at, updated_at) "
                "FROM STDIN"
            ) as copy:
                for index, (project_id, agreement_id) in enumerate(chunk):
                    is_bench = start + index < bench_projects_needed
                    for number in range(MILESTONES_PER_PROJECT):
                        # Half are due in the past; 90 % of those were achieved, the rest are late.
                        due = today + datetime.timedelta(days=rng.randint(-700, 700))
                        achieved = due < today and rng.random() < 0.9
                        vendor_id = bench_vendor.pk if is_bench else rng.choice(parties[agreement_id])
                        milestone_id = next(ids)
                        copy.write_row(
                            (
                                milestone_id,
                                project_id,
                                f"Milestone {number + 1}",
                                "",
                                "delivery",
                                due,
                                due,
                                "achieved" if achieved else "in_progress",
                                due if achieved else None,
                                due if achieved else None,  # delivered on the day it was accepted
                                Decimal(rng.randrange(0, 500_000, 1_000)),
                                vendor_id,
                                now,
                                now,
                            )
                        )
                        deliverables.append((milestone_id, vendor_id, achieved))
            with cursor.cursor.copy(
                "COPY projects_deliverable (milestone_id, title, description, responsible_vendor_id, status, progress, "
                "evidence_file, evidence_url, submitted_at, reviewed_at, review_comment, version, created_at, "
                "updated_at) FROM STDIN"
            ) as copy:
                for milestone_id, vendor_id, achieved in deliverables:
                    for number in range(DELIVERABLES_PER_MILESTONE):
                        copy.write_row(
                            (
                                milestone_id,
                                f"Deliverable {number + 1}",
                                "",
                                vendor_id,
                                "accepted" if achieved else "in_progress",
                                100 if achieved else rng.randint(0, 90),
                                "",
                                "",
                                now if achieved else None,
                                now if achieved else None,
                                "",
                                1,
                                now,
                                now,
                            )
                        )
        milestone_bar.advance(len(chunk) * MILESTONES_PER_PROJECT)
    timings["milestones + deliverables"] = milestone_bar.finish()

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["overdue"] = Milestone.objects.overdue(on=today).count()
    counts["bench vendor milestones"] = Milestone.objects.filter(responsible_vendor=bench_vendor).count()
    return {"timings": timings, "counts": counts}
