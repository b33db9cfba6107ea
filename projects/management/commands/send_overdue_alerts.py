"""Run the overdue-milestone scan by hand: the same scan beat runs every morning."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projects.alerts import alerts_scan
from projects.models import Alert
from projects.tasks import queue_alert_digest

# How many recipients the summary names; the rest are counted.
LISTED_RECIPIENTS = 20


class Command(BaseCommand):
    help = (
        "Raise the due-soon and overdue alerts for a day and queue one digest email per recipient. "
        "Safe to run again: an alert already raised is never raised or sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be raised and sent; change nothing."
        )
        parser.add_argument("--date", help="Scan as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, dry_run=False, date=None, **options):
        try:
            on = datetime.date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date must look like 2026-06-15, not {date!r}.") from exc
        if on and on > timezone.localdate() and not dry_run:
            # Raising tomorrow's escalations today would tell people a milestone is later than it is.
            raise CommandError(f"{on} is in the future: preview it with --dry-run, alerts are raised on the day.")

        self._last_progress = 0
        result = alerts_scan(on=on, dry_run=dry_run, progress=self._progress, queue_digest=queue_alert_digest)
        prefix = "Dry run: would raise" if dry_run else "Raised"
        self.stdout.write(f"Scan of {result.on.isoformat()}: {result.scanned} open milestone(s) due by the horizon.")
        by_level = ", ".join(f"{Alert.label_for(level)}: {count}" for level, count in sorted(result.raised.items()))
        self.stdout.write(f"{prefix} {sum(result.raised.values())} new alert(s){f' ({by_level})' if by_level else ''}.")
        if result.review_waiting:
            verb = "would remind" if dry_run else "reminded"
            self.stdout.write(f"Review waiting: {verb} {result.review_waiting} owner(s) of submitted work.")
        if dry_run:
            for milestone, level, recipients in result.raised_sample:
                to = ", ".join(recipients) or "nobody"
                self.stdout.write(f"  {Alert.label_for(level)}: {milestone.project.code} / {milestone} -> {to}")
            self._and_more(sum(result.raised.values()) - len(result.raised_sample), "alert(s)")
        if result.closed_skipped:
            self.stdout.write(
                f"Skipped {result.closed_skipped} unsent alert(s) no longer due (milestone closed or rescheduled, "
                "project closed, agreement terminated, or work waiting for review)."
            )
        sizes = result.digest_sizes
        verb = "Would send" if dry_run else "Queued"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {len(sizes)} digest email(s) covering {sum(sizes.values())} alert(s).")
        )
        # Largest digests first: at national scale the full list would be thousands of lines.
        largest = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:LISTED_RECIPIENTS]
        for email, count in largest:
            self.stdout.write(f"  {email}: {count} milestone(s)")
        self._and_more(len(sizes) - len(largest), "recipient(s)")

    def _and_more(self, count: int, what: str):
        if count > 0:
            self.stdout.write(f"  … and {count} more {what}")

    def _progress(self, done: int, total: int):
        # About ten lines whatever the size: every page would be a hundred lines at a million milestones.
        step = max(total // 10, 1)
        if done == total or done // step != self._last_progress // step:
            self.stdout.write(f"  read {done}/{total} milestones…")
        self._last_progress = done
