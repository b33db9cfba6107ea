"""Overdue-milestone alerts: the daily scan that raises them and the digest send that delivers them.

How "exactly once" holds:
- ``Alert`` is unique per (milestone, level), so a second scan, or two at once, inserts nothing new.
- Each recipient gets one digest per run. ``alert_digest_send`` locks the recipient's alerts (and their
  milestones) for the whole send, re-checks that the milestone is still open and that this recipient is
  not yet in ``delivered_to``, sends, and records the delivery in the same transaction. A duplicate task
  (second scan, broker redelivery, retry) finds the recipient already delivered and sends nothing.
- The one window no database closes, a crash after the mail server accepted the message but before the
  commit, leaves the delivery unrecorded, so it is sent again: at-least-once (see README).
"""

import datetime
import logging
import smtplib
import socket
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.query import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from procurement.models import VendorContact

from .models import Alert, Deliverable, Milestone

logger = logging.getLogger(__name__)

# Transient failures worth retrying; anything else (a template bug, bad data) fails loudly at once.
MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, socket.gaierror)

VENDOR_CONTACTS = "vendor_contacts"


# --- Who hears about what ----------------------------------------------------------------------


def escalation_levels() -> list[dict]:
    return sorted(settings.ALERT_ESCALATION_LEVELS, key=lambda level: level["days_overdue"])


def alert_level_on(due_date: datetime.date, on: datetime.date) -> int | None:
    """The level an open milestone due on ``due_date`` has reached on ``on``, or None (nothing to say yet)."""
    days_late = (on - due_date).days
    if days_late <= 0:
        return Alert.DUE_SOON if -days_late <= settings.ALERT_DUE_SOON_DAYS else None
    reached = [level["level"] for level in escalation_levels() if days_late >= level["days_overdue"]]
    return reached[-1] if reached else None


def audiences_for(level: int) -> set[str]:
    if level == Alert.DUE_SOON:
        return {VENDOR_CONTACTS}
    return {audience for step in escalation_levels() if step["level"] <= level for audience in step["adds"]}


def alert_recipients(milestone: Milestone, level: int) -> list[str]:
    """Email addresses for ``level``; expects the milestone from ``milestones_to_scan`` (nothing is queried)."""
    audiences = audiences_for(level)
    project = milestone.project
    emails = []
    if "owner" in audiences:
        emails.append(project.owner.email)
    if VENDOR_CONTACTS in audiences and milestone.responsible_vendor_id:
        emails.extend(contact.email for contact in milestone.responsible_vendor.alert_contacts)
    if "board" in audiences:
        emails.extend(member.email for member in project.board_members.all())
    if "authority" in audiences:
        emails.append(project.agreement.authority.contact_email)
    unique = {}
    for email in filter(None, emails):
        unique.setdefault(email.strip().lower(), email.strip())
    return list(unique.values())


def milestones_to_scan(on: datetime.date):
    """Open milestones due on or before the due-soon horizon, with everything the recipients need.

    Filters by status and due date, which the (status, due_date) index serves; ordered for keyset paging.
    """
    horizon = on + datetime.timedelta(days=settings.ALERT_DUE_SOON_DAYS)
    return (
        Milestone.objects.open()
        .filter(due_date__lte=horizon)
        .select_related("project__owner", "project__agreement__authority", "responsible_vendor")
        .prefetch_related(
            Prefetch(
                "responsible_vendor__contacts",
                queryset=VendorContact.objects.filter(receives_alerts=True),
                to_attr="alert_contacts",
            ),
            "project__board_members",
        )
        .order_by("due_date", "id")
    )


def _pages(queryset, size: int):
    """Keyset pages over a queryset ordered by (due_date, id): one query per page, bounded memory."""
    last = None
    while True:
        page = queryset
        if last is not None:
            page = page.filter(Q(due_date__gt=last.due_date) | Q(due_date=last.due_date, id__gt=last.id))
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]


# --- The scan ----------------------------------------------------------------------------------


@dataclass
class ScanResult:
    on: datetime.date
    dry_run: bool
    scanned: int = 0
    raised: Counter = field(default_factory=Counter)  # level -> new alerts
    raised_alerts: list[tuple[Milestone, int, list[str]]] = field(default_factory=list)
    closed_skipped: int = 0
    digests: dict[str, list[int]] = field(default_factory=dict)  # recipient -> unsent alert ids

    @property
    def digest_sizes(self) -> dict[str, int]:
        """Recipient -> milestones in their digest (in a dry run, counting the alerts it would raise)."""
        sizes = Counter({email: len(ids) for email, ids in self.digests.items()})
        if self.dry_run:
            sizes.update(email for _, _, recipients in self.raised_alerts for email in recipients)
        return dict(sizes)


def alerts_scan(
    *,
    on: datetime.date | None = None,
    dry_run: bool = False,
    chunk_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """Raise the alerts due on ``on`` (today) and queue one digest per recipient of every unsent alert.

    Safe to run any number of times, also concurrently: existing (milestone, level) rows are never raised
    again, and a digest task for an already delivered alert sends nothing. ``dry_run`` reads only.
    """
    on = on or timezone.localdate()
    chunk_size = chunk_size or settings.ALERT_SCAN_CHUNK_SIZE
    result = ScanResult(on=on, dry_run=dry_run)
    candidates = milestones_to_scan(on)
    total = candidates.count() if progress else 0

    for page in _pages(candidates, chunk_size):
        result.scanned += len(page)
        new_alerts = _new_alerts(page, on)
        for alert in new_alerts:
            result.raised[alert.level] += 1
            result.raised_alerts.append((alert.milestone, alert.level, alert.recipients))
        if not dry_run:
            _save_new_alerts(new_alerts, [milestone.id for milestone in page])
        if progress:
            progress(result.scanned, total)

    if not dry_run:
        result.closed_skipped = _skip_alerts_of_closed_milestones()
    result.digests = _unsent_digests()
    if not dry_run:
        from .tasks import send_alert_digest

        for email, alert_ids in result.digests.items():
            send_alert_digest.delay_on_commit(email, alert_ids)
    return result


def _new_alerts(page: list[Milestone], on: datetime.date) -> list[Alert]:
    levels = {milestone.id: alert_level_on(milestone.due_date, on) for milestone in page}
    levels = {milestone_id: level for milestone_id, level in levels.items() if level is not None}
    existing = set(Alert.objects.filter(milestone_id__in=levels).values_list("milestone_id", "level"))
    new_alerts = []
    for milestone in page:
        level = levels.get(milestone.id)
        if level is None or (milestone.id, level) in existing:
            continue
        recipients = alert_recipients(milestone, level)
        new_alerts.append(
            Alert(
                milestone=milestone,
                level=level,
                scan_date=on,
                recipients=recipients,
                status=Alert.Status.PENDING if recipients else Alert.Status.SKIPPED,
                last_error="" if recipients else "Nobody to tell: no owner email or alert contacts.",
            )
        )
    return new_alerts


@transaction.atomic
def _save_new_alerts(new_alerts: list[Alert], milestone_ids: list[int]) -> None:
    # A concurrent scan may have inserted the same (milestone, level) since we looked: the unique
    # constraint makes that row win and ours a no-op.
    Alert.objects.bulk_create(new_alerts, ignore_conflicts=True)
    # A reached level makes the lower ones still unsent pointless: one email, about where it stands now.
    higher = Alert.objects.filter(milestone_id=OuterRef("milestone_id"), level__gt=OuterRef("level"))
    Alert.objects.unsent().filter(milestone_id__in=milestone_ids).filter(Exists(higher)).update(
        status=Alert.Status.SKIPPED, last_error="Superseded by a higher level.", updated_at=timezone.now()
    )


def _skip_alerts_of_closed_milestones() -> int:
    return (
        Alert.objects.unsent()
        .exclude(milestone__status__in=Milestone.OPEN_STATUSES)
        .update(
            status=Alert.Status.SKIPPED,
            last_error="Milestone closed before the alert was sent.",
            updated_at=timezone.now(),
        )
    )


def _unsent_digests() -> dict[str, list[int]]:
    digests = defaultdict(list)
    unsent = Alert.objects.unsent().order_by("id").values_list("id", "recipients", "delivered_to")
    for alert_id, recipients, delivered_to in unsent.iterator(chunk_size=settings.ALERT_SCAN_CHUNK_SIZE):
        for email in recipients:
            if email not in delivered_to:
                digests[email].append(alert_id)
    return dict(digests)


# --- Sending -----------------------------------------------------------------------------------


def alert_digest_send(*, recipient: str, alert_ids: list[int], final_attempt: bool = True) -> int:
    """Email ``recipient`` one digest of those ``alert_ids`` they have not had yet; return how many it listed.

    Holds the alert and milestone rows locked from the check to the record of delivery, so a concurrent
    duplicate waits and then finds nothing to send, and a milestone cannot close unseen in between.
    A mail error is recorded on the alerts (``failed`` when ``final_attempt``) and raised for the retry.
    """
    error = None
    with transaction.atomic():
        alerts = list(
            Alert.objects.unsent()
            .filter(pk__in=alert_ids)
            .select_related("milestone__project", "milestone__responsible_vendor")
            .select_for_update(of=("self", "milestone"), no_key=True)
            .order_by("pk")
        )
        due = []
        for alert in alerts:
            if recipient not in alert.undelivered:
                continue
            if not alert.milestone.is_open:
                alert.status = Alert.Status.SKIPPED
                alert.last_error = f"Milestone {alert.milestone.get_status_display().lower()} before it was sent."
                alert.save(update_fields=["status", "last_error", "updated_at"])
                continue
            due.append(alert)
        if not due:
            return 0
        try:
            _digest_message(recipient, due).send()
        except MAIL_ERRORS as exc:
            error = exc
            _record_failure(due, recipient, exc, final=final_attempt)
        else:
            _record_delivery(due, recipient)
    if error is not None:
        raise error
    return len(due)


def _record_delivery(alerts: list[Alert], recipient: str) -> None:
    now = timezone.now()
    for alert in alerts:
        alert.attempts += 1
        alert.delivered_to = [*alert.delivered_to, recipient]
        if not alert.undelivered:
            alert.status, alert.sent_at, alert.last_error = Alert.Status.SENT, now, ""
        alert.updated_at = now
    Alert.objects.bulk_update(
        alerts, ["attempts", "delivered_to", "status", "sent_at", "last_error", "updated_at"], batch_size=500
    )


def _record_failure(alerts: list[Alert], recipient: str, exc: Exception, *, final: bool) -> None:
    logger.warning("Alert digest to %s failed (%s alerts): %s", recipient, len(alerts), exc)
    now = timezone.now()
    for alert in alerts:
        alert.attempts += 1
        alert.last_error = f"{recipient}: {type(exc).__name__}: {exc}"[:2000]
        if final:
            alert.status = Alert.Status.FAILED
        alert.updated_at = now
    Alert.objects.bulk_update(alerts, ["attempts", "last_error", "status", "updated_at"], batch_size=500)


def milestone_admin_url(milestone_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("admin:projects_milestone_change", args=[milestone_id])


def _digest_message(recipient: str, alerts: list[Alert]) -> EmailMultiAlternatives:
    today = timezone.localdate()
    milestones = [alert.milestone for alert in alerts]
    prefetch_related_objects(
        milestones, Prefetch("deliverables", queryset=Deliverable.objects.open(), to_attr="open_deliverables")
    )
    items = [
        {
            "alert": alert,
            "milestone": alert.milestone,
            "project": alert.milestone.project,
            "days_late": alert.milestone.days_overdue(today),
            "days_left": (alert.milestone.due_date - today).days,
            "deliverables": alert.milestone.open_deliverables,
            "url": milestone_admin_url(alert.milestone_id),
        }
        for alert in sorted(alerts, key=lambda a: (-a.level, a.milestone.due_date, a.milestone_id))
    ]
    late = sum(1 for item in items if item["alert"].level != Alert.DUE_SOON)
    soon = len(items) - late
    parts = [f"{late} late milestone{'s' if late != 1 else ''}"] if late else []
    if soon:
        parts.append(f"{soon} due soon")
    context = {"items": items, "today": today, "recipient": recipient, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=f"[ppp-tracker] {' and '.join(parts)}",
        body=render_to_string("emails/milestone_alerts.txt", context),
        to=[recipient],
    )
    message.attach_alternative(render_to_string("emails/milestone_alerts.html", context), "text/html")
    return message


# --- Officer actions ---------------------------------------------------------------------------


@transaction.atomic
def alert_resend(*, alert_id: int) -> Alert:
    """Put a failed alert back in the queue; its undelivered recipients get it in a digest of its own."""
    from ppp.errors import TransitionError

    from .tasks import send_alert_digest

    alert = Alert.objects.select_for_update().get(pk=alert_id)
    if alert.status != Alert.Status.FAILED:
        raise TransitionError(alert, alert.status, Alert.Status.PENDING, "only failed alerts are sent again")
    alert.status = Alert.Status.PENDING
    alert.save(update_fields=["status", "updated_at"])
    for email in alert.undelivered:
        send_alert_digest.delay_on_commit(email, [alert.id])
    return alert
