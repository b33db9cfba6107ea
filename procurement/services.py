"""Writes with rules for agreements, cost shares and expenditures. Admin, API and tests call these.

Amendments and the work under an agreement: procurement knows agreements, parties and shares, not the projects
and milestones built on them (``projects`` depends on ``procurement``, never the other way round). An app that
hangs obligations on an agreement registers an ``AmendmentParticipant`` here (``projects`` does, from its
``AppConfig.ready``): its ``check`` refuses changes its records forbid (a leaving party still responsible for
open milestones) and its ``apply`` carries an approved amendment into them (re-baselining open milestones).
The amendment rules stay in ``amendment_check`` / ``amendment_approve``; the milestone rules stay in
``projects.services``; both run in the approval's transaction, so an amendment applies everywhere or nowhere.
"""

import datetime
from decimal import Decimal
from typing import Protocol

from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext

from ppp import events, limits
from ppp.errors import RuleViolation, TransitionError, full_clean_or_raise
from ppp.services import delete_with_author, record_create, record_delete, record_update, save_with_author

from .models import (
    HUNDRED,
    Agreement,
    Amendment,
    AmendmentShareChange,
    ContractingAuthority,
    CostShare,
    CostShareTerm,
    Expenditure,
    Vendor,
    VendorContact,
    VendorUser,
    share_total_error,
)


@transaction.atomic
def agreement_transition(*, agreement_id: int, target: str, by) -> Agreement:
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
    save_with_author(agreement, by, ["status", "updated_at"])
    if target == Agreement.Status.ACTIVE and not agreement.share_terms.exists():
        cost_share_terms_open(agreement=agreement, by=by)
    return agreement


def cost_share_terms_open(*, agreement: Agreement, by) -> list[CostShareTerm]:
    """Record the shares an agreement was signed with, in force from its start date (call with it locked).

    From the start date, not the activation day: the contract's terms apply to the whole contract period, and
    nothing can be certified before activation anyway.
    """
    terms = [
        CostShareTerm(
            agreement=agreement,
            vendor_id=share.vendor_id,
            percentage=share.percentage,
            effective_from=agreement.start_date,
        )
        for share in agreement.cost_shares.all()
    ]
    for term in terms:
        save_with_author(term, by)
    return terms


def cost_share_terms_roll(*, agreement: Agreement, amendment: Amendment, effective_from: datetime.date, by) -> None:
    """Close the terms in force and record the agreement's current shares from ``effective_from``.

    Call with the agreement locked, after the amendment's shares were written to ``CostShare``. The old rows end
    the day before; they are never changed otherwise, so splits already certified keep their terms.
    """
    current = list(agreement.share_terms.select_for_update().filter(effective_to__isnull=True).order_by("pk"))
    started = max((term.effective_from for term in current), default=None)
    if started is not None and effective_from <= started:
        raise RuleViolation(
            gettext("The new cost shares must take effect after {started}, when the shares now in force began.").format(
                started=started
            ),
            field="effective_date",
        )
    for term in current:
        term.effective_to = effective_from - datetime.timedelta(days=1)
        save_with_author(term, by, ["effective_to"])
    for share in agreement.cost_shares.all():
        term = CostShareTerm(
            agreement=agreement,
            vendor_id=share.vendor_id,
            percentage=share.percentage,
            effective_from=effective_from,
            amendment=amendment,
        )
        save_with_author(term, by)


def agreement_activate(*, agreement_id: int, by) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.ACTIVE, by=by)


def agreement_resume(*, agreement_id: int, by) -> Agreement:
    """A suspended agreement goes on (refused while a party is not in good standing, like activation)."""
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.ACTIVE, by=by)


def agreement_suspend(*, agreement_id: int, by) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.SUSPENDED, by=by)


def agreement_complete(*, agreement_id: int, by) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.COMPLETED, by=by)


def agreement_terminate(*, agreement_id: int, by) -> Agreement:
    return agreement_transition(agreement_id=agreement_id, target=Agreement.Status.TERMINATED, by=by)


@transaction.atomic
def cost_share_set(*, agreement_id: int, vendor: Vendor | None, percentage: Decimal, by) -> CostShare:
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
    save_with_author(share, by)
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
    by,
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
    save_with_author(expenditure, by)
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
        gettext(
            "{payer_name} would spend {value:,.2f} {currency} under {reference}, more than its commitment "
            "of {committed:,.2f} {currency} ({terms}); {max:,.2f} {currency} remain(s)."
        ).format(
            payer_name=expenditure.payer_name,
            value=spent + expenditure.amount,
            currency=currency,
            reference=agreement.reference,
            committed=committed,
            terms=terms,
            max=max(committed - spent, Decimal("0")),
        ),
        field="amount",
    )


# --- Amendments ------------------------------------------------------------------------------

AMENDABLE = (Agreement.Status.ACTIVE, Agreement.Status.SUSPENDED)
ShareChanges = dict[Vendor | None, Decimal]


class AmendmentParticipant(Protocol):
    """An app with records under agreements: it may refuse an amendment and applies an approved one."""

    def check(self, agreement: Agreement, *, leaving_vendors: list[Vendor]) -> None:
        """Raise a RuleViolation (naming the amendment field) if the change may not be made."""

    def apply(self, amendment: Amendment, agreement: Agreement, *, by) -> None:
        """Carry an approved amendment into the app's records; called with the agreement row locked."""


_amendment_participants: list[AmendmentParticipant] = []


def register_amendment_participant(participant: AmendmentParticipant) -> None:
    """Called from an ``AppConfig.ready``; registering the same participant twice keeps one."""
    if participant not in _amendment_participants:
        _amendment_participants.append(participant)


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
        raise RuleViolation(
            gettext("Agreement {reference} cannot be amended: {reason}.").format(
                reference=agreement.reference, reason=reason
            ),
            field="agreement",
        )
    if new_total_value is not None and new_total_value <= 0:
        raise RuleViolation(gettext("The new total value must be more than zero."), field="new_total_value")
    if new_end_date is not None and new_end_date <= agreement.start_date:
        raise RuleViolation(
            gettext("The new end date must be after the agreement's start date ({start_date}).").format(
                start_date=agreement.start_date
            ),
            field="new_end_date",
        )
    share_changes = share_changes or {}
    shares = _current_shares(agreement)
    for vendor, percentage in share_changes.items():
        if vendor is not None and percentage > 0 and not vendor.may_join_agreements:
            raise RuleViolation(
                gettext("{standing_refusal} and cannot hold a share; only 0 % (leaving) is allowed.").format(
                    standing_refusal=vendor.standing_refusal()
                ),
                field="share_changes",
            )
        shares[vendor.pk if vendor else None] = Decimal(percentage)
    total = sum(shares.values(), Decimal("0"))
    if total != HUNDRED:
        raise RuleViolation(
            gettext("After this amendment the cost shares would sum to {total:f} %; they must sum to 100 %.").format(
                total=total.normalize()
            ),
            field="share_changes",
        )
    leaving = [vendor for vendor, percentage in share_changes.items() if vendor is not None and percentage == 0]
    for participant in _amendment_participants:
        participant.check(agreement, leaving_vendors=leaving)


def amendment_prepare(
    agreement: Agreement,
    *,
    reason: str,
    new_total_value: Decimal | None = None,
    new_end_date: datetime.date | None = None,
    share_changes: ShareChanges | None = None,
    rebaseline_milestones: bool = False,
    effective_date: datetime.date | None = None,
) -> tuple[Decimal | None, datetime.date | None, ShareChanges]:
    """Drop the lines that restate current terms and check the rest; raise a RuleViolation or return the changes.

    The admin's add form runs this too, so an officer sees a refusal on the form before anything is saved.
    """
    if not (reason or "").strip():
        raise RuleViolation(gettext("Give the reason for the amendment."), field="reason")
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
        raise RuleViolation(
            gettext("The amendment changes nothing: set a new value, end date or cost shares."), field=None
        )
    if rebaseline_milestones and new_end_date is None:
        raise RuleViolation(
            gettext("Milestones are re-baselined only when the end date moves."), field="rebaseline_milestones"
        )
    _check_effective_date(agreement, effective_date, new_end_date=new_end_date, share_changes=share_changes)
    amendment_check(agreement, new_total_value=new_total_value, new_end_date=new_end_date, share_changes=share_changes)
    return new_total_value, new_end_date, share_changes


def _check_effective_date(agreement, effective_date, *, new_end_date, share_changes) -> None:
    """An effective date belongs to new shares, starts no earlier than today and within the contract."""
    if effective_date is None:
        return
    if not share_changes:
        raise RuleViolation(gettext("An effective date applies only to changed cost shares."), field="effective_date")
    if effective_date < timezone.localdate():
        raise RuleViolation(
            gettext("The effective date may not be in the past: certified payments keep the shares of their date."),
            field="effective_date",
        )
    if effective_date > (new_end_date or agreement.end_date):
        raise RuleViolation(gettext("The effective date must fall before the agreement ends."), field="effective_date")


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
    effective_date: datetime.date | None = None,
) -> Amendment:
    """Record a proposed change to a signed agreement; nothing changes until it is approved."""
    limits.check_text_length(reason.strip(), limits.NOTE, field="reason")
    agreement = Agreement.objects.prefetch_related("cost_shares").get(pk=agreement_id)
    new_total_value, new_end_date, share_changes = amendment_prepare(
        agreement,
        reason=reason,
        new_total_value=new_total_value,
        new_end_date=new_end_date,
        share_changes=share_changes,
        rebaseline_milestones=rebaseline_milestones,
        effective_date=effective_date,
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
        effective_date=effective_date,
        proposed_by=by,
    )
    save_with_author(amendment, by)
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
    limits.check_text_length(note, limits.NOTE, field="note")
    amendment.status = status
    amendment.decided_by = by
    amendment.decided_at = timezone.now()
    amendment.decision_note = note
    save_with_author(amendment, by, ["status", "decided_by", "decided_at", "decision_note"])
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
    if approver.pk == amendment.proposed_by_id:
        raise RuleViolation(
            gettext(
                "You proposed {amendment}; another officer must approve it (four-eyes rule). You may still "
                "reject your own proposal."
            ).format(amendment=amendment),
            field="approver",
        )
    # Amendment first, then agreement: the same order everywhere, so two approvers cannot deadlock.
    agreement = Agreement.objects.select_for_update().get(pk=amendment.agreement_id)
    lines = list(amendment.share_changes.select_related("vendor"))
    stale = _stale_terms(amendment, agreement, lines)
    if stale:
        raise RuleViolation(
            gettext(
                "The agreement's {changed} changed after this amendment was proposed; reject it and propose again "
                "from the current terms."
            ).format(changed=", ".join(stale)),
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
        save_with_author(agreement, approver, [*changed, "updated_at"])
    _apply_share_lines(agreement, lines, approver)
    if lines:  # effective-dated share versions (issue 13): a separate step, kept out of the approval rules above
        _version_amended_shares(amendment, agreement, approver)
    total = agreement.cost_shares.aggregate(total=Sum("percentage"))["total"] or Decimal("0")
    if total != HUNDRED:  # the check above makes this unreachable; the rollback keeps it harmless if not
        raise RuleViolation(
            gettext("Cost shares would sum to {total} %, not 100 %.").format(total=total), field="share_changes"
        )
    for participant in _amendment_participants:
        participant.apply(amendment, agreement, by=approver)
    _record_decision(amendment, Amendment.Status.APPROVED, approver, note.strip())
    _publish_amendment_approved(amendment, agreement, lines)
    return amendment


def _publish_amendment_approved(amendment: Amendment, agreement: Agreement, lines) -> None:
    """One event per vendor party (those the amendment removed too), each with only its own share line."""
    own_lines = {line.vendor_id: line for line in lines if line.vendor_id}
    parties = set(agreement.cost_shares.exclude(vendor=None).values_list("vendor_id", flat=True)) | set(own_lines)
    for vendor_id in sorted(parties):
        line = own_lines.get(vendor_id)
        events.publish(
            "amendment.approved",
            vendor_ids=[vendor_id],
            payload={
                "amendment": amendment.pk,
                "agreement": agreement.pk,
                "agreement_reference": agreement.reference,
                "status": amendment.status,
                "total_value": str(agreement.total_value),
                "end_date": agreement.end_date.isoformat() if agreement.end_date else None,
                "effective_date": amendment.effective_date.isoformat() if amendment.effective_date else None,
                "decided_at": amendment.decided_at.isoformat(),
                "share": None
                if line is None
                else {
                    "old_percentage": None if line.old_percentage is None else str(line.old_percentage),
                    "new_percentage": str(line.new_percentage),
                },
            },
        )


def _version_amended_shares(amendment: Amendment, agreement: Agreement, by) -> None:
    today = timezone.localdate()
    effective = amendment.effective_date or today
    if effective < today:
        raise RuleViolation(
            gettext(
                "The amendment was to take effect on {effective}, before today; reject it and propose again "
                "with a current effective date (certified payments keep the shares of their date)."
            ).format(effective=effective),
            field="effective_date",
        )
    cost_share_terms_roll(agreement=agreement, amendment=amendment, effective_from=effective, by=by)


def _apply_share_lines(agreement: Agreement, lines, by) -> None:
    """Write an approved amendment's shares; call with the agreement locked (bypasses the draft-only guard)."""
    existing = {share.vendor_id: share for share in agreement.cost_shares.all()}
    for line in lines:
        share = existing.get(line.vendor_id)
        if share is not None and line.new_percentage == 0:
            delete_with_author(share, by)
        elif share is not None:
            share.percentage = line.new_percentage
            save_with_author(share, by, ["percentage"])
        elif line.new_percentage > 0:
            share = CostShare(agreement=agreement, vendor=line.vendor, percentage=line.new_percentage)
            save_with_author(share, by)


@transaction.atomic
def amendment_reject(*, amendment_id: int, by, note: str) -> Amendment:
    """Turn a proposal down; the agreement is untouched and the reason is kept."""
    if not (note or "").strip():
        raise RuleViolation(gettext("Say why the amendment is rejected."), field="note")
    amendment = _locked_proposal(amendment_id, Amendment.Status.REJECTED)
    return _record_decision(amendment, Amendment.Status.REJECTED, by, note.strip())


# --- Records officers keep in the admin: create / update / delete, each through the models' lock tables ------------
# ``data`` and ``changes`` map field names to values (a related row or its id). Each update locks the row, refuses a
# change to a locked field (``Model.locked_fields()``), runs the model's guards and records ``by`` in the history.


def _id(value):
    return getattr(value, "pk", value)


def authority_create(*, by, data) -> ContractingAuthority:
    return record_create(ContractingAuthority, by=by, data=data)


def authority_update(*, authority_id: int, by, changes) -> ContractingAuthority:
    return record_update(ContractingAuthority, pk=authority_id, by=by, changes=changes)


def authority_delete(*, authority_id: int, by) -> ContractingAuthority:
    return record_delete(ContractingAuthority, pk=authority_id, by=by)


def vendor_create(*, by, data) -> Vendor:
    return record_create(Vendor, by=by, data=data)


def vendor_update(*, vendor_id: int, by, changes) -> Vendor:
    return record_update(Vendor, pk=vendor_id, by=by, changes=changes)


def vendor_delete(*, vendor_id: int, by) -> Vendor:
    return record_delete(Vendor, pk=vendor_id, by=by)


def vendor_contact_create(*, by, data) -> VendorContact:
    return record_create(VendorContact, by=by, data=data)


def vendor_contact_update(*, vendor_contact_id: int, by, changes) -> VendorContact:
    return record_update(VendorContact, pk=vendor_contact_id, by=by, changes=changes)


def vendor_contact_delete(*, vendor_contact_id: int, by) -> VendorContact:
    return record_delete(VendorContact, pk=vendor_contact_id, by=by)


def vendor_user_create(*, by, data) -> VendorUser:
    return record_create(VendorUser, by=by, data=data)


def vendor_user_update(*, vendor_user_id: int, by, changes) -> VendorUser:
    return record_update(VendorUser, pk=vendor_user_id, by=by, changes=changes)


def vendor_user_delete(*, vendor_user_id: int, by) -> VendorUser:
    return record_delete(VendorUser, pk=vendor_user_id, by=by)


def agreement_create(*, by, data) -> Agreement:
    """A new agreement starts as a draft; its shares are added with ``cost_share_set``."""
    return record_create(Agreement, by=by, data=data)


def agreement_update(*, agreement_id: int, by, changes) -> Agreement:
    """Edit an agreement; once signed its terms are locked (value and end date change by amendment)."""
    return record_update(Agreement, pk=agreement_id, by=by, changes=changes)


def agreement_delete(*, agreement_id: int, by) -> Agreement:
    return record_delete(Agreement, pk=agreement_id, by=by)


def cost_share_create(*, by, data) -> CostShare:
    return cost_share_set(
        agreement_id=_id(data["agreement"]), vendor=data.get("vendor"), percentage=data["percentage"], by=by
    )


@transaction.atomic
def cost_share_update(*, cost_share_id: int, by, changes) -> CostShare:
    """Change a draft agreement's share (party and agreement stay); the shares may not exceed 100 %."""
    agreement_id = CostShare.objects.values_list("agreement_id", flat=True).get(pk=cost_share_id)
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)  # as in cost_share_set
    share = record_update(CostShare, pk=cost_share_id, by=by, changes=changes)
    error = share_total_error(agreement.cost_shares.aggregate(total=Sum("percentage"))["total"] or Decimal("0"))
    if error:
        raise RuleViolation(error, field="percentage")
    return share


@transaction.atomic
def cost_share_remove(*, cost_share_id: int, by) -> CostShare:
    """Take a party off a draft agreement (a signed one changes parties only by amendment)."""
    agreement_id = CostShare.objects.values_list("agreement_id", flat=True).get(pk=cost_share_id)
    Agreement.objects.select_for_update().get(pk=agreement_id)
    return record_delete(CostShare, pk=cost_share_id, by=by)


def expenditure_create(*, by, data) -> Expenditure:
    return expenditure_record(
        agreement_id=_id(data["agreement"]),
        amount=data["amount"],
        date=data["date"],
        vendor=data.get("vendor"),
        milestone=data.get("milestone"),
        description=data.get("description", ""),
        by=by,
    )


def expenditure_update(*, expenditure_id: int, by, changes) -> Expenditure:
    """Only the description of recorded spending changes; see ``Expenditure.locked_fields``."""
    return record_update(Expenditure, pk=expenditure_id, by=by, changes=changes)


def expenditure_delete(*, expenditure_id: int, by) -> Expenditure:
    """Take back a wrong entry (its history row keeps what it was and who deleted it)."""
    return record_delete(Expenditure, pk=expenditure_id, by=by)
