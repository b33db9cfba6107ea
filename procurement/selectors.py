"""Composed reads for agreements: budget against actual spend per party."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Sum

from .models import Agreement, CostShare, Vendor


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


def agreement_budget_vs_actual(agreement: Agreement) -> list[PartyBudget]:
    """One row per cost-sharing party: share, committed amount, actual spend. Two queries."""
    spent_by_vendor = dict(agreement.expenditures.values_list("vendor_id").annotate(total=Sum("amount")).order_by())
    rows = []
    for share in agreement.cost_shares.select_related("vendor", "agreement__authority"):
        rows.append(
            PartyBudget(
                party=share.party_name,
                is_authority=share.is_authority,
                percentage=share.percentage,
                committed=share.committed_amount,
                spent=spent_by_vendor.get(share.vendor_id) or Decimal("0"),
            )
        )
    return rows


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
