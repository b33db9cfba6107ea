"""Writes with rules for agreements, cost shares and expenditures. Admin, API and tests call these."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone

from ppp.errors import RuleViolation, TransitionError, full_clean_or_raise

from .models import (
    HUNDRED,
    Agreement,
    Amendment,
    AmendmentShareChange,
    CostShare,
    Expenditure,
    Vendor,
    share_total_error,
)


@transaction.atomic
def agreement_transition(*, agreement_id: int, target: str, by=None) -> Agreement:
    """Move an agreement to ``target`` if the lifecycle allows it.

    Activating a draft and resuming a suspended agreement both need whole shares (100 %) and every vendor party
    active: a suspended or debarred party keeps the agreement from running until it is reinstated or amended out.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    if not agreement.can_move_to(target):
        raise TransitionError(agreement, agreement.status, target)
    if target == Agreement.Status.ACTIVE:
        agreement = Agreement.objects.prefetch_related(
            Prefetch("cost_shares", queryset=CostShare.objects.select_related("vendor"))
        ).get(pk=agreement.pk)
        blocker = agreement.activation_blocker()
        if blocker:
            raise TransitionError(agreement, agreement.status, target, blocker)
    agreement.status = target
    agreement._history_user = by
    agreement.save(update_fields=["status", "updated_at"])
    return agreement


def agreement_activate(*, agreement_id: int, by=None) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.ACTIVE, by=by)


def agreement_suspend(*, agreement_id: int, by=None) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.SUSPENDED, by=by)


def agreement_complete(*, agreement_id: int, by=None) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.COMPLETED, by=by)


def agreement_terminate(*, agreement_id: int, by=None) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.TERMINATED, by=by)


@transaction.atomic
def cost_share_set(*, agreement_id: int, vendor: Vendor | None, percentage: Decimal, by=None) -> CostShare:
    """Add or change one party's share of a draft agreement (``vendor=None`` is the authority)."""
    # Lock the agreement so two officers editing shares cannot together exceed 100 %.
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    share = CostShare.objects.filter(agreement=agreement, vendor=vendor).first() or CostShare(
        agreement=agreement, vendor=vendor
    )
    share.percentage = Decimal(percentage)
    full_clean_or_raise(share)
    others = agreement.cost_shares.exclude(pk=share.pk).aggregate(total=Sum("percentage"))["total"]
    error = share_total_error((others or Decimal("0")) + share.percentage)
    if error:
        raise RuleViolation(error, field="percentage")
    share._history_user = by
    share.save()
    return share


@transaction.atomic
def expenditure_record(
    *,
    agreement_id: int,
    amount: Decimal,
    date: datetime.date,
    vendor: Vendor | None = None,
    milestone=None,
    description: str = "",
    by=None,
) -> Expenditure:
    """Record money actually spent by one party (``vendor=None``: the authority).

    Refused on a draft or terminated agreement, for a party outside the agreement, a second time for the same
    milestone payment and party, and when the party's spending would pass its commitment (its cost share of the
    agreement's total value). The agreement row stays locked until commit, so two bookings at once are checked
    one after the other and cannot together pass the commitment.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    expenditure = Expenditure(
        agreement=agreement,
        vendor=vendor,
        milestone=milestone,
        amount=Decimal(amount),
        date=date,
        description=description,
        recorded_by=by,
    )
    full_clean_or_raise(expenditure)
    _check_commitment(agreement, expenditure)
    expenditure._history_user = by
    expenditure.save()
    return expenditure


def _check_commitment(agreement: Agreement, expenditure: Expenditure) -> None:
    """Refuse spending that takes the party past its committed amount; call with the agreement row locked."""
    share = agreement.cost_shares.filter(vendor=expenditure.vendor).first()
    committed = share.committed_amount if share else Decimal("0.00")
    spent = agreement.expenditures.filter(vendor=expenditure.vendor).aggregate(total=Sum("amount"))["total"]
    spent = spent or Decimal("0.00")
    if spent + expenditure.amount <= committed:
        return
    currency = agreement.currency
    terms = (
        f"{share.percentage.normalize():f} % of {agreement.total_value:,.2f} {currency}"
        if share
        else "it has no cost share"
    )
    raise RuleViolation(
        f"{expenditure.payer_name} would spend {spent + expenditure.amount:,.2f} {currency} under "
        f"{agreement.reference}, more than its commitment of {committed:,.2f} {currency} ({terms}); "
        f"{max(committed - spent, Decimal('0')):,.2f} {currency} remain(s).",
        field="amount",
    )


# --- Amendments ------------------------------------------------------------------------------

AMENDABLE = (Agreement.Status.ACTIVE, Agreement.Status.SUSPENDED)
ShareChanges = dict[Vendor | None, Decimal]


def _current_shares(agreement: Agreement) -> dict[int | None, Decimal]:
    """Percentages by vendor id (None = the authority); uses the prefetch cache when present."""
    return {share.vendor_id: share.percentage for share in agreement.cost_shares.all()}


def amendment_check(
    agreement: Agreement,
    *,
    new_total_value: Decimal | None = None,
    new_end_date: datetime.date | None = None,
    share_changes: ShareChanges | None = None,
) -> None:
    """Raise a RuleViolation naming the field if these changes may not be made to ``agreement``.

    Shared by the services and the admin form, so an officer sees the same refusal before saving.
    """
    if agreement.status not in AMENDABLE:
        if agreement.status == Agreement.Status.DRAFT:
            reason = "a draft agreement is edited directly"
        else:
            reason = f"a {agreement.get_status_display().lower()} agreement can no longer change"
        raise RuleViolation(f"Agreement {agreement.reference} cannot be amended: {reason}.", field="agreement")
    if new_total_value is not None and new_total_value <= 0:
        raise RuleViolation("The new total value must be more than zero.", field="new_total_value")
    if new_end_date is not None and new_end_date <= agreement.start_date:
        raise RuleViolation(
            f"The new end date must be after the agreement's start date ({agreement.start_date}).", field="new_end_date"
        )
    share_changes = share_changes or {}
    shares = _current_shares(agreement)
    for vendor, percentage in share_changes.items():
        if vendor is not None and percentage > 0 and not vendor.may_join_agreements:
            raise RuleViolation(
                f"{vendor.standing_refusal()} and cannot hold a share; only 0 % (leaving) is allowed.",
                field="share_changes",
            )
        shares[vendor.pk if vendor else None] = Decimal(percentage)
    total = sum(shares.values(), Decimal("0"))
    if total != HUNDRED:
        raise RuleViolation(
            f"After this amendment the cost shares would sum to {total.normalize():f} %; they must sum to 100 %.",
            field="share_changes",
        )
    leaving = [vendor for vendor, percentage in share_changes.items() if vendor is not None and percentage == 0]
    from projects.models import Milestone  # projects depends on procurement, not the other way round

    if (
        leaving
        and Milestone.objects.open().filter(project__agreement=agreement, responsible_vendor__in=leaving).exists()
    ):
        raise RuleViolation(
            "A party that leaves the agreement is still responsible for open milestones; reassign them first.",
            field="share_changes",
        )


def amendment_prepare(
    agreement: Agreement,
    *,
    reason: str,
    new_total_value: Decimal | None = None,
    new_end_date: datetime.date | None = None,
    share_changes: ShareChanges | None = None,
    rebaseline_milestones: bool = False,
) -> tuple[Decimal | None, datetime.date | None, ShareChanges]:
    """Drop the lines that restate current terms and check the rest; raise a RuleViolation or return the changes.

    The admin's add form runs this too, so an officer sees a refusal on the form before anything is saved.
    """
    if not (reason or "").strip():
        raise RuleViolation("Give the reason for the amendment.", field="reason")
    current = _current_shares(agreement)
    if new_total_value is not None and Decimal(new_total_value) == agreement.total_value:
        new_total_value = None
    if new_end_date == agreement.end_date:
        new_end_date = None
    share_changes = {
        vendor: Decimal(percentage)
        for vendor, percentage in (share_changes or {}).items()
        if Decimal(percentage) != current.get(vendor.pk if vendor else None, Decimal("0"))
    }
    if new_total_value is None and new_end_date is None and not share_changes:
        raise RuleViolation("The amendment changes nothing: set a new value, end date or cost shares.", field=None)
    if rebaseline_milestones and new_end_date is None:
        raise RuleViolation("Milestones are re-baselined only when the end date moves.", field="rebaseline_milestones")
    amendment_check(agreement, new_total_value=new_total_value, new_end_date=new_end_date, share_changes=share_changes)
    return new_total_value, new_end_date, share_changes


@transaction.atomic
def amendment_propose(
    *,
    agreement_id: int,
    reason: str,
    by,
    new_total_value: Decimal | None = None,
    new_end_date: datetime.date | None = None,
    share_changes: ShareChanges | None = None,
    rebaseline_milestones: bool = False,
) -> Amendment:
    """Record a proposed change to a signed agreement; nothing changes until it is approved."""
    agreement = Agreement.objects.prefetch_related("cost_shares").get(pk=agreement_id)
    new_total_value, new_end_date, share_changes = amendment_prepare(
        agreement,
        reason=reason,
        new_total_value=new_total_value,
        new_end_date=new_end_date,
        share_changes=share_changes,
        rebaseline_milestones=rebaseline_milestones,
    )
    current = _current_shares(agreement)
    amendment = Amendment(
        agreement=agreement,
        reason=reason.strip(),
        old_total_value=agreement.total_value,
        new_total_value=new_total_value,
        old_end_date=agreement.end_date,
        new_end_date=new_end_date,
        rebaseline_milestones=rebaseline_milestones,
        proposed_by=by,
    )
    amendment._history_user = by
    amendment.save()
    AmendmentShareChange.objects.bulk_create(
        AmendmentShareChange(
            amendment=amendment,
            vendor=vendor,
            old_percentage=current.get(vendor.pk if vendor else None),
            new_percentage=percentage,
        )
        for vendor, percentage in share_changes.items()
    )
    return amendment


def _stale_terms(amendment: Amendment, agreement: Agreement, lines) -> list[str]:
    """What changed on the agreement since the amendment copied its old values."""
    stale = []
    if agreement.total_value != amendment.old_total_value:
        stale.append("total value")
    if agreement.end_date != amendment.old_end_date:
        stale.append("end date")
    current = _current_shares(agreement)
    if any(current.get(line.vendor_id) != line.old_percentage for line in lines):
        stale.append("cost shares")
    return stale


def _record_decision(amendment: Amendment, status: str, by, note: str) -> Amendment:
    amendment.status = status
    amendment.decided_by = by
    amendment.decided_at = timezone.now()
    amendment.decision_note = note
    amendment._history_user = by
    amendment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return amendment


def _locked_proposal(amendment_id: int, target: str) -> Amendment:
    amendment = Amendment.objects.select_for_update().get(pk=amendment_id)
    if not amendment.is_proposed:
        raise TransitionError(amendment, amendment.status, target)
    return amendment


@transaction.atomic
def amendment_approve(*, amendment_id: int, approver, note: str = "") -> Amendment:
    """Apply a proposed amendment to its agreement: all its changes, or (on any refusal) none of them.

    Four eyes: the approver must be another officer than the proposer (the database refuses it too).
    """
    amendment = _locked_proposal(amendment_id, Amendment.Status.APPROVED)
    if approver is not None and approver.pk == amendment.proposed_by_id:
        raise RuleViolation(
            f"You proposed {amendment}; another officer must approve it (four-eyes rule). "
            "You may still reject your own proposal.",
            field="approver",
        )
    # Amendment first, then agreement: the same order everywhere, so two approvers cannot deadlock.
    agreement = Agreement.objects.select_for_update().get(pk=amendment.agreement_id)
    lines = list(amendment.share_changes.select_related("vendor"))
    stale = _stale_terms(amendment, agreement, lines)
    if stale:
        raise RuleViolation(
            f"The agreement's {', '.join(stale)} changed after this amendment was proposed; "
            "reject it and propose again from the current terms.",
            field="status",
        )
    amendment_check(
        agreement,
        new_total_value=amendment.new_total_value,
        new_end_date=amendment.new_end_date,
        share_changes={line.vendor: line.new_percentage for line in lines},
    )

    changed = []
    if amendment.new_total_value is not None:
        agreement.total_value = amendment.new_total_value
        changed.append("total_value")
    if amendment.new_end_date is not None:
        agreement.end_date = amendment.new_end_date
        changed.append("end_date")
    if changed:
        agreement._history_user = approver
        agreement.save(update_fields=[*changed, "updated_at"])
    _apply_share_lines(agreement, lines, approver)
    total = agreement.cost_shares.aggregate(total=Sum("percentage"))["total"] or Decimal("0")
    if total != HUNDRED:  # the check above makes this unreachable; the rollback keeps it harmless if not
        raise RuleViolation(f"Cost shares would sum to {total} %, not 100 %.", field="share_changes")
    if amendment.rebaseline_milestones and amendment.new_end_date:
        _shift_open_milestones(agreement, amendment.end_date_shift, approver)
    return _record_decision(amendment, Amendment.Status.APPROVED, approver, note.strip())


def _apply_share_lines(agreement: Agreement, lines, by) -> None:
    """Write an approved amendment's shares; call with the agreement locked (bypasses the draft-only guard)."""
    existing = {share.vendor_id: share for share in agreement.cost_shares.all()}
    for line in lines:
        share = existing.get(line.vendor_id)
        if share is not None:
            share._history_user = by
        if share is not None and line.new_percentage == 0:
            share.delete()
        elif share is not None:
            share.percentage = line.new_percentage
            share.save(update_fields=["percentage"])
        elif line.new_percentage > 0:
            share = CostShare(agreement=agreement, vendor=line.vendor, percentage=line.new_percentage)
            share._history_user = by
            share.save()


def _shift_open_milestones(agreement: Agreement, shift: datetime.timedelta, by) -> None:
    from projects.models import Milestone

    for milestone in Milestone.objects.open().select_for_update().filter(project__agreement=agreement):
        # The baseline (first plan) stays, so the slip against it shows in the admin and the board report.
        milestone.due_date += shift
        milestone._history_user = by
        milestone.save(update_fields=["due_date", "updated_at"])


@transaction.atomic
def amendment_reject(*, amendment_id: int, by, note: str) -> Amendment:
    """Turn a proposal down; the agreement is untouched and the reason is kept."""
    if not (note or "").strip():
        raise RuleViolation("Say why the amendment is rejected.", field="note")
    amendment = _locked_proposal(amendment_id, Amendment.Status.REJECTED)
    return _record_decision(amendment, Amendment.Status.REJECTED, by, note.strip())
