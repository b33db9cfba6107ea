"""Deployment settings for alerts: the beat schedule, the escalation ladder and the Redis visibility timeout."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PRINT_SETTINGS = """
import json
from django.conf import settings
from ppp.celery import app
entry = app.conf.beat_schedule["overdue-milestone-alerts"]
print(json.dumps({
    "task": entry["task"],
    "hour": sorted(entry["schedule"].hour),
    "minute": sorted(entry["schedule"].minute),
    "visibility_timeout": app.conf.broker_transport_options.get("visibility_timeout"),
    "levels": settings.ALERT_ESCALATION_LEVELS,
    "backoff_max": settings.ALERT_RETRY_BACKOFF_MAX,
}))
"""


def _settings(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PPP_", "CELERY_"))}
    environment.update(DJANGO_SETTINGS_MODULE="ppp.settings.local", **env)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + PRINT_SETTINGS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_beat_runs_the_scan_daily_at_the_configured_time_and_redis_outlasts_every_retry():
    configured = _settings(
        PPP_ALERT_SCAN_TIME="06:30",
        PPP_ALERT_ESCALATION_DAYS="2,10,45",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )

    assert configured["task"] == "projects.tasks.scan_overdue_milestones"
    assert (configured["hour"], configured["minute"]) == ([6], [30])
    assert configured["visibility_timeout"] > configured["backoff_max"]
    assert [(level["level"], level["days_overdue"], level["adds"]) for level in configured["levels"]] == [
        (1, 2, ["owner", "vendor_contacts"]),
        (2, 10, ["board"]),
        (3, 45, ["authority"]),
    ]
