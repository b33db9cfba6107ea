"""The officer's admin at a million milestones: changelists and the dashboard, as ``bench-officer``.

``admin_pages()`` opens, through django.test.Client logged in as bench-officer (staff, "Procurement officers",
owner of every project: the largest "My work" there is), the milestone, deliverable and agreement lists (first
page, a filtered page, page 2) and the admin index. Each page: one warm-up, then five timed requests; the figure
is the median wall time of the request in this process (the server's time: no network, no browser), with the CPU
time of the same requests, the SQL queries of one request and their SQL time.
"""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

RUNS = 5
LIST_LIMIT_MS = 300
DASHBOARD_LIMIT_MS = 500


def _lists() -> dict[str, tuple[str, dict]]:
    """Each list's changelist and the filter an officer would use on it (the first bench vendor/authority)."""
    from procurement.models import ContractingAuthority, Vendor

    vendor = Vendor.objects.filter(registration_number="BENCH-VENDOR").values_list("pk", flat=True).first()
    vendor = vendor or Vendor.objects.order_by("pk").values_list("pk", flat=True).first()
    authority = ContractingAuthority.objects.order_by("pk").values_list("pk", flat=True).first()
    return {
        "milestones": (
            "admin:projects_milestone_changelist",
            {"status__exact": "in_progress", "responsible_vendor": vendor},
        ),
        "deliverables": ("admin:projects_deliverable_changelist", {"status__exact": "submitted"}),
        "agreements": (
            "admin:procurement_agreement_changelist",
            {"status__exact": "active", "authority__id__exact": authority},
        ),
    }


def _measure(client: Client, url: str, params: dict | None = None) -> dict:
    response = client.get(url, params or {})  # warm-up (templates, caches, the database's buffers)
    assert response.status_code == 200, (url, params, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, (url, params, response.status_code)
    queries = captured.captured_queries  # now: the next request clears the connection's log
    walls, cpus = [], []
    for _run in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        client.get(url, params or {})
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    cl = getattr(response, "context_data", None) and response.context_data.get("cl")
    return {
        "ms": statistics.median(walls),
        "cpu_ms": statistics.median(cpus),
        "queries": len(queries),
        "sql_ms": sum(float(query["time"]) for query in queries) * 1000,
        "count": getattr(cl, "result_count_text", None) if cl is not None else None,
        "rows": len(cl.result_list) if cl is not None else None,
    }


def admin_pages() -> dict:
    """``{list: {"first": m, "filtered": m, "page 2": m}, "dashboard": m, "equal": bool}`` (m: see ``_measure``)."""
    from bench.api import _bench_officer

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_bench_officer())
    results: dict = {"runs": RUNS, "limits_ms": {"list": LIST_LIMIT_MS, "dashboard": DASHBOARD_LIMIT_MS}}
    equal = True
    for name, (changelist, filters) in _lists().items():
        url = reverse(changelist)
        pages = {
            "first": _measure(client, url),
            "filtered": _measure(client, url, filters),
            "page 2": _measure(client, url, {"p": 2}),
        }
        # Queries per page do not depend on the page or its rows.
        pages["equal"] = pages["first"]["queries"] == pages["page 2"]["queries"]
        equal = equal and pages["equal"]
        results[name] = pages
    results["dashboard"] = _measure(client, reverse("admin:index"))
    results["equal"] = equal
    return results


if __name__ == "__main__":  # python -m bench.admin_pages (DATABASE_URL names the bench database)
    import json
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.local")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    print(json.dumps(admin_pages(), indent=1))
