"""Run the overdue-milestone scan by hand: the same scan beat runs every morning."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projects.alerts import alerts_scan
from projects.models import Alert


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

        result = alerts_scan(on=on, dry_run=dry_run, progress=self._progress)
        prefix = "Dry run: would raise" if dry_run else "Raised"
        self.stdout.write(f"Scan of {result.on.isoformat()}: {result.scanned} open milestone(s) due by the horizon.")
        by_level = ", ".join(f"{Alert.label_for(level)}: {count}" for level, count in sorted(result.raised.items()))
        self.stdout.write(f"{prefix} {sum(result.raised.values())} new alert(s){f' ({by_level})' if by_level else ''}.")
        if dry_run:
            for milestone, level, recipients in result.raised_alerts:
                to = ", ".join(recipients) or "nobody"
                self.stdout.write(f"  {Alert.label_for(level)}: {milestone.project.code} / {milestone} -> {to}")
        if result.closed_skipped:
            self.stdout.write(f"Skipped {result.closed_skipped} unsent alert(s) of milestones closed meanwhile.")
        sizes = result.digest_sizes
        verb = "Would send" if dry_run else "Queued"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {len(sizes)} digest email(s) covering {sum(sizes.values())} alert(s).")
        )
        for email, count in sorted(sizes.items()):
            self.stdout.write(f"  {email}: {count} milestone(s)")

    def _progress(self, done: int, total: int):
        self.stdout.write(f"  read {done}/{total} milestones…")
