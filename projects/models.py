"""What an agreement delivers: projects, their iterations, milestones and deliverables."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ppp import formatting, limits
from procurement.models import CENTS, HUNDRED, Agreement, CostShare, Vendor

from .evidence import evidence_storage, evidence_upload_to


def _is_party(agreement_id: int, vendor_id: int) -> bool:
    return CostShare.objects.filter(agreement_id=agreement_id, vendor_id=vendor_id).exists()


def lifecycle_check(method_field: str, phase_field: str) -> Q:
    """The condition "``phase_field`` belongs to the lifecycle of ``method_field``" (for CheckConstraints)."""
    return Q(**{method_field: "ppp", f"{phase_field}__in": PPP_PHASES}) | Q(
        **{method_field: "agile", f"{phase_field}__in": AGILE_PHASES}
    )


PPP_PHASES = ("procurement", "financial_close", "construction", "commercial_operation", "handback", "closed")
AGILE_PHASES = ("discovery", "alpha", "beta", "live", "closed")
ALL_PHASES = PPP_PHASES[:-1] + AGILE_PHASES


class ProjectQuerySet(models.QuerySet):
    def for_vendor(self, vendor):
        """The projects a vendor may read: those of the agreements it holds a share of."""
        return self.filter(agreement__in=CostShare.objects.filter(vendor=vendor).values("agreement_id"))


class Project(models.Model):
    class DeliveryMethod(models.TextChoices):
        PPP = "ppp", _("PPP (procurement to handback)")
        AGILE = "agile", _("Agile (discovery, alpha, beta, live)")

    class Phase(models.TextChoices):
        # PPP lifecycle
        PROCUREMENT = "procurement", _("Procurement")
        FINANCIAL_CLOSE = "financial_close", _("Financial close")
        CONSTRUCTION = "construction", _("Construction")
        COMMERCIAL_OPERATION = "commercial_operation", _("Commercial operation")
        HANDBACK = "handback", _("Handback")
        # Agile lifecycle (the service-standard phases)
        DISCOVERY = "discovery", _("Discovery")
        ALPHA = "alpha", _("Alpha")
        BETA = "beta", _("Beta")
        LIVE = "live", _("Live")
        # Both end here; the alerts rely on it meaning "no more alerts".
        CLOSED = "closed", _("Closed")

    # Each method's phases in order; a project passes them one gate at a time and then, or earlier with a
    # reason, into CLOSED.
    LIFECYCLES = {
        DeliveryMethod.PPP: (
            Phase.PROCUREMENT,
            Phase.FINANCIAL_CLOSE,
            Phase.CONSTRUCTION,
            Phase.COMMERCIAL_OPERATION,
            Phase.HANDBACK,
        ),
        DeliveryMethod.AGILE: (Phase.DISCOVERY, Phase.ALPHA, Phase.BETA, Phase.LIVE),
    }
    # Entering these phases with an overdue milestone needs a reason: the project would start building or
    # serving the public while the plan it is judged by is already late.
    OVERDUE_GUARDED_PHASES = (Phase.CONSTRUCTION, Phase.COMMERCIAL_OPERATION, Phase.BETA, Phase.LIVE)

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="projects"
    )
    delivery_method = models.CharField(
        _("delivery method"), max_length=8, choices=DeliveryMethod.choices, default=DeliveryMethod.PPP
    )
    phase = models.CharField(
        _("phase"),
        max_length=32,
        choices=Phase.choices,
        default=Phase.PROCUREMENT,
        help_text=_("Set to the first phase of the delivery method; it changes only through a gate decision."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_projects",
        help_text=_("The officer responsible for this project."),
    )
    board_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("board members"), related_name="board_projects", blank=True
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    description = limits.bounded_text(limits.DESCRIPTION, verbose_name=_("description"), blank=True)
    history = HistoricalRecords(m2m_fields=[board_members])

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="project_end_after_start"),
            models.CheckConstraint(condition=Q(delivery_method__in=["ppp", "agile"]), name="project_delivery_valid"),
            # A project's phase belongs to its delivery method's lifecycle (or is the shared "closed").
            models.CheckConstraint(condition=lifecycle_check("delivery_method", "phase"), name="project_phase_valid"),
            *limits.text_length_checks("project", description=limits.DESCRIPTION),
        ]

    def __str__(self):
        return f"{self.code} – {self.name}"

    @classmethod
    def first_phase(cls, method: str) -> str:
        return cls.LIFECYCLES[cls.DeliveryMethod(method)][0]

    @classmethod
    def next_phases(cls, method: str, phase: str) -> list[str]:
        """The phases a project of ``method`` in ``phase`` may enter: the next one of its lifecycle, and closed."""
        if phase == cls.Phase.CLOSED:
            return []
        lifecycle = cls.LIFECYCLES[cls.DeliveryMethod(method)]
        following = lifecycle[lifecycle.index(phase) + 1 : lifecycle.index(phase) + 2]
        return [*following, cls.Phase.CLOSED]

    @classmethod
    def is_early_closure(cls, method: str, from_phase: str, to_phase: str) -> bool:
        """Closing before the lifecycle's last phase: allowed, but only with a recorded reason."""
        return to_phase == cls.Phase.CLOSED and from_phase != cls.LIFECYCLES[cls.DeliveryMethod(method)][-1]

    def can_enter(self, phase: str) -> bool:
        return phase in self.next_phases(self.delivery_method, self.phase)

    def clean(self):
        if not self.pk and self.delivery_method in self.DeliveryMethod.values:
            # Every project starts at the beginning of its lifecycle; gates move it on from there.
            self.phase = self.first_phase(self.delivery_method)

    def locked_fields(self) -> dict[str, str]:
        """The lock table (see ``Agreement.locked_fields``)."""
        locked = {"phase": "it changes only through a recorded gate decision"}
        if self.pk and self.milestones.exists():
            locked["agreement"] = "the project has milestones under this agreement's parties"
        if self.pk and (self.phase != self.first_phase(self.delivery_method) or self.gate_decisions.exists()):
            locked["delivery_method"] = gettext("the project is past its first gate; its lifecycle is fixed")
        elif self.pk and self.iterations.exists():
            locked["delivery_method"] = gettext("iterations are planned in it; only agile projects have them")
        return locked


class Iteration(models.Model):
    """A time-boxed increment of an agile project (pilot sprint, rollout wave...)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="iterations")
    name = models.CharField(_("name"), max_length=100)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    goal = limits.bounded_text(limits.NOTE, verbose_name=_("goal"), blank=True)

    class Meta:
        verbose_name = _("iteration")
        verbose_name_plural = _("iterations")
        ordering = ["project", "start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="iteration_end_after_start"),
            models.UniqueConstraint(fields=["project", "name"], name="iteration_name_unique_in_project"),
            *limits.text_length_checks("iteration", goal=limits.NOTE),
        ]

    def __str__(self):
        return f"{self.project.code} / {self.name}"

    def deletion_blocker(self) -> str | None:
        # Deleting would silently take its milestones out of the plan (SET_NULL); move them first.
        if self.pk and self.milestones.exists():
            return "milestones are planned in it; move them to another iteration first"
        return None

    def clean(self):
        if self.project_id and self.project.delivery_method != Project.DeliveryMethod.AGILE:
            raise ValidationError({"project": gettext("Only agile projects are planned in iterations.")})


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

    def due_soon(self, *, on: datetime.date | None = None):
        """Open milestones that are "due soon": due within settings.DUE_SOON_DAYS of ``on`` (today), not overdue."""
        return self.due_within(settings.DUE_SOON_DAYS, on=on)

    def with_deliverable_counts(self):
        """Annotate ``deliverable_total`` and ``deliverable_accepted``: "2 / 3 accepted" everywhere it is shown."""
        accepted = Q(deliverables__status=Deliverable.Status.ACCEPTED)
        return self.annotate(
            deliverable_total=models.Count("deliverables"),
            deliverable_accepted=models.Count("deliverables", filter=accepted),
        )

    def with_deliverable_counts_per_row(self):
        """``with_deliverable_counts`` as two correlated subqueries, for a page of a long list: PostgreSQL works
        them out only for the rows the LIMIT keeps, and counting the list leaves them out, where the join and
        GROUP BY of ``with_deliverable_counts`` would aggregate all three million deliverables first."""
        deliverables = Deliverable.objects.filter(milestone=OuterRef("pk")).order_by().values("milestone")

        def count(rows):
            return Coalesce(Subquery(rows.annotate(n=models.Count("pk")).values("n")), 0)

        return self.annotate(
            deliverable_total=count(deliverables),
            deliverable_accepted=count(deliverables.filter(status=Deliverable.Status.ACCEPTED)),
        )

    def for_vendor(self, vendor):
        """The milestones a vendor may read: those it is responsible for or delivers a deliverable to."""
        # One id list from two indexed look-ups. The plainer ``responsible_vendor=… OR pk IN (…)`` makes
        # PostgreSQL scan every milestone (0.4 s at a million rows, for the count and again for the page).
        responsible_for = Milestone.objects.filter(responsible_vendor=vendor).values("pk").order_by()
        delivers_to = Deliverable.objects.filter(responsible_vendor=vendor).values("milestone_id").order_by()
        return self.filter(pk__in=responsible_for.union(delivers_to, all=True))


class Milestone(models.Model):
    class Type(models.TextChoices):
        # The Open Contracting Data Standard's milestoneType codelist.
        PLANNING = "planning", _("Planning")
        DELIVERY = "delivery", _("Delivery")
        REPORTING = "reporting", _("Reporting")
        FINANCING = "financing", _("Financing")
        PAYMENT = "payment", _("Payment")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        ACHIEVED = "achieved", _("Achieved")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)
    TRANSITIONS = {
        Status.PLANNED: {Status.IN_PROGRESS, Status.ACHIEVED, Status.MISSED, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.ACHIEVED, Status.MISSED, Status.CANCELLED},
        # A missed milestone can still be delivered late.
        Status.MISSED: {Status.ACHIEVED},
        Status.ACHIEVED: set(),
        Status.CANCELLED: set(),
    }

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="milestones")
    iteration = models.ForeignKey(
        Iteration,
        verbose_name=_("iteration"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="milestones",
    )
    title = models.CharField(_("title"), max_length=255)
    description = limits.bounded_text(limits.DESCRIPTION, verbose_name=_("description"), blank=True)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.DELIVERY)
    baseline_due_date = models.DateField(
        _("baseline due date"),
        blank=True,
        help_text=_("The original plan, kept when the due date moves (defaults to the first due date)."),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    achieved_date = models.DateField(
        _("achieved date"),
        null=True,
        blank=True,
        help_text=_("The day an officer accepted the delivery (or marked the milestone achieved)."),
    )
    delivered_on = models.DateField(
        _("delivered on"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The vendor's delivery: the day the last deliverable was submitted. Lateness is judged by this "
            "date, so the agency's review time does not count against the vendor."
        ),
    )
    payment_amount = models.DecimalField(
        _("payment amount"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Paid on achievement, split between the parties by the agreement's cost shares."),
    )
    responsible_vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("responsible vendor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="milestones",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
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
            *limits.text_length_checks("milestone", description=limits.DESCRIPTION),
            # An achieved milestone says when the vendor delivered, and that was no later than its acceptance.
            models.CheckConstraint(
                condition=(Q(status="achieved") & Q(delivered_on__isnull=False))
                | (~Q(status="achieved") & Q(delivered_on__isnull=True)),
                name="milestone_delivered_on_iff_achieved",
            ),
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True) | Q(delivered_on__lte=models.F("achieved_date")),
                name="milestone_delivered_by_acceptance",
            ),
        ]
        indexes = [
            # Backs Milestone.objects.overdue() / due_within(): status filter, then a due-date range.
            models.Index(fields=["status", "due_date"], name="milestone_status_due_idx"),
            # The default order (the admin list's first page, a month of the dashboard chart, the date bar's first
            # and last date): without it each page sorts a million rows.
            # It carries the status (as a key column: SQLite has no INCLUDE), so the dashboard's chart of a year's
            # milestones reads the index alone.
            models.Index(fields=["due_date", "id", "status"], name="milestone_due_idx"),
            # One vendor's milestones in the list's order (the vendor filter, alone or with a status): the
            # vendor's rows are read in order and the page stops after 100, instead of walking all in-progress ones.
            models.Index(fields=["responsible_vendor", "due_date", "id"], name="milestone_vendor_due_idx"),
            # Open milestones by due date ("My work", most overdue first): the index holds only open ones, so the
            # first rows are found at once however many achieved milestones an old programme has.
            models.Index(
                fields=["due_date", "id"],
                condition=Q(status__in=["planned", "in_progress"]),
                name="milestone_open_due_idx",
            ),
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
            raise ValidationError({"iteration": gettext("This iteration belongs to another project.")})
        if self.responsible_vendor_id and not _is_party(self.project.agreement_id, self.responsible_vendor_id):
            raise ValidationError(
                {
                    "responsible_vendor": gettext(
                        "{responsible_vendor} is not a party to this project's agreement."
                    ).format(responsible_vendor=self.responsible_vendor)
                }
            )

    def locked_fields(self) -> dict[str, str]:
        """The lock table: what may not change in the current state, with why (see ``Agreement.locked_fields``)."""
        locked = {
            "status": "it changes only through the milestone actions",
            "achieved_date": "it is set when the milestone is achieved",
        }
        if self.pk:
            locked["project"] = "a milestone stays with its project"
            locked["baseline_due_date"] = "the baseline is the first plan, kept to measure slip against"
        if not self.is_open:
            # The same rule as milestone_reschedule.
            locked["due_date"] = f"the milestone is {self.get_status_display().lower()}; only open milestones move"
        if self.status in (self.Status.ACHIEVED, self.Status.CANCELLED):
            reason = f"the milestone is {self.get_status_display().lower()}"
            locked.update(dict.fromkeys(("payment_amount", "responsible_vendor", "iteration", "type", "title"), reason))
        return locked

    def deletion_blocker(self) -> str | None:
        if self.status != self.Status.PLANNED:
            return f"it is {self.get_status_display().lower()}; cancel it instead"
        if self.alerts.exists():
            return "alerts were sent about it; cancel it instead"
        return None

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def days_overdue(self, on: datetime.date | None = None) -> int:
        """Whole days past the due date for an open milestone; 0 when on time or closed."""
        return self.days_overdue_of(status=self.status, due_date=self.due_date, on=on)

    @classmethod
    def days_overdue_of(cls, *, status: str, due_date: datetime.date, on: datetime.date | None = None) -> int:
        """``days_overdue`` from the two columns it reads (for rows read with ``.values()``)."""
        if status not in cls.OPEN_STATUSES:
            return 0
        on = on or timezone.localdate()
        return max((on - due_date).days, 0)

    def days_late(self, on: datetime.date | None = None) -> int:
        """Days past the due date that count against the vendor: to the delivery (the last submission) for an
        achieved milestone, so review time does not count; to ``on`` (today) while open or missed; 0 when
        cancelled."""
        return self.days_late_of(status=self.status, due_date=self.due_date, delivered_on=self.delivered_on, on=on)

    @classmethod
    def days_late_of(
        cls,
        *,
        status: str,
        due_date: datetime.date,
        delivered_on: datetime.date | None,
        on: datetime.date | None = None,
    ) -> int:
        """``days_late`` from the three columns it reads (for rows read with ``.values()``)."""
        if status == cls.Status.CANCELLED:
            return 0
        end = delivered_on if status == cls.Status.ACHIEVED else (on or timezone.localdate())
        return max((end - due_date).days, 0)

    @property
    def slip_days(self) -> int:
        return (self.due_date - self.baseline_due_date).days

    def can_move_to(self, target: str) -> bool:
        return target in self.TRANSITIONS[self.Status(self.status)]

    @property
    def needs_two_approvals(self) -> bool:
        """Four eyes: deliverables of a milestone paying PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD or more need two
        officers to accept them."""
        return self.payment_amount >= settings.PPP_FOUR_EYES_ACCEPTANCE_THRESHOLD


class DeliverableQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=Deliverable.Status.ACCEPTED)

    def for_vendor(self, vendor):
        """The deliverables a vendor may read and report on: those it is responsible for.

        ``vendor`` may be a Vendor or a queryset of vendor ids (e.g. the active vendors of a user)."""
        if isinstance(vendor, models.QuerySet):
            return self.filter(responsible_vendor__in=vendor)
        return self.filter(responsible_vendor=vendor)


class Deliverable(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS = {
        Status.NOT_STARTED: {Status.IN_PROGRESS},
        Status.IN_PROGRESS: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.ACCEPTED, Status.REJECTED},
        # Rework after a rejection starts the work again.
        Status.REJECTED: {Status.IN_PROGRESS},
        Status.ACCEPTED: set(),
    }

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="deliverables"
    )
    title = models.CharField(_("title"), max_length=255)
    description = limits.bounded_text(limits.DESCRIPTION, verbose_name=_("description"), blank=True)
    responsible_vendor = models.ForeignKey(
        Vendor, verbose_name=_("responsible vendor"), on_delete=models.PROTECT, related_name="deliverables"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(
        _("progress"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Percent complete, 0–100."),
    )
    # Served only through the checked download view (projects.evidence), never from MEDIA_URL.
    evidence_file = models.FileField(
        _("evidence file"), upload_to=evidence_upload_to, storage=evidence_storage, max_length=255, blank=True
    )
    evidence_url = models.URLField(_("evidence url"), blank=True, max_length=500)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = limits.bounded_text(limits.NOTE, verbose_name=_("review comment"), blank=True)
    # Four eyes (see Milestone.needs_two_approvals): the first officer's acceptance, awaiting a second officer.
    # Written only by deliverable_accept / deliverable_reject, never by a form.
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    first_approved_at = models.DateTimeField(_("first approved at"), null=True, blank=True, editable=False)
    # Bumped by every write; the partner API turns it into an ETag for optimistic concurrency.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = DeliverableQuerySet.as_manager()

    class Meta:
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
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
            *limits.text_length_checks("deliverable", description=limits.DESCRIPTION, review_comment=limits.NOTE),
            # A first approval names who and when, and exists only under review or once accepted
            # (a rejection clears it).
            models.CheckConstraint(
                condition=(Q(first_approved_by__isnull=True) & Q(first_approved_at__isnull=True))
                | (
                    Q(first_approved_by__isnull=False)
                    & Q(first_approved_at__isnull=False)
                    & Q(status__in=["submitted", "accepted"])
                ),
                name="deliverable_first_approval_recorded",
            ),
            # Four eyes: the officer who accepts is not the one who gave the first approval.
            models.CheckConstraint(
                condition=~Q(status="accepted")
                | Q(first_approved_by__isnull=True)
                | ~Q(first_approved_by=models.F("reviewer")),
                name="deliverable_two_distinct_approvers",
            ),
        ]
        indexes = [
            models.Index(fields=["responsible_vendor", "status"]),
            # Deliverables in one state (the list's status filter; "waiting for my review", oldest submission first).
            models.Index(fields=["status", "submitted_at"], name="deliverable_status_submit_idx"),
            # The admin list's date bar (first and last submission).
            models.Index(fields=["submitted_at"], name="deliverable_submitted_idx"),
        ]

    def __str__(self):
        return self.title

    REVIEW_FIELDS = ("status", "version", "submitted_at", "reviewed_at", "reviewer", "review_comment")
    WORK_FIELDS = ("title", "description", "responsible_vendor", "progress", "evidence_file", "evidence_url")

    def locked_fields(self) -> dict[str, str]:
        """The lock table: what may not change in the current state, with why (see ``Agreement.locked_fields``)."""
        locked = dict.fromkeys(self.REVIEW_FIELDS, "it is set by the deliverable's actions (start, submit, review)")
        if self.pk and self.status != self.Status.NOT_STARTED:
            locked["milestone"] = "work on it has started"
        if self.status in (self.Status.SUBMITTED, self.Status.ACCEPTED):
            reason = f"it is {self.get_status_display().lower()}; reject it to send it back for changes"
            locked.update(dict.fromkeys(self.WORK_FIELDS, reason))
        return locked

    def deletion_blocker(self) -> str | None:
        if self.status != self.Status.NOT_STARTED:
            return f"it is {self.get_status_display().lower()}; only work not started is deleted"
        return None

    def can_move_to(self, target: str) -> bool:
        return target in self.TRANSITIONS[self.Status(self.status)]

    @property
    def awaiting_second_approval(self) -> bool:
        return self.status == self.Status.SUBMITTED and self.first_approved_by_id is not None

    @property
    def has_evidence(self) -> bool:
        """A file or a link to it: what the reviewer judges the work by."""
        return bool(self.evidence_file) or bool(self.evidence_url)

    def clean(self):
        if (
            self.milestone_id
            and self.responsible_vendor_id
            and not _is_party(self.milestone.project.agreement_id, self.responsible_vendor_id)
        ):
            raise ValidationError(
                {
                    "responsible_vendor": gettext(
                        "{responsible_vendor} is not a party to this project's agreement."
                    ).format(responsible_vendor=self.responsible_vendor)
                }
            )


class GateCriterionQuerySet(models.QuerySet):
    def for_gate(self, method: str, to_phase: str):
        """The checks a decision to enter ``to_phase`` of a ``method`` project answers, in checklist order."""
        return self.filter(delivery_method=method, to_phase=to_phase, active=True).order_by("position", "id")


class GateCriterion(models.Model):
    """One check of a gate's checklist: what must be true before a project of a method enters a phase.

    Officers maintain the list in the admin. A criterion that decisions have answered is retired (``active``
    off), not deleted, so those decisions keep saying what was checked."""

    delivery_method = models.CharField(_("delivery method"), max_length=8, choices=Project.DeliveryMethod.choices)
    to_phase = models.CharField(
        _("gate into phase"),
        max_length=32,
        choices=Project.Phase.choices,
        help_text=_("The phase a project enters when it passes this gate."),
    )
    text = models.CharField(_("criterion"), max_length=255)
    guidance = limits.bounded_text(
        limits.NOTE, blank=True, verbose_name=_("guidance"), help_text=_("What counts as evidence for this check.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Order in the checklist."))
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Retired criteria stay on past decisions but are no longer asked.")
    )
    history = HistoricalRecords()

    objects = GateCriterionQuerySet.as_manager()

    class Meta:
        verbose_name = _("gate criterion")
        verbose_name_plural = _("gate criteria")
        ordering = ["delivery_method", "to_phase", "position", "id"]
        constraints = [
            # A gate leads into a later phase of the method's lifecycle (the first phase has no gate in).
            models.CheckConstraint(
                condition=Q(delivery_method="ppp", to_phase__in=PPP_PHASES[1:])
                | Q(delivery_method="agile", to_phase__in=AGILE_PHASES[1:]),
                name="gate_criterion_phase_valid",
            ),
            models.UniqueConstraint(fields=["delivery_method", "to_phase", "text"], name="gate_criterion_unique"),
            *limits.text_length_checks("gate_criterion", guidance=limits.NOTE),
        ]

    def __str__(self):
        # Seeded criteria are in the translation catalogue (projects/gate_criteria.py); officers' own show as typed.
        return gettext(self.text)

    def deletion_blocker(self) -> str | None:
        if self.pk and self.checks.exists():
            return gettext("gate decisions answered it; untick Active to retire it instead")
        return None


class GateDecision(models.Model):
    """The recorded decision that moved a project from one phase to the next (made by ``project_change_phase``)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="gate_decisions"
    )
    from_phase = models.CharField(_("from phase"), max_length=32, choices=Project.Phase.choices)
    to_phase = models.CharField(_("to phase"), max_length=32, choices=Project.Phase.choices)
    # Set by the service to the day the decision is recorded: a decision cannot be backdated past the checks.
    decided_on = models.DateField(_("decided on"), default=timezone.localdate, editable=False)
    meeting_date = models.DateField(
        _("meeting date"),
        null=True,
        blank=True,
        help_text=_("When the board met, if not today. For the record only: the checks are made on the day recorded."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    criteria_met = models.BooleanField(
        _("criteria met"),
        default=False,
        editable=False,
        help_text=_("Every check of the gate's checklist was met. If not, the move needed an override."),
    )
    notes = limits.bounded_text(
        limits.DESCRIPTION,
        verbose_name=_("notes"),
        blank=True,
        help_text=_("Evidence considered, conditions attached."),
    )
    override_reason = limits.bounded_text(
        limits.NOTE,
        blank=True,
        verbose_name=_("reason"),
        help_text=_(
            "Required to pass a gate with an unmet check, to enter construction, commercial operation, beta or live "
            "while a milestone is overdue, or to close a project early. Leave empty otherwise."
        ),
    )
    overdue_milestones_at_decision = models.PositiveIntegerField(
        _("overdue milestones at decision"), default=0, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gate decision")
        verbose_name_plural = _("gate decisions")
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_phase=models.F("to_phase")), name="gate_decision_moves_phase"),
            models.CheckConstraint(
                condition=Q(from_phase__in=ALL_PHASES) & Q(to_phase__in=ALL_PHASES),
                name="gate_decision_phases_valid",
            ),
            # Passing a gate without meeting its criteria is allowed only as a reasoned override.
            models.CheckConstraint(
                condition=Q(criteria_met=True) | ~Q(override_reason=""), name="gate_decision_unmet_needs_override"
            ),
            # Closing before the lifecycle's last phase (handback, live) is an early closure: it says why.
            models.CheckConstraint(
                condition=~Q(to_phase="closed") | Q(from_phase__in=["handback", "live"]) | ~Q(override_reason=""),
                name="gate_decision_early_closure_needs_reason",
            ),
            # The board met before the decision was recorded, never after.
            models.CheckConstraint(
                condition=Q(meeting_date__isnull=True) | Q(meeting_date__lte=models.F("decided_on")),
                name="gate_decision_meeting_not_after_decision",
            ),
            *limits.text_length_checks("gate_decision", notes=limits.DESCRIPTION, override_reason=limits.NOTE),
        ]

    def __str__(self):
        return f"{self.project.code}: {self.get_from_phase_display()} → {self.get_to_phase_display()}"

    @property
    def is_override(self) -> bool:
        return bool(self.override_reason.strip())


class GateCheck(models.Model):
    """One answered check of a gate decision: the criterion, whether it was met, and the evidence seen."""

    decision = models.ForeignKey(
        GateDecision, verbose_name=_("gate decision"), on_delete=models.PROTECT, related_name="checks"
    )
    criterion = models.ForeignKey(
        GateCriterion, on_delete=models.PROTECT, related_name="checks", verbose_name=_("criterion")
    )
    met = models.BooleanField(_("met"), default=False)
    evidence = limits.bounded_text(
        limits.NOTE, blank=True, verbose_name=_("evidence"), help_text=_("What shows it is met (or why not).")
    )

    class Meta:
        verbose_name = _("gate check")
        verbose_name_plural = _("gate checks")
        ordering = ["decision", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "criterion"], name="gate_check_once_per_decision"),
            *limits.text_length_checks("gate_check", evidence=limits.NOTE),
        ]

    def __str__(self):
        return str(self.criterion)


class RiskQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status=Risk.Status.CLOSED)

    def due_for_review(self, *, on: datetime.date | None = None):
        """Risks still live whose review date has passed on ``on`` (today by default); due today is not late."""
        return self.live().filter(review_date__lt=on or timezone.localdate())


class Risk(models.Model):
    """An entry in a project's risk register: what could go wrong, how likely and how bad, and who bears it."""

    class Category(models.TextChoices):
        # Codes from the OCDS for PPPs riskCategory codelist, then local ones it does not cover.
        LAND_AVAILABILITY = "landAvailability", _("Land availability and acquisition")
        ENVIRONMENTAL = "environmental", _("Environmental")
        DESIGN = "design", _("Design")
        CONSTRUCTION = "construction", _("Construction")
        COMPLETION = "completion", _("Completion and commissioning")
        AVAILABILITY_AND_QUALITY = "availabilityAndQuality", _("Availability and quality")
        REVENUE = "revenue", _("Demand and revenue")
        OTHER_REVENUE = "otherRevenue", _("Other revenue (credit, non-payment)")
        INFLATION_AND_FX = "inflationAndFx", _("Foreign exchange, inflation and indexation")
        FINANCE_AVAILABILITY = "financeAvailability", _("Availability of finance")
        REFINANCING = "refinancing", _("Refinancing")
        CHANGE_IN_LAW = "changeInLaw", _("Change in law")
        FORCE_MAJEURE = "forceMajeure", _("Force majeure")
        EARLY_TERMINATION = "earlyTermination", _("Early termination")
        COMPLIANCE = "compliance", _("Compliance")
        FINANCIAL = "financial", _("Financial")
        TECHNOLOGY = "technology", _("Technology")
        OTHER = "other", _("Other")

    class Allocation(models.TextChoices):
        # The cost-sharing parties: the authority, the private partner(s), or both.
        PUBLIC = "public", _("Public (authority)")
        PRIVATE = "private", _("Private (vendor)")
        SHARED = "shared", _("Shared")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MITIGATING = "mitigating", _("Mitigating")
        CLOSED = "closed", _("Closed")

    # Score bands of the usual 5 × 5 matrix: (lowest score in the band, label).
    LEVELS = ((20, "critical"), (10, "high"), (5, "medium"), (1, "low"))
    # What people read; the keys above stay English (they pick colours).
    LEVEL_LABELS = {"critical": _("critical"), "high": _("high"), "medium": _("medium"), "low": _("low")}

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="risks")
    title = models.CharField(_("title"), max_length=255)
    description = limits.bounded_text(limits.DESCRIPTION, verbose_name=_("description"), blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (rare) to 5 (almost certain)."),
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (negligible) to 5 (severe)."),
    )
    score = models.GeneratedField(
        verbose_name=_("score"),
        expression=models.F("likelihood") * models.F("impact"),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    allocation = models.CharField(_("allocation"), max_length=8, choices=Allocation.choices)
    allocated_to = models.ForeignKey(
        Vendor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocated_risks",
        verbose_name=_("allocated to"),
        help_text=_(
            "For a private or shared risk on an agreement with several vendors: the one vendor who bears it. "
            "Empty: every vendor of the agreement bears it (and reads it in the partner API)."
        ),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_risks",
        help_text=_("Who manages it."),
    )
    mitigation = limits.bounded_text(limits.DESCRIPTION, verbose_name=_("mitigation"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    review_date = models.DateField(_("review date"), help_text=_("When the owner next reviews this risk."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = RiskQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["project", "-score", "review_date"]
        constraints = [
            models.CheckConstraint(condition=Q(likelihood__gte=1) & Q(likelihood__lte=5), name="risk_likelihood_1_5"),
            models.CheckConstraint(condition=Q(impact__gte=1) & Q(impact__lte=5), name="risk_impact_1_5"),
            models.CheckConstraint(
                condition=Q(allocation__in=["public", "private", "shared"]), name="risk_allocation_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=["open", "mitigating", "closed"]), name="risk_status_valid"),
            # The authority's own (public) risks are borne by no vendor.
            models.CheckConstraint(
                condition=Q(allocated_to__isnull=True) | ~Q(allocation="public"), name="risk_public_allocated_to_none"
            ),
            *limits.text_length_checks("risk", description=limits.DESCRIPTION, mitigation=limits.DESCRIPTION),
        ]
        indexes = [models.Index(fields=["status", "review_date"], name="risk_status_review_idx")]

    def __str__(self):
        return self.title

    def deletion_blocker(self) -> str | None:
        return "the risk register keeps every entry; close the risk instead"

    @classmethod
    def level_for(cls, score: int) -> str:
        return next(label for lowest, label in cls.LEVELS if score >= lowest)

    @property
    def level(self) -> str:
        return self.level_for(self.likelihood * self.impact)

    def clean(self):
        if not self.allocated_to_id:
            return
        if self.allocation == self.Allocation.PUBLIC:
            raise ValidationError(
                {"allocated_to": _("A public risk is the authority's; it is allocated to no vendor.")}
            )
        if self.project_id and not _is_party(self.project.agreement_id, self.allocated_to_id):
            raise ValidationError(
                {
                    "allocated_to": _("%(vendor)s is not a party to this project's agreement.")
                    % {"vendor": self.allocated_to}
                }
            )

    @property
    def level_label(self) -> str:
        return str(self.LEVEL_LABELS[self.level])

    def is_due_for_review(self, on: datetime.date | None = None) -> bool:
        return self.status != self.Status.CLOSED and self.review_date < (on or timezone.localdate())


class KPIQuerySet(models.QuerySet):
    def with_latest(self):
        """Annotate ``latest_value``, ``latest_date`` and ``previous_value`` from the measurements (one query)."""
        # Only confirmed measurements count: a vendor's self-report waits for an officer's confirmation.
        newest_first = KPIMeasurement.objects.confirmed().filter(kpi=models.OuterRef("pk")).order_by("-date")
        return self.annotate(
            latest_value=models.Subquery(newest_first.values("value")[:1]),
            latest_date=models.Subquery(newest_first.values("date")[:1]),
            previous_value=models.Subquery(newest_first.values("value")[1:2]),
        )


class KPI(models.Model):
    """A key performance indicator the project is judged by, with its baseline, target and measurements."""

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Trend(models.TextChoices):
        IMPROVING = "improving", _("Improving")
        STEADY = "steady", _("Steady")
        WORSENING = "worsening", _("Worsening")

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="kpis")
    name = models.CharField(_("name"), max_length=255)
    description = limits.bounded_text(limits.DESCRIPTION, verbose_name=_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=32, help_text=_("e.g. %, EUR, score 1–5."))
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, help_text=_("The value before the project.")
    )
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)

    objects = KPIQuerySet.as_manager()

    class Meta:
        ordering = ["project", "name"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="kpi_name_unique_in_project"),
            models.CheckConstraint(condition=Q(direction__in=["higher", "lower"]), name="kpi_direction_valid"),
            *limits.text_length_checks("kpi", description=limits.DESCRIPTION),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})"

    def deletion_blocker(self) -> str | None:
        if self.pk and self.measurements.exists():
            return "it has measurements; they are the project's performance record"
        return None

    def _load_latest(self):
        # Without the with_latest() annotation, read the two newest measurements (two rows, one query).
        if not hasattr(self, "latest_value"):
            values = list(self.measurements.confirmed().order_by("-date").values_list("value", "date")[:2])
            self.latest_value, self.latest_date = values[0] if values else (None, None)
            self.previous_value = values[1][0] if len(values) > 1 else None

    def format_value(self, value: Decimal | None) -> str:
        return gettext("not measured") if value is None else f"{formatting.format_amount(value)} {self.unit}"

    @classmethod
    def get_trend_display_for(cls, trend: str | None) -> str:
        return str(cls.Trend(trend).label) if trend else "–"

    def meets_target(self, value: Decimal) -> bool:
        """Exactly on target counts as on target."""
        return value >= self.target if self.direction == self.Direction.HIGHER else value <= self.target

    def trend_between(self, previous: Decimal, latest: Decimal) -> str:
        if latest == previous:
            return self.Trend.STEADY
        better = latest > previous if self.direction == self.Direction.HIGHER else latest < previous
        return self.Trend.IMPROVING if better else self.Trend.WORSENING

    @property
    def on_target(self) -> bool | None:
        """Whether the latest measurement meets the target; None before the first measurement."""
        self._load_latest()
        return None if self.latest_value is None else self.meets_target(self.latest_value)

    @property
    def trend(self) -> str | None:
        """Latest against the measurement before it; None until there are two."""
        self._load_latest()
        if self.latest_value is None or self.previous_value is None:
            return None
        return self.trend_between(self.previous_value, self.latest_value)


class KPIMeasurementQuerySet(models.QuerySet):
    def confirmed(self):
        """The measurements that count (board report, PDF, trends, OCDS): officers' own and confirmed reports."""
        return self.filter(status=KPIMeasurement.Status.CONFIRMED)

    def for_vendor(self, vendor):
        """The measurements a vendor reported (whatever became of them); officers' own are not its to read."""
        return self.filter(reported_by_vendor=vendor)


class KPIMeasurement(models.Model):
    """A KPI's value on a day, or over a period ending that day.

    Officers enter confirmed measurements; a vendor's self-report starts ``reported`` and counts only once an
    officer confirms it (``kpi_measurement_confirm``); a rejected one stays on the record with the reason.
    """

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported (awaiting confirmation)")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    kpi = models.ForeignKey(KPI, verbose_name=_("kpi"), on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField(
        _("period start"),
        null=True,
        blank=True,
        help_text=_("First day of the period measured; empty for a measurement on a single day."),
    )
    date = models.DateField(_("date"), help_text=_("The day measured, or the last day of the period."))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CONFIRMED, editable=False
    )
    # Served only through the checked download view, like deliverable evidence (projects.evidence).
    evidence_file = models.FileField(
        _("evidence file"), upload_to=evidence_upload_to, storage=evidence_storage, max_length=255, blank=True
    )
    reported_by_vendor = models.ForeignKey(
        Vendor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="kpi_measurements",
        verbose_name=_("reported by vendor"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    rejection_reason = limits.bounded_text(limits.NOTE, verbose_name=_("rejection reason"), blank=True, editable=False)
    history = HistoricalRecords()

    objects = KPIMeasurementQuerySet.as_manager()

    class Meta:
        verbose_name_plural = _("KPI measurements")
        ordering = ["kpi", "-date"]
        verbose_name = _("KPI measurement")
        constraints = [
            # One counted value per KPI and day; a rejected report does not block a corrected one.
            models.UniqueConstraint(
                fields=["kpi", "date"], condition=~Q(status="rejected"), name="kpi_measurement_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["reported", "confirmed", "rejected"]), name="kpi_measurement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_start__lte=models.F("date")),
                name="kpi_measurement_period_ordered",
            ),
            # A self-report names the vendor and user who sent it, and when.
            models.CheckConstraint(
                condition=~Q(status="reported") | (Q(reported_by_vendor__isnull=False) & Q(reported_at__isnull=False)),
                name="kpi_measurement_report_names_vendor",
            ),
            # A rejection says when and why; the vendor reads the reason.
            models.CheckConstraint(
                condition=~Q(status="rejected") | (Q(decided_at__isnull=False) & ~Q(rejection_reason="")),
                name="kpi_measurement_rejection_has_reason",
            ),
            *limits.text_length_checks("kpi_measurement", rejection_reason=limits.NOTE),
        ]

    def __str__(self):
        return f"{self.kpi.name} on {self.date}: {self.value}"

    @property
    def is_self_reported(self) -> bool:
        return self.reported_by_vendor_id is not None

    def locked_fields(self) -> dict[str, str]:
        if self.pk and self.status != self.Status.CONFIRMED:
            # A vendor's report is decided by the actions, not edited under the vendor's name.
            reason = _("it is a vendor's report; confirm or reject it")
            return dict.fromkeys(("kpi", "period_start", "date", "value", "note", "evidence_file"), reason)
        return {}

    def deletion_blocker(self) -> str | None:
        if self.is_self_reported:
            return _("a vendor's report stays on the record; reject it instead")
        return None

    def clean(self):
        if self.period_start and self.date and self.period_start > self.date:
            raise ValidationError({"period_start": _("The period cannot start after its last day.")})


class PerformanceFailureQuerySet(models.QuerySet):
    def for_vendor(self, vendor):
        return self.filter(vendor=vendor)

    def deductible(self):
        """Failures whose penalty may be taken from payments: none under an open dispute (the vendor is heard
        first) and none whose dispute was upheld (the penalty is waived)."""
        held = PerformanceFailureDispute.objects.filter(
            status__in=[PerformanceFailureDispute.Status.OPEN, PerformanceFailureDispute.Status.UPHELD]
        ).values("failure_id")
        return self.exclude(pk__in=held)


class PerformanceFailure(models.Model):
    """A vendor's failure on a missed or late milestone and the penalty for it (OCDS for PPPs performanceFailures)."""

    class CapScope(models.TextChoices):
        PERIOD = "period", _("Per payment period (each certificate)")
        CONTRACT = "contract", _("Per contract (all certificates together)")

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="performance_failures"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="performance_failures"
    )
    description = limits.bounded_text(limits.DESCRIPTION, verbose_name=_("description"))
    recorded_on = models.DateField(_("recorded on"), default=timezone.localdate)
    penalty_contracted = models.DecimalField(
        _("penalty contracted"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The penalty the agreement sets for this failure."),
    )
    penalty_imposed = models.DecimalField(
        _("penalty imposed"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    penalty_paid = models.DecimalField(
        _("penalty paid"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # How the penalty is taken from payments (payments.services): a fixed amount (the imposed penalty) from the
    # vendor's next certificates, or a rate of each payment for the failed milestone; either within a cap.
    deduction_rate = models.DecimalField(
        _("deduction rate"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
        help_text=_("Deduct this percentage of each payment for the failed milestone instead of the imposed penalty."),
    )
    deduction_cap = models.DecimalField(
        _("deduction cap"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(CENTS)],
        help_text=_("The most deducted for this failure (empty: no cap beyond the imposed penalty)."),
    )
    deduction_cap_scope = models.CharField(
        _("deduction cap scope"),
        max_length=8,
        choices=CapScope.choices,
        default=CapScope.CONTRACT,
        help_text=_("What the cap applies to."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = PerformanceFailureQuerySet.as_manager()

    class Meta:
        verbose_name = _("performance failure")
        verbose_name_plural = _("performance failures")
        ordering = ["-recorded_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(penalty_contracted__gte=0), name="failure_contracted_not_negative"),
            # Nothing is imposed beyond what the contract allows, nor paid beyond what was imposed.
            models.CheckConstraint(
                condition=Q(penalty_imposed__gte=0) & Q(penalty_imposed__lte=models.F("penalty_contracted")),
                name="failure_imposed_within_contracted",
            ),
            models.CheckConstraint(
                condition=Q(penalty_paid__gte=0) & Q(penalty_paid__lte=models.F("penalty_imposed")),
                name="failure_paid_within_imposed",
            ),
            *limits.text_length_checks("failure", description=limits.DESCRIPTION),
            models.CheckConstraint(
                condition=Q(deduction_rate__isnull=True) | (Q(deduction_rate__gt=0) & Q(deduction_rate__lte=100)),
                name="failure_deduction_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(deduction_cap__isnull=True) | Q(deduction_cap__gt=0), name="failure_deduction_cap_positive"
            ),
            models.CheckConstraint(
                condition=Q(deduction_cap_scope__in=["period", "contract"]), name="failure_deduction_cap_scope_valid"
            ),
        ]

    def __str__(self):
        return f"{self.vendor} – {self.milestone}"

    def locked_fields(self) -> dict[str, str]:
        if not self.pk:
            return {}
        reason = "a recorded failure stays with its milestone, vendor and date"
        return dict.fromkeys(("milestone", "vendor", "recorded_on", "recorded_by"), reason)

    def deletion_blocker(self) -> str | None:
        return "a recorded failure and its penalty stay on the record"

    @property
    def penalty_outstanding(self) -> Decimal:
        return self.penalty_imposed - self.penalty_paid

    def clean(self):
        errors = {}
        if self.penalty_imposed > self.penalty_contracted:
            errors["penalty_imposed"] = "The imposed penalty cannot exceed the contracted penalty."
        if self.penalty_paid > self.penalty_imposed:
            errors["penalty_paid"] = "The paid amount cannot exceed the imposed penalty."
        if self.milestone_id:
            milestone = self.milestone
            missed = milestone.status == Milestone.Status.MISSED
            overdue = milestone.days_overdue() > 0
            # Judged by the vendor's delivery, not by the day the agency got round to accepting it.
            achieved_late = milestone.status == Milestone.Status.ACHIEVED and milestone.days_late() > 0
            if not (missed or overdue or achieved_late):
                errors["milestone"] = "Only a missed or late milestone can record a performance failure."
            if self.vendor_id and not _is_party(milestone.project.agreement_id, self.vendor_id):
                errors["vendor"] = f"{self.vendor} is not a party to this milestone's agreement."
        if errors:
            raise ValidationError(errors)


class PerformanceFailureDispute(models.Model):
    """A vendor's dispute of a recorded performance failure, and the agency's decision on it.

    While open, the failure's penalty is not deducted on new payment certificates; upheld, the penalty is waived
    (never deducted again); dismissed, deductions resume on the next certificate. One open dispute per failure
    at a time (a database constraint); after a dismissal the vendor may dispute again, e.g. with new facts.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld (penalty waived)")
        DISMISSED = "dismissed", _("Dismissed")

    failure = models.ForeignKey(
        PerformanceFailure, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("performance failure")
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="+", verbose_name=_("vendor"))
    reason = limits.bounded_text(limits.NOTE, verbose_name=_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = limits.bounded_text(limits.NOTE, blank=True, verbose_name=_("decision reason"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("performance failure dispute")
        verbose_name_plural = _("performance failure disputes")
        constraints = [
            models.UniqueConstraint(fields=["failure"], condition=Q(status="open"), name="failure_dispute_one_open"),
            # Once upheld, the penalty is waived for good: no second dispute is needed, or allowed.
            models.UniqueConstraint(
                fields=["failure"], condition=Q(status="upheld"), name="failure_dispute_upheld_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "upheld", "dismissed"]), name="failure_dispute_status_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="failure_dispute_has_reason"),
            # A decision names who, when and why; an open dispute has none.
            models.CheckConstraint(
                condition=(Q(status="open") & Q(decided_at__isnull=True) & Q(decided_by__isnull=True))
                | (
                    ~Q(status="open")
                    & Q(decided_at__isnull=False)
                    & Q(decided_by__isnull=False)
                    & ~Q(decision_reason="")
                ),
                name="failure_dispute_decision_recorded",
            ),
            *limits.text_length_checks("failure_dispute", reason=limits.NOTE, decision_reason=limits.NOTE),
        ]

    def __str__(self):
        return f"{self.failure} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class AlertQuerySet(models.QuerySet):
    def unsent(self):
        """Alerts a scan should (re)try: never sent, or given up on by an earlier run."""
        return self.filter(status__in=[Alert.Status.PENDING, Alert.Status.FAILED])

    def in_doubt(self):
        """Alerts with a delivery that was handed to the mail server but never recorded as sent."""
        return self.filter(Exists(AlertDelivery.objects.in_doubt().filter(alert_id=OuterRef("pk"))))


class Alert(models.Model):
    """One level of one milestone's due date (a *cycle*), announced once to its recipients.

    Level 0 is the "due soon" reminder; levels 1, 2, 3... follow settings.ALERT_ESCALATION_LEVELS. A "review
    waiting" alert (``kind``) tells the project owner that submitted work waits for them while the vendor is
    not escalated; it has one per cycle. Rescheduling a milestone starts a new cycle (a new ``due_date``), so
    its levels fire again for the new date, and never twice for the same date and level: that is what the
    unique constraints guard, which make a second scan, or two at once, a no-op.
    Recipients each get the alert inside their daily digest; ``AlertDelivery`` rows (the outbox) record each
    recipient's send before it happens; ``delivered_to`` lists who has it.
    """

    DUE_SOON = 0

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("Due soon or overdue")
        REVIEW_WAITING = "review_waiting", _("Review waiting")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.DEADLINE)
    level = models.PositiveSmallIntegerField(_("level"), help_text=_("0 = due soon; 1, 2, 3... = escalation level."))
    due_date = models.DateField(
        _("due date of the cycle"),
        help_text=_("The milestone's due date when this alert was raised; a reschedule starts a new cycle."),
    )
    scan_date = models.DateField(_("scan date"), help_text=_("The day of the scan that raised this alert."))
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    delivered_to = models.JSONField(_("delivered to"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(
        _("attempts"), default=0, help_text=_("Send attempts, across all recipients.")
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, help_text=_("When the last recipient got it."))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-scan_date", "milestone_id", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "due_date", "level"],
                condition=Q(kind="deadline"),
                name="alert_once_per_cycle_level",
            ),
            models.UniqueConstraint(
                fields=["milestone", "due_date"],
                condition=Q(kind="review_waiting"),
                name="alert_review_waiting_once_per_cycle",
            ),
            models.CheckConstraint(condition=Q(kind__in=["deadline", "review_waiting"]), name="alert_kind_valid"),
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
    def label_for(cls, level: int, kind: str = "deadline") -> str:
        if kind == cls.Kind.REVIEW_WAITING:
            return gettext("Review waiting")
        return gettext("Due soon") if level == cls.DUE_SOON else gettext("Level %(level)s") % {"level": level}

    @property
    def level_label(self) -> str:
        return self.label_for(self.level, self.kind)

    @property
    def undelivered(self) -> list[str]:
        return [email for email in self.recipients if email not in self.delivered_to]


class AlertDeliveryQuerySet(models.QuerySet):
    def in_doubt(self):
        """Handed to the mail server (or about to be) and never recorded as sent: the process died, or the
        record failed, between the send and its record. Never sent again automatically."""
        return self.filter(status=AlertDelivery.Status.SENDING)


class AlertDelivery(models.Model):
    """The outbox: one recipient's copy of one alert, written and committed *before* the email goes out.

    ``sending`` is committed before the send and becomes ``sent`` after it. A row left ``sending`` is in doubt
    (the mail server may or may not have it), so no automatic run sends it again: an officer decides.
    ``failed`` means the mail server refused it (not delivered), so a retry may send it; ``queued`` is an
    officer's resend waiting for the worker.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending (in doubt if it stays)")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    SENDABLE = (Status.QUEUED, Status.FAILED)

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.EmailField(_("recipient"), max_length=254)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("send started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    requeued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last resent by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AlertDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        constraints = [
            models.UniqueConstraint(fields=["alert", "recipient"], name="alert_delivery_once_per_recipient"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed"]), name="alert_delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="alert_delivery_sent_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="alert_delivery_status_idx")]

    def __str__(self):
        return f"{self.recipient}: {self.alert}"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Only ever the user's own notifications: every path (admin, board pages, API) starts here."""
        return self.filter(user=user).select_related("user", "alert__milestone__project").order_by("-created_at", "-pk")

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An alert shown in the app to one user it concerns (project owner, board member, vendor user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "alert"], name="notification_once_per_user_alert")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread_idx")]

    def __str__(self):
        return f"{self.alert} → {self.user}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
