"""Turn bench/results.json into docs/benchmarks.md: every target a number, the measured figure beside it."""

import math

from bench.api import API_TARGETS

API_ENDPOINTS = tuple(API_TARGETS)

ADMIN_LISTS = ("milestones", "deliverables", "agreements")
ADMIN_PAGES = ("first", "filtered", "page 2")


# Either index serves the scan's page: (status, due_date), or the partial one on open milestones' due dates
# (projects 0019), which the planner prefers once it exists.
SCAN_INDEXES = ("milestone_open_due_idx", "milestone_status_due_idx")


def _scan_index(scan: dict) -> str | None:
    return next((name for name in SCAN_INDEXES if name in scan.get("explain", "")), None)


def _yes(ok: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "–"}[ok]


def _s(seconds) -> str:
    return f"{seconds:.2f} s" if seconds is not None else "–"


def _target_rows(results: dict) -> list[tuple[str, str, str, bool | None]]:
    rows = []
    api = results.get("api") or {}
    for name in API_ENDPOINTS:
        endpoint = api.get(name)
        if not endpoint:
            continue
        ratio, target = endpoint.get("ratio"), API_TARGETS[name]
        rows.append(
            (
                f"Partner API `{name}` list throughput vs baseline (page size 100), p99 beside",
                f"≥ {target:.2f} × baseline",
                f"{ratio:.2f} × ({endpoint['api']['rps']:,.1f} vs {endpoint['baseline']['rps']:,.1f} req/s; "
                f"p99 {endpoint['api']['p99_ms']:.1f} vs {endpoint['baseline']['p99_ms']:.1f} ms)"
                if ratio is not None
                else "–",
                ratio is not None and ratio >= target,
            )
        )
    queries = results.get("queries") or {}
    if queries:
        rows.append(
            (
                "SQL queries per list request, page size 10 vs 100, every list endpoint",
                "equal",
                "equal" if queries.get("equal") else "differ",
                bool(queries.get("equal")),
            )
        )
        for endpoint in ("payment-certificates", "notifications"):
            by_caller = queries.get(endpoint)
            if by_caller:
                # Keys are ints in the run and strings once read back from results.json.
                sizes = {caller: (c.get(10, c.get("10")), c.get(100, c.get("100"))) for caller, c in by_caller.items()}
                counts = "; ".join(f"{caller} {small} / {big}" for caller, (small, big) in sizes.items())
                same = all(small == big for small, big in sizes.values())
                rows.append((f"`{endpoint}` list queries, page size 10 / 100", "equal", counts, same))
    scan = results.get("scan")
    milestones = ((results.get("generate") or {}).get("counts") or {}).get("milestones")
    if scan:
        chunks = math.ceil(scan["scanned"] / scan["chunk_size"]) if scan.get("chunk_size") else None
        rows += [
            (
                f"Overdue scan of {milestones or 0:,} milestones + alert creation",
                "< 20 s",
                _s(scan["seconds"]),
                scan["seconds"] < 20,
            ),
            (
                "Overdue scan peak Python memory (tracemalloc)",
                "< 100 MB",
                f"{scan['peak_mb']:.1f} MB",
                scan["peak_mb"] < 100,
            ),
            (
                "Overdue scan queries grow with chunks, not rows",
                "≤ 12 per chunk (none per row)",
                f"{scan['queries']} queries for {chunks} chunks of {scan['chunk_size']} ({scan['scanned']:,} rows)",
                chunks is not None and scan["queries"] <= 12 * chunks + 20,
            ),
            (
                "Overdue scan reads open milestones from a due-date index",
                "an index in EXPLAIN",
                _scan_index(scan) or "not used",
                _scan_index(scan) is not None,
            ),
        ]
    reports = results.get("reports") or {}
    ten = reports.get("project with 10,000 milestones")
    twenty = reports.get("project with 20,000 milestones")
    if ten:
        rows.append(("PDF report, project with 10,000 milestones", "< 3 s", _s(ten["seconds"]), ten["seconds"] < 3))
    if ten and twenty:
        ratio = twenty["seconds"] / ten["seconds"]
        rows.append(("PDF growth: time(20,000) / time(10,000)", "≤ 2.3", f"{ratio:.2f}", ratio <= 2.3))
    admin = results.get("admin") or {}
    if admin:
        limit = admin.get("limits_ms", {}).get("list", 300)
        for name in ADMIN_LISTS:
            pages = admin.get(name)
            if not pages:
                continue
            slowest = max(pages[page]["ms"] for page in ADMIN_PAGES)
            rows.append(
                (
                    f"Admin {name} list as bench-officer: first page / filtered / page 2 (median server time)",
                    f"≤ {limit} ms each",
                    " / ".join(f"{pages[page]['ms']:.0f}" for page in ADMIN_PAGES) + " ms",
                    slowest <= limit,
                )
            )
        rows.append(
            (
                "Admin list SQL queries, page 1 vs page 2, every list",
                "equal",
                "equal" if admin.get("equal") else "differ",
                bool(admin.get("equal")),
            )
        )
        dashboard = admin.get("dashboard")
        if dashboard:
            limit = admin.get("limits_ms", {}).get("dashboard", 500)
            rows.append(
                (
                    "Officer dashboard (admin index) for the owner of all 50,000 projects (median server time)",
                    f"≤ {limit} ms",
                    f"{dashboard['ms']:.0f} ms ({dashboard['queries']} queries)",
                    dashboard["ms"] <= limit,
                )
            )
    boards = results.get("boards") or {}
    page, listing = boards.get("project page"), boards.get("board list")
    if page:
        rows.append(
            (
                f"Board page (HTML) of a project with {page['milestones']:,} milestones, server time",
                "≤ 1 s",
                f"{_ms(page['seconds'])} ({page['queries']} queries)",
                page["seconds"] <= 1,
            )
        )
    if listing:
        rows.append(
            (
                f"Board list `/boards/` with {listing['projects']} projects, server time",
                "≤ 300 ms",
                f"{_ms(listing['seconds'])} ({listing['queries']} queries)",
                listing["seconds"] <= 0.3,
            )
        )
    rows += _webhook_rows(results.get("webhooks"))
    rows += _ocds_target_rows(results.get("ocds") or {})
    return rows


def _held_in_time(hooks: dict) -> bool:
    """A task the killed worker held comes back through the sweep: a never-started one once its row is stale, a
    claimed one once its claim expires. The sweep's own task queues behind whatever is waiting, so the bound is
    stale + 2 sweep periods after the kill, or 2 sweep periods after the queue ahead of it drained."""
    settings = hooks["settings"]
    recovery, after_drain = hooks.get("recovery_seconds"), hooks.get("held_after_drain_seconds")
    if recovery is None:
        return hooks.get("held_by_killed_worker") == 0
    return recovery <= settings["stale_seconds"] + 2 * settings["sweep_seconds"] or (
        after_drain is not None and after_drain <= 2 * settings["sweep_seconds"]
    )


def _webhook_rows(hooks: dict | None) -> list[tuple[str, str, str, bool | None]]:
    if not hooks:
        return []
    probe = hooks.get("probe") or {}
    rows = [
        (
            f"Webhooks lost: {hooks['events']:,} events, worker SIGKILLed at half",
            "0",
            f"{hooks['lost']} ({hooks['received_distinct']:,} distinct event ids received)",
            hooks["lost"] == 0 and hooks["all_delivered"],
        ),
        (
            "Webhook events received twice (raw, before the receiver drops repeated event ids)",
            f"≤ {hooks['concurrency']} (the sends in flight at the kill)",
            f"{hooks['events_received_twice']} (extra requests: {hooks['duplicate_requests']})",
            hooks["events_received_twice"] <= hooks["concurrency"],
        ),
        (
            "Webhook deliveries, steady state before the kill (prefork, concurrency 2)",
            "≥ 50 events/s",
            f"{hooks['steady_events_per_second'] or 0:,.1f} events/s "
            f"({hooks['events_per_second'] or 0:,.1f} first publish → last receipt, kill included)",
            (hooks["steady_events_per_second"] or 0) >= 50,
        ),
        (
            "Webhook database transactions per delivered event (claim, read, record)",
            "≤ 4",
            f"{hooks['db_transactions_per_event']:.2f}",
            hooks["db_transactions_per_event"] <= 4,
        ),
        (
            "Webhook worker CPU per delivered event (consumer and both pool processes)",
            "≤ 12 ms",
            f"{hooks['worker_cpu_ms_per_event']:.1f} ms" if "worker_cpu_ms_per_event" in hooks else "–",
            hooks.get("worker_cpu_ms_per_event") is not None and hooks["worker_cpu_ms_per_event"] <= 12,
        ),
        (
            "Webhook tasks held by the killed worker (running or prefetched): back through the sweep",
            f"≤ {hooks['settings']['stale_seconds'] + 2 * hooks['settings']['sweep_seconds']} s after the kill, "
            f"or ≤ {2 * hooks['settings']['sweep_seconds']} s after the queue ahead drained",
            f"{hooks['held_by_killed_worker']} tasks, the last {_s(hooks['recovery_seconds'])} after the kill, "
            f"{_s(hooks.get('held_after_drain_seconds'))} after the rest",
            _held_in_time(hooks),
        ),
    ]
    if probe:
        rows.append(
            (
                "Webhook latency, idle worker: commit → receipt p99",
                "< 1 s",
                f"p50 {probe['p50_ms']:.0f} ms, p99 {probe['p99_ms']:.0f} ms ({probe['events']} events)",
                probe["p99_ms"] < 1000,
            )
        )
    return rows


def _webhook_section(hooks: dict) -> list[str]:
    settings = hooks["settings"]
    probe = hooks.get("probe") or {}
    lines = [
        "",
        "## Webhook delivery",
        "",
        "`.venv/bin/python -m bench.run --database-url postgres://…/ppp_bench --only webhooks` (`bench/webhooks.py`). "
        "A local HTTPS receiver (its own "
        "process, a trustme CA the worker trusts through `PPP_WEBHOOK_CA_BUNDLE`) checks every signature and logs "
        f"each request. {hooks['events']:,} `payment.made` events for the bench vendor are published through "
        f"`ppp.events.publish_many`, {hooks['batch']} per transaction, so their outbox rows commit with them; a "
        f"real `celery worker` (prefork, concurrency {hooks['concurrency']}, Redis broker) sends them, and the "
        f"sweep task is sent every {settings['sweep_seconds']} s as beat does. When half the events had been "
        "received the worker's process group got SIGKILL and a new worker was started.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| published (outbox rows) | {hooks['published']:,} in {_s(hooks['publish_seconds'])} "
        f"({hooks['rows']:,} rows) |",
        f"| received: distinct event ids / requests | {hooks['received_distinct']:,} / {hooks['requests']:,} |",
        f"| lost | {hooks['lost']} |",
        f"| event ids received twice (raw) | {hooks['events_received_twice']} |",
        f"| acted on twice by a receiver that drops repeated event ids | {hooks['duplicates_after_dedupe']} |",
        f"| signatures that failed to verify | {hooks['unverified']} |",
        f"| rows delivered / retried (attempts > 1) | {hooks['rows_delivered']:,} / {hooks['rows_retried']} |",
        f"| first publish → last receipt | {_s(hooks['seconds_total'])}, {hooks['events_per_second']} events/s |",
        f"| steady state before the kill | {hooks['steady_events_per_second']} events/s |",
        f"| latency commit → receipt, received before the kill: p50 / p99 | "
        f"{hooks['latency_before_kill_p50_ms'] / 1000:.1f} s / {hooks['latency_before_kill_p99_ms'] / 1000:.1f} s |",
        f"| latency, received after the kill (not held by the killed worker): p50 / p99 | "
        f"{hooks['latency_after_kill_p50_ms'] / 1000:.1f} s / {hooks['latency_after_kill_p99_ms'] / 1000:.1f} s |",
        f"| kill | {_s(hooks['kill_after_seconds'])} after the first publish, {hooks['received_at_kill']:,} "
        f"received, {hooks['delivered_rows_at_kill']:,} rows delivered |",
        f"| tasks the killed worker held (running or prefetched) | {hooks['held_by_killed_worker']}, "
        f"{hooks['held_received_before_kill']} of them received before the kill, "
        f"{hooks['held_received_twice']} received twice |",
        f"| new worker answering | {_s(hooks['restart_seconds'])} after the kill |",
        f"| last held task received | {_s(hooks['recovery_seconds'])} after the kill, "
        f"{_s(hooks.get('held_after_drain_seconds'))} after the last of the others |",
        f"| every row delivered | {_s(hooks['kill_to_all_delivered_seconds'])} after the kill |",
        f"| database transactions per event (worker side) | {hooks['db_transactions_per_event']:.2f} |",
    ]
    if hooks.get("worker_cpu_ms_per_event") is not None:
        lines.append(
            f"| CPU per event: worker (consumer and pool) / receiver | {hooks['worker_cpu_ms_per_event']:.1f} ms / "
            f"{hooks['receiver_cpu_ms_per_event']:.1f} ms |"
        )
    if probe:
        lines.append(
            f"| idle latency: {probe['events']} events one per transaction, {probe['rate']}/s, after the run: "
            f"p50 / p99 | {probe['p50_ms']:.0f} ms / {probe['p99_ms']:.0f} ms |"
        )
    lines += [
        "",
        "The latencies of the main run are mostly queueing: all the events are published within seconds, so an "
        "event waits for those ahead of it; the idle probe shows what one event costs. Delivery is at least "
        "once. A task the killed worker had not started waits until its row is "
        f"{settings['stale_seconds']} s old (`PPP_WEBHOOK_STALE_SECONDS`) for the sweep; one it had claimed waits "
        f"for its claim to expire ({settings['claim_seconds']} s). One killed after the receiver got the request "
        "but before the row was marked delivered is sent again: that window (the request's answer and one "
        "UPDATE) cannot be closed from the sender's side, so the receiver drops a repeated `X-PPP-Event-Id`.",
    ]
    return lines


OCDS_SECONDS, OCDS_PEAK_MB, OCDS_RATIO, FEED_MS = 60, 150, 2.2, 200


def _ocds_target_rows(ocds: dict) -> list[tuple[str, str, str, bool | None]]:
    rows = []
    export = ocds.get("export") or {}
    ten, twenty = export.get("10000"), export.get("20000")
    for size in (ten, twenty):
        if not size:
            continue
        for run, label in (("first", "first run, recording every release"), ("second", "second run, nothing changed")):
            numbers = size[run]
            rows.append(
                (
                    f"`export_ocds` of {size['agreements']:,} agreements, {label}",
                    f"≤ {OCDS_SECONDS} s",
                    f"{_s(numbers['seconds'])} ({numbers['cpu_seconds']:.1f} s CPU; {numbers['recorded']:,} "
                    f"recorded, {numbers['exported']:,} exported)",
                    numbers["seconds"] <= OCDS_SECONDS,
                )
            )
    if twenty:
        peak = max(twenty[run]["peak_rss_mb"] for run in ("first", "second"))
        rows.append(
            (
                f"`export_ocds` of {twenty['agreements']:,} agreements, peak memory of the process (max RSS)",
                f"≤ {OCDS_PEAK_MB} MB",
                f"{peak:.0f} MB",
                peak <= OCDS_PEAK_MB,
            )
        )
    if ten and twenty:
        for run in ("first", "second"):
            ratio = twenty[run]["seconds"] / ten[run]["seconds"]
            rows.append(
                (
                    f"`export_ocds` growth, {run} run: time(20,000) / time(10,000)",
                    f"≤ {OCDS_RATIO}",
                    f"{ratio:.2f}",
                    ratio <= OCDS_RATIO,
                )
            )
    feed = ocds.get("feed") or {}
    pages = feed.get("pages") or {}
    for name, page in pages.items():
        rows.append(
            (
                f"Public OCDS feed, {name} of {feed['releases']:,} releases (median of 5)",
                f"≤ {FEED_MS} ms",
                f"{page['ms']:.0f} ms, {page['queries']} quer{'y' if page['queries'] == 1 else 'ies'}",
                page["ms"] <= FEED_MS,
            )
        )
    if pages:
        # Page 1 reads the page; deeper pages first find where they start: the count must not grow with depth.
        first = {page["queries"] for page in pages.values() if page["params"].get("page", 1) == 1}
        deeper = {page["queries"] for page in pages.values() if page["params"].get("page", 1) > 1}
        rows.append(
            (
                "Public OCDS feed queries per page, however deep",
                "constant",
                f"page 1: {'/'.join(map(str, sorted(first)))}; deeper pages: {'/'.join(map(str, sorted(deeper)))}",
                len(first) <= 1 and len(deeper) <= 1,
            )
        )
    return rows


def _ocds_section(ocds: dict) -> list[str]:
    export = ocds.get("export") or {}
    lines = [
        "",
        "## OCDS export and public feed",
        "",
        "Reproduce: `.venv/bin/python -m bench.run --database-url postgres://…/ppp_bench --only ocds` (see "
        "`bench/ocds.py`). Each export is `manage.py export_ocds -o FILE` run as its own process; peak memory is "
        "that process's maximum resident set size (`VmHWM` in `/proc/self/status`, written by the process as it "
        "ends): the whole process, not only Python's allocations. Not `os.wait4`'s `ru_maxrss`: Linux carries the "
        "parent's resident size over fork and exec into it, so after the reports section had grown the runner to "
        "434 MB every export read 434 MB. The 10,000 case is the same data set with the other agreements put back "
        "to draft (drafts are "
        "never published). The stored releases are deleted before each size: the first run records every "
        "release, the second finds nothing changed.",
        "",
        "| agreements | run | seconds | CPU seconds | peak RSS | recorded | exported | file |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in export.values():
        for run in ("first", "second"):
            n = size[run]
            lines.append(
                f"| {size['agreements']:,} | {run} | {n['seconds']:.1f} | {n['cpu_seconds']:.1f} | "
                f"{n['peak_rss_mb']:.0f} MB | {n['recorded']:,} | {n['exported']:,} | {n['bytes'] / 2**20:,.0f} MiB |"
            )
    feed = ocds.get("feed")
    if feed:
        lines += [
            "",
            f"Public feed (`/api/v1/ocds/feed/`, {feed['page_size']} releases a page) on {feed['releases']:,} "
            "releases, through the Django test client (server time: middleware, view, rendering; no network), "
            "median of 5 requests after a warm-up:",
            "",
            "| page | parameters | median | runs | queries | size |",
            "|---|---|---|---|---|---|",
        ]
        for name, page in feed["pages"].items():
            params = ", ".join(f"{key}={value}" for key, value in page["params"].items())
            runs = ", ".join(f"{ms:.0f}" for ms in page["runs_ms"])
            lines.append(
                f"| {name} | {params} | {page['ms']:.1f} ms | {runs} | {page['queries']} | "
                f"{page['bytes'] / 1024:,.0f} KiB |"
            )
        lines += ["", "EXPLAIN ANALYZE of page 100 (where it starts, then the page):", "", "```"]
        lines += [feed.get("explain", "").strip(), "```"]
    return lines


def _ms(seconds) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds is not None else "–"


def _admin_section(admin: dict) -> list[str]:
    lines = [
        "",
        "## Admin lists and the officer's dashboard",
        "",
        f"`bench/admin_pages.py`, through Django's test client logged in as `bench-officer` (staff, \"Procurement "
        "officers\", owner of every project): the server's time for one request in-process (no network, no "
        f"browser), median of {admin.get('runs', 5)} runs after a warm-up, with the CPU time of the same requests "
        "and the SQL queries of one of them. Filtered pages: milestones in progress of one vendor, submitted "
        "deliverables, active agreements of one authority. Reproduce with "
        "`.venv/bin/python -m bench.run --database-url postgres://…/ppp_bench --only admin`.",
        "",
        "| page | ms | CPU ms | queries | SQL ms | count shown |",
        "|---|---|---|---|---|---|",
    ]
    for name in ADMIN_LISTS:
        pages = admin.get(name) or {}
        for page in ADMIN_PAGES:
            m = pages.get(page)
            if m:
                lines.append(
                    f"| {name}, {page} | {m['ms']:.0f} | {m['cpu_ms']:.0f} | {m['queries']} | {m['sql_ms']:.0f} | "
                    f"{m.get('count') or '–'} |"
                )
    dashboard = admin.get("dashboard")
    if dashboard:
        lines.append(
            f"| dashboard | {dashboard['ms']:.0f} | {dashboard['cpu_ms']:.0f} | {dashboard['queries']} | "
            f"{dashboard['sql_ms']:.0f} | – |"
        )
    lines += [
        "",
        'Counts: a whole table shows PostgreSQL\'s estimate ("about 1,000,000 milestones"), a filtered list an '
        'exact count up to 10,000 rows and "more than 10,000" past it (`ppp/admin_lists.py`); no list counts '
        "its whole table a second time. The queries include the session, the user and their permissions.",
    ]
    return lines


def write_markdown(results: dict) -> str:
    machine = results.get("machine", {})
    lines = [
        "# Benchmarks",
        "",
        "How ppp-tracker behaves at the size of a national PPP programme. Reproduce with `make bench` "
        "(see README); it writes this file and `bench/results.json`.",
        "",
        f"Every figure below comes from one run: `{results.get('command', 'make bench')}`"
        + (f", {results['run_minutes']:.0f} minutes in all." if results.get("run_minutes") else "."),
        "",
        "## Machine",
        "",
        f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('memory_gib', '?')} GiB; "
        f"{machine.get('os', '?')}; Python {machine.get('python', '?')}, Django {machine.get('django', '?')}, "
        f"PostgreSQL {machine.get('postgresql', '?')} on the same machine. Measured {machine.get('date', '?')}.",
        "",
        "## Targets",
        "",
        "| what | target | measured | met |",
        "|---|---|---|---|",
    ]
    for what, target, measured, ok in _target_rows(results):
        lines.append(f"| {what} | {target} | {measured} | {_yes(ok)} |")

    generate = results.get("generate")
    if generate:
        lines += ["", "## Data set", ""]
        counts = generate.get("counts", {})
        lines.append(", ".join(f"{value:,} {name}" for name, value in counts.items()) + ".")
        if generate.get("note"):
            lines += ["", generate["note"]]
        if not generate.get("reused"):
            lines += ["", "| step | seconds |", "|---|---|"]
            lines += [f"| {step} | {seconds:.1f} |" for step, seconds in generate.get("timings", {}).items()]
            lines += [f"| **total** | **{generate.get('total_seconds', 0):.1f}** |"]
        else:
            lines.append("(Reused from an earlier run; its build times are in that run's results.)")

    api = results.get("api")
    if api:
        lines += [
            "",
            "## Partner API throughput",
            "",
            f"Server: {api.get('server', '?')}. Load: {api.get('load', '?')}, from a second process on "
            "loopback, for the vendor responsible for 2,000 milestones. The baseline is a hand-written Django view "
            "(`bench/baseline.py`) returning the same page of rows with `.values()` and `JsonResponse`, checking the "
            "same token; it serves from the same gunicorn in the same run.",
            "",
            "| endpoint | server | req/s | p50 | p99 | non-2xx | API / baseline |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in API_ENDPOINTS:
            endpoint = api.get(name)
            if not endpoint:
                continue
            for side in ("api", "baseline"):
                numbers = endpoint[side]
                ratio = f"{endpoint['ratio']:.2f}" if side == "api" and endpoint.get("ratio") else ""
                lines.append(
                    f"| {name} | {side} | {numbers['rps']:,.1f} | {numbers['p50_ms']:.1f} ms | "
                    f"{numbers['p99_ms']:.1f} ms | {numbers['non_2xx']} | {ratio} |"
                )

    queries = results.get("queries")
    if queries:
        lines += [
            "",
            "## SQL queries per list request",
            "",
            "| endpoint | caller | page size 10 | page size 100 |",
            "|---|---|---|---|",
        ]
        for endpoint, callers in queries.items():
            if not isinstance(callers, dict):
                continue
            for caller, counts in callers.items():
                lines.append(
                    f"| {endpoint} | {caller} | {counts.get('10', counts.get(10))} | "
                    f"{counts.get('100', counts.get(100))} |"
                )

    scan = results.get("scan")
    if scan:
        lines += [
            "",
            "## Overdue scan",
            "",
            f"{scan['overdue']:,} overdue milestones; {scan['scanned']:,} open milestones scanned (overdue and due "
            f"soon); {scan['alerts_created']:,} alerts created; {scan['digests_queued']:,} digests queued. "
            f"{scan['seconds']:.1f} s, {scan['queries']} queries, peak {scan['peak_mb']:.1f} MB. Run again at once, "
            f"it took {scan['second_run_seconds']:.1f} s and created {scan['second_run_alerts_created']} alerts.",
            "",
            "EXPLAIN of one page of the scan:",
            "",
            "```",
            scan.get("explain", "").strip(),
            "```",
        ]

    reports = results.get("reports")
    if reports:
        lines += [
            "",
            "## Board reports (PDF)",
            "",
            "| report | seconds | peak memory | queries | size |",
            "|---|---|---|---|---|",
        ]
        for name, numbers in reports.items():
            lines.append(
                f"| {name} | {numbers['seconds']:.2f} | {numbers['peak_mb']:.1f} MB | {numbers['queries']} | "
                f"{numbers['bytes'] / 1024:,.0f} KiB |"
            )
    if results.get("admin"):
        lines += _admin_section(results["admin"])
    boards = results.get("boards")
    if boards:
        lines += [
            "",
            "## Board pages (HTML)",
            "",
            "Served through Django's test client as the board member bench-board (no web server or network in "
            "between): the median of five requests after a warm-up. SQL is the database's share of one request; the "
            "rest is Python (views, charts, templates). Reproduce with "
            "`.venv/bin/python -m bench.run --database-url postgres://…/ppp_bench --only boards`; "
            "`DATABASE_URL=postgres://…/ppp_bench .venv/bin/python -m bench.pages` then profiles both pages.",
            "",
            "| page | what it covers | median | CPU | SQL | queries | size |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, numbers in boards.items():
            covers = (
                f"{numbers['milestones']:,} milestones"
                if "projects" not in numbers
                else f"{numbers['projects']} projects, {numbers['milestones']:,} milestones"
            )
            lines.append(
                f"| {name} (`{numbers['url']}`) | {covers} | {_ms(numbers['seconds'])} | "
                f"{_ms(numbers['cpu_seconds'])} | {_ms(numbers['sql_seconds'])} | {numbers['queries']} | "
                f"{numbers['bytes'] / 1024:,.0f} KiB |"
            )
    if results.get("ocds"):
        lines += _ocds_section(results["ocds"])
    if results.get("webhooks"):
        lines += _webhook_section(results["webhooks"])
    lines += [
        "",
        "## How to read these numbers",
        "",
        "- Report times are the median of five runs after a warm-up; memory is the peak traced by tracemalloc in "
        "a separate run (tracing slows Python, so that run is not timed). The API figures are medians of three "
        "rounds of load.",
        "- Everything shares one 2-core machine with PostgreSQL, so runs vary by about ±20 %. While this file was "
        "first made, the 20,000 / 10,000 report ratio measured between 1.6 and 2.5. The 2.5 came from a run timed "
        "while autovacuum worked through the freshly inserted report projects; the runner now runs VACUUM ANALYZE "
        "before it times anything. The ratio still moves with what ran before it in the same process: on "
        "2026-12-04 one full run (three timed runs each) measured 2.44, `--only reports` 1.64 and `--only "
        "scan,reports` 1.97 on the same data, hence five timed runs now. Run "
        '`make bench BENCH_ARGS="--only reports"` twice before trusting one figure.',
        "",
    ]
    return "\n".join(lines)
