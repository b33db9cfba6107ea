"""``manage.py send_overdue_alerts``: the daily scan by hand, with a dry run and a date."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from projects.models import Alert

from .alerting import OWNER, VENDOR_PM, due

pytestmark = pytest.mark.django_db


def run(*args, capture):
    out = StringIO()
    with capture(execute=True):
        call_command("send_overdue_alerts", *args, stdout=out)
    return out.getvalue()


def test_the_command_raises_alerts_queues_digests_and_says_so(world, django_capture_on_commit_callbacks):
    milestone = due(world, datetime.date(2026, 6, 12))

    output = run("--date", "2026-06-15", capture=django_capture_on_commit_callbacks)

    assert "Scan of 2026-06-15: 1 open milestone(s)" in output
    assert "read 1/1 milestones" in output
    assert "Raised 1 new alert(s) (Level 1: 1)." in output
    assert "Queued 2 digest email(s) covering 2 alert(s)." in output
    assert f"{OWNER}: 1 milestone(s)" in output
    assert Alert.objects.get().milestone == milestone
    assert sorted(message.to[0] for message in mail.outbox) == sorted([OWNER, VENDOR_PM])

    again = run("--date", "2026-06-15", capture=django_capture_on_commit_callbacks)

    assert "Raised 0 new alert(s)." in again and "Queued 0 digest email(s)" in again
    assert len(mail.outbox) == 2


def test_dry_run_lists_what_would_happen_and_changes_nothing(world, django_capture_on_commit_callbacks):
    milestone = due(world, datetime.date(2026, 6, 12))

    output = run("--dry-run", "--date", "2026-06-15", capture=django_capture_on_commit_callbacks)

    assert "Dry run: would raise 1 new alert(s) (Level 1: 1)." in output
    assert f"Level 1: {world.project.code} / {milestone} -> {OWNER}, {VENDOR_PM}" in output
    assert "Would send 2 digest email(s)" in output
    assert not Alert.objects.exists() and mail.outbox == []


def test_a_malformed_date_is_refused_with_an_example():
    with pytest.raises(CommandError, match="--date must look like 2026-06-15, not '15/06/2026'"):
        call_command("send_overdue_alerts", "--date", "15/06/2026")


def test_a_future_day_can_be_previewed_but_not_alerted(world, django_capture_on_commit_callbacks):
    due(world, datetime.date(2026, 6, 12))
    future = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()

    with pytest.raises(CommandError, match="is in the future: preview it with --dry-run"):
        call_command("send_overdue_alerts", "--date", future)
    preview = run("--dry-run", "--date", future, capture=django_capture_on_commit_callbacks)

    assert "Dry run: would raise 1 new alert(s)" in preview
    assert not Alert.objects.exists()


def test_a_large_dry_run_lists_a_sample_and_the_biggest_digests_then_counts_the_rest(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("projects.alerts.DRY_RUN_SAMPLE_SIZE", 2)
    monkeypatch.setattr("projects.management.commands.send_overdue_alerts.LISTED_RECIPIENTS", 1)
    for day in (10, 11, 12):
        due(world, datetime.date(2026, 6, day), responsible_vendor=None if day == 10 else world.vendor)

    output = run("--dry-run", "--date", "2026-06-15", capture=django_capture_on_commit_callbacks)

    assert "Dry run: would raise 3 new alert(s) (Level 1: 3)." in output
    assert output.count("Level 1: ") == 1 + 2 and "  … and 1 more alert(s)" in output
    assert "Would send 2 digest email(s) covering 5 alert(s)." in output
    assert f"  {OWNER}: 3 milestone(s)\n  … and 1 more recipient(s)" in output
    assert VENDOR_PM not in output.split("Would send")[1]
