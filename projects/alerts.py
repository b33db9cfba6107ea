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
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import OperationalError, transaction
from django.db.models import Case, Exists, F, OuterRef, PositiveSmallIntegerField, Prefetch, Subquery, Value, When
from django.db.models.query import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from ppp.errors import TransitionError
from procurement.models import VendorContact

from .models import Alert, Deliverable, Milestone, Project

logger = logging.getLogger(__name__)

# Transient failures worth retrying; anything else (a template bug, bad data) fails loudly at once.
MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, socket.gaierror)

# After the mail server took a digest, recording its delivery is tried this many times (waiting 1 s, 2 s,
# 4 s, ... between), so a busy database does not turn into the same email sent twice.
RECORD_DELIVERY_ATTEMPTS = 5


def is_database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is a database that stayed locked past its busy timeout (SQLite: "database is locked",
    "database table is locked", "database is busy"): transient, worth another try."""
    message = str(exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in message or "busy" in message)


class DeliveryNotRecorded(Exception):
    """The mail server took a digest, but no try could record it. Not retried by the task: its alerts stay
    unsent for that recipient, so the next scan sends the digest again (at-least-once, see README)."""


VENDOR_CONTACTS = "vendor_contacts"


# --- Who hears about what ----------------------------------------------------------------------


def escalation_levels() -> list[dict]:
    return sorted(settings.ALERT_ESCALATION_LEVELS, key=lambda level: level["days_overdue"])


def alert_level(on: datetime.date) -> Case:
    """The level an open milestone has reached on ``on``, computed by the database from its due date:
    due soon (due from today to the horizon), else the highest escalation its days overdue reach, else NULL
    (nothing to say yet)."""
    whens = [When(due_date__gte=on, then=Value(Alert.DUE_SOON))]
    for step in reversed(escalation_levels()):
        whens.append(When(due_date__lte=on - datetime.timedelta(days=step["days_overdue"]), then=Value(step["level"])))
    return Case(*whens, default=None, output_field=PositiveSmallIntegerField())


def audiences_for(level: int) -> set[str]:
    if level == Alert.DUE_SOON:
        return {VENDOR_CONTACTS}
    return {audience for step in escalation_levels() if step["level"] <= level for audience in step["adds"]}


@dataclass
class _PageContacts:
    """The board members and vendor contacts of one page's milestones: two queries, whatever the page holds."""

    board: dict[int, list[str]]  # project id -> board member emails
    vendor_contacts: dict[int, list[str]]  # vendor id -> emails of contacts who receive alerts

    @classmethod
    def load(cls, project_ids: set[int], vendor_ids: set[int], *, with_board: bool) -> "_PageContacts":
        board = defaultdict(list)
        if with_board:
            members = (
                Project.board_members.through.objects.filter(project_id__in=project_ids)
                .order_by("pk")
                .values_list("project_id", "user__email")
            )
            for project_id, email in members:
                board[project_id].append(email)
        vendor_contacts = defaultdict(list)
        if vendor_ids:
            contacts = (
                VendorContact.objects.filter(vendor_id__in=vendor_ids, receives_alerts=True)
                .order_by("vendor_id", "name")
                .values_list("vendor_id", "email")
            )
            for vendor_id, email in contacts:
                vendor_contacts[vendor_id].append(email)
        return cls(board, vendor_contacts)

    def recipients(self, row, audiences: set[str]) -> list[str]:
        emails = []
        if "owner" in audiences:
            emails.append(row.owner_email)
        if VENDOR_CONTACTS in audiences and row.vendor_id:
            emails.extend(self.vendor_contacts.get(row.vendor_id, ()))
        if "board" in audiences:
            emails.extend(self.board.get(row.project_id, ()))
        if "authority" in audiences:
            emails.append(row.authority_email)
        unique = {}
        for email in filter(None, emails):
            unique.setdefault(email.strip().lower(), email.strip())
        return list(unique.values())


# --- Reading the milestones to scan ------------------------------------------------------------


def scan_page_query(on: datetime.date, status: str, size: int, after: tuple[datetime.date, int] | None = None):
    """One keyset page of the open milestones in ``status`` due by the due-soon horizon of ``on``.

    One status at a time, so the (status, due_date) index hands rows over in due-date order and the page
    stops after ``size`` rows; ``status IN (open statuses)`` would make PostgreSQL read and sort every
    candidate for every page. ``after`` = (due_date, id) of the last row of the previous page.

    Each row carries only what deciding and addressing an alert needs (named tuples, no model instances):
    its level on ``on``, the highest level it already has up to that one, and the owner's and authority's addresses.
    """
    horizon = on + datetime.timedelta(days=settings.DUE_SOON_DAYS)
    page = Milestone.objects.filter(status=status, due_date__lte=horizon)
    if after is not None:
        last_due, last_id = after
        # due_date >= x bounds the index range; the exclude drops only the rows of that day already seen.
        page = page.filter(due_date__gte=last_due).exclude(due_date=last_due, id__lte=last_id)
    # The highest level this milestone already has up to its current one: equal means raised already, lower
    # means the new alert supersedes it. One index probe per row on (milestone, level), which the LIMIT
    # keeps from turning into a hash of the whole (ever-growing) alert table as EXISTS (... level = ...) does.
    raised_up_to = (
        Alert.objects.filter(milestone_id=OuterRef("pk"), level__lte=OuterRef("level"))
        .order_by("-level")
        .values("level")[:1]
    )
    return (
        page.annotate(
            level=alert_level(on),
            highest_raised=Subquery(raised_up_to),
            vendor_id=F("responsible_vendor_id"),
            owner_email=F("project__owner__email"),
            authority_email=F("project__agreement__authority__contact_email"),
        )
        .order_by("due_date", "id")
        .values_list(
            "id",
            "due_date",
            "project_id",
            "vendor_id",
            "level",
            "highest_raised",
            "owner_email",
            "authority_email",
            named=True,
        )[:size]
    )


def milestones_to_scan_count(on: datetime.date) -> int:
    horizon = on + datetime.timedelta(days=settings.DUE_SOON_DAYS)
    return Milestone.objects.open().filter(due_date__lte=horizon).count()


def _pages(on: datetime.date, size: int):
    """Keyset pages of scan rows (see ``scan_page_query``): one query per page, bounded memory."""
    for status in Milestone.OPEN_STATUSES:
        after = None
        while True:
            rows = list(scan_page_query(on, status, size, after))
            if rows:
                yield rows
            if len(rows) < size:
                break
            after = (rows[-1].due_date, rows[-1].id)


# --- The scan ----------------------------------------------------------------------------------

# What a dry run lists one by one; the rest is counted. Keeps the command's output and memory bounded.
DRY_RUN_SAMPLE_SIZE = 50


@dataclass
class ScanResult:
    on: datetime.date
    dry_run: bool
    scanned: int = 0
    pages: int = 0
    raised: Counter = field(default_factory=Counter)  # level -> new alerts
    # A dry run's first DRY_RUN_SAMPLE_SIZE would-be alerts as (milestone, level, recipients), and how many
    # of them each recipient would get: counts, not objects, so memory stays bounded at any size.
    raised_sample: list[tuple[Milestone, int, list[str]]] = field(default_factory=list)
    would_notify: Counter = field(default_factory=Counter)
    closed_skipped: int = 0
    digests: dict[str, list[int]] = field(default_factory=dict)  # recipient -> unsent alert ids

    @property
    def digest_sizes(self) -> dict[str, int]:
        """Recipient -> milestones in their digest (in a dry run, counting the alerts it would raise)."""
        sizes = Counter({email: len(ids) for email, ids in self.digests.items()})
        sizes.update(self.would_notify)
        return dict(sizes)


# How a digest is queued: ``projects.tasks.queue_alert_digest`` (a Celery task after commit). The caller passes
# it, so this module never imports the tasks that import it (tasks -> alerts, one way).
QueueDigest = Callable[[str, list[int]], None]


def alerts_scan(
    *,
    queue_digest: QueueDigest,
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
    total = milestones_to_scan_count(on) if progress else 0
    sample_ids = []

    for page in _pages(on, chunk_size):
        result.pages += 1
        result.scanned += len(page)
        new_alerts, escalated = _new_alerts(page, on)
        for alert in new_alerts:
            result.raised[alert.level] += 1
        if dry_run:
            result.would_notify.update(email for alert in new_alerts for email in alert.recipients)
            room = DRY_RUN_SAMPLE_SIZE - len(sample_ids)
            sample_ids.extend((alert.milestone_id, alert.level, alert.recipients) for alert in new_alerts[:room])
        elif new_alerts:
            _save_new_alerts(new_alerts, escalated)
        if progress:
            progress(result.scanned, total)

    if sample_ids:
        milestones = Milestone.objects.select_related("project").in_bulk([pk for pk, _, _ in sample_ids])
        result.raised_sample = [(milestones[pk], level, recipients) for pk, level, recipients in sample_ids]
    if not dry_run:
        result.closed_skipped = _skip_alerts_of_closed_milestones()
    result.digests = _unsent_digests()
    if not dry_run:
        for email, alert_ids in result.digests.items():
            queue_digest(email, alert_ids)
    return result


def _new_alerts(page: list, on: datetime.date) -> tuple[list[Alert], list[int]]:
    """The alerts the page's milestones are due and have not had, and the ids of those among them that
    already have a lower level (which the new one supersedes)."""
    due = [row for row in page if row.level is not None and row.highest_raised != row.level]
    if not due:
        return [], []
    audiences = {level: audiences_for(level) for level in {row.level for row in due}}
    contacts = _PageContacts.load(
        {row.project_id for row in due},
        {row.vendor_id for row in due if row.vendor_id},
        with_board=any("board" in audience for audience in audiences.values()),
    )
    new_alerts = []
    for row in due:
        recipients = contacts.recipients(row, audiences[row.level])
        new_alerts.append(
            Alert(
                milestone_id=row.id,
                level=row.level,
                scan_date=on,
                recipients=recipients,
                status=Alert.Status.PENDING if recipients else Alert.Status.SKIPPED,
                last_error="" if recipients else "Nobody to tell: no owner email or alert contacts.",
            )
        )
    return new_alerts, [row.id for row in due if row.highest_raised is not None]


@transaction.atomic
def _save_new_alerts(new_alerts: list[Alert], escalated: list[int]) -> None:
    # A concurrent scan may have inserted the same (milestone, level) since we looked: the unique
    # constraint makes that row win and ours a no-op.
    Alert.objects.bulk_create(new_alerts, ignore_conflicts=True)
    # A reached level makes the lower ones still unsent pointless: one email, about where it stands now.
    # Only a milestone that had a lower level before this one can have one to retire. (A concurrent scan
    # adding a lower level meanwhile finds ours higher and retires its own.)
    if not escalated:
        return
    higher = Alert.objects.filter(milestone_id=OuterRef("milestone_id"), level__gt=OuterRef("level"))
    Alert.objects.unsent().filter(milestone_id__in=escalated).filter(Exists(higher)).update(
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
    duplicate waits and then finds nothing to send, and a milestone cannot close unseen in between. (On
    SQLite the IMMEDIATE transaction holds the database's write lock instead, to the same effect.)
    A mail error is recorded on the alerts (``failed`` when ``final_attempt``) and raised for the retry.
    A busy database raises ``OperationalError`` only before the send, when nothing went out and the whole
    send may run again; after the send only the record is tried again (``_record_delivery_after_send``).
    """
    error = None
    sent_ids: list[int] = []  # the alerts of a digest the mail server has taken
    try:
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
                sent_ids = [alert.pk for alert in due]
                _record_delivery(due, recipient)
    except OperationalError as exc:
        if not sent_ids or not is_database_busy(exc):
            raise
        logger.warning("Digest to %s sent, but recording it failed (%s); recording it again.", recipient, exc)
        _record_delivery_after_send(recipient, sent_ids)
    if error is not None:
        raise error
    return len(due)


def _record_delivery_after_send(recipient: str, alert_ids: list[int]) -> None:
    """Record that ``recipient`` has had the digest of ``alert_ids``, when the record made with the send was
    rolled back. Only ever adds the recipient (once) to each alert's deliveries; waits 1 s, 2 s, 4 s, ...
    between tries. If every try fails, raises ``DeliveryNotRecorded``."""
    for attempt in range(1, RECORD_DELIVERY_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                alerts = Alert.objects.filter(pk__in=alert_ids).select_for_update(no_key=True).order_by("pk")
                _record_delivery([alert for alert in alerts if recipient not in alert.delivered_to], recipient)
            return
        except OperationalError as exc:
            if attempt == RECORD_DELIVERY_ATTEMPTS or not is_database_busy(exc):
                logger.error("Digest to %s sent but not recorded as delivered: it will go out again.", recipient)
                raise DeliveryNotRecorded(f"{recipient}: {exc}") from exc
            time.sleep(2 ** (attempt - 1))


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
    # Written in the agency's language (settings.LANGUAGE_CODE): a worker has no request to take one from,
    # and recipients (owners, board members, vendor and authority contacts) record no language of their own.
    with translation.override(settings.LANGUAGE_CODE):
        return _digest_message_in_active_language(recipient, alerts)


def _digest_message_in_active_language(recipient: str, alerts: list[Alert]) -> EmailMultiAlternatives:
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
    parts = [ngettext("{count} late milestone", "{count} late milestones", late).format(count=late)] if late else []
    if soon:
        parts.append(ngettext("{count} due soon", "{count} due soon", soon).format(count=soon))
    context = {"items": items, "today": today, "recipient": recipient, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject="[ppp-tracker] "
        + (gettext("{first} and {second}").format(first=parts[0], second=parts[1]) if len(parts) == 2 else parts[0]),
        body=render_to_string("emails/milestone_alerts.txt", context),
        to=[recipient],
    )
    message.attach_alternative(render_to_string("emails/milestone_alerts.html", context), "text/html")
    return message


# --- Officer actions ---------------------------------------------------------------------------


@transaction.atomic
def alert_resend(*, alert_id: int, queue_digest: QueueDigest) -> Alert:
    """Put a failed alert back in the queue; its undelivered recipients get it in a digest of its own."""
    alert = Alert.objects.select_for_update().get(pk=alert_id)
    if alert.status != Alert.Status.FAILED:
        raise TransitionError(alert, alert.status, Alert.Status.PENDING, "only failed alerts are sent again")
    alert.status = Alert.Status.PENDING
    alert.save(update_fields=["status", "updated_at"])
    for email in alert.undelivered:
        queue_digest(email, [alert.id])
    return alert
