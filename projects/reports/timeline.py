"""Chart geometry shared by the PDF (reportlab graphics) and the board page (inline SVG).

Positions are fractions of the chart width (0.0 = first date shown, 1.0 = last), so each renderer only
scales them to its own units.
"""

import bisect
import datetime
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext

from ..selectors import MilestoneRow, Rag

# More bars than this stop being readable; the chart shows the milestones nearest today.
TIMELINE_LIMIT = 40


@dataclass(frozen=True)
class TimelineBar:
    label: str
    rag: str
    rag_label: str
    baseline: datetime.date
    due: datetime.date
    start: float  # the earlier of baseline and due date
    end: float  # the later of the two
    due_at: float
    achieved: bool
    late: bool


@dataclass(frozen=True)
class Timeline:
    bars: list[TimelineBar]
    ticks: list[tuple[float, str]]
    today: float
    shown: int
    total: int

    @property
    def caption(self) -> str:
        if self.shown == self.total:
            return gettext("All {total} milestones: bar from the baseline to the current due date.").format(
                total=self.total
            )
        return gettext(
            "The {shown} milestones due nearest today, of {total}: bar from the baseline to the current due date."
        ).format(shown=self.shown, total=self.total)


def _month_starts(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    month = first.replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _ticks(first: datetime.date, last: datetime.date, fraction, most: int = 8) -> list[tuple[float, str]]:
    months = [m for m in _month_starts(first, last) if m >= first]
    step = max(1, -(-len(months) // most))
    return [(fraction(m), formats.date_format(m, "M Y")) for m in months[::step]]


def milestone_timeline(rows: list[MilestoneRow], on: datetime.date, limit: int = TIMELINE_LIMIT) -> Timeline:
    counted = [row for row in rows if row.rag != Rag.CANCELLED]
    nearest = sorted(counted, key=lambda row: abs((row.milestone.due_date - on).days))[:limit]
    shown = sorted(nearest, key=lambda row: (row.milestone.due_date, row.milestone.pk))
    dates = [on]
    for row in shown:
        dates += [row.milestone.baseline_due_date, row.milestone.due_date]
    first, last = min(dates) - datetime.timedelta(days=7), max(dates) + datetime.timedelta(days=7)
    span = (last - first).days

    def fraction(day: datetime.date) -> float:
        return (day - first).days / span

    bars = []
    for row in shown:
        milestone = row.milestone
        start, end = sorted([milestone.baseline_due_date, milestone.due_date])
        bars.append(
            TimelineBar(
                label=milestone.title,
                rag=row.rag,
                rag_label=row.rag_label,
                baseline=milestone.baseline_due_date,
                due=milestone.due_date,
                start=fraction(start),
                end=fraction(end),
                due_at=fraction(milestone.due_date),
                achieved=row.rag == Rag.ACHIEVED,
                late=row.is_late,
            )
        )
    return Timeline(
        bars=bars, ticks=_ticks(first, last, fraction), today=fraction(on), shown=len(bars), total=len(counted)
    )


@dataclass(frozen=True)
class ProgressSeries:
    months: list[datetime.date]
    planned: list[int]
    achieved: list[int]


def planned_vs_achieved(rows: list[MilestoneRow], on: datetime.date) -> ProgressSeries:
    """Cumulative milestones planned (by baseline date) and achieved, at the end of each month."""
    counted = [row.milestone for row in rows if row.rag != Rag.CANCELLED]
    if not counted:
        return ProgressSeries(months=[], planned=[], achieved=[])
    planned_dates = sorted(m.baseline_due_date for m in counted)
    achieved_dates = sorted(m.achieved_date for m in counted if m.achieved_date)
    first = min(planned_dates[0], *(achieved_dates[:1] or [planned_dates[0]]))
    last = max(planned_dates[-1], on)
    months = _month_starts(first, last)

    def month_end(month: datetime.date) -> datetime.date:
        return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)

    return ProgressSeries(
        months=months,
        planned=[bisect.bisect_right(planned_dates, month_end(m)) for m in months],
        achieved=[bisect.bisect_right(achieved_dates, min(month_end(m), on)) for m in months],
    )


@dataclass(frozen=True)
class SvgBar:
    bar: TimelineBar
    y: float  # centre line of the row
    x: float
    width: float
    due_x: float


@dataclass(frozen=True)
class SvgTimeline:
    width: int
    height: int
    label_width: int
    plot_right: int
    axis_y: float
    today_x: float
    bars: list[SvgBar]
    ticks: list[tuple[float, str]]


def svg_layout(timeline: Timeline, *, width: int = 960, label_width: int = 280, row_height: int = 22) -> SvgTimeline:
    """Pixel positions for the board page's inline SVG timeline (the template only draws them)."""
    top, bottom = 12, 30
    plot_right = width - 12
    plot_width = plot_right - label_width
    height = top + bottom + max(len(timeline.bars), 1) * row_height

    def x_of(fraction: float) -> float:
        return round(label_width + fraction * plot_width, 1)

    bars = [
        SvgBar(
            bar=bar,
            y=top + (index + 0.5) * row_height,
            x=x_of(bar.start),
            width=max(round(x_of(bar.end) - x_of(bar.start), 1), 3),
            due_x=x_of(bar.due_at),
        )
        for index, bar in enumerate(timeline.bars)
    ]
    return SvgTimeline(
        width=width,
        height=height,
        label_width=label_width,
        plot_right=plot_right,
        axis_y=height - bottom,
        today_x=x_of(timeline.today),
        bars=bars,
        ticks=[(x_of(fraction), label) for fraction, label in timeline.ticks],
    )
