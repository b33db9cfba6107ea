"""Partner-API benchmarks against the database in DATABASE_URL (the bench data set).

- ``list_query_counts()``: SQL queries per request for every list endpoint, at page sizes 10 and 100,
  for a vendor (knox token) and an officer (admin session), through Django's test Client.
- ``api_throughput()``: gunicorn on 127.0.0.1 serving ``bench.settings`` (the product plus the hand-written
  baseline views of bench/baseline.py), loaded by ``wrk`` in the same run: the API's milestones and
  deliverables lists and the baseline's, page_size=100, for the vendor ``bench-vendor``.

Gunicorn runs two *sync* workers (one per core): each request is CPU work in Python plus a few short
queries, so threads would only take turns on the GIL; a sync worker keeps one persistent database
connection (CONN_MAX_AGE) and nothing else. It closes the HTTP connection after each response, the same
for the API and the baseline.
"""

import datetime
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENDOR = "bench-vendor"
BENCH_OFFICER = "bench-officer"
PAGE_SIZES = (10, 100)

# The partner API's main lists, plus the two whose rows the data set does not hold until ``_ensure_rows`` adds them.
LIST_ENDPOINTS = ("agreements", "projects", "milestones", "deliverables", "payment-certificates", "notifications")
# More rows than the larger page, so both page sizes are full pages.
EXTRA_ROWS = 150
LOADED_ENDPOINTS = ("milestones", "deliverables")
# API throughput / baseline throughput each loaded endpoint must reach (docs/benchmarks.md).
API_TARGETS = {"milestones": 0.75, "deliverables": 0.50}


# --- Query counts -----------------------------------------------------------------------------------


def _bench_vendor_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=BENCH_VENDOR)


def _bench_officer():
    """The bench officer (made once, in the "Procurement officers" group, if the data set lacks one)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    officer, created = get_user_model().objects.get_or_create(username=BENCH_OFFICER, defaults={"is_staff": True})
    if created or not officer.groups.exists():
        officer.groups.add(Group.objects.get(name="Procurement officers"))
    return officer


def _new_token(user, hours: int = 2) -> tuple[object, str]:
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, expiry=datetime.timedelta(hours=hours))


def _ensure_rows(vendor_user) -> None:
    """Give the bench vendor ``EXTRA_ROWS`` certified payment certificates, and it and the bench officer as many
    in-app notifications, made through the same factories (and so the same services) as seed_demo. Once per data
    set; the notifications again after the scan benchmark, which deletes every alert."""
    from payments.factories import CertificateFactory
    from payments.models import Certificate
    from ppp.factories import OfficerFactory
    from projects.factories import AlertFactory, NotificationFactory
    from projects.models import Alert, Milestone, Notification

    vendor = vendor_user.vendor_membership.vendor
    milestones = Milestone.objects.filter(responsible_vendor=vendor).order_by("pk")
    certified = Certificate.objects.filter(milestone__responsible_vendor=vendor)
    missing = EXTRA_ROWS - certified.count()
    if missing > 0:
        certifier, approver = OfficerFactory(), OfficerFactory()
        free = milestones.filter(status=Milestone.Status.ACHIEVED, payment_amount__gt=0).exclude(
            pk__in=certified.values("milestone_id")
        )
        for milestone in free[:missing]:
            CertificateFactory(
                milestone=milestone, status=Certificate.Status.CERTIFIED, certifier=certifier, approver=approver
            )
    alerts = list(Alert.objects.filter(milestone__responsible_vendor=vendor, kind=Alert.Kind.DEADLINE)[:EXTRA_ROWS])
    for milestone in milestones.exclude(alerts__isnull=False)[: EXTRA_ROWS - len(alerts)]:
        alerts.append(
            AlertFactory(
                milestone=milestone,
                status=Alert.Status.SENT,
                sent_at=timezone.now(),
                attempts=1,
                last_error="",
                recipients=["bench-vendor@example.org"],
            )
        )
    for user in (vendor_user, _bench_officer()):
        noticed = set(Notification.objects.filter(user=user).values_list("alert_id", flat=True))
        for alert in alerts:
            if alert.pk not in noticed:
                NotificationFactory(user=user, alert=alert)


def list_query_counts() -> dict:
    """``{endpoint: {caller: {page_size: queries}}}`` plus ``equal`` (True when no count grows with the page)."""
    _ensure_rows(_bench_vendor_user())
    token, key = _new_token(_bench_vendor_user())
    try:
        vendor = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {key}")
        officer = Client(HTTP_HOST="127.0.0.1")
        officer.force_login(_bench_officer())
        callers = {"vendor": vendor, "officer": officer}
        counts = {}
        for endpoint in LIST_ENDPOINTS:
            counts[endpoint] = {}
            for caller, client in callers.items():
                counts[endpoint][caller] = {}
                for size in PAGE_SIZES:
                    url = f"/api/v1/{endpoint}/?page_size={size}"
                    client.get(url)  # warm-up (first-request caches)
                    with CaptureQueriesContext(connection) as queries:
                        response = client.get(url)
                    if response.status_code != 200:
                        raise RuntimeError(f"{url} as {caller}: {response.status_code} {response.content[:200]!r}")
                    rows = len(response.json()["results"])
                    counts[endpoint][caller][size] = len(queries)
                    counts[endpoint][caller][f"rows_at_{size}"] = rows
        counts["equal"] = all(
            len({by_caller[size] for size in PAGE_SIZES}) == 1
            for by_endpoint in (counts[name] for name in LIST_ENDPOINTS)
            for by_caller in by_endpoint.values()
        )
        return counts
    finally:
        token.delete()


# --- Throughput -------------------------------------------------------------------------------------

WRK_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
WRK_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
WRK_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_ERRORS = re.compile(r"Socket errors:.*")
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
# Production runs behind a TLS-terminating proxy (SECURE_SSL_REDIRECT is on when DEBUG is off): say so, as it would.
BEHIND_TLS_PROXY = {"X-Forwarded-Proto": "https"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing: apt-get update && apt-get install -y wrk")
    return found


def _server_env(port: int) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or "bench-only-" + os.urandom(16).hex(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # The per-token throttle stays on (its cost is part of every request), with a rate wrk cannot reach.
        PPP_API_RATE="1000000/s",
        PYTHONPATH=str(ROOT),
    )
    return env


def _start_gunicorn(port: int, workers: int, log) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        raise RuntimeError(f'{gunicorn} is missing: {Path(sys.executable).name} -m pip install -e ".[test,bench]"')
    command = [
        str(gunicorn),
        "ppp.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        "--timeout=60",
        "--log-level=warning",
        f"--chdir={ROOT}",
    ]
    # A new process group, so the master and its workers are ended together and nothing else is.
    return subprocess.Popen(
        command, env=_server_env(port), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
    )


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def _get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}", **BEHIND_TLS_PROXY})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_until_up(server: subprocess.Popen, url: str, token: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status, body = _get(url, token)
        except OSError:
            time.sleep(0.2)
            continue
        if status != 200:
            raise RuntimeError(f"{url}: {status} {body[:300]!r}")
        return
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


def _wrk(url: str, token: str, *, duration: int, connections: int, threads: int) -> dict:
    command = [
        _wrk_binary(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        f"--timeout={max(duration, 10)}s",
        "--latency",
        f"--header=Authorization: Token {token}",
        *(f"--header={name}: {value}" for name, value in BEHIND_TLS_PROXY.items()),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    latency = {pct: float(value) * TO_MS[unit] for pct, value, unit in WRK_LATENCY.findall(output)}
    non_2xx = WRK_NON_2XX.search(output)
    errors = WRK_ERRORS.search(output)
    return {
        "rps": float(WRK_RPS.search(output).group(1)),
        "requests": int(WRK_REQUESTS.search(output).group(1)),
        "p50_ms": latency.get("50"),
        "p99_ms": latency.get("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def _same_rows(api_body: bytes, baseline_body: bytes) -> bool:
    """Same rows in the same order with the same fields (values may differ in format, e.g. datetimes)."""
    import json

    api_rows, baseline_rows = json.loads(api_body)["results"], json.loads(baseline_body)["results"]
    return [(row["id"], sorted(row)) for row in api_rows] == [(row["id"], sorted(row)) for row in baseline_rows]


def api_throughput(
    duration_seconds: int = 15, connections: int = 4, threads: int = 2, rounds: int = 1, page_size: int = 100
) -> dict:
    """Requests/s, p50/p99 (ms) for the API and the baseline, per endpoint, and the API/baseline ratio.

    With ``rounds`` > 1 the four loads are repeated (API and baseline alternating) and the medians reported.
    Each wrk run lasts ``duration_seconds``; the whole call about ``4 × rounds × duration_seconds``.
    """
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    urls = {}
    for endpoint in LOADED_ENDPOINTS:
        urls[("api", endpoint)] = f"{base}/api/v1/{endpoint}/?page_size={page_size}"
        urls[("baseline", endpoint)] = f"{base}/bench/baseline/{endpoint}/?page_size={page_size}"
    token, key = _new_token(_bench_vendor_user())
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    server = _start_gunicorn(port, workers=2, log=log)
    try:
        _wait_until_up(server, urls[("api", "milestones")], key)
        same_rows = {}
        for endpoint in LOADED_ENDPOINTS:
            api_status, api_body = _get(urls[("api", endpoint)], key)
            base_status, base_body = _get(urls[("baseline", endpoint)], key)
            if api_status != 200 or base_status != 200:
                raise RuntimeError(f"{endpoint}: API {api_status}, baseline {base_status}")
            same_rows[endpoint] = _same_rows(api_body, base_body)
        runs = {name: [] for name in urls}
        for _ in range(rounds):
            for name, url in urls.items():
                runs[name].append(_wrk(url, key, duration=duration_seconds, connections=connections, threads=threads))
    finally:
        _stop(server)
        log.close()
        token.delete()

    results = {
        "server": "gunicorn, 2 sync workers, DEBUG off, 127.0.0.1",
        "load": f"wrk -t{threads} -c{connections} -d{duration_seconds}s, {rounds} round(s), page_size={page_size}",
        "gunicorn_log": log.name,
    }
    for endpoint in LOADED_ENDPOINTS:
        row = {"same_rows_as_baseline": same_rows[endpoint]}
        for side in ("api", "baseline"):
            samples = runs[(side, endpoint)]
            row[side] = {
                "rps": statistics.median(s["rps"] for s in samples),
                "p50_ms": statistics.median(s["p50_ms"] for s in samples),
                "p99_ms": statistics.median(s["p99_ms"] for s in samples),
                "requests": sum(s["requests"] for s in samples),
                "non_2xx": sum(s["non_2xx"] for s in samples),
                "socket_errors": [s["socket_errors"] for s in samples if s["socket_errors"]],
            }
        row["ratio"] = row["api"]["rps"] / row["baseline"]["rps"] if row["baseline"]["rps"] else None
        row["meets_target"] = row["ratio"] is not None and row["ratio"] >= API_TARGETS[endpoint]
        results[endpoint] = row
    return results


def main() -> None:
    import json

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    print(json.dumps(list_query_counts(), indent=2))
    duration = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print(json.dumps(api_throughput(duration_seconds=duration), indent=2))


if __name__ == "__main__":
    main()
