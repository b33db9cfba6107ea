"""``make run``'s embedded stack: on SQLite, a real Celery worker sends the alert digests while the web writes,
and every delivery is recorded exactly once (issue 12, point 6: 7 of 22 deliveries were lost to "database is
locked" after the email had gone out, so they would have been sent again).

Whatever DATABASE_URL the suite runs on (CI: PostgreSQL), this test's processes use their own SQLite file, broker
folder and mail folder under pytest's tmp_path, with the settings ``make run`` uses (sqlite_stack_settings.py).
"""

import contextlib
import email
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = 24  # 24 owners' digests + 1 to the vendor's contact = 25 digests over the same 24 alerts
VENDOR_PM = "pm@vendor.example"


class Stack:
    """The processes of ``make run`` (minus beat, which only enqueues the scan we run by hand), on ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.database = folder / "db.sqlite3"
        for sub in ("broker/queue", "broker/processed", "broker/control", "mail", "media"):
            (folder / sub).mkdir(parents=True)
        self.env = {
            **{name: value for name, value in os.environ.items() if not name.startswith(("CELERY_", "DJANGO_"))},
            "DATABASE_URL": f"sqlite:///{self.database}",
            "DJANGO_SETTINGS_MODULE": "tests.projects.sqlite_stack_settings",
            "PPP_STACK_DIR": str(folder),
            "PPP_API_RATE": "1000000/hour",  # the writer is busy on purpose; a 429 would only slow it down
            "PYTHONPATH": str(ROOT),
        }

    def manage(self, *args: str, timeout: float = 120) -> str:
        finished = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
        return finished.stdout + finished.stderr

    def shell(self, code: str, timeout: float = 120) -> str:
        return self.manage("shell", "-c", f"from tests.projects.sqlite_stack_scripts import *; {code}", timeout=timeout)

    @contextlib.contextmanager
    def background(self, name: str, *command: str):
        """Run ``command`` with its output in ``<name>.log``; always end it (and its children) on the way out."""
        log = self.folder / f"{name}.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                yield log
            finally:
                process.terminate()  # a worker's warm shutdown ends its pool
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # pool processes left behind, if any

    def rows(self, query: str) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as connection:
            return connection.execute(query).fetchall()

    def alerts(self) -> list[dict]:
        return [
            {"status": status, "recipients": json.loads(recipients), "delivered_to": json.loads(delivered_to)}
            for status, recipients, delivered_to in self.rows(
                "SELECT status, recipients, delivered_to FROM projects_alert ORDER BY id"
            )
        ]

    def emails(self) -> list[email.message.Message]:
        separator = "\n" + "-" * 79 + "\n"
        return [
            email.message_from_string(chunk)
            for path in sorted((self.folder / "mail").iterdir())
            for chunk in path.read_text().split(separator)
            if chunk.strip()
        ]


def wait_for(condition, *, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    detail = f"\n--- {log.name} (end) ---\n{log.read_text()[-4000:]}" if log else ""
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.{detail}")


def test_a_real_worker_on_sqlite_records_every_digest_once_while_the_web_writes(tmp_path):
    # Given make run's database (migrated, WAL on the file) with 24 late milestones,
    stack = Stack(tmp_path)
    stop_writing, writer_report = tmp_path / "stop-writing", tmp_path / "writer.json"
    # a real worker as the Procfile starts it (started first: it needs no database until a task comes),
    worker = stack.background(
        "worker",
        *(sys.executable, "-m", "celery", "-A", "ppp", "worker", "--concurrency=2", "--loglevel=INFO"),
        *("--hostname", f"sqlite-stack-{os.getpid()}@%h", "--without-mingle", "--without-gossip"),
    )
    with worker as worker_log:
        stack.manage("migrate", "--noinput", "-v", "0")
        assert stack.rows("PRAGMA journal_mode") == [("wal",)]
        stack.shell(f"seed({PROJECTS})")
        # and the vendor's system writing through the API all along,
        writer = stack.background(
            "writer",
            *(sys.executable, "manage.py", "shell", "-c"),
            "from tests.projects.sqlite_stack_scripts import write_through_the_api; "
            f"write_through_the_api({str(stop_writing)!r}, {str(writer_report)!r}, seconds=150)",
        )
        with writer:
            wait_for(lambda: " ready." in worker_log.read_text(), timeout=40, what="the worker", log=worker_log)
            wait_for(lambda: Path(f"{writer_report}.started").exists(), timeout=30, what="the first write")
            # when the day's scan queues the digests while the web keeps writing,
            sending_began = time.time()
            scan_output = stack.manage("send_overdue_alerts")
            assert f"Queued {PROJECTS + 1} digest email(s)" in scan_output, scan_output
            wait_for(
                lambda: all(alert["status"] == "sent" for alert in stack.alerts()),
                timeout=60,
                what="every alert to be recorded as sent",
                log=worker_log,
            )
            sending_ended = time.time()
            wait_for(lambda: len(stack.emails()) >= PROJECTS + 1, timeout=10, what="the emails")
            stop_writing.touch()
            wait_for(writer_report.exists, timeout=30, what="the writer's report")

    # then every alert lists each of its recipients as delivered, exactly once,
    alerts = stack.alerts()
    assert len(alerts) == PROJECTS
    for alert in alerts:
        assert sorted(alert["delivered_to"]) == sorted(alert["recipients"])
        assert len(set(alert["delivered_to"])) == len(alert["delivered_to"])
    recorded = Counter(address for alert in alerts for address in alert["delivered_to"])

    # each recipient got exactly one email, listing exactly the milestones recorded as delivered to them,
    emails = stack.emails()
    assert Counter(message["To"] for message in emails) == Counter(set(recorded))
    assert len(emails) == len(recorded) == PROJECTS + 1
    for message in emails:
        listed = re.search(r"(\d+) late milestones?", message["Subject"])
        assert listed and int(listed.group(1)) == recorded[message["To"]], message["Subject"]
    assert recorded[VENDOR_PM] == PROJECTS

    # the web was writing throughout, never refused, and nobody saw the database locked.
    report = json.loads(writer_report.read_text())
    assert report["refused"] == [] and report["errors"] == []
    assert sum(sending_began <= written <= sending_ended for written in report["writes"]) >= 5, report["writes"][-5:]
    worker_output = (tmp_path / "worker.log").read_text()
    assert worker_output.count("succeeded") >= PROJECTS + 1
    for trouble in ("database is locked", "OperationalError", "Traceback", "Retry in"):
        assert trouble not in worker_output, worker_output[-4000:]
