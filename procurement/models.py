"""Who contracts with whom: authorities, vendors, shared-cost agreements and who pays what."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ppp import limits

from .currencies import ISO_4217_CHOICES

CENTS = Decimal("0.01")
HUNDRED = Decimal("100")


def share_total_error(total: Decimal) -> str | None:
    """The message for a share total over 100 %, or None; used by the service and the admin inline."""
    if total > HUNDRED:
        return gettext("Cost shares would sum to {total} %; they may not exceed 100 %.").format(
            total=f"{total.normalize():f}"
        )
    return None


class ContractingAuthority(models.Model):
    """The public body that procures and pays its share."""

    name = models.CharField(_("name"), max_length=255)
    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", "Use capital letters, digits and hyphens.")],
    )
    contact_name = models.CharField(_("contact name"), max_length=255, blank=True)
    contact_email = models.EmailField(_("contact email"))

    class Meta:
        verbose_name = _("contracting authority")
        ordering = ["name"]
        verbose_name_plural = _("contracting authorities")

    def __str__(self):
        return f"{self.name} ({self.code})"


class Vendor(models.Model):
    """A private partner. Only active vendors may join agreements or take part in an active one."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        DEBARRED = "debarred", _("Debarred")

    legal_name = models.CharField(_("legal name"), max_length=255)
    registration_number = models.CharField(_("registration number"), max_length=64, unique=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        help_text=_("ISO 3166-1 alpha-2 country code, e.g. GB, DE, KE."),
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use the two-letter ISO 3166-1 code, e.g. GB.")],
    )
    address = limits.bounded_text(limits.ADDRESS, verbose_name=_("address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("users"), through="VendorUser", related_name="+", blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended", "debarred"]), name="vendor_status_valid"
            ),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="vendor_country_iso2"),
            *limits.text_length_checks("vendor", address=limits.ADDRESS),
        ]

    def __str__(self):
        return self.legal_name

    @property
    def in_good_standing(self) -> bool:
        """Only an active vendor's users use the partner API and reach its evidence; suspension cuts them off."""
        return self.status == self.Status.ACTIVE

    @property
    def may_join_agreements(self) -> bool:
        """Suspension and debarment both bar a vendor from new or larger shares and from (re)activation."""
        return self.status == self.Status.ACTIVE

    def standing_refusal(self) -> str:
        """Why this vendor may not join, for messages: "Acme Ltd is suspended"."""
        return f"{self.legal_name} is {self.get_status_display().lower()}"


class VendorContact(models.Model):
    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=255)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)
    receives_alerts = models.BooleanField(_("receives alerts"), default=True)

    class Meta:
        verbose_name = _("vendor contact")
        verbose_name_plural = _("vendor contacts")
        ordering = ["vendor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "email"], name="vendor_contact_unique_email"),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class VendorUser(models.Model):
    """Links a login to the vendor it works for; a user belongs to at most one vendor."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="vendor_membership"
    )
    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name_plural = _("vendor users")
        verbose_name = _("vendor user")

    def __str__(self):
        return f"{self.user} @ {self.vendor}"


class AgreementQuerySet(models.QuerySet):
    def with_share_total(self):
        return self.annotate(share_total=Sum("cost_shares__percentage"))

    def with_share_total_per_row(self):
        """``with_share_total`` as a correlated subquery, for a page of a long list: worked out only for the rows
        the LIMIT keeps, and left out of the list's count (the join and GROUP BY would sum every share first)."""
        shares = (
            CostShare.objects.filter(agreement=OuterRef("pk"))
            .order_by()
            .values("agreement")
            .annotate(total=Sum("percentage"))
            .values("total")
        )
        return self.annotate(share_total=Subquery(shares))

    def for_vendor(self, vendor):
        return self.filter(cost_shares__vendor=vendor).distinct()


class Agreement(models.Model):
    """A shared-cost PPP contract between one authority and one or more vendors."""

    class Method(models.TextChoices):
        OPEN = "open", _("Open")
        RESTRICTED = "restricted", _("Restricted")
        COMPETITIVE_DIALOGUE = "competitive_dialogue", _("Competitive dialogue")
        NEGOTIATED = "negotiated", _("Negotiated")
        DIRECT = "direct", _("Direct award")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated")

    # The only legal moves; everything else raises TransitionError naming both states.
    TRANSITIONS = {
        Status.DRAFT: {Status.ACTIVE},
        Status.ACTIVE: {Status.SUSPENDED, Status.COMPLETED, Status.TERMINATED},
        Status.SUSPENDED: {Status.ACTIVE, Status.TERMINATED},
        Status.COMPLETED: set(),
        Status.TERMINATED: set(),
    }

    reference = models.CharField(_("reference"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255)
    authority = models.ForeignKey(
        ContractingAuthority, verbose_name=_("authority"), on_delete=models.PROTECT, related_name="agreements"
    )
    procurement_method = models.CharField(_("procurement method"), max_length=32, choices=Method.choices)
    total_value = models.DecimalField(
        _("total value"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=ISO_4217_CHOICES, default="EUR")
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    signed_date = models.DateField(_("signed date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="agreement_end_after_start"),
            models.CheckConstraint(condition=Q(total_value__gt=0), name="agreement_total_value_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="agreement_currency_iso4217"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "active", "suspended", "completed", "terminated"]),
                name="agreement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    procurement_method__in=["open", "restricted", "competitive_dialogue", "negotiated", "direct"]
                ),
                name="agreement_method_valid",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"

    def can_move_to(self, target: str) -> bool:
        return target in self.TRANSITIONS[self.Status(self.status)]

    def share_total(self) -> Decimal:
        """Sum of the cost-share percentages (uses the prefetch cache when present)."""
        return sum((share.percentage for share in self.cost_shares.all()), Decimal("0"))

    def activation_blocker(self) -> str | None:
        """Why this agreement cannot become active now, or None when it can."""
        total = self.share_total()
        if total != HUNDRED:
            return f"cost shares sum to {total.normalize():f} %, not 100 %"
        barred = [
            share.vendor.standing_refusal()
            for share in self.cost_shares.all()
            if share.vendor_id and not share.vendor.may_join_agreements
        ]
        if barred:
            return f"{'; '.join(barred)}; only active vendors may be parties to an active agreement"
        return None

    # The signed terms: once the agreement leaves draft they are the contract (and the reference is its public
    # OCID); value and end date then change only through an approved amendment, the rest never.
    SIGNED_TERMS = ("reference", "authority", "procurement_method", "currency", "start_date", "total_value", "end_date")

    def locked_fields(self) -> dict[str, str]:
        """The lock table: fields that may not change now, with why. Admin forms show them read-only and
        the services refuse a change to them (``ppp.services.record_update``)."""
        locked = {"status": "it changes only through the agreement's lifecycle actions"}
        if self.status != self.Status.DRAFT:
            reason = f"the agreement is {self.get_status_display().lower()}; its signed terms change only by amendment"
            locked.update(dict.fromkeys(self.SIGNED_TERMS, reason))
        if self.status in (self.Status.COMPLETED, self.Status.TERMINATED):
            locked.update(
                dict.fromkeys(("title", "signed_date"), f"the agreement is {self.get_status_display().lower()}")
            )
        return locked

    def deletion_blocker(self) -> str | None:
        if self.status != self.Status.DRAFT:
            return f"it is {self.get_status_display().lower()}; only a draft agreement is deleted"
        return None

    @property
    def shares_editable(self) -> bool:
        # Shares are the contract's terms: once active they change only through an amendment.
        return self.status == self.Status.DRAFT


class CostShare(models.Model):
    """One party's share of an agreement's cost. ``vendor`` empty means the authority's own share."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="cost_shares"
    )
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cost_shares",
        help_text=_("Leave empty for the contracting authority's own share."),
    )
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost share")
        verbose_name_plural = _("cost shares")
        ordering = ["agreement", "vendor__legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__gt=0) & Q(percentage__lte=100), name="cost_share_percentage_range"
            ),
            models.UniqueConstraint(
                fields=["agreement", "vendor"], condition=Q(vendor__isnull=False), name="cost_share_vendor_once"
            ),
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(vendor__isnull=True), name="cost_share_authority_once"
            ),
        ]

    def __str__(self):
        return f"{self.party_name}: {self.percentage} %"

    def clean(self):
        # Cheap guards shared by the admin forms and the services (which call full_clean()).
        agreement = self.agreement if self.agreement_id else None
        if agreement is not None and not agreement.shares_editable:
            raise ValidationError(
                gettext("Cost shares of a {status} agreement change only through an amendment.").format(
                    status=agreement.get_status_display().lower()
                )
            )
        if self.vendor_id and not self.vendor.may_join_agreements:
            raise ValidationError(
                {
                    "vendor": gettext("{standing_refusal} and cannot join an agreement.").format(
                        standing_refusal=self.vendor.standing_refusal()
                    )
                }
            )

    def locked_fields(self) -> dict[str, str]:
        locked = dict.fromkeys(("agreement", "vendor"), "a share stays with its party; remove it and add another")
        if not self.agreement.shares_editable:
            locked["percentage"] = "the agreement is signed; its shares change only by amendment"
        return locked

    def deletion_blocker(self) -> str | None:
        if not self.agreement.shares_editable:
            return "the agreement is signed; a party leaves only by amendment"
        return None

    @property
    def is_authority(self) -> bool:
        return self.vendor_id is None

    @property
    def party_name(self) -> str:
        return self.vendor.legal_name if self.vendor_id else self.agreement.authority.name

    @property
    def committed_amount(self) -> Decimal:
        return (self.agreement.total_value * self.percentage / HUNDRED).quantize(CENTS, ROUND_HALF_UP)


class CostShareTermQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date):
        """The terms that apply on ``on``: started on or before it, and not yet ended."""
        return self.filter(Q(effective_from__lte=on) & (Q(effective_to__isnull=True) | Q(effective_to__gte=on)))

    def party_order(self):
        # The authority first, then the vendors by name: the order every split and report lists parties in.
        return self.order_by(models.F("vendor__legal_name").asc(nulls_first=True), "vendor_id")


class CostShareTerm(models.Model):
    """One party's share of an agreement over a span of dates: the versioned history of ``CostShare``.

    ``CostShare`` holds the current terms; a term row is written for every party when an agreement is activated
    (in force from its start date) and again when an amendment changes the shares (the old rows are closed the
    day before the new ones start). Rows are never rewritten afterwards, so a payment certificate dated before an
    amendment keeps the split that applied on its date. ``vendor`` empty means the authority's own share.
    """

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="share_terms"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, null=True, blank=True, related_name="share_terms"
    )
    percentage = models.DecimalField(_("percentage"), max_digits=5, decimal_places=2)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(
        _("effective to"), null=True, blank=True, help_text=_("The last day in force; empty while current.")
    )
    amendment = models.ForeignKey(
        "Amendment",
        verbose_name=_("amendment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="share_terms",
        help_text=_("The amendment that set this share; empty for the terms the agreement was signed with."),
    )
    history = HistoricalRecords()

    objects = CostShareTermQuerySet.as_manager()

    class Meta:
        verbose_name = _("cost share term")
        verbose_name_plural = _("cost share terms")
        ordering = ["agreement", "effective_from", "vendor__legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__gt=0) & Q(percentage__lte=100), name="cost_share_term_percentage_range"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="cost_share_term_ends_after_start",
            ),
            # One current row per party, and one row per party per start date.
            models.UniqueConstraint(
                fields=["agreement", "vendor"],
                condition=Q(effective_to__isnull=True, vendor__isnull=False),
                name="cost_share_term_vendor_current_once",
            ),
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(effective_to__isnull=True, vendor__isnull=True),
                name="cost_share_term_authority_current_once",
            ),
            models.UniqueConstraint(
                fields=["agreement", "vendor", "effective_from"],
                condition=Q(vendor__isnull=False),
                name="cost_share_term_vendor_start_once",
            ),
            models.UniqueConstraint(
                fields=["agreement", "effective_from"],
                condition=Q(vendor__isnull=True),
                name="cost_share_term_authority_start_once",
            ),
        ]
        indexes = [models.Index(fields=["agreement", "effective_from"])]

    def __str__(self):
        until = self.effective_to or "now"
        return f"{self.party_name}: {self.percentage} % ({self.effective_from} – {until})"

    @property
    def is_authority(self) -> bool:
        return self.vendor_id is None

    @property
    def party_name(self) -> str:
        return self.vendor.legal_name if self.vendor_id else self.agreement.authority.name


class Expenditure(models.Model):
    """Money actually spent by one party, against an agreement and optionally one of its milestones."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="expenditures"
    )
    milestone = models.ForeignKey(
        "projects.Milestone",
        verbose_name=_("milestone"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expenditures",
    )
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expenditures",
        help_text=_("The paying party; leave empty when the authority paid."),
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(CENTS)])
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expenditure_amount_positive"),
            # A milestone payment is booked once per paying party (Expenditure.clean names the first booking).
            models.UniqueConstraint(
                fields=["milestone", "vendor"],
                condition=Q(milestone__isnull=False) & Q(vendor__isnull=False),
                name="expenditure_once_per_milestone_vendor",
                violation_error_message="This party's share of the milestone payment is already booked.",
            ),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(milestone__isnull=False) & Q(vendor__isnull=True),
                name="expenditure_once_per_milestone_authority",
                violation_error_message="The authority's share of the milestone payment is already booked.",
            ),
        ]
        indexes = [models.Index(fields=["agreement", "vendor"])]

    def __str__(self):
        return f"{self.amount} {self.agreement.currency} on {self.date}"

    # Nothing is spent under a contract not yet signed, nor after it was ended for cause.
    CLOSED_TO_SPENDING = (Agreement.Status.DRAFT, Agreement.Status.TERMINATED)

    @property
    def payer_name(self) -> str:
        return self.vendor.legal_name if self.vendor_id else self.agreement.authority.name

    def clean(self):
        if not self.agreement_id:
            return
        if self.agreement.status in self.CLOSED_TO_SPENDING:
            raise ValidationError(
                {
                    "agreement": gettext(
                        "Spending cannot be recorded against a {status} agreement ({reference})."
                    ).format(status=self.agreement.get_status_display().lower(), reference=self.agreement.reference)
                }
            )
        if self.vendor_id and not self.agreement.cost_shares.filter(vendor_id=self.vendor_id).exists():
            raise ValidationError(
                {
                    "vendor": gettext("{vendor} is not a party to agreement {reference}.").format(
                        vendor=self.vendor, reference=self.agreement.reference
                    )
                }
            )
        if self.milestone_id and self.milestone.project.agreement_id != self.agreement_id:
            raise ValidationError({"milestone": gettext("This milestone belongs to another agreement.")})
        if self.milestone_id:
            booked = (
                Expenditure.objects.filter(milestone_id=self.milestone_id, vendor_id=self.vendor_id)
                .exclude(pk=self.pk)
                .first()
            )
            if booked is not None:
                raise ValidationError(
                    {
                        "milestone": gettext(
                            "{payer_name}'s share of the payment for milestone '{milestone}' is already booked "
                            "({amount} {currency} on {date}); a milestone payment is booked once per party."
                        ).format(
                            payer_name=self.payer_name,
                            milestone=self.milestone,
                            amount=booked.amount,
                            currency=self.agreement.currency,
                            date=booked.date,
                        )
                    }
                )

    def locked_fields(self) -> dict[str, str]:
        # Money recorded as spent is evidence: a wrong entry is deleted (the history keeps it) and recorded again,
        # so the recording rules run on the corrected amount too.
        reason = "recorded spending is not edited; delete the entry and record it again"
        return dict.fromkeys(("agreement", "milestone", "vendor", "amount", "date", "recorded_by"), reason)


class AmendmentQuerySet(models.QuerySet):
    def with_details(self):
        """The shape the admin and the partner API list: parties and share lines in two queries."""
        return self.select_related("agreement__authority", "proposed_by", "decided_by").prefetch_related(
            models.Prefetch("share_changes", queryset=AmendmentShareChange.objects.select_related("vendor"))
        )


class Amendment(models.Model):
    """A recorded change to an agreement's value, end date or cost shares (the only way they change once signed).

    Old values are copied from the agreement when the amendment is proposed; approval refuses to apply it if the
    agreement has changed since, so what the approver read is what gets applied.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="amendments"
    )
    reason = limits.bounded_text(
        limits.NOTE, verbose_name=_("reason"), help_text=_("Why the contract changes; kept in the agreement's record.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    old_total_value = models.DecimalField(_("old total value"), max_digits=16, decimal_places=2)
    new_total_value = models.DecimalField(
        _("new total value"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(CENTS)],
        help_text=_("Leave empty to keep the current value."),
    )
    old_end_date = models.DateField(_("old end date"))
    new_end_date = models.DateField(
        _("new end date"), null=True, blank=True, help_text=_("Leave empty to keep the current end date.")
    )
    effective_date = models.DateField(
        _("effective date"),
        null=True,
        blank=True,
        help_text=_(
            "When the new cost shares take effect. Leave empty for the day of approval; it may not be "
            "earlier than that day (an amendment never changes the split of payments already certified)."
        ),
    )
    rebaseline_milestones = models.BooleanField(
        _("rebaseline milestones"),
        default=False,
        help_text=_(
            "When the end date moves, move the due dates of the projects' open milestones by the same number "
            "of days. Their baseline (first plan) stays, so the slip shows."
        ),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = limits.bounded_text(limits.NOTE, verbose_name=_("decision note"), blank=True)
    history = HistoricalRecords()

    objects = AmendmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "approved", "rejected"]), name="amendment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(new_total_value__isnull=True) | Q(new_total_value__gt=0),
                name="amendment_new_value_positive",
            ),
            # A decision names who made it and when; a proposal has neither.
            models.CheckConstraint(
                condition=(Q(status="proposed") & Q(decided_by__isnull=True) & Q(decided_at__isnull=True))
                | (~Q(status="proposed") & Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="amendment_decision_recorded",
            ),
            *limits.text_length_checks("amendment", reason=limits.NOTE, decision_note=limits.NOTE),
            # Four eyes: whoever proposed a change to a signed contract cannot also approve it.
            models.CheckConstraint(
                condition=~Q(status="approved") | ~Q(decided_by=models.F("proposed_by")),
                name="amendment_approver_not_proposer",
            ),
        ]
        indexes = [models.Index(fields=["agreement", "status"])]

    def __str__(self):
        return f"Amendment #{self.pk} to {self.agreement.reference}" if self.pk else "New amendment"

    @property
    def is_proposed(self) -> bool:
        return self.status == self.Status.PROPOSED

    @property
    def end_date_shift(self) -> datetime.timedelta:
        return (self.new_end_date - self.old_end_date) if self.new_end_date else datetime.timedelta(0)

    def summary(self) -> str:
        """One line a reader can check: what changes from what to what (uses prefetched share lines)."""
        parts = []
        if self.new_total_value is not None:
            parts.append(f"value {self.old_total_value:,.2f} → {self.new_total_value:,.2f}")
        if self.new_end_date:
            parts.append(f"end date {self.old_end_date} → {self.new_end_date}")
        for change in self.share_changes.all():
            parts.append(f"{change.party_name} {change.old_display} → {change.new_percentage.normalize():f} %")
        return "; ".join(parts) or "no change"


class AmendmentShareChange(models.Model):
    """One party's share as the amendment sets it (``vendor`` empty = the authority; 0 % = the party leaves)."""

    amendment = models.ForeignKey(
        Amendment, verbose_name=_("amendment"), on_delete=models.CASCADE, related_name="share_changes"
    )
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendment_share_changes",
        help_text=_("Leave empty for the contracting authority's own share."),
    )
    old_percentage = models.DecimalField(
        _("old percentage"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty when the party joins."),
    )
    new_percentage = models.DecimalField(
        _("new percentage"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)],
        help_text=_("0 removes the party from the agreement."),
    )

    class Meta:
        verbose_name = _("amendment share change")
        verbose_name_plural = _("amendment share changes")
        ordering = ["amendment", "vendor__legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_percentage__gte=0) & Q(new_percentage__lte=100),
                name="amendment_share_percentage_range",
            ),
            models.UniqueConstraint(
                fields=["amendment", "vendor"], condition=Q(vendor__isnull=False), name="amendment_share_vendor_once"
            ),
            models.UniqueConstraint(
                fields=["amendment"], condition=Q(vendor__isnull=True), name="amendment_share_authority_once"
            ),
        ]

    def __str__(self):
        return f"{self.party_name}: {self.old_display} → {self.new_percentage} %"

    @property
    def party_name(self) -> str:
        return self.vendor.legal_name if self.vendor_id else gettext("Authority")

    @property
    def old_display(self) -> str:
        return "–" if self.old_percentage is None else f"{self.old_percentage.normalize():f} %"
