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


def slip_colour(row: MilestoneRow) -> str | None:
    """The colour of the stretch between baseline and due date: a slip is amber, or red once the milestone is late
    (achieved or not, a slip is never good news, so never green); a due date brought forward is grey."""
    slip = row.milestone.slip_days
    if slip > 0:
        return "red" if row.is_late else "amber"
    return "grey" if slip < 0 else None


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
    baseline_at: float
    achieved: bool
    late: bool
    slip: str | None  # the slip's colour (see slip_colour), None when the due date is the baseline
    slip_days: int

    @property
    def colour(self) -> str:
        """The due-date marker's colour: the milestone's status (Rag.COLOURS)."""
        return Rag.COLOURS[self.rag]


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
            return gettext(
                "All %(total)d milestones: grey tick at the baseline, bar to the current due date when it moved."
            ) % {"total": self.total}
        return gettext(
            "The %(shown)d milestones due nearest today, of %(total)d: grey tick at the baseline, "
            "bar to the current due date when it moved."
        ) % {"shown": self.shown, "total": self.total}


def _month_starts(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    month = first.replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


# Tick intervals in months, finest first: months, quarters, half years, years, then several years.
TICK_STEPS = (1, 3, 6, 12, 24, 60, 120)


def _tick_label(day: datetime.date, step: int) -> str:
    if step >= 12:
        return str(day.year)
    if step == 3:
        return gettext("Q%(quarter)d %(year)d") % {"quarter": (day.month - 1) // 3 + 1, "year": day.year}
    return formats.date_format(day, "M Y")


def _ticks(first: datetime.date, last: datetime.date, fraction, most: int = 8) -> list[tuple[float, str]]:
    """Ticks on calendar boundaries (month, quarter, half year, year starts), the finest interval that gives at
    most ``most`` ticks across the span."""
    months = [m for m in _month_starts(first, last) if m >= first]
    for step in TICK_STEPS:
        # Quarters start in January, April, July, October; half years in January and July; years in January.
        aligned = [m for m in months if (m.year * 12 + m.month - 1) % step == 0]
        if len(aligned) <= most:
            break
    if not aligned:  # a span inside one month: its first and last day
        return [(fraction(day), formats.date_format(day, "j M")) for day in (first, last)]
    return [(fraction(m), _tick_label(m, step)) for m in aligned]


def milestone_timeline(
    rows: list[MilestoneRow],
    on: datetime.date,
    limit: int = TIMELINE_LIMIT,
    most_ticks: int = 8,
    total: int | None = None,
) -> Timeline:
    """The ``limit`` milestones of ``rows`` due nearest ``on``. ``total`` is how many (not cancelled) the project has
    when ``rows`` are only the nearest ones (the board page reads no more); by default, those of ``rows``."""
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
                baseline_at=fraction(milestone.baseline_due_date),
                achieved=row.rag == Rag.ACHIEVED,
                late=row.is_late,
                slip=slip_colour(row),
                slip_days=milestone.slip_days,
            )
        )
    return Timeline(
        bars=bars,
        ticks=_ticks(first, last, fraction, most_ticks),
        today=fraction(on),
        shown=len(bars),
        total=len(counted) if total is None else total,
    )


@dataclass(frozen=True)
class ProgressSeries:
    months: list[datetime.date]
    planned: list[int]
    achieved: list[int | None]  # None for the months after the report date: nothing is achieved in the future


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
        achieved=[bisect.bisect_right(achieved_dates, min(month_end(m), on)) if m <= on else None for m in months],
    )


@dataclass(frozen=True)
class SvgBar:
    bar: TimelineBar
    y: float  # centre line of the row
    x: float  # the slip bar, from the earlier of baseline and due date ...
    width: float  # ... to the later
    due_x: float
    baseline_x: float


@dataclass(frozen=True)
class SvgTimeline:
    width: int
    height: int
    label_width: int
    plot_right: int
    plot_top: int
    axis_y: float
    today_x: float
    today_anchor: str  # "start", "middle" or "end": the label stays inside the chart
    bars: list[SvgBar]
    ticks: list[tuple[float, str]]


def svg_layout(timeline: Timeline, *, width: int = 960, label_width: int = 280, row_height: int = 22) -> SvgTimeline:
    """Pixel positions for the board page's inline SVG timeline (the template only draws them).

    "Today" is labelled in a band above the rows, so it never sits on the axis labels below them.
    """
    top, bottom, inset = 22, 30, 8  # inset: a marker on the first or last day is drawn whole
    plot_left, plot_right = label_width + inset, width - 12
    plot_width = plot_right - plot_left
    height = top + bottom + max(len(timeline.bars), 1) * row_height

    def x_of(fraction: float) -> float:
        return round(plot_left + fraction * plot_width, 1)

    bars = [
        SvgBar(
            bar=bar,
            y=top + (index + 0.5) * row_height,
            x=x_of(bar.start),
            width=round(x_of(bar.end) - x_of(bar.start), 1),
            due_x=x_of(bar.due_at),
            baseline_x=x_of(bar.baseline_at),
        )
        for index, bar in enumerate(timeline.bars)
    ]
    return SvgTimeline(
        width=width,
        height=height,
        label_width=label_width,
        plot_right=plot_right,
        plot_top=top,
        axis_y=height - bottom,
        today_x=x_of(timeline.today),
        today_anchor="end" if timeline.today > 0.92 else "start" if timeline.today < 0.08 else "middle",
        bars=bars,
        ticks=[(x_of(fraction), label) for fraction, label in timeline.ticks],
    )
