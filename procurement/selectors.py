"""Composed reads for agreements: budget against actual spend per party, amendments a vendor may see."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from .models import Agreement, Amendment, AmendmentShareChange, CostShare, CostShareTerm, Expenditure, Vendor


@dataclass(frozen=True)
class PartyBudget:
    party: str
    is_authority: bool
    percentage: Decimal
    committed: Decimal
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.spent

    @property
    def spent_ratio(self) -> float:
        return float(self.spent / self.committed) if self.committed else 0.0


def agreements_budget_vs_actual(agreements) -> dict[int, list[PartyBudget]]:
    """Budget against actual spend for several agreements, keyed by agreement id. Two queries."""
    ids = [agreement.pk for agreement in agreements]
    spent = {
        (agreement_id, vendor_id): total
        for agreement_id, vendor_id, total in Expenditure.objects.filter(agreement_id__in=ids)
        .values_list("agreement_id", "vendor_id")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    budgets = {pk: [] for pk in ids}
    for share in CostShare.objects.filter(agreement_id__in=ids).select_related("vendor", "agreement__authority"):
        budgets[share.agreement_id].append(
            PartyBudget(
                party=share.party_name,
                is_authority=share.is_authority,
                percentage=share.percentage,
                committed=share.committed_amount,
                spent=spent.get((share.agreement_id, share.vendor_id)) or Decimal("0"),
            )
        )
    return budgets


def agreement_budget_vs_actual(agreement: Agreement) -> list[PartyBudget]:
    """One row per cost-sharing party: share, committed amount, actual spend. Two queries."""
    return agreements_budget_vs_actual([agreement])[agreement.pk]


def amendments_for_vendor(vendor: Vendor):
    """Amendments a vendor may read: those of agreements it is a party to, or that changed its own share
    (so a party that an amendment removed still sees the amendment that removed it). Two queries."""
    party_to = Agreement.objects.for_vendor(vendor).values("pk")
    touching = AmendmentShareChange.objects.filter(vendor=vendor).values("amendment_id")
    return Amendment.objects.filter(Q(agreement__in=party_to) | Q(pk__in=touching)).with_details()


def amendment_list(*, vendor: Vendor | None):
    """Amendments a caller may read, share lines prefetched: every one, with every party's line, for the agency
    (``vendor=None``); the ``amendments_for_vendor`` ones for a vendor, with only its own share line, as
    ``agreement_list`` shows it only its own share: the other parties' terms are not its business. Two queries
    (plus the count when paginated)."""
    if vendor is None:
        return Amendment.objects.with_details()
    own_lines = AmendmentShareChange.objects.filter(vendor=vendor).select_related("vendor")
    return (
        amendments_for_vendor(vendor)
        .prefetch_related(None)
        .prefetch_related(Prefetch("share_changes", queryset=own_lines))
    )


def agreement_list(*, vendor: Vendor | None):
    """Agreements a caller may read, with the cost shares it may see prefetched (``visible_shares``).

    ``vendor=None`` is the agency's view: every agreement and every party's share. A vendor sees only the
    agreements it is a party to, and only its own share of each: the other parties' terms are not its business.
    """
    shares = CostShare.objects.select_related("vendor")
    agreements = Agreement.objects.select_related("authority")
    if vendor is not None:
        shares = shares.filter(vendor=vendor)
        agreements = agreements.filter(pk__in=CostShare.objects.filter(vendor=vendor).values("agreement_id"))
    return agreements.prefetch_related(Prefetch("cost_shares", queryset=shares, to_attr="visible_shares"))


def vendor_profile(vendor_id: int) -> Vendor:
    """A vendor with its contacts, for the partner API's ``me``."""
    return Vendor.objects.prefetch_related("contacts").get(pk=vendor_id)


def shares_in_force(agreement: Agreement, *, on: datetime.date) -> list[CostShareTerm]:
    """Each party's share of ``agreement`` on the day ``on`` (authority first, then vendors by name). One query.

    Empty when no terms cover that day (a draft agreement, or a day before the contract starts). Payments use
    this, not the current ``CostShare`` rows, so a later amendment never changes the split of an earlier payment.
    """
    return list(
        CostShareTerm.objects.filter(agreement=agreement)
        .in_force(on)
        .select_related("vendor", "agreement__authority")
        .party_order()
    )


def amendments_awaiting_approval(user):
    """Proposed amendments ``user`` may approve: every proposal but their own (four eyes), oldest first."""
    return (
        Amendment.objects.filter(status=Amendment.Status.PROPOSED)
        .exclude(proposed_by=user)
        .select_related("agreement", "proposed_by")
        .order_by("proposed_at", "pk")
    )


@dataclass(frozen=True)
class SpendGroup:
    currency: str
    count: int
    budget: Decimal
    spent: Decimal


def agreement_spend(agreements, *, rows: int) -> tuple[list[Agreement], list[SpendGroup]]:
    """Budget against recorded spend: the ``rows`` largest agreements each (annotated ``spent``), and the rest
    summed per currency (amounts of different currencies are never added). Three queries at any size."""
    spent = Coalesce(
        Subquery(
            Expenditure.objects.filter(agreement=OuterRef("pk"))
            .order_by()
            .values("agreement")
            .annotate(total=Sum("amount"))
            .values("total")
        ),
        Decimal("0"),
    )
    # The largest first, then their spend: the subquery runs for these rows only, not for all twenty thousand.
    largest = agreements.order_by("-total_value", "pk").values("pk")[:rows]
    top = list(agreements.filter(pk__in=largest).annotate(spent=spent).order_by("-total_value", "pk"))
    others = agreements.exclude(pk__in=[agreement.pk for agreement in top])
    budgets = {
        row["currency"]: row
        for row in others.order_by().values("currency").annotate(budget=Sum("total_value"), count=Count("pk"))
    }
    spending = dict(
        Expenditure.objects.filter(agreement__in=others.values("pk"))
        .order_by()
        .values("agreement__currency")
        .annotate(total=Sum("amount"))
        .values_list("agreement__currency", "total")
    )
    rest = [
        SpendGroup(currency, row["count"], row["budget"], spending.get(currency, Decimal("0")))
        for currency, row in sorted(budgets.items())
    ]
    return top, rest
