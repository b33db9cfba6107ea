"""The payment chain for delivered work: certificates, their deductions, each party's share, vendors' invoices.

A certificate pays (part of) one achieved milestone. Its gross amount less retention and penalty deductions is the
net amount, split between the agreement's parties by the cost shares in force on the certificate date. Every
figure is stored, never recomputed: a later amendment or settings change does not alter a certificate.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ppp import limits
from procurement.models import Agreement, Vendor
from projects.evidence import sanitised_name
from projects.models import Milestone, PerformanceFailure

MONEY = {"max_digits": 16, "decimal_places": 2}
LIVE = ~Q(status="void")


class CertificateQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status=Certificate.Status.VOID)

    def with_details(self):
        """What a list shows: parties, deduction lines and the split, in a fixed number of queries."""
        return self.select_related(
            "agreement__authority", "milestone__project", "payee", "released_certificate"
        ).prefetch_related(
            models.Prefetch("deductions", queryset=Deduction.objects.select_related("failure")),
            models.Prefetch("party_shares", queryset=PartyShare.objects.select_related("vendor")),
        )


class Certificate(models.Model):
    """A payment certificate: what is owed for an achieved milestone (or, later, the retention it held back)."""

    class Kind(models.TextChoices):
        MILESTONE = "milestone", _("Milestone payment")
        RETENTION_RELEASE = "retention_release", _("Retention release")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CERTIFIED = "certified", _("Certified")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        RECONCILED = "reconciled", _("Reconciled")
        VOID = "void", _("Void")

    TRANSITIONS = {
        Status.DRAFT: {Status.CERTIFIED, Status.VOID},
        Status.CERTIFIED: {Status.APPROVED, Status.VOID},
        Status.APPROVED: {Status.PAID, Status.VOID},
        # Money has left the account: a paid certificate is corrected by a new one, never voided.
        Status.PAID: {Status.RECONCILED},
        Status.RECONCILED: set(),
        Status.VOID: set(),
    }
    PAID_STATUSES = (Status.PAID, Status.RECONCILED)

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="payment_certificates"
    )
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="payment_certificates"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MILESTONE)
    sequence = models.PositiveSmallIntegerField(
        _("sequence"),
        null=True,
        blank=True,
        help_text=_("1 for the milestone's first certificate, 2 for a remainder, and so on."),
    )
    released_certificate = models.ForeignKey(
        "self",
        verbose_name=_("released certificate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retention_releases",
        help_text=_("For a retention release: the certificate whose retention is paid out."),
    )
    payee = models.ForeignKey(
        Vendor,
        verbose_name=_("payee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_certificates",
        help_text=_("The vendor responsible for the milestone, who is paid."),
    )
    certificate_date = models.DateField(
        _("certificate date"), help_text=_("Decides the cost shares the net amount is split by.")
    )
    currency = models.CharField(_("currency"), max_length=3)
    milestone_payment = models.DecimalField(
        _("milestone payment"), **MONEY, help_text=_("The milestone's payment when this was issued.")
    )
    previously_certified = models.DecimalField(
        _("previously certified"),
        **MONEY,
        help_text=_("Gross of the milestone's earlier live certificates when this was issued."),
    )
    gross_amount = models.DecimalField(_("gross amount"), **MONEY)
    retention_percent = models.DecimalField(_("retention percent"), max_digits=5, decimal_places=2)
    retention_amount = models.DecimalField(_("retention amount"), **MONEY)
    penalty_amount = models.DecimalField(_("penalty amount"), **MONEY)
    net_amount = models.DecimalField(_("net amount"), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("certified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    certified_at = models.DateTimeField(_("certified at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paid recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reconciled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)
    void_reason = limits.bounded_text(limits.NOTE, verbose_name=_("void reason"), blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name_plural = _("payment certificates")
        ordering = ["-certificate_date", "-id"]
        verbose_name = _("payment certificate")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "certified", "approved", "paid", "reconciled", "void"]),
                name="certificate_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["milestone", "retention_release"]), name="certificate_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(gross_amount__gt=0)
                & Q(retention_amount__gte=0)
                & Q(penalty_amount__gte=0)
                & Q(net_amount__gte=0)
                & Q(net_amount=F("gross_amount") - F("retention_amount") - F("penalty_amount")),
                name="certificate_net_is_gross_less_deductions",
            ),
            models.CheckConstraint(
                condition=Q(retention_percent__gte=0) & Q(retention_percent__lte=100),
                name="certificate_retention_percent_range",
            ),
            # A milestone certificate claims the slice [previously_certified, + gross) of the milestone's payment.
            models.CheckConstraint(
                condition=~Q(kind="milestone")
                | (
                    Q(sequence__isnull=False)
                    & Q(released_certificate__isnull=True)
                    & Q(previously_certified__gte=0)
                    & Q(gross_amount__lte=F("milestone_payment") - F("previously_certified"))
                ),
                name="certificate_within_milestone_payment",
            ),
            models.CheckConstraint(
                condition=~Q(kind="retention_release")
                | (
                    Q(sequence__isnull=True)
                    & Q(released_certificate__isnull=False)
                    & Q(retention_amount=0)
                    & Q(penalty_amount=0)
                ),
                name="certificate_release_shape",
            ),
            # No double payment: two live certificates cannot take the same place in a milestone's sequence
            # (two officers issuing "the" certificate at once collide here), nor release one retention twice.
            models.UniqueConstraint(
                fields=["milestone", "sequence"],
                condition=Q(kind="milestone") & LIVE,
                name="certificate_live_once_per_milestone_sequence",
            ),
            models.UniqueConstraint(
                fields=["released_certificate"],
                condition=Q(kind="retention_release") & LIVE,
                name="certificate_retention_released_once",
            ),
            # Who did each step is recorded, and approval takes a second officer (four eyes).
            models.CheckConstraint(
                condition=~Q(status__in=["certified", "approved", "paid", "reconciled"])
                | (Q(certified_by__isnull=False) & Q(certified_at__isnull=False)),
                name="certificate_certified_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid", "reconciled"])
                | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False)),
                name="certificate_approved_recorded",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("certified_by")),
                name="certificate_approver_is_not_certifier",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "reconciled"])
                | (Q(paid_on__isnull=False) & ~Q(payment_reference="") & Q(paid_recorded_by__isnull=False)),
                name="certificate_payment_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="reconciled") | (Q(reconciled_by__isnull=False) & Q(reconciled_at__isnull=False)),
                name="certificate_reconciliation_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="void") | (~Q(void_reason="") & Q(voided_by__isnull=False)),
                name="certificate_void_has_reason",
            ),
            *limits.text_length_checks("certificate", void_reason=limits.NOTE),
        ]
        indexes = [
            models.Index(fields=["agreement", "status"]),
            models.Index(fields=["milestone", "status"]),
        ]

    def __str__(self):
        return f"PC-{self.pk:06d}" if self.pk else "New payment certificate"

    def can_move_to(self, target: str) -> bool:
        return target in self.TRANSITIONS[self.Status(self.status)]

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.VOID

    @property
    def is_paid(self) -> bool:
        return self.status in self.PAID_STATUSES

    @property
    def is_partial(self) -> bool:
        return self.kind == self.Kind.MILESTONE and (
            self.previously_certified > 0 or self.gross_amount < self.milestone_payment
        )


class Deduction(models.Model):
    """One line taken off a certificate's gross amount: the retention, or a penalty for a performance failure."""

    class Kind(models.TextChoices):
        RETENTION = "retention", _("Retention")
        PENALTY = "penalty", _("Penalty")

    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.CASCADE, related_name="deductions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    failure = models.ForeignKey(
        PerformanceFailure,
        verbose_name=_("failure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deductions",
    )
    description = models.CharField(_("description"), max_length=255)
    amount = models.DecimalField(_("amount"), **MONEY)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["certificate", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deduction_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=["retention", "penalty"]), name="deduction_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind="penalty") & Q(failure__isnull=False))
                | (Q(kind="retention") & Q(failure__isnull=True)),
                name="deduction_penalty_names_its_failure",
            ),
            models.UniqueConstraint(
                fields=["certificate", "failure"], condition=Q(kind="penalty"), name="deduction_failure_once"
            ),
            models.UniqueConstraint(
                fields=["certificate"], condition=Q(kind="retention"), name="deduction_retention_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount:,.2f}"


class PartyShare(models.Model):
    """One party's part of a certificate, by the cost share in force on its date (``vendor`` empty = authority).

    Gross, retention and penalty are each split by largest remainder, so each column sums to the certificate's
    figure to the cent; the party's net is its gross less its retention and penalty.
    """

    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.CASCADE, related_name="party_shares"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    percentage = models.DecimalField(_("percentage"), max_digits=5, decimal_places=2)
    gross_amount = models.DecimalField(_("gross amount"), **MONEY)
    retention_amount = models.DecimalField(_("retention amount"), **MONEY)
    penalty_amount = models.DecimalField(_("penalty amount"), **MONEY)
    net_amount = models.DecimalField(_("net amount"), **MONEY)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("party share")
        verbose_name_plural = _("party shares")
        ordering = ["certificate", F("vendor__legal_name").asc(nulls_first=True)]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__gt=0) & Q(percentage__lte=100), name="party_share_percentage_range"
            ),
            models.CheckConstraint(
                condition=Q(net_amount=F("gross_amount") - F("retention_amount") - F("penalty_amount"))
                & Q(gross_amount__gte=0)
                & Q(retention_amount__gte=0)
                & Q(penalty_amount__gte=0),
                name="party_share_net_is_gross_less_deductions",
            ),
            models.UniqueConstraint(
                fields=["certificate", "vendor"], condition=Q(vendor__isnull=False), name="party_share_vendor_once"
            ),
            models.UniqueConstraint(
                fields=["certificate"], condition=Q(vendor__isnull=True), name="party_share_authority_once"
            ),
        ]

    def __str__(self):
        return f"{self.party_name}: {self.net_amount:,.2f}"

    @property
    def is_authority(self) -> bool:
        return self.vendor_id is None

    @property
    def party_name(self) -> str:
        return self.vendor.legal_name if self.vendor_id else self.certificate.agreement.authority.name


def invoice_upload_to(instance, filename: str) -> str:
    # An unguessable folder: invoice files are served only through the officers' admin, never from MEDIA_URL.
    return f"invoices/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}/{sanitised_name(filename)}"


class VendorInvoiceQuerySet(models.QuerySet):
    def with_details(self):
        return self.select_related("certificate__agreement", "vendor", "submitted_by", "decided_by")


class VendorInvoice(models.Model):
    """A vendor's invoice for a certified amount, matched to the certificate or rejected by an officer."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        MATCHED = "matched", _("Matched")
        REJECTED = "rejected", _("Rejected")

    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="invoices"
    )
    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="invoices")
    reference = models.CharField(_("reference"), max_length=64, help_text=_("The vendor's own invoice number."))
    invoice_date = models.DateField(_("invoice date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    file = models.FileField(_("file"), upload_to=invoice_upload_to, max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = limits.bounded_text(limits.NOTE, verbose_name=_("rejection reason"), blank=True)
    history = HistoricalRecords()

    objects = VendorInvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("vendor invoice")
        verbose_name_plural = _("vendor invoices")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "matched", "rejected"]), name="invoice_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="submitted") | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="invoice_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="invoice_rejection_has_reason"
            ),
            *limits.text_length_checks("invoice", rejection_reason=limits.NOTE),
            models.UniqueConstraint(fields=["vendor", "reference"], name="invoice_reference_once_per_vendor"),
            # One invoice pays a certificate: a second match would be a second claim for the same money.
            models.UniqueConstraint(
                fields=["certificate"], condition=Q(status="matched"), name="invoice_matched_once_per_certificate"
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.vendor})"
