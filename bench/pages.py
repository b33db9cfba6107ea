"""The board HTML pages at national size, served through Django's test client (no network, no web server): the
page of a project with 10,000 milestones, and the board list of bench-board, who sits on the 50 boards of the
portfolio benchmark (``measure._board``) and on that project's too: 51 projects, one of them 10,000 milestones.

    .venv/bin/python -m bench.run --database-url postgres://…/ppp_bench --only boards   # (DATABASE_URL is not read)
    DATABASE_URL=postgres://…/ppp_bench .venv/bin/python -m bench.pages                # then profile both pages

Each figure is server time as a request sees it (middleware, session, views, SQL, templates), the median of five
requests after a warm-up, with the SQL queries of one request and the share of that time spent in SQL.
"""

import cProfile
import io
import pstats
import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

BIG_PROJECT_MILESTONES = 10_000
BOARD_PROJECTS = 50
REPEAT = 5


def time_page(client: Client, url: str, repeat: int = REPEAT) -> dict:
    """Median wall and CPU time of ``repeat`` GETs of ``url`` after one warm-up, with one request's queries."""
    warm = client.get(url)
    assert warm.status_code == 200, (url, warm.status_code)
    runs, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        runs.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return {
        "seconds": statistics.median(runs),
        "cpu_seconds": statistics.median(cpu),
        "runs": [round(seconds, 3) for seconds in runs],
        "queries": len(queries),
        # What the database took in that request (the rest is Python: views, charts, templates).
        "sql_seconds": sum(float(query["time"]) for query in queries.captured_queries),
        "bytes": len(response.content),
    }


def profile_page(client: Client, url: str, top: int = 25) -> str:
    """cProfile of one request, the functions with the most cumulative time first (to find what is slow)."""
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def board_pages(milestones: int = BIG_PROJECT_MILESTONES, board_projects: int = BOARD_PROJECTS) -> dict:
    """The board page of the project with ``milestones`` milestones and ``/boards/`` for the board member bench-board,
    who also sits on that project's board."""
    from projects.models import Milestone, Project

    from .measure import _big_project, _board

    # The same project the reports section builds (and reuses, by its code), on the same template as main's
    # bench/measure.py: the last generated project, never the bench vendor's first ones, whose partner-API lists
    # would otherwise grow by 10,000 milestones.
    template = Project.objects.filter(code__startswith="BP-").order_by("-pk").first()
    big = _big_project(f"BENCH-REPORT-{milestones}", milestones, template)
    member, _ = get_user_model().objects.get_or_create(username="bench-board")
    board = _board(member, board_projects)
    big.board_members.add(member)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE projects_milestone, projects_deliverable")

    client = Client()
    client.force_login(member)
    results = {}
    # The test client's host name; DEBUG is off as in production, so ALLOWED_HOSTS applies.
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        detail = reverse("boards:project_detail", args=[big.pk])
        results["project page"] = time_page(client, detail)
        results["project page"].update(
            url=detail, milestones=Milestone.objects.filter(project=big).count(), project=big.code
        )
        listing = reverse("boards:project_list")
        results["board list"] = time_page(client, listing)
        results["board list"].update(
            url=listing,
            projects=board.count(),
            milestones=Milestone.objects.filter(project__in=board).count(),
        )
    return results


def main():
    """``python -m bench.pages``: profile one request of each page (after ``bench.run --only boards`` made them)."""
    import os
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppp.settings.local")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()
    from django.conf import settings

    from projects.models import Project

    settings.DEBUG = False
    member = get_user_model().objects.get(username="bench-board")
    client = Client()
    client.force_login(member)
    big = Project.objects.get(code=f"BENCH-REPORT-{BIG_PROJECT_MILESTONES}")
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for url in (reverse("boards:project_detail", args=[big.pk]), reverse("boards:project_list")):
            client.get(url)
            print(url, file=sys.stderr)
            print(profile_page(client, url))


if __name__ == "__main__":
    main()
