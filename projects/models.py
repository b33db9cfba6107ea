"""What an agreement delivers: projects, their iterations, milestones and deliverables."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from procurement.models import CENTS, HUNDRED, Agreement, CostShare, Vendor


def _is_party(agreement_id: int, vendor_id: int) -> bool:
    return CostShare.objects.filter(agreement_id=agreement_id, vendor_id=vendor_id).exists()


class Project(models.Model):
    class DeliveryMethod(models.TextChoices):
        PPP = "ppp", "PPP"
        AGILE = "agile", "Agile (pilot, then phased rollout)"

    class Phase(models.TextChoices):
        PILOT = "pilot", "Pilot"
        ROLLOUT = "rollout", "Rollout"
        OPERATION = "operation", "Operation"
        CLOSED = "closed", "Closed"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="projects")
    delivery_method = models.CharField(max_length=8, choices=DeliveryMethod.choices, default=DeliveryMethod.PPP)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.PILOT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_projects",
        help_text="The officer responsible for this project.",
    )
    board_members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="board_projects", blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    description = models.TextField(blank=True)
    history = HistoricalRecords(m2m_fields=[board_members])

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="project_end_after_start"),
            models.CheckConstraint(condition=Q(delivery_method__in=["ppp", "agile"]), name="project_delivery_valid"),
            models.CheckConstraint(
                condition=Q(phase__in=["pilot", "rollout", "operation", "closed"]), name="project_phase_valid"
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.name}"


class Iteration(models.Model):
    """A time-boxed increment of an agile project (pilot sprint, rollout wave...)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="iterations")
    name = models.CharField(max_length=100)
    start_date = models.DateField()
    end_date = models.DateField()
    goal = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="iteration_end_after_start"),
            models.UniqueConstraint(fields=["project", "name"], name="iteration_name_unique_in_project"),
        ]

    def __str__(self):
        return f"{self.project.code} / {self.name}"

    def clean(self):
        if self.project_id and self.project.delivery_method != Project.DeliveryMethod.AGILE:
            raise ValidationError({"project": "Only agile projects are planned in iterations."})


class MilestoneQuerySet(models.QuerySet):
    def open(self):
        """Milestones still expected to happen (neither achieved, missed nor cancelled)."""
        return self.filter(status__in=Milestone.OPEN_STATUSES)

    def overdue(self, *, on: datetime.date | None = None):
        """Open milestones whose due date has passed on ``on`` (today by default); due today is not late."""
        on = on or timezone.localdate()
        return self.open().filter(due_date__lt=on)

    def due_within(self, days: int, *, on: datetime.date | None = None):
        """Open milestones due from ``on`` (today) up to and including ``days`` days later."""
        on = on or timezone.localdate()
        return self.open().filter(due_date__gte=on, due_date__lte=on + datetime.timedelta(days=days))

    def for_vendor(self, vendor):
        return self.filter(responsible_vendor=vendor)


class Milestone(models.Model):
    class Type(models.TextChoices):
        # The Open Contracting Data Standard's milestoneType codelist.
        PLANNING = "planning", "Planning"
        DELIVERY = "delivery", "Delivery"
        REPORTING = "reporting", "Reporting"
        FINANCING = "financing", "Financing"
        PAYMENT = "payment", "Payment"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)
    TRANSITIONS = {
        Status.PLANNED: {Status.IN_PROGRESS, Status.ACHIEVED, Status.MISSED, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.ACHIEVED, Status.MISSED, Status.CANCELLED},
        # A missed milestone can still be delivered late.
        Status.MISSED: {Status.ACHIEVED},
        Status.ACHIEVED: set(),
        Status.CANCELLED: set(),
    }

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="milestones")
    iteration = models.ForeignKey(
        Iteration, on_delete=models.SET_NULL, null=True, blank=True, related_name="milestones"
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.DELIVERY)
    baseline_due_date = models.DateField(
        blank=True, help_text="The original plan, kept when the due date moves (defaults to the first due date)."
    )
    due_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    achieved_date = models.DateField(null=True, blank=True)
    payment_amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Paid on achievement, split between the parties by the agreement's cost shares.",
    )
    responsible_vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(payment_amount__gte=0), name="milestone_payment_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "in_progress", "achieved", "missed", "cancelled"]),
                name="milestone_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(type__in=["planning", "delivery", "reporting", "financing", "payment"]),
                name="milestone_type_valid",
            ),
            # An achieved milestone says when; any other state has no achieved date.
            models.CheckConstraint(
                condition=(Q(status="achieved") & Q(achieved_date__isnull=False))
                | (~Q(status="achieved") & Q(achieved_date__isnull=True)),
                name="milestone_achieved_date_iff_achieved",
            ),
        ]
        indexes = [
            # Backs Milestone.objects.overdue() / due_within(): status filter, then a due-date range.
            models.Index(fields=["status", "due_date"], name="milestone_status_due_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.due_date and not self.baseline_due_date:
            # A new milestone's first plan is its due date; later moves keep this baseline.
            self.baseline_due_date = self.due_date
        if not self.project_id:
            return
        if self.iteration_id and self.iteration.project_id != self.project_id:
            raise ValidationError({"iteration": "This iteration belongs to another project."})
        if self.responsible_vendor_id and not _is_party(self.project.agreement_id, self.responsible_vendor_id):
            raise ValidationError(
                {"responsible_vendor": f"{self.responsible_vendor} is not a party to this project's agreement."}
            )

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def days_overdue(self, on: datetime.date | None = None) -> int:
        """Whole days past the due date for an open milestone; 0 when on time or closed."""
        if not self.is_open:
            return 0
        on = on or timezone.localdate()
        return max((on - self.due_date).days, 0)

    @property
    def slip_days(self) -> int:
        return (self.due_date - self.baseline_due_date).days

    def can_move_to(self, target: str) -> bool:
        return target in self.TRANSITIONS[self.Status(self.status)]

    def payment_split(self) -> list[tuple[CostShare, Decimal]]:
        """The payment divided by the agreement's cost shares; rounding remainder goes to the last party."""
        shares = list(self.project.agreement.cost_shares.all())
        split, allocated = [], Decimal("0")
        for index, share in enumerate(shares):
            if index == len(shares) - 1:
                amount = self.payment_amount - allocated
            else:
                amount = (self.payment_amount * share.percentage / HUNDRED).quantize(CENTS, ROUND_HALF_UP)
            allocated += amount
            split.append((share, amount))
        return split


class DeliverableQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=Deliverable.Status.ACCEPTED)

    def for_vendor(self, vendor):
        return self.filter(responsible_vendor=vendor)


class Deliverable(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    TRANSITIONS = {
        Status.NOT_STARTED: {Status.IN_PROGRESS},
        Status.IN_PROGRESS: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.ACCEPTED, Status.REJECTED},
        # Rework after a rejection starts the work again.
        Status.REJECTED: {Status.IN_PROGRESS},
        Status.ACCEPTED: set(),
    }

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="deliverables")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    responsible_vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="deliverables")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Percent complete, 0–100."
    )
    evidence_file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    evidence_url = models.URLField(blank=True, max_length=500)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    # Bumped by every write; the partner API turns it into an ETag for optimistic concurrency.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = DeliverableQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="deliverable_progress_range"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["not_started", "in_progress", "submitted", "accepted", "rejected"]),
                name="deliverable_status_valid",
            ),
            # Anything that reached review was submitted, and a verdict carries its time.
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "accepted", "rejected"]) | Q(submitted_at__isnull=False),
                name="deliverable_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "rejected"]) | Q(reviewed_at__isnull=False),
                name="deliverable_reviewed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["responsible_vendor", "status"])]

    def __str__(self):
        return self.title

    def can_move_to(self, target: str) -> bool:
        return target in self.TRANSITIONS[self.Status(self.status)]

    def clean(self):
        if (
            self.milestone_id
            and self.responsible_vendor_id
            and not _is_party(self.milestone.project.agreement_id, self.responsible_vendor_id)
        ):
            raise ValidationError(
                {"responsible_vendor": f"{self.responsible_vendor} is not a party to this project's agreement."}
            )


class AlertQuerySet(models.QuerySet):
    def unsent(self):
        """Alerts a scan should (re)try: never sent, or given up on by an earlier run."""
        return self.filter(status__in=[Alert.Status.PENDING, Alert.Status.FAILED])


class Alert(models.Model):
    """One escalation level of one milestone, announced exactly once to its recipients.

    Level 0 is the "due soon" reminder; levels 1, 2, 3... follow settings.ALERT_ESCALATION_LEVELS.
    The unique (milestone, level) constraint is what makes a second scan, or two at once, a no-op.
    Recipients each get the alert inside their daily digest; ``delivered_to`` records who already has
    it, so a retry after a partial failure writes only to the others.
    """

    DUE_SOON = 0

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="alerts")
    level = models.PositiveSmallIntegerField(help_text="0 = due soon; 1, 2, 3... = escalation level.")
    scan_date = models.DateField(help_text="The day of the scan that raised this alert.")
    recipients = models.JSONField(default=list, blank=True)
    delivered_to = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Send attempts, across all recipients.")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the last recipient got it.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-scan_date", "milestone_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["milestone", "level"], name="alert_once_per_milestone_level"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "skipped"]), name="alert_status_valid"
            ),
            models.CheckConstraint(condition=~Q(status="sent") | Q(sent_at__isnull=False), name="alert_sent_has_time"),
        ]
        indexes = [
            # The scan's "what is still unsent" query.
            models.Index(fields=["status"], name="alert_status_idx"),
        ]

    def __str__(self):
        return f"{self.level_label} – {self.milestone}"

    @classmethod
    def label_for(cls, level: int) -> str:
        return "Due soon" if level == cls.DUE_SOON else f"Level {level}"

    @property
    def level_label(self) -> str:
        return self.label_for(self.level)

    @property
    def undelivered(self) -> list[str]:
        return [email for email in self.recipients if email not in self.delivered_to]
