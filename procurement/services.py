"""Writes with rules for agreements, cost shares and expenditures. Admin, API and tests call these."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from ppp.errors import RuleViolation, TransitionError, full_clean_or_raise

from .models import Agreement, CostShare, Expenditure, Vendor, share_total_error


@transaction.atomic
def agreement_transition(*, agreement_id: int, target: str, by=None) -> Agreement:
    """Move an agreement to ``target`` if the lifecycle allows it (and, to activate, if its shares are whole)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    if not agreement.can_move_to(target):
        raise TransitionError(agreement, agreement.status, target)
    if target == Agreement.Status.ACTIVE and agreement.status == Agreement.Status.DRAFT:
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
    """Record money actually spent by one party (``vendor=None``: the authority)."""
    agreement = Agreement.objects.get(pk=agreement_id)
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
    expenditure._history_user = by
    expenditure.save()
    return expenditure
