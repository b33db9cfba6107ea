"""Spend by party: what each party of the agreement committed, what payment certificates certified and what was
paid, on one scale. Geometry shared by the PDF (reportlab graphics) and the board page (inline SVG).

The parties are the payments app's ``PartyPayments`` (``ProjectReport.payments``), read by attribute only: this
app does not import payments.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from ppp.formatting import format_amount


@dataclass(frozen=True)
class SpendBar:
    key: str  # "committed", "certified" or "paid"
    label: str
    amount: Decimal
    fraction: float  # of the largest amount on the chart
    text: str  # the amount as it reads


@dataclass(frozen=True)
class SpendRow:
    party: str
    is_authority: bool
    bars: list[SpendBar]


@dataclass(frozen=True)
class SpendChart:
    rows: list[SpendRow]
    series: list[tuple[str, str]]  # (key, label), in the bars' order

    @property
    def empty(self) -> bool:
        return not self.rows


def spend_chart(parties) -> SpendChart:
    series = [("committed", gettext("Committed")), ("certified", gettext("Certified")), ("paid", gettext("Paid"))]
    largest = max((getattr(party, key) for party in parties for key, _label in series), default=Decimal("0"))
    rows = []
    for party in parties:
        bars = []
        for key, label in series:
            amount = getattr(party, key)
            bars.append(
                SpendBar(
                    key=key,
                    label=label,
                    amount=amount,
                    fraction=float(amount / largest) if largest else 0.0,
                    text=format_amount(amount),
                )
            )
        rows.append(SpendRow(party=party.party, is_authority=party.is_authority, bars=bars))
    return SpendChart(rows=rows, series=series)


@dataclass(frozen=True)
class SvgSpendBar:
    bar: SpendBar
    y: float
    width: float
    text_x: float


@dataclass(frozen=True)
class SvgSpendRow:
    row: SpendRow
    label_y: float
    bars: list[SvgSpendBar]


@dataclass(frozen=True)
class SvgSpend:
    width: int
    height: int
    label_width: int
    bar_height: int
    rows: list[SvgSpendRow]
    series: list[tuple[str, str]]


def svg_spend(
    chart: SpendChart, *, width: int = 960, label_width: int = 280, value_width: int = 200, bar_height: int = 14
) -> SvgSpend:
    """Pixel positions for the board page's spend chart (the template only draws them)."""
    row_height = 3 * bar_height + 14
    plot_width = width - label_width - value_width
    rows = []
    for index, row in enumerate(chart.rows):
        top = 6 + index * row_height
        bars = [
            SvgSpendBar(
                bar=bar,
                y=top + line * bar_height,
                width=max(round(bar.fraction * plot_width, 1), 1),
                text_x=round(label_width + bar.fraction * plot_width + 6, 1),
            )
            for line, bar in enumerate(row.bars)
        ]
        rows.append(SvgSpendRow(row=row, label_y=top + 1.5 * bar_height + 5, bars=bars))
    return SvgSpend(
        width=width,
        height=12 + max(len(rows), 1) * row_height,
        label_width=label_width,
        bar_height=bar_height,
        rows=rows,
        series=chart.series,
    )
