"""Peak memory of recording and exporting OCDS releases, at a given number of agreements (not part of the tests).

    DATABASE_URL=postgres://.../scratch .venv/bin/python -m bench.ocds_memory 2000 5000

Bulk-creates minimal active agreements (an authority share and one vendor share, one milestone, one
expenditure each) in the database named by DATABASE_URL (a scratch one: it adds rows), then for each size runs
``releases_record`` and ``export_ocds --no-record`` under tracemalloc and prints the Python peaks and the
process's maximum resident set size. Peaks that stay flat as the size grows are what "memory bounded" means.
"""

import datetime
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal

import django


def main(sizes: list[int]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.test")
    django.setup()
    from django.core.management import call_command

    from opendata.services import releases_record
    from ppp.factories import OfficerFactory
    from procurement.models import Agreement, ContractingAuthority, CostShare, Expenditure, Vendor
    from projects.models import Milestone, Project

    owner = OfficerFactory()
    authority, _ = ContractingAuthority.objects.get_or_create(
        code="BENCH-OCDS", defaults={"name": "Bench authority", "contact_email": "bench@example.org"}
    )
    made = Agreement.objects.filter(reference__startswith="OCDSMEM-").count()
    for size in sizes:
        missing = size - made
        if missing > 0:
            start = made
            vendors = Vendor.objects.bulk_create(
                Vendor(legal_name=f"Vendor {n}", registration_number=f"OCDSMEM-{n}", country="GB")
                for n in range(start, start + missing)
            )
            agreements = Agreement.objects.bulk_create(
                Agreement(
                    reference=f"OCDSMEM-{n}", title=f"Agreement {n}", authority=authority,
                    procurement_method=Agreement.Method.OPEN, total_value=Decimal("1000000.00"), currency="EUR",
                    start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2030, 1, 1),
                    signed_date=datetime.date(2025, 12, 1), status=Agreement.Status.ACTIVE,
                )
                for n in range(start, start + missing)
            )  # fmt: skip
            CostShare.objects.bulk_create(
                [CostShare(agreement=a, vendor=None, percentage=Decimal("40")) for a in agreements]
                + [
                    CostShare(agreement=a, vendor=v, percentage=Decimal("60"))
                    for a, v in zip(agreements, vendors, strict=True)
                ]
            )
            projects = Project.objects.bulk_create(
                Project(code=f"OCDSMEM-{a.pk}", name=a.title, agreement=a, owner=owner,
                        start_date=a.start_date, end_date=a.end_date)
                for a in agreements
            )  # fmt: skip
            Milestone.objects.bulk_create(
                Milestone(project=p, title="Delivery", baseline_due_date=datetime.date(2027, 1, 1),
                          due_date=datetime.date(2027, 1, 1), payment_amount=Decimal("50000.00"))
                for p in projects
            )  # fmt: skip
            Expenditure.objects.bulk_create(
                Expenditure(agreement=a, vendor=v, amount=Decimal("1000.00"), date=datetime.date(2026, 2, 1))
                for a, v in zip(agreements, vendors, strict=True)
            )
            made = size
        tracemalloc.start()
        began = time.monotonic()
        result = releases_record(by=None)
        record_seconds = time.monotonic() - began
        _, record_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with tempfile.TemporaryDirectory() as folder:
            target = os.path.join(folder, "out.json")
            began = time.monotonic()
            call_command("export_ocds", "--no-record", "-o", target, stderr=io.StringIO())
            export_seconds = time.monotonic() - began
            _, export_peak = tracemalloc.get_traced_memory()
            written = os.path.getsize(target)
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(
            f"{size} agreements: recorded {result.recorded} in {record_seconds:.1f} s (peak {record_peak / 2**20:.1f}"
            f" MiB); exported {written / 2**20:.1f} MiB in {export_seconds:.1f} s (peak {export_peak / 2**20:.1f}"
            f" MiB); max RSS so far {rss} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 4000])
