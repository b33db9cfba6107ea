"""KPI chart geometry shared by the PDF (small multiples in reportlab graphics) and the board page (SVG sparklines).

As in ``timeline.py``, positions are fractions of the plot (x: 0.0 = first measurement, 1.0 = last; y: 0.0 = the
bottom of the value range, 1.0 = the top), so each renderer only scales them to its own units.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from ..selectors import KpiRow

# Point markers stop helping once the line is dense.
MARKER_LIMIT = 24


@dataclass(frozen=True)
class KpiChart:
    row: KpiRow
    points: list[tuple[float, float]]  # oldest first
    target_y: float
    baseline_y: float
    low: Decimal  # the values at the bottom and top of the plot
    high: Decimal
    first: datetime.date | None
    last: datetime.date | None

    @property
    def measured(self) -> bool:
        return bool(self.points)

    @property
    def markers(self) -> bool:
        return len(self.points) <= MARKER_LIMIT


def kpi_chart(row: KpiRow) -> KpiChart:
    """The measurements on a value range that also holds the baseline and the target, so progress reads at a glance."""
    kpi = row.kpi
    values = [measurement.value for measurement in row.measurements]
    low, high = min(values + [kpi.baseline, kpi.target]), max(values + [kpi.baseline, kpi.target])
    padding = (high - low) * Decimal("0.08") or Decimal("1")
    low, high = low - padding, high + padding

    def y_of(value: Decimal) -> float:
        return float((value - low) / (high - low))

    dates = [measurement.date for measurement in row.measurements]
    first, last = (dates[0], dates[-1]) if dates else (None, None)
    span = (last - first).days if dates else 0

    def x_of(day: datetime.date) -> float:
        return (day - first).days / span if span else 0.5

    return KpiChart(
        row=row,
        points=[(x_of(m.date), y_of(m.value)) for m in row.measurements],
        target_y=y_of(kpi.target),
        baseline_y=y_of(kpi.baseline),
        low=low,
        high=high,
        first=first,
        last=last,
    )


@dataclass(frozen=True)
class SvgSparkline:
    width: int
    height: int
    points: str  # for <polyline points="...">
    target_y: float
    last_x: float
    last_y: float


def svg_sparkline(chart: KpiChart, *, width: int = 140, height: int = 36, pad: int = 4) -> SvgSparkline | None:
    """Pixel positions for the board page's inline sparkline (SVG's y grows downwards); None if never measured."""
    if not chart.measured:
        return None

    def x_of(fraction: float) -> float:
        return round(pad + fraction * (width - 2 * pad), 1)

    def y_of(fraction: float) -> float:
        return round(height - pad - fraction * (height - 2 * pad), 1)

    last_x, last_y = chart.points[-1]
    return SvgSparkline(
        width=width,
        height=height,
        points=" ".join(f"{x_of(x)},{y_of(y)}" for x, y in chart.points),
        target_y=y_of(chart.target_y),
        last_x=x_of(last_x),
        last_y=y_of(last_y),
    )
