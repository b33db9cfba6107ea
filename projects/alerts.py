"""Overdue-milestone alerts: the daily scan that raises them and the digest send that delivers them.

Cycles: an alert belongs to one due date of its milestone. Rescheduling (or re-baselining) a milestone starts
a new cycle: its levels fire again for the new date, the old cycle's unsent alerts are skipped, and no level
ever fires twice for the same due date (unique constraints on (milestone, due date, level)).

How "at most once" holds (see README, "Guarantee"):
- A second scan, or two at once, inserts nothing new: the unique constraints make it a no-op.
- ``alert_digest_send`` first writes, and commits, an ``AlertDelivery`` row per alert for the recipient in
  ``sending`` (the outbox), then hands the digest to the mail server, then marks the rows ``sent``. A duplicate
  task, a retry or tomorrow's scan finds the rows ``sending`` or ``sent`` and sends nothing. A crash after the
  commit and before the record leaves the rows ``sending``: *in doubt*, never sent again automatically; the
  officer sees them and may resend. A mail server that refuses the digest marks the rows ``failed``, which a
  retry may send (the server did not take it).
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
from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    PositiveSmallIntegerField,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.query import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from ppp import events
from ppp.errors import TransitionError
from procurement.models import Agreement, VendorContact, VendorUser

from .models import Alert, AlertDelivery, Deliverable, Milestone, Notification, Project

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
    """The mail server took a digest, but no try could record it. Not retried by the task: its deliveries stay
    ``sending`` (in doubt), which no automatic run sends again; an officer may resend (at-most-once, see README)."""


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


def audiences_for(level: int, kind: str = Alert.Kind.DEADLINE) -> set[str]:
    if kind == Alert.Kind.REVIEW_WAITING:
        # The vendor has done its part for now; the officer who must review it is the one to remind.
        return {"owner"}
    if level == Alert.DUE_SOON:
        return {VENDOR_CONTACTS}
    return {audience for step in escalation_levels() if step["level"] <= level for audience in step["adds"]}


@dataclass
class _PageContacts:
    """The board members and vendor contacts of one page's milestones: two queries, whatever the page holds."""

    board: dict[int, list[str]]  # project id -> board member emails
    vendor_contacts: dict[int, list[str]]  # vendor id -> emails of contacts who receive alerts
    board_users: dict[int, list[int]] = field(default_factory=dict)  # project id -> board member user ids
    vendor_users: dict[int, list[int]] = field(default_factory=dict)  # vendor id -> its active users' ids

    @classmethod
    def load(cls, project_ids: set[int], vendor_ids: set[int], *, with_board: bool) -> "_PageContacts":
        board, board_users = defaultdict(list), defaultdict(list)
        if with_board:
            members = (
                Project.board_members.through.objects.filter(project_id__in=project_ids)
                .order_by("pk")
                .values_list("project_id", "user__email", "user_id", "user__is_active")
            )
            for project_id, email, user_id, active in members:
                board[project_id].append(email)
                if active:
                    board_users[project_id].append(user_id)
        vendor_contacts = defaultdict(list)
        if vendor_ids:
            contacts = (
                VendorContact.objects.filter(vendor_id__in=vendor_ids, receives_alerts=True)
                .order_by("vendor_id", "name")
                .values_list("vendor_id", "email")
            )
            for vendor_id, email in contacts:
                vendor_contacts[vendor_id].append(email)
        vendor_users = defaultdict(list)
        if vendor_ids:
            memberships = VendorUser.objects.filter(vendor_id__in=vendor_ids, user__is_active=True).order_by("pk")
            for vendor_id, user_id in memberships.values_list("vendor_id", "user_id"):
                vendor_users[vendor_id].append(user_id)
        return cls(board, vendor_contacts, board_users, vendor_users)

    def users(self, row, audiences: set[str]) -> list[int]:
        """The logins that see the alert in the app (the authority's contact has none)."""
        ids = []
        if "owner" in audiences and row.owner_id:
            ids.append(row.owner_id)
        if VENDOR_CONTACTS in audiences and row.vendor_id:
            ids.extend(self.vendor_users.get(row.vendor_id, ()))
        if "board" in audiences:
            ids.extend(self.board_users.get(row.project_id, ()))
        return list(dict.fromkeys(ids))

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
    page = _alertable(Milestone.objects.filter(status=status, due_date__lte=horizon))
    if after is not None:
        last_due, last_id = after
        # due_date >= x bounds the index range; the exclude drops only the rows of that day already seen.
        page = page.filter(due_date__gte=last_due).exclude(due_date=last_due, id__lte=last_id)
    # The highest level this milestone already has up to its current one: equal means raised already, lower
    # means the new alert supersedes it. One index probe per row on (milestone, level), which the LIMIT
    # keeps from turning into a hash of the whole (ever-growing) alert table as EXISTS (... level = ...) does.
    # Only this cycle's alerts (the milestone's current due date) count: a reschedule re-arms every level.
    raised_up_to = (
        Alert.objects.filter(
            milestone_id=OuterRef("pk"),
            due_date=OuterRef("due_date"),
            kind=Alert.Kind.DEADLINE,
            level__lte=OuterRef("level"),
        )
        .order_by("-level")
        .values("level")[:1]
    )
    review_raised = Alert.objects.filter(
        milestone_id=OuterRef("pk"), due_date=OuterRef("due_date"), kind=Alert.Kind.REVIEW_WAITING
    )
    return (
        page.annotate(
            level=alert_level(on),
            highest_raised=Subquery(raised_up_to),
            awaiting_review=Exists(_submitted_deliverables()),
            review_raised=Exists(review_raised),
            vendor_id=F("responsible_vendor_id"),
            owner_id=F("project__owner_id"),
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
            "awaiting_review",
            "review_raised",
            "owner_id",
            "owner_email",
            "authority_email",
            named=True,
        )[:size]
    )


def _alertable(milestones):
    """Leave out what nobody should be chased about any more: closed projects and terminated agreements."""
    return milestones.exclude(project__phase=Project.Phase.CLOSED).exclude(
        project__agreement__status=Agreement.Status.TERMINATED
    )


def _submitted_deliverables():
    """The milestone's (``OuterRef("pk")``) deliverables handed in and waiting for the officer's review."""
    return Deliverable.objects.filter(milestone_id=OuterRef("pk"), status=Deliverable.Status.SUBMITTED)


def milestones_to_scan_count(on: datetime.date) -> int:
    horizon = on + datetime.timedelta(days=settings.DUE_SOON_DAYS)
    return _alertable(Milestone.objects.open().filter(due_date__lte=horizon)).count()


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
    review_waiting: int = 0  # new "review waiting" reminders to owners
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
            if alert.kind == Alert.Kind.REVIEW_WAITING:
                result.review_waiting += 1
            else:
                result.raised[alert.level] += 1
        if dry_run:
            result.would_notify.update(email for alert in new_alerts for email in alert.recipients)
            room = DRY_RUN_SAMPLE_SIZE - len(sample_ids)
            sample_ids.extend((alert.milestone_id, alert.level, alert.recipients) for alert in new_alerts[:room])
        elif new_alerts:
            _save_new_alerts(new_alerts, escalated, on)
        if progress:
            progress(result.scanned, total)

    if sample_ids:
        milestones = Milestone.objects.select_related("project").in_bulk([pk for pk, _, _ in sample_ids])
        result.raised_sample = [(milestones[pk], level, recipients) for pk, level, recipients in sample_ids]
    if not dry_run:
        result.closed_skipped = _skip_alerts_no_longer_due()
    result.digests = _unsent_digests()
    if not dry_run:
        for email, alert_ids in result.digests.items():
            queue_digest(email, alert_ids)
    return result


def _new_alerts(page: list, on: datetime.date) -> tuple[list[Alert], list[int]]:
    """The alerts the page's milestones are due and have not had in this cycle, and the ids of those among
    them that already have a lower level (which the new one supersedes).

    While submitted work waits for the officer, an overdue milestone is not escalated to the vendor (or
    anyone): its owner gets one "review waiting" reminder for the cycle instead."""
    due = []  # (row, kind)
    for row in page:
        if row.level is None:
            continue
        if row.awaiting_review and row.level != Alert.DUE_SOON:
            if not row.review_raised:
                due.append((row, Alert.Kind.REVIEW_WAITING))
        elif row.highest_raised != row.level:
            due.append((row, Alert.Kind.DEADLINE))
    if not due:
        return [], []
    audiences = {(row.level, kind): audiences_for(row.level, kind) for row, kind in due}
    contacts = _PageContacts.load(
        {row.project_id for row, _kind in due},
        {row.vendor_id for row, _kind in due if row.vendor_id},
        with_board=any("board" in audience for audience in audiences.values()),
    )
    new_alerts = []
    for row, kind in due:
        audience = audiences[(row.level, kind)]
        recipients = contacts.recipients(row, audience)
        alert = Alert(
            milestone_id=row.id,
            kind=kind,
            level=row.level,
            due_date=row.due_date,
            scan_date=on,
            recipients=recipients,
            status=Alert.Status.PENDING if recipients else Alert.Status.SKIPPED,
            last_error="" if recipients else "Nobody to tell: no owner email or alert contacts.",
        )
        # Not columns: what the raise announces (notifications, the alert.raised event) once it is saved.
        alert.notify_user_ids = contacts.users(row, audience)
        alert.vendor_id = row.vendor_id
        new_alerts.append(alert)
    escalated = [row.id for row, kind in due if kind == Alert.Kind.DEADLINE and row.highest_raised is not None]
    return new_alerts, escalated


@transaction.atomic
def _save_new_alerts(new_alerts: list[Alert], escalated: list[int], on: datetime.date) -> None:
    # A concurrent scan may have inserted the same (milestone, due date, level) since we looked: the unique
    # constraint makes that row win and ours a no-op.
    Alert.objects.bulk_create(new_alerts, ignore_conflicts=True)
    _announce(new_alerts, on)
    # A reached level makes the lower ones still unsent pointless: one email, about where it stands now.
    # Only a milestone that had a lower level before this one can have one to retire. (A concurrent scan
    # adding a lower level meanwhile finds ours higher and retires its own.)
    if not escalated:
        return
    higher = Alert.objects.filter(
        milestone_id=OuterRef("milestone_id"),
        due_date=OuterRef("due_date"),
        kind=Alert.Kind.DEADLINE,
        level__gt=OuterRef("level"),
    )
    Alert.objects.unsent().filter(kind=Alert.Kind.DEADLINE, milestone_id__in=escalated).filter(Exists(higher)).update(
        status=Alert.Status.SKIPPED, last_error="Superseded by a higher level.", updated_at=timezone.now()
    )


def _machine_label(level: int, kind: str) -> str:
    """The alert's label for machines (webhook payloads): English, whatever the agency's language, like every
    other code and field name the partner API sends."""
    with translation.override("en"):
        return str(Alert.label_for(level, kind))


def _announce(new_alerts: list[Alert], on: datetime.date) -> None:
    """Give the saved alerts their in-app notifications and publish ``alert.raised`` for each.

    ``bulk_create(ignore_conflicts=True)`` returns no ids, so one query reads the rows back by their identity.
    A row a concurrent scan inserted first is announced by both scans at worst: the notifications' unique
    constraint keeps those single, and webhook listeners get the alert id to tell a repeat."""
    wanted = {(alert.milestone_id, alert.due_date, alert.kind, alert.level): alert for alert in new_alerts}
    # Tuples, not model instances: a page holds a couple of thousand alerts.
    saved = Alert.objects.filter(
        milestone_id__in={alert.milestone_id for alert in new_alerts}, scan_date=on
    ).values_list("pk", "milestone_id", "due_date", "kind", "level")
    labels = {}  # (level, kind) -> label: switching the language for every alert cost a second per 60,000
    now = timezone.now()
    notifications = []
    raised = []
    for pk, milestone_id, due_date, kind, level in saved:
        alert = wanted.get((milestone_id, due_date, kind, level))
        if alert is None:
            continue
        notifications.extend(
            Notification(user_id=user_id, alert_id=pk, created_at=now) for user_id in alert.notify_user_ids
        )
        if (level, kind) not in labels:
            labels[level, kind] = _machine_label(level, kind)
        raised.append(
            (
                "alert.raised",
                [alert.vendor_id] if alert.vendor_id else [],
                {
                    "alert_id": pk,
                    "milestone_id": milestone_id,
                    "kind": kind,
                    "level": level,
                    "label": labels[level, kind],
                    "due_date": due_date.isoformat(),
                    "days_overdue": max((on - due_date).days, 0),
                },
            )
        )
    # One call for the whole page: the webhooks outbox records every alert's deliveries in two queries.
    events.publish_many(raised)
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=1000)


# Why an unsent alert is no longer worth sending: (filter on the alert, reason). Checked by each scan (one UPDATE
# each, over the few unsent rows) and, for one digest's alerts, just before the send (``_why_not_send``).
def _skip_rules() -> list[tuple[Q, str]]:
    return [
        (~Q(milestone__status__in=Milestone.OPEN_STATUSES), "Milestone closed before the alert was sent."),
        (Q(milestone__project__phase=Project.Phase.CLOSED), "Project closed before the alert was sent."),
        (
            Q(milestone__project__agreement__status=Agreement.Status.TERMINATED),
            "Agreement terminated before the alert was sent.",
        ),
        (~Q(due_date=F("milestone__due_date")), "Milestone rescheduled before the alert was sent (a new cycle)."),
        (
            Q(kind=Alert.Kind.DEADLINE, level__gt=Alert.DUE_SOON)
            & Exists(
                Deliverable.objects.filter(milestone_id=OuterRef("milestone_id"), status=Deliverable.Status.SUBMITTED)
            ),
            "Work submitted and waiting for review: the owner gets a review-waiting reminder instead.",
        ),
    ]


def _skip_alerts_no_longer_due() -> int:
    skipped = 0
    for condition, reason in _skip_rules():
        skipped += (
            Alert.objects.unsent()
            .filter(condition)
            .update(status=Alert.Status.SKIPPED, last_error=reason, updated_at=timezone.now())
        )
    return skipped


def alerts_skip_old_cycles(*, milestone_ids) -> int:
    """Skip the unsent alerts of the milestones' earlier due dates: called when a reschedule or re-baseline
    starts a new cycle (inside its transaction), so no stale "late" email goes out before the next scan."""
    return (
        Alert.objects.unsent()
        .filter(milestone_id__in=milestone_ids)
        .exclude(due_date=F("milestone__due_date"))
        .update(
            status=Alert.Status.SKIPPED,
            last_error="Milestone rescheduled before the alert was sent (a new cycle).",
            updated_at=timezone.now(),
        )
    )


def _unsent_digests() -> dict[str, list[int]]:
    digests = defaultdict(list)
    unsent = Alert.objects.unsent().order_by("id").values_list("id", "recipients", "delivered_to")
    # Sent or in doubt: the outbox says no automatic run sends these again (only an officer's resend).
    held = set(
        AlertDelivery.objects.filter(alert__status__in=[Alert.Status.PENDING, Alert.Status.FAILED])
        .exclude(status__in=AlertDelivery.SENDABLE)
        .values_list("alert_id", "recipient")
    )
    for alert_id, recipients, delivered_to in unsent.iterator(chunk_size=settings.ALERT_SCAN_CHUNK_SIZE):
        for email in recipients:
            if email not in delivered_to and (alert_id, email) not in held:
                digests[email].append(alert_id)
    return dict(digests)


# --- Sending -----------------------------------------------------------------------------------


def alert_digest_send(*, recipient: str, alert_ids: list[int], final_attempt: bool = True) -> int:
    """Email ``recipient`` one digest of those ``alert_ids`` they have not had yet; return how many it listed.

    Three steps, so that no automatic run can send the same alert to the same recipient twice:
    1. claim: with the alert and milestone rows locked, re-check each alert (milestone still open, project not
       closed, agreement not terminated, same cycle, recipient not yet served) and write its outbox row
       ``sending``; commit. A concurrent duplicate waits for the lock, then finds the rows taken.
    2. send the email, outside any transaction.
    3. record: mark the rows ``sent`` and the recipient delivered. If the process dies before this, or it
       keeps failing, the rows stay ``sending``: in doubt, left for an officer (never re-sent automatically).
    A mail error marks the rows ``failed`` (the server did not take the digest, so a retry may send it) and
    the alerts ``failed`` when ``final_attempt``, and is raised for the task's retry. A busy database raises
    ``OperationalError`` only in step 1, when nothing went out and the task may run again.
    """
    with transaction.atomic():
        due = _claim(recipient, alert_ids)
        if not due:
            return 0
        # Built before the commit: a template or data error fails here, with nothing claimed and nothing sent.
        message = _digest_message(recipient, due)
    sent_ids = [alert.pk for alert in due]
    try:
        message.send()
    except MAIL_ERRORS as exc:
        with transaction.atomic():
            _record_failure(sent_ids, recipient, exc, final=final_attempt)
        raise
    _record_delivery_after_send(recipient, sent_ids)
    return len(due)


def _claim(recipient: str, alert_ids: list[int]) -> list[Alert]:
    """Step 1 of the send (inside the caller's transaction): the alerts to send and their outbox rows."""
    alerts = list(
        Alert.objects.unsent()
        .filter(pk__in=alert_ids)
        .select_related("milestone__project__agreement", "milestone__responsible_vendor")
        .select_for_update(of=("self", "milestone"), no_key=True)
        .order_by("pk")
    )
    deliveries = {
        delivery.alert_id: delivery
        for delivery in AlertDelivery.objects.filter(alert__in=alerts, recipient=recipient).select_for_update()
    }
    now = timezone.now()
    due = []
    for alert in alerts:
        if recipient not in alert.undelivered:
            continue
        delivery = deliveries.get(alert.pk)
        if delivery is not None and delivery.status not in AlertDelivery.SENDABLE:
            continue  # sent, or in doubt: only an officer's resend sends it again
        reason = _why_not_send(alert)
        if reason:
            alert.status, alert.last_error = Alert.Status.SKIPPED, reason
            alert.save(update_fields=["status", "last_error", "updated_at"])
            continue
        if delivery is None:
            delivery = deliveries[alert.pk] = AlertDelivery(alert=alert, recipient=recipient)
        delivery.status, delivery.started_at, delivery.updated_at = AlertDelivery.Status.SENDING, now, now
        delivery.attempts += 1
        due.append(alert)
    claimed = [deliveries[alert.pk] for alert in due]
    AlertDelivery.objects.bulk_create([delivery for delivery in claimed if delivery.pk is None])
    AlertDelivery.objects.bulk_update(
        [delivery for delivery in claimed if delivery.pk is not None],
        ["status", "started_at", "attempts", "updated_at"],
    )
    return due


def _why_not_send(alert: Alert) -> str:
    """The scan's skip rules (``_skip_rules``) for one locked alert, without a query."""
    milestone = alert.milestone
    if not milestone.is_open:
        return f"Milestone {milestone.get_status_display().lower()} before it was sent."
    if milestone.project.phase == Project.Phase.CLOSED:
        return "Project closed before the alert was sent."
    if milestone.project.agreement.status == Agreement.Status.TERMINATED:
        return "Agreement terminated before the alert was sent."
    if alert.due_date != milestone.due_date:
        return "Milestone rescheduled before the alert was sent (a new cycle)."
    return ""


def _record_delivery_after_send(recipient: str, alert_ids: list[int]) -> None:
    """Step 3 of the send: record that ``recipient`` has the digest of ``alert_ids``. A busy database is tried
    again (1 s, 2 s, 4 s, ... apart); if every try fails, raises ``DeliveryNotRecorded`` and the outbox rows stay
    ``sending`` (in doubt), so nothing sends the digest again on its own."""
    for attempt in range(1, RECORD_DELIVERY_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                alerts = Alert.objects.filter(pk__in=alert_ids).select_for_update(no_key=True).order_by("pk")
                _record_delivery([alert for alert in alerts if recipient not in alert.delivered_to], recipient)
                AlertDelivery.objects.filter(alert_id__in=alert_ids, recipient=recipient).update(
                    status=AlertDelivery.Status.SENT, sent_at=timezone.now(), last_error="", updated_at=timezone.now()
                )
            return
        except OperationalError as exc:
            if attempt == RECORD_DELIVERY_ATTEMPTS or not is_database_busy(exc):
                logger.error(
                    "Digest to %s sent but not recorded as delivered: left in doubt for an officer.", recipient
                )
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


def _record_failure(alert_ids: list[int], recipient: str, exc: Exception, *, final: bool) -> None:
    logger.warning("Alert digest to %s failed (%s alerts): %s", recipient, len(alert_ids), exc)
    now = timezone.now()
    error = f"{recipient}: {type(exc).__name__}: {exc}"[:2000]
    alerts = list(Alert.objects.filter(pk__in=alert_ids).select_for_update(no_key=True).order_by("pk"))
    for alert in alerts:
        alert.attempts += 1
        alert.last_error = error
        if final:
            alert.status = Alert.Status.FAILED
        alert.updated_at = now
    Alert.objects.bulk_update(alerts, ["attempts", "last_error", "status", "updated_at"], batch_size=500)
    AlertDelivery.objects.filter(alert_id__in=alert_ids, recipient=recipient).update(
        status=AlertDelivery.Status.FAILED, last_error=error, updated_at=now
    )


def milestone_admin_url(milestone_id: int) -> str:
    return _absolute(reverse("admin:projects_milestone_change", args=[milestone_id]))


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# Whom a digest addresses decides which links open for them: officers work in the admin, board members on the
# board pages, vendors (no admin login) in the partner API; the authority's contact has no login at all.
OFFICER, BOARD_MEMBER, VENDOR, AUTHORITY = "officer", "board", "vendor", "authority"


def _recipient_role(recipient: str, milestone: Milestone, vendor_contacts: set[str]) -> str:
    email = recipient.strip().lower()
    project = milestone.project
    if project.owner and (project.owner.email or "").strip().lower() == email:
        return OFFICER
    if any((member.email or "").strip().lower() == email for member in project.board_members.all()):
        return BOARD_MEMBER
    if milestone.responsible_vendor_id and (milestone.responsible_vendor_id, email) in vendor_contacts:
        return VENDOR
    return AUTHORITY


def _link_for(role: str, milestone: Milestone) -> str:
    if role == OFFICER:
        return milestone_admin_url(milestone.pk)
    if role == BOARD_MEMBER:
        return _absolute(reverse("boards:project_detail", args=[milestone.project_id]))
    if role == VENDOR:
        return _absolute(reverse("milestone-detail", args=[milestone.pk]))
    return ""


def level_meaning(level: int, kind: str = Alert.Kind.DEADLINE) -> str:
    """One sentence on what an alert's level means, for the people it reaches."""
    if kind == Alert.Kind.REVIEW_WAITING:
        return gettext(
            "Review waiting: the vendor has submitted work for this overdue milestone; it is not escalated "
            "further while the work waits for the project owner's review."
        )
    if level == Alert.DUE_SOON:
        days = settings.DUE_SOON_DAYS
        return ngettext(
            "Due soon: due within %(days)s day; only the vendor's alert contacts are told.",
            "Due soon: due within %(days)s days; only the vendor's alert contacts are told.",
            days,
        ) % {"days": days}
    step = next((step for step in escalation_levels() if step["level"] == level), None)
    if step is None:
        return Alert.label_for(level)
    told = {
        "board": gettext("the project board has been told"),
        "authority": gettext("the contracting authority has been told"),
    }
    added = [told[audience] for audience in step["adds"] if audience in told]
    who = added[-1] if added else gettext("the project owner and the vendor's alert contacts have been told")
    return ngettext(
        "Level %(level)s: %(days)s day overdue; %(who)s.",
        "Level %(level)s: %(days)s days overdue; %(who)s.",
        step["days_overdue"],
    ) % {"level": level, "days": step["days_overdue"], "who": who}


def _digest_message(recipient: str, alerts: list[Alert]) -> EmailMultiAlternatives:
    # Written in the agency's language (settings.LANGUAGE_CODE): a worker has no request to take one from,
    # and recipients (owners, board members, vendor and authority contacts) record no language of their own.
    with translation.override(settings.LANGUAGE_CODE):
        return _digest_message_in_active_language(recipient, alerts)


def _digest_message_in_active_language(recipient: str, alerts: list[Alert]) -> EmailMultiAlternatives:
    today = timezone.localdate()
    milestones = [alert.milestone for alert in alerts]
    prefetch_related_objects(
        milestones,
        Prefetch("deliverables", queryset=Deliverable.objects.open(), to_attr="open_deliverables"),
        "project__owner",
        "project__board_members",
    )
    vendor_ids = {milestone.responsible_vendor_id for milestone in milestones if milestone.responsible_vendor_id}
    vendor_contacts = {
        (vendor_id, email.strip().lower())
        for vendor_id, email in VendorContact.objects.filter(
            vendor_id__in=vendor_ids, receives_alerts=True
        ).values_list("vendor_id", "email")
    }
    items = []
    order = sorted(
        alerts, key=lambda a: (a.kind != Alert.Kind.REVIEW_WAITING, -a.level, a.milestone.due_date, a.milestone_id)
    )
    for alert in order:
        milestone = alert.milestone
        role = _recipient_role(recipient, milestone, vendor_contacts)
        items.append(
            {
                "alert": alert,
                "milestone": milestone,
                "project": milestone.project,
                "days_late": milestone.days_overdue(today),
                "days_left": (milestone.due_date - today).days,
                "deliverables": milestone.open_deliverables,
                "url": _link_for(role, milestone),
                "role": role,
                "meaning": level_meaning(alert.level, alert.kind),
                "owner_email": milestone.project.owner.email if milestone.project.owner else "",
            }
        )
    late = sum(1 for item in items if item["alert"].level != Alert.DUE_SOON)
    soon = len(items) - late
    parts = [ngettext("%(count)s late milestone", "%(count)s late milestones", late) % {"count": late}] if late else []
    if soon:
        parts.append(ngettext("%(count)s due soon", "%(count)s due soon", soon) % {"count": soon})
    context = {
        "items": items,
        "today": today,
        "recipient": recipient,
        "site_url": settings.SITE_URL,
        "api_docs_url": _absolute(reverse("api-docs")),
    }
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
def alert_resend(*, alert_id: int, queue_digest: QueueDigest, by) -> Alert:
    """Queue an unsent alert again for everyone who has not had it, recording who asked.

    For a pending, failed or in-doubt alert (a delivery left ``sending``). Resending an in-doubt delivery may
    give its recipient a second copy: that is the officer's call, made knowingly (the admin shows the doubt)."""
    alert = Alert.objects.select_for_update().get(pk=alert_id)
    if alert.status not in (Alert.Status.PENDING, Alert.Status.FAILED):
        raise TransitionError(
            alert, alert.status, Alert.Status.PENDING, gettext("only pending, failed or in-doubt alerts are sent again")
        )
    alert.status = Alert.Status.PENDING
    alert.save(update_fields=["status", "updated_at"])
    undelivered = alert.undelivered
    existing = {
        delivery.recipient: delivery for delivery in AlertDelivery.objects.select_for_update().filter(alert=alert)
    }
    now = timezone.now()
    for email in undelivered:
        delivery = existing.get(email) or AlertDelivery(alert=alert, recipient=email)
        delivery.status, delivery.requeued_by, delivery.updated_at = AlertDelivery.Status.QUEUED, by, now
        delivery.save()
    for email in undelivered:
        queue_digest(email, [alert.id])
    return alert
