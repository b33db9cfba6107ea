"""Composed reads for agreements: budget against actual spend per party, amendments a vendor may see."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from .models import Agreement, Amendment, AmendmentShareChange, Vendor


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


def amendments_for_vendor(vendor: Vendor):
    """Amendments a vendor may read: those of agreements it is a party to, or that changed its own share
    (so a party that an amendment removed still sees the amendment that removed it). Two queries."""
    party_to = Agreement.objects.for_vendor(vendor).values("pk")
    touching = AmendmentShareChange.objects.filter(vendor=vendor).values("amendment_id")
    return Amendment.objects.filter(Q(agreement__in=party_to) | Q(pk__in=touching)).with_details()
