"""Writes with rules for the payment chain. The admin, the partner API, seed_demo and the tests call these.

Order of locks everywhere: milestone, then certificate, then invoice; so two officers cannot deadlock.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext

from ppp import events, limits
from ppp.errors import RuleViolation, StateConflict, TransitionError
from ppp.services import save_with_author
from procurement.models import CENTS, HUNDRED, Agreement, Vendor
from procurement.selectors import shares_in_force
from projects.models import Milestone, PerformanceFailure
from projects.validators import validate_evidence_file

from .models import Certificate, Deduction, PartyShare, VendorInvoice

ZERO = Decimal("0")
PAYABLE_AGREEMENT_STATUSES = (
    Agreement.Status.ACTIVE,
    Agreement.Status.SUSPENDED,
    Agreement.Status.COMPLETED,
    Agreement.Status.TERMINATED,
)


def retention_percent() -> Decimal:
    """``PPP_RETENTION_PERCENT`` as a Decimal; a bad value stops the certificate rather than guessing."""
    value = Decimal(str(settings.PPP_RETENTION_PERCENT))
    if not ZERO <= value <= HUNDRED:
        raise RuleViolation(
            gettext("PPP_RETENTION_PERCENT must be between 0 and 100, not {value}.").format(value=value), field=None
        )
    return value


def split_largest_remainder(amount: Decimal, percentages: list[Decimal]) -> list[Decimal]:
    """Split ``amount`` by ``percentages`` (summing to 100) into cents that add up exactly to ``amount``.

    Each part gets the whole cents of its exact share; the cents left over go one each to the parts with the
    largest fractions (ties: the earlier party, i.e. the authority, then vendors by name). Unlike giving the
    remainder to the last party, no party is ever more than one cent from its exact share.
    """
    cents = int((amount / CENTS).to_integral_value())
    exact = [Decimal(cents) * percentage / HUNDRED for percentage in percentages]
    parts = [int(value) for value in exact]  # amounts are never negative, so int() is the floor
    left = cents - sum(parts)
    by_fraction = sorted(range(len(parts)), key=lambda index: (-(exact[index] - parts[index]), index))
    for index in by_fraction[:left]:
        parts[index] += 1
    return [Decimal(part) * CENTS for part in parts]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENTS, ROUND_HALF_UP)


# --- Issuing --------------------------------------------------------------------------------


def _penalties(
    *, milestone: Milestone, payee: Vendor | None, gross: Decimal, available: Decimal, on: datetime.date
) -> list[tuple[PerformanceFailure, Decimal, str]]:
    """The penalty lines for a certificate paying ``payee``: (failure, amount, description), oldest failure first.

    A failure with a rate takes that percentage of each payment for its own milestone; one without takes its
    imposed penalty (what is still undeducted) from the vendor's next certificates on the same agreement. The
    cap limits each certificate ("period") or all of them together ("contract"). Never more than ``available``
    (gross less retention) is taken; a fixed penalty not yet covered waits for the next certificate.
    """
    if payee is None:
        return []
    # Locked: two certificates for different milestones of the same vendor cannot both take one fixed penalty.
    failures = list(
        PerformanceFailure.objects.select_for_update(of=("self",))
        # A failure under an open dispute waits for the decision; an upheld dispute waived its penalty.
        .deductible()
        .filter(milestone__project__agreement_id=milestone.project.agreement_id, vendor=payee, recorded_on__lte=on)
        .select_related("milestone")
        .order_by("recorded_on", "id")
    )
    deducted = dict(
        Deduction.objects.filter(failure__in=failures)
        .exclude(certificate__status=Certificate.Status.VOID)
        .values_list("failure_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    lines = []
    for failure in failures:
        so_far = deducted.get(failure.pk) or ZERO
        if failure.deduction_rate is not None:
            if failure.milestone_id != milestone.pk:
                continue
            due = _money(gross * failure.deduction_rate / HUNDRED)
            basis = f"{failure.deduction_rate.normalize():f} % of {gross:,.2f}"
        else:
            due = failure.penalty_imposed - so_far
            basis = f"penalty imposed {failure.penalty_imposed:,.2f}"
        if failure.deduction_cap is not None:
            if failure.deduction_cap_scope == PerformanceFailure.CapScope.CONTRACT:
                due = min(due, failure.deduction_cap - so_far)
            else:
                due = min(due, failure.deduction_cap)
            basis += f", capped at {failure.deduction_cap:,.2f} {failure.get_deduction_cap_scope_display().lower()}"
        due = min(due, available)
        if due <= 0:
            continue
        available -= due
        lines.append((failure, due, f"{failure.milestone.title}: {basis}"[:255]))
    return lines


def _write_split(certificate: Certificate, shares: list[tuple[int | None, Decimal]], by) -> None:
    """Store each party's part of the certificate; ``shares`` is [(vendor id or None, percentage)] in party order."""
    percentages = [percentage for _, percentage in shares]
    gross = split_largest_remainder(certificate.gross_amount, percentages)
    retention = split_largest_remainder(certificate.retention_amount, percentages)
    penalty = split_largest_remainder(certificate.penalty_amount, percentages)
    for index, (vendor_id, percentage) in enumerate(shares):
        line = PartyShare(
            certificate=certificate,
            vendor_id=vendor_id,
            percentage=percentage,
            gross_amount=gross[index],
            retention_amount=retention[index],
            penalty_amount=penalty[index],
            net_amount=gross[index] - retention[index] - penalty[index],
        )
        save_with_author(line, by)


def _save_new(instance, by):
    save_with_author(instance, by)
    return instance


@transaction.atomic
def certificate_issue(
    *,
    milestone_id: int,
    by,
    certificate_date: datetime.date | None = None,
    gross_amount: Decimal | None = None,
) -> Certificate:
    """Draft a payment certificate for an achieved milestone: its whole payment, or what is left of it.

    ``gross_amount`` smaller than what is left makes a partial certificate; another one may follow for the
    remainder. Retention (PPP_RETENTION_PERCENT) and penalties are deducted, and every amount is split by the
    cost shares in force on ``certificate_date`` (today by default).
    """
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("project__agreement", "responsible_vendor")
        .get(pk=milestone_id)
    )
    agreement = milestone.project.agreement
    on = certificate_date or timezone.localdate()
    if milestone.status != Milestone.Status.ACHIEVED:
        raise StateConflict(
            gettext("Milestone '{milestone}' is {status}; only an achieved milestone is paid.").format(
                milestone=milestone, status=milestone.get_status_display().lower()
            ),
            current=milestone.status,
        )
    if agreement.status not in PAYABLE_AGREEMENT_STATUSES:
        raise StateConflict(
            gettext("Agreement {reference} is a draft; nothing is paid yet.").format(reference=agreement.reference),
            current="draft",
        )
    if on < milestone.achieved_date:
        raise RuleViolation(
            gettext("The certificate date may not be before the milestone was achieved ({achieved_date}).").format(
                achieved_date=milestone.achieved_date
            ),
            field="certificate_date",
        )
    live = Certificate.objects.filter(milestone=milestone, kind=Certificate.Kind.MILESTONE).live()
    previously = live.aggregate(total=Sum("gross_amount"))["total"] or ZERO
    remainder = milestone.payment_amount - previously
    if remainder <= 0:
        raise StateConflict(
            gettext(
                "Milestone '{milestone}' is already certified in full ({previously:,.2f} {currency}); void a "
                "certificate to issue another."
            ).format(milestone=milestone, previously=previously, currency=agreement.currency),
            current="certified",
        )
    gross = remainder if gross_amount is None else Decimal(gross_amount)
    if gross <= 0 or gross > remainder or gross != _money(gross):
        raise RuleViolation(
            gettext(
                "The gross amount must be between 0.01 and what is left of the milestone's payment "
                "({remainder:,.2f} {currency}), in cents."
            ).format(remainder=remainder, currency=agreement.currency),
            field="gross_amount",
        )
    terms = shares_in_force(agreement, on=on)
    if not terms:
        raise RuleViolation(
            gettext("Agreement {reference} has no cost shares in force on {on}.").format(
                reference=agreement.reference, on=on
            ),
            field="certificate_date",
        )
    percent = retention_percent()
    retention = _money(gross * percent / HUNDRED)
    penalties = _penalties(
        milestone=milestone, payee=milestone.responsible_vendor, gross=gross, available=gross - retention, on=on
    )
    penalty_total = sum((amount for _, amount, _ in penalties), ZERO)
    # Every certificate ever issued for the milestone counts, void ones too: the next number is always new.
    last = Certificate.objects.filter(milestone=milestone, kind=Certificate.Kind.MILESTONE).aggregate(
        last=Max("sequence")
    )["last"]
    certificate = _save_new(
        Certificate(
            agreement=agreement,
            milestone=milestone,
            kind=Certificate.Kind.MILESTONE,
            sequence=(last or 0) + 1,
            payee=milestone.responsible_vendor,
            certificate_date=on,
            currency=agreement.currency,
            milestone_payment=milestone.payment_amount,
            previously_certified=previously,
            gross_amount=gross,
            retention_percent=percent,
            retention_amount=retention,
            penalty_amount=penalty_total,
            net_amount=gross - retention - penalty_total,
            created_by=by,
        ),
        by,
    )
    if retention:
        _save_new(
            Deduction(
                certificate=certificate,
                kind=Deduction.Kind.RETENTION,
                description=f"Retention {percent.normalize():f} % of {gross:,.2f}, released later",
                amount=retention,
            ),
            by,
        )
    for failure, amount, description in penalties:
        _save_new(
            Deduction(
                certificate=certificate,
                kind=Deduction.Kind.PENALTY,
                failure=failure,
                description=description,
                amount=amount,
            ),
            by,
        )
    _write_split(certificate, [(term.vendor_id, term.percentage) for term in terms], by)
    return certificate


@transaction.atomic
def retention_release_issue(*, certificate_id: int, by, certificate_date: datetime.date | None = None) -> Certificate:
    """Draft the certificate that pays out what a paid certificate retained, to the same parties in the same parts.

    The release repeats the original split (not today's shares): the money was held back from those parties.
    """
    original = Certificate.objects.select_for_update(of=("self",)).select_related("milestone").get(pk=certificate_id)
    if original.kind != Certificate.Kind.MILESTONE or not original.is_paid:
        raise StateConflict(
            gettext("{original} is {status}; retention is released only from a paid milestone certificate.").format(
                original=original, status=original.get_status_display().lower()
            ),
            current=original.status,
        )
    if not original.retention_amount:
        raise RuleViolation(
            gettext("{original} retained nothing.").format(original=original), field="released_certificate"
        )
    if original.retention_releases.live().exists():
        raise StateConflict(
            gettext("The retention of {original} is already being released.").format(original=original),
            current=original.status,
        )
    on = certificate_date or timezone.localdate()
    if on < original.certificate_date:
        raise RuleViolation(
            gettext("A release may not be dated before the certificate it releases."), field="certificate_date"
        )
    release = _save_new(
        Certificate(
            agreement_id=original.agreement_id,
            milestone_id=original.milestone_id,
            kind=Certificate.Kind.RETENTION_RELEASE,
            released_certificate=original,
            payee_id=original.payee_id,
            certificate_date=on,
            currency=original.currency,
            milestone_payment=original.milestone_payment,
            previously_certified=ZERO,
            gross_amount=original.retention_amount,
            retention_percent=ZERO,
            retention_amount=ZERO,
            penalty_amount=ZERO,
            net_amount=original.retention_amount,
            created_by=by,
        ),
        by,
    )
    for part in original.party_shares.all():
        _save_new(
            PartyShare(
                certificate=release,
                vendor_id=part.vendor_id,
                percentage=part.percentage,
                gross_amount=part.retention_amount,
                retention_amount=ZERO,
                penalty_amount=ZERO,
                net_amount=part.retention_amount,
            ),
            by,
        )
    return release


# --- The chain: certify, approve, pay, reconcile, void ---------------------------------------


def _locked(certificate_id: int, target: str) -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
    if not certificate.can_move_to(target):
        raise TransitionError(certificate, certificate.status, target)
    return certificate


def _save(certificate: Certificate, by, fields: list[str]) -> Certificate:
    save_with_author(certificate, by, ["status", *fields])
    return certificate


@transaction.atomic
def certificate_certify(*, certificate_id: int, by) -> Certificate:
    """The officer certifies that the work was delivered and the amounts are right."""
    certificate = _locked(certificate_id, Certificate.Status.CERTIFIED)
    certificate.status = Certificate.Status.CERTIFIED
    certificate.certified_by = by
    certificate.certified_at = timezone.now()
    return _save(certificate, by, ["certified_by", "certified_at"])


@transaction.atomic
def certificate_approve(*, certificate_id: int, by) -> Certificate:
    """A second officer approves the payment (four eyes: never the one who certified it)."""
    certificate = _locked(certificate_id, Certificate.Status.APPROVED)
    if certificate.certified_by_id == by.pk:
        raise RuleViolation(
            gettext("You certified {certificate}; a second officer must approve it.").format(certificate=certificate),
            field="approved_by",
        )
    certificate.status = Certificate.Status.APPROVED
    certificate.approved_by = by
    certificate.approved_at = timezone.now()
    _save(certificate, by, ["approved_by", "approved_at"])
    _publish_to_parties("certificate.approved", certificate, {"approved_at": certificate.approved_at.isoformat()})
    return certificate


@transaction.atomic
def certificate_pay(*, certificate_id: int, by, paid_on: datetime.date, reference: str) -> Certificate:
    """Record that the approved net amount left the account on ``paid_on`` under the bank's ``reference``."""
    certificate = _locked(certificate_id, Certificate.Status.PAID)
    reference = (reference or "").strip()
    if not reference:
        raise RuleViolation(
            gettext("Give the payment reference (from the bank or the treasury system)."), field="reference"
        )
    if paid_on is None or paid_on > timezone.localdate():
        raise RuleViolation(gettext("The payment date must be given and may not be in the future."), field="paid_on")
    if paid_on < certificate.certificate_date:
        raise RuleViolation(
            gettext("The payment date may not be before the certificate date ({certificate_date}).").format(
                certificate_date=certificate.certificate_date
            ),
            field="paid_on",
        )
    certificate.status = Certificate.Status.PAID
    certificate.paid_on = paid_on
    certificate.payment_reference = reference
    certificate.paid_recorded_by = by
    _save(certificate, by, ["paid_on", "payment_reference", "paid_recorded_by"])
    _publish_to_parties(
        "payment.made",
        certificate,
        {"paid_on": certificate.paid_on.isoformat()},
        payee_only={"payment_reference": certificate.payment_reference},
    )
    return certificate


def _publish_to_parties(name: str, certificate: Certificate, facts: dict, *, payee_only: dict | None = None) -> None:
    """One event per vendor concerned (each party to the split, and the payee), each with only that vendor's
    figures: its own share line, and the certificate's totals only for the payee. Another party's money is not
    a vendor's business (as in the partner API, where a vendor sees only its own share)."""
    shares = {share.vendor_id: share for share in certificate.party_shares.exclude(vendor=None)}
    vendor_ids = set(shares) | ({certificate.payee_id} if certificate.payee_id else set())
    for vendor_id in sorted(vendor_ids):
        share = shares.get(vendor_id)
        payload = {
            "certificate": certificate.pk,
            "number": str(certificate),
            "kind": certificate.kind,
            "status": certificate.status,
            "agreement": certificate.agreement_id,
            "milestone": certificate.milestone_id,
            "certificate_date": certificate.certificate_date.isoformat(),
            "currency": certificate.currency,
            **facts,
            "payee": vendor_id == certificate.payee_id,
            "share": None
            if share is None
            else {
                "percentage": str(share.percentage),
                "gross_amount": str(share.gross_amount),
                "retention_amount": str(share.retention_amount),
                "penalty_amount": str(share.penalty_amount),
                "net_amount": str(share.net_amount),
            },
        }
        if vendor_id == certificate.payee_id:
            payload.update(
                gross_amount=str(certificate.gross_amount),
                retention_amount=str(certificate.retention_amount),
                penalty_amount=str(certificate.penalty_amount),
                net_amount=str(certificate.net_amount),
                **(payee_only or {}),
            )
        events.publish(name, vendor_ids=[vendor_id], payload=payload)


@transaction.atomic
def certificate_reconcile(*, certificate_id: int, by) -> Certificate:
    """Close a paid certificate once the payment is matched to the vendor's invoice (and the bank statement)."""
    certificate = _locked(certificate_id, Certificate.Status.RECONCILED)
    if certificate.payee_id and not certificate.invoices.filter(status=VendorInvoice.Status.MATCHED).exists():
        raise RuleViolation(
            gettext("{certificate} has no matched invoice from {payee}; match one before reconciling.").format(
                certificate=certificate, payee=certificate.payee
            ),
            field="status",
        )
    certificate.status = Certificate.Status.RECONCILED
    certificate.reconciled_by = by
    certificate.reconciled_at = timezone.now()
    return _save(certificate, by, ["reconciled_by", "reconciled_at"])


@transaction.atomic
def certificate_void(*, certificate_id: int, by, reason: str) -> Certificate:
    """Cancel an unpaid certificate; its amount may be certified again. The record and the reason stay."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(gettext("Say why the certificate is void."), field="reason")
    limits.check_text_length(reason, limits.NOTE, field="reason")
    certificate = _locked(certificate_id, Certificate.Status.VOID)
    if certificate.invoices.filter(status=VendorInvoice.Status.MATCHED).exists():
        raise StateConflict(
            gettext("{certificate} has a matched invoice: the vendor's claim stands, so it cannot be voided.").format(
                certificate=certificate
            ),
            current=certificate.status,
        )
    certificate.status = Certificate.Status.VOID
    certificate.void_reason = reason
    certificate.voided_by = by
    certificate.voided_at = timezone.now()
    return _save(certificate, by, ["void_reason", "voided_by", "voided_at"])


# --- Vendor invoices ----------------------------------------------------------------------------

INVOICEABLE = (Certificate.Status.CERTIFIED, Certificate.Status.APPROVED, Certificate.Status.PAID)


@transaction.atomic
def invoice_submit(
    *,
    certificate_id: int,
    vendor: Vendor,
    by,
    reference: str,
    invoice_date: datetime.date,
    amount: Decimal,
    file,
) -> VendorInvoice:
    """A vendor invoices a certified amount it is the payee of, with the invoice document attached."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
    if certificate.payee_id != vendor.pk:
        raise RuleViolation(
            gettext("{vendor} is not the payee of {certificate}.").format(vendor=vendor, certificate=certificate),
            field="certificate",
        )
    if certificate.status not in INVOICEABLE:
        raise StateConflict(
            gettext("{certificate} is {status}; invoice a certified amount.").format(
                certificate=certificate, status=certificate.get_status_display().lower()
            ),
            current=certificate.status,
        )
    if certificate.invoices.filter(status=VendorInvoice.Status.MATCHED).exists():
        raise StateConflict(
            gettext("{certificate} is already matched to an invoice.").format(certificate=certificate),
            current=certificate.status,
        )
    reference = (reference or "").strip()
    if not reference:
        raise RuleViolation(gettext("Give your invoice number."), field="reference")
    if VendorInvoice.objects.filter(vendor=vendor, reference=reference).exists():
        raise RuleViolation(
            gettext("You already submitted invoice {reference}.").format(reference=reference), field="reference"
        )
    amount = Decimal(amount)
    if amount <= 0 or amount != _money(amount):
        raise RuleViolation(gettext("The amount must be more than zero, in cents."), field="amount")
    if invoice_date > timezone.localdate():
        raise RuleViolation(gettext("The invoice date may not be in the future."), field="invoice_date")
    if file is None:
        raise RuleViolation(gettext("Attach the invoice document."), field="file")
    try:
        validate_evidence_file(file)
    except RuleViolation as exc:
        raise type(exc)(exc.message, field="file") from exc
    invoice = VendorInvoice(
        certificate=certificate,
        vendor=vendor,
        reference=reference,
        invoice_date=invoice_date,
        amount=amount,
        file=file,
        submitted_by=by,
    )
    return _save_new(invoice, by)


def _locked_invoice(invoice_id: int, target: str) -> VendorInvoice:
    invoice = VendorInvoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status != VendorInvoice.Status.SUBMITTED:
        raise TransitionError(invoice, invoice.status, target)
    return invoice


@transaction.atomic
def invoice_match(*, invoice_id: int, by) -> VendorInvoice:
    """Accept an invoice as the claim for its certificate: only when it asks for exactly the certified net."""
    certificate_id = VendorInvoice.objects.values_list("certificate_id", flat=True).get(pk=invoice_id)
    certificate = Certificate.objects.select_for_update().get(pk=certificate_id)  # certificate before invoice
    invoice = _locked_invoice(invoice_id, VendorInvoice.Status.MATCHED)
    if not certificate.is_live:
        raise StateConflict(
            gettext("{certificate} is void; reject the invoice instead.").format(certificate=certificate),
            current=certificate.status,
        )
    if invoice.amount != certificate.net_amount:
        raise RuleViolation(
            gettext(
                "The invoice asks for {amount:,.2f} but {certificate} certifies {net_amount:,.2f} {currency}; "
                "reject it with that reason."
            ).format(
                amount=invoice.amount,
                certificate=certificate,
                net_amount=certificate.net_amount,
                currency=certificate.currency,
            ),
            field="amount",
        )
    if certificate.invoices.filter(status=VendorInvoice.Status.MATCHED).exists():
        raise StateConflict(
            gettext("{certificate} is already matched to another invoice.").format(certificate=certificate),
            current=certificate.status,
        )
    invoice.status = VendorInvoice.Status.MATCHED
    invoice.decided_by = by
    invoice.decided_at = timezone.now()
    save_with_author(invoice, by, ["status", "decided_by", "decided_at"])
    return invoice


@transaction.atomic
def invoice_reject(*, invoice_id: int, by, reason: str) -> VendorInvoice:
    """Turn an invoice down; the vendor sees the reason in the partner API and may submit a corrected one."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(gettext("Say why the invoice is rejected."), field="reason")
    limits.check_text_length(reason, limits.NOTE, field="reason")
    invoice = _locked_invoice(invoice_id, VendorInvoice.Status.REJECTED)
    invoice.status = VendorInvoice.Status.REJECTED
    invoice.decided_by = by
    invoice.decided_at = timezone.now()
    invoice.rejection_reason = reason
    save_with_author(invoice, by, ["status", "decided_by", "decided_at", "rejection_reason"])
    return invoice
