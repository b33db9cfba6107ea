"""Webhook delivery under load and a crash: 10,000 events through a real Celery worker to a local HTTPS receiver.

    .venv/bin/python -m bench.run --only webhooks [--webhook-events 10000]

What runs, each in its own process group so it is ended with everything it started and nothing else:

- the receiver (bench/webhook_receiver.py): HTTPS with a certificate from a local CA made with trustme (the
  worker trusts it through PPP_WEBHOOK_CA_BUNDLE), checks every signature, logs (event id, receive time);
- ``celery worker`` (prefork, concurrency 2, Redis broker at BENCH_BROKER_URL, a Redis database of its own:
  its queue is purged before and after), started with this database's settings;
- the sweep: this process sends ``webhooks.tasks.sweep_deliveries`` every PPP_WEBHOOK_SWEEP_SECONDS through
  the broker, as beat does (beat itself would also fire the product's other schedules into the run).

The events are published the way the domain publishes them: ``ppp.events.publish_many`` inside a transaction,
a batch of ``batch`` ``payment.made`` events for the bench vendor at a time, so the outbox rows commit with
the batch and their sends are queued after the commit. When half the events have been received, the worker's
whole process group gets SIGKILL (what an OOM kill or a lost machine does); a new worker starts at once. The
run ends when every delivery row is delivered (or at the timeout), then counts what the receiver saw.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/7"
ENDPOINT_DESCRIPTION = "bench: webhook delivery"
EVENT = "payment.made"


def _progress(message: str) -> None:
    print(f"\r   webhooks: {message}\033[K", end="", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _stop(process: subprocess.Popen | None, *, grace: float = 15) -> None:
    """End ``process`` and its group (SIGTERM, then SIGKILL after ``grace`` seconds)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


# --- The broker ------------------------------------------------------------------------------------


@contextmanager
def _broker(url: str):
    """Point this process's Celery app at ``url`` (the bench process starts with memory://), then back."""
    from ppp.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its configuration (run.py sets memory://).
    before = (os.environ.get("CELERY_BROKER_URL"), app.conf.broker_transport_options)
    os.environ["CELERY_BROKER_URL"] = url
    # The product's Redis setting (base.py): an unacknowledged task returns to the queue after an hour.
    app.conf.broker_transport_options = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600))}
    app._after_fork()  # drop connection pools made for the old broker
    try:
        yield app
    finally:
        if before[0] is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = before[0]
        app.conf.broker_transport_options = before[1]
        app._after_fork()


def _purge(url: str) -> None:
    """Empty the broker database's queue and its unacknowledged set (a killed worker's tasks would otherwise come
    back an hour later, into whatever worker uses this database next). Use a Redis database for the bench only."""
    import redis

    client = redis.Redis.from_url(url)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    client.close()


def _unacked_delivery_ids(url: str) -> set[int]:
    """The deliveries whose send tasks a dead worker held (reserved or running): Redis keeps each task it handed
    out unacknowledged (acks_late) until the visibility timeout."""
    import redis

    client = redis.Redis.from_url(url)
    ids = set()
    for raw in client.hvals("unacked"):
        message = json.loads(raw)[0]
        if message.get("headers", {}).get("task") != "webhooks.tasks.send_delivery":
            continue
        args = json.loads(base64.b64decode(message["body"]))[0]
        ids.add(int(args[0]))
    client.close()
    return ids


# --- Processes ------------------------------------------------------------------------------------


def _worker_env(broker_url: str, ca_bundle: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="ppp.settings.local",
        DJANGO_DEBUG="0",
        CELERY_BROKER_URL=broker_url,
        PPP_WEBHOOK_CA_BUNDLE=ca_bundle,
        PPP_WEBHOOK_ALLOW_PRIVATE_HOSTS="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _start_worker(name: str, env: dict, log) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "ppp",
        "worker",
        "--pool=prefork",
        "--concurrency=2",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        f"--hostname={name}@%h",
    ]
    # A new process group: SIGKILL reaches the pool processes too, as when a container or machine dies.
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)


def _wait_for_worker(app, name: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker {name} exited ({process.returncode}); see its log")
        if any(key.startswith(f"{name}@") for reply in app.control.ping(timeout=0.5) or [] for key in reply):
            return
    raise RuntimeError(f"celery worker {name} did not answer a ping in {timeout:.0f} s")


class Receipts:
    """The receiver's log, read as it grows: first receipt time per event id, and every request."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0
        self.first: dict[str, float] = {}
        self.requests = 0
        self.unverified = 0
        self.duplicates: dict[str, int] = {}

    def read(self) -> int:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            chunk = log.read()
        complete = chunk.rfind(b"\n") + 1
        self.offset += complete
        for line in chunk[:complete].decode().splitlines():
            event_id, _delivery, received, verified = line.split("\t")
            self.requests += 1
            self.unverified += verified != "1"
            if event_id in self.first:
                self.duplicates[event_id] = self.duplicates.get(event_id, 1) + 1
            else:
                self.first[event_id] = float(received)
        return len(self.first)


def _group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the live processes of process group ``group``: a wait on a
    busy machine does not count, so it says what an event costs better than wall time there."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) == group:  # fields after the command: state, ppid, pgrp, ..., utime (11), stime (12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _xact_commits() -> int:
    """Committed transactions in this database so far (each autocommit statement counts one)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


# --- The run ---------------------------------------------------------------------------------------


def _publish(
    vendor_id: int, events: int, batch: int, committed: dict, done: threading.Event, *, first: int = 0, pace: float = 0
) -> None:
    """Publish ``events`` events, ``batch`` per transaction (one every ``pace`` seconds), noting each one's commit
    time (the moment its sends are queued: the first on_commit callback of the transaction, registered before
    the outbox's)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from ppp import events as domain_events

    paid_on = timezone.localdate().isoformat()
    try:
        for start in range(first, first + events, batch):
            if pace:
                time.sleep(pace)
            stamp = {}
            with transaction.atomic():
                transaction.on_commit(lambda stamp=stamp: stamp.setdefault("at", time.time()))
                published = domain_events.publish_many(
                    (
                        EVENT,
                        [vendor_id],
                        {
                            "certificate": 900_000 + number,
                            "paid_on": paid_on,
                            "payment_reference": f"BENCH-{number:05d}",
                        },
                    )
                    for number in range(start, min(start + batch, first + events))
                )
            for event in published:
                committed[str(event.id)] = stamp["at"]
    finally:
        connection.close()
        done.set()


def _latency_probe(vendor_id: int, receipts: "Receipts", *, events: int, rate: float) -> dict:
    """After the run, with the queue empty: ``events`` events one per transaction, ``rate`` a second. What one
    event costs from commit to receipt when it waits behind no other."""
    committed: dict[str, float] = {}
    done = threading.Event()
    _progress(f"latency probe: {events} events at {rate}/s")
    _publish(vendor_id, events, 1, committed, done, first=1_000_000, pace=1 / rate)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not set(committed) <= set(receipts.first):
        time.sleep(0.2)
        receipts.read()
    print(file=sys.stderr)
    latencies = [receipts.first[event_id] - at for event_id, at in committed.items() if event_id in receipts.first]
    return {
        "events": events,
        "rate": rate,
        "lost": events - len(latencies),
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
    }


def _sweeper(app, stop: threading.Event, sent: list) -> None:
    """Send the sweep as beat does: its schedule entry's period and options (the product's settings)."""
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-webhook-deliveries"]
    while not stop.wait(entry["schedule"]):
        app.send_task(entry["task"], **entry.get("options", {}))
        sent.append(time.time())


def webhook_delivery(
    events: int = 10_000,
    batch: int = 100,
    kill_at: float = 0.5,
    timeout: float = 900,
    broker_url: str | None = None,
    probe_events: int = 100,
    probe_rate: float = 10,
) -> dict:
    import trustme
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from django.test import override_settings

    from bench.generate import BENCH_VENDOR
    from procurement.models import Vendor
    from webhooks import services
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    broker_url = broker_url or os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL)
    vendor = Vendor.objects.get(registration_number=BENCH_VENDOR)
    officer = get_user_model().objects.get(username="bench-officer")
    WebhookEndpoint.objects.filter(vendor=vendor, description=ENDPOINT_DESCRIPTION).delete()  # an earlier run's

    workdir = Path(tempfile.mkdtemp(prefix="ppp-bench-webhooks-"))
    ca = trustme.CA()
    ca_bundle = workdir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_bundle))
    server = ca.issue_cert("127.0.0.1")
    server.private_key_pem.write_to_path(str(workdir / "key.pem"))
    server.cert_chain_pems[0].write_to_path(str(workdir / "server.pem"))
    for pem in server.cert_chain_pems[1:]:
        pem.write_to_path(str(workdir / "server.pem"), append=True)
    received_log = workdir / "received.tsv"
    received_log.touch()

    port = _free_port()
    with override_settings(PPP_WEBHOOK_ALLOW_PRIVATE_HOSTS=True):
        endpoint = services.endpoint_create(
            vendor=vendor,
            by=officer,
            url=f"https://127.0.0.1:{port}/ppp/webhooks",
            description=ENDPOINT_DESCRIPTION,
            events=[EVENT],
        )
    other_endpoints = WebhookEndpoint.objects.filter(vendor=vendor, is_active=True).exclude(pk=endpoint.pk)
    if other_endpoints.exists():
        raise RuntimeError("The bench vendor has other active webhook endpoints; the run would send to them too.")

    logs = {name: (workdir / f"{name}.log").open("w") for name in ("receiver", "worker-1", "worker-2")}
    receiver = worker = replacement = None
    stop_sweeping = threading.Event()
    sweeps: list[float] = []
    result: dict = {"events": events, "batch": batch, "concurrency": 2, "broker": broker_url.split("@")[-1]}
    try:
        receiver = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.webhook_receiver",
                f"--port={port}",
                f"--cert={workdir / 'server.pem'}",
                f"--key={workdir / 'key.pem'}",
                f"--log={received_log}",
            ],
            env={**os.environ, "BENCH_WEBHOOK_SECRET": endpoint.secret, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=logs["receiver"],
            text=True,
            start_new_session=True,
            cwd=ROOT,
        )
        if receiver.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the receiver did not start; see {workdir / 'receiver.log'}")

        with _broker(broker_url) as app:
            _purge(broker_url)
            env = _worker_env(broker_url, str(ca_bundle))
            worker = _start_worker("bench-hooks-1", env, logs["worker-1"])
            _wait_for_worker(app, "bench-hooks-1", worker)
            sweeper = threading.Thread(target=_sweeper, args=(app, stop_sweeping, sweeps), daemon=True)
            sweeper.start()

            receipts = Receipts(received_log)
            committed: dict[str, float] = {}
            published = threading.Event()
            commits_before = _xact_commits()
            started = time.time()
            publisher = threading.Thread(
                target=_publish, args=(vendor.pk, events, batch, committed, published), daemon=True
            )
            publisher.start()

            killed_at = restarted_at = None
            worker_cpu = 0.0
            in_hands: set[int] = set()
            received_at_kill = delivered_at_kill = 0
            deadline = time.monotonic() + timeout
            all_delivered_at = None
            next_poll, monitor_queries = 0.0, 0
            while time.monotonic() < deadline:
                time.sleep(0.2)
                count = receipts.read()
                if killed_at is None and count >= kill_at * events:
                    worker_cpu = _group_cpu_seconds(worker.pid)
                    os.killpg(worker.pid, signal.SIGKILL)
                    killed_at = time.time()
                    worker.wait(timeout=10)
                    received_at_kill = count
                    delivered_at_kill = WebhookDelivery.objects.filter(
                        endpoint=endpoint, status=WebhookDelivery.Status.DELIVERED
                    ).count()
                    in_hands = _unacked_delivery_ids(broker_url)
                    replacement = _start_worker("bench-hooks-2", env, logs["worker-2"])
                    _wait_for_worker(app, "bench-hooks-2", replacement)
                    restarted_at = time.time()
                if published.is_set() and time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + 1
                    monitor_queries += 2
                    pending = WebhookDelivery.objects.filter(endpoint=endpoint).exclude(
                        status=WebhookDelivery.Status.DELIVERED
                    )
                    rows = WebhookDelivery.objects.filter(endpoint=endpoint).count()
                    if rows == events and not pending.exists():
                        all_delivered_at = time.time()
                        break
                phase = "after the kill" if killed_at else "before the kill"
                _progress(
                    f"{len(committed):,} published, {count:,} received ({receipts.requests - count} duplicate), "
                    f"{time.time() - started:.0f} s, {phase}"
                )
            print(file=sys.stderr)
            receipts.read()
            # The worker's share: less this process's polling and the publisher's one transaction a batch.
            commits = _xact_commits() - commits_before - monitor_queries - 1 - -(-events // batch)
            # The main run's figures, before the probe adds its own requests and rows.
            worker_cpu += _group_cpu_seconds(replacement.pid) if replacement else _group_cpu_seconds(worker.pid)
            receiver_cpu = _group_cpu_seconds(receiver.pid)
            main = {
                "requests": receipts.requests,
                "duplicates": dict(receipts.duplicates),
                "unverified": receipts.unverified,
                **WebhookDelivery.objects.filter(endpoint=endpoint).aggregate(
                    rows=Count("pk"),
                    delivered=Count("pk", filter=Q(status=WebhookDelivery.Status.DELIVERED)),
                    retried=Count("pk", filter=Q(attempts__gt=1)),
                ),
            }
            if all_delivered_at:
                result["probe"] = _latency_probe(vendor.pk, receipts, events=probe_events, rate=probe_rate)
            stop_sweeping.set()
            _stop(replacement)
            _stop(worker)
            _purge(broker_url)
    finally:
        stop_sweeping.set()
        for process in (replacement, worker, receiver):
            _stop(process)
        for log in logs.values():
            log.close()

    ids_by_delivery = dict(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("pk", "event_id"))
    in_hands_events = {str(ids_by_delivery[pk]) for pk in in_hands if pk in ids_by_delivery}
    published_ids = set(committed)
    first = {event_id: at for event_id, at in receipts.first.items() if event_id in published_ids}
    duplicates = main["duplicates"]
    kill_time = killed_at or float("inf")  # for comparisons: no kill, every receipt came before it
    lost = published_ids - set(first)
    latency = {event_id: first[event_id] - committed[event_id] for event_id in published_ids & set(first)}
    before_kill = [seconds for event_id, seconds in latency.items() if first[event_id] < kill_time]
    after_kill = [
        seconds
        for event_id, seconds in latency.items()
        if first[event_id] >= kill_time and event_id not in in_hands_events
    ]
    recovered = [first[event_id] - killed_at for event_id in in_hands_events if event_id in first]
    # When the queue ahead of the held tasks had drained: the last receipt of an event the killed worker did not hold.
    drained = max((at for event_id, at in first.items() if event_id not in in_hands_events), default=None)
    receipt_times = sorted(first.values())
    last_receipt = receipt_times[-1] if receipt_times else None
    # Steady state: from the 10 % receipt to the last one before the kill (worker start-up and the kill left out).
    before = [at for at in receipt_times if at < kill_time]
    tenth = before[len(before) // 10] if before else None
    steady = (len(before) - len(before) // 10 - 1) / (before[-1] - tenth) if len(before) > 10 else None

    def ms(values, share):
        value = _percentile(values, share)
        return None if value is None else round(value * 1000, 1)

    result.update(
        {
            "published": len(committed),
            "publish_seconds": round(max(committed.values()) - started, 2) if committed else None,
            "received_distinct": len(first),
            "requests": main["requests"],
            "lost": len(lost),
            "duplicate_requests": main["requests"] - len(first),
            "events_received_twice": len(duplicates),
            "duplicates_after_dedupe": 0,  # a receiver that keys on X-PPP-Event-Id acts once per id
            "unverified": main["unverified"],
            "rows": main["rows"],
            "rows_delivered": main["delivered"],
            "rows_retried": main["retried"],
            "all_delivered": all_delivered_at is not None,
            "seconds_total": round(last_receipt - started, 2) if last_receipt else None,
            "events_per_second": round(len(first) / (last_receipt - started), 1) if last_receipt else None,
            "steady_events_per_second": round(steady, 1) if steady else None,
            "latency_before_kill_p50_ms": ms(before_kill, 0.5),
            "latency_before_kill_p99_ms": ms(before_kill, 0.99),
            "latency_after_kill_p50_ms": ms(after_kill, 0.5),
            "latency_after_kill_p99_ms": ms(after_kill, 0.99),
            "kill_after_seconds": round(killed_at - started, 2) if killed_at else None,
            "received_at_kill": received_at_kill,
            "delivered_rows_at_kill": delivered_at_kill,
            "held_by_killed_worker": len(in_hands),
            "held_received_before_kill": sum(1 for e in in_hands_events if e in first and first[e] < kill_time),
            "held_received_twice": sum(1 for e in in_hands_events if e in duplicates),
            "restart_seconds": round(restarted_at - killed_at, 2) if restarted_at else None,
            "recovery_seconds": round(max(recovered), 2) if recovered else None,
            "held_after_drain_seconds": round(killed_at + max(recovered) - drained, 2)
            if recovered and drained
            else None,
            "kill_to_last_receipt_seconds": round(last_receipt - killed_at, 2) if killed_at and last_receipt else None,
            "kill_to_all_delivered_seconds": round(all_delivered_at - killed_at, 2) if all_delivered_at else None,
            "sweeps_sent": len(sweeps),
            "worker_cpu_ms_per_event": round(worker_cpu * 1000 / max(len(first), 1), 2),
            "receiver_cpu_ms_per_event": round(receiver_cpu * 1000 / max(len(first), 1), 2),
            "db_transactions_per_event": round(commits / max(len(first), 1), 2),
            "settings": {
                "sweep_seconds": settings.PPP_WEBHOOK_SWEEP_SECONDS,
                "stale_seconds": settings.PPP_WEBHOOK_STALE_SECONDS,
                "claim_seconds": services._claim_seconds(),
                "timeout_seconds": settings.PPP_WEBHOOK_TIMEOUT_SECONDS,
            },
        }
    )
    shutil.rmtree(workdir, ignore_errors=True)
    return result
