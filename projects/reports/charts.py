"""The report charts drawn with reportlab's graphics: a milestone timeline, planned vs achieved, the portfolio's
status bars, and one small chart per KPI."""

from django.utils import formats
from django.utils.translation import gettext
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from ppp import formatting

from .kpis import KpiChart
from .spend import spend_chart
from .timeline import Timeline

RAG_FILL = {
    "green": colors.HexColor("#2e7d32"),
    "amber": colors.HexColor("#e0a100"),
    "red": colors.HexColor("#c62828"),
    "grey": colors.HexColor("#9e9e9e"),
}
PLANNED_COLOUR = colors.HexColor("#1f4e79")
ACHIEVED_COLOUR = colors.HexColor("#2e7d32")
MUTED = colors.HexColor("#555555")
SPEND_FILL = {
    "committed": colors.HexColor("#b0bec5"),
    "certified": colors.HexColor("#5b8db8"),
    "paid": colors.HexColor("#1f4e79"),
}


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _due_marker(x: float, y: float, colour: str, *, late: bool, size: float = 3.2):
    """The due date: a diamond when late, a filled circle when achieved or due soon, an open circle otherwise."""
    if late:
        return Polygon(
            [x, y + size, x + size, y, x, y - size, x - size, y],
            fillColor=RAG_FILL["red"],
            strokeColor=colors.white,
            strokeWidth=0.5,
        )
    return Circle(x, y, size, fillColor=RAG_FILL[colour], strokeColor=colors.white, strokeWidth=0.5)


def _open_circle(x: float, y: float, size: float = 3.2):
    return Circle(x, y, size * 0.8, fillColor=colors.white, strokeColor=MUTED, strokeWidth=0.8)


def _marker(bar, x: float, y: float, size: float = 3.2):
    """The due-date marker in the milestone's status colour (Rag.COLOURS); on track is an open circle."""
    if bar.rag == "on_track":
        return _open_circle(x, y, size)
    return _due_marker(x, y, bar.colour, late=bar.late, size=size)


def timeline_drawing(timeline: Timeline, width: float, *, row_height: float = 10, label_width: float = 190) -> Drawing:
    """Gantt-style rows: a grey tick at the baseline, a bar to the due date when it moved (amber or red: a slip is
    never green), and a marker at the due date in the milestone's status colour; a dashed line for today."""
    top_margin, bottom_margin = 34, 24
    height = top_margin + bottom_margin + max(len(timeline.bars), 1) * row_height
    drawing = Drawing(width, height)
    # Inset by a marker's width on both sides, so a milestone due on the first or last day is drawn whole.
    inset = 5
    plot_left, plot_width = label_width + inset, width - label_width - 2 * inset
    plot_bottom, plot_top = bottom_margin, height - top_margin

    def x_of(fraction: float) -> float:
        return plot_left + fraction * plot_width

    # Legend across the top.
    legend_y = height - 10
    legend_x = label_width
    for sample, label in (
        ("achieved", gettext("Achieved")),
        ("due_soon", gettext("Due soon")),
        ("late", gettext("Overdue or missed")),
        ("on_track", gettext("Open")),
        ("slip", gettext("Slip past baseline")),
        ("today", gettext("Today")),
    ):
        if sample == "slip":
            drawing.add(Rect(legend_x - 3, legend_y, 12, 5, fillColor=RAG_FILL["amber"], strokeWidth=0))
            legend_x += 6
        elif sample == "today":
            drawing.add(
                Line(
                    legend_x, legend_y - 1, legend_x, legend_y + 7, strokeColor=RAG_FILL["red"], strokeDashArray=[2, 2]
                )
            )
        elif sample == "on_track":
            drawing.add(_open_circle(legend_x, legend_y + 2.5))
        else:
            colour = {"achieved": "green", "due_soon": "amber", "late": "red"}[sample]
            drawing.add(_due_marker(legend_x, legend_y + 2.5, colour, late=sample == "late"))
        drawing.add(String(legend_x + 6, legend_y, label, fontName="Helvetica", fontSize=7, fillColor=MUTED))
        legend_x += 16 + stringWidth(label, "Helvetica", 7)

    # Axis with calendar ticks.
    drawing.add(Line(plot_left, plot_bottom, plot_left + plot_width, plot_bottom, strokeColor=MUTED, strokeWidth=0.5))
    for fraction, label in timeline.ticks:
        x = x_of(fraction)
        drawing.add(Line(x, plot_bottom, x, plot_top, strokeColor=colors.HexColor("#e6e6e6"), strokeWidth=0.4))
        drawing.add(String(x, plot_bottom - 10, label, fontName="Helvetica", fontSize=6.5, textAnchor="middle"))

    # Today: a dashed line through the rows, labelled above them (clear of the axis labels below).
    today = x_of(timeline.today)
    drawing.add(Line(today, plot_bottom, today, plot_top + 3, strokeColor=RAG_FILL["red"], strokeDashArray=[2, 2]))
    anchor = "end" if timeline.today > 0.9 else "start" if timeline.today < 0.1 else "middle"
    drawing.add(
        String(
            today,
            plot_top + 5,
            gettext("Today"),
            fontName="Helvetica-Bold",
            fontSize=6.5,
            fillColor=RAG_FILL["red"],
            textAnchor=anchor,
        )
    )

    for index, bar in enumerate(timeline.bars):
        y = plot_top - (index + 0.5) * row_height
        drawing.add(
            String(
                label_width - 4, y - 2.5, _shorten(bar.label, 48), fontName="Helvetica", fontSize=6.5, textAnchor="end"
            )
        )
        if bar.slip:
            start, end = x_of(bar.start), x_of(bar.end)
            drawing.add(
                Rect(
                    start,
                    y - row_height * 0.25,
                    end - start,
                    row_height * 0.5,
                    fillColor=RAG_FILL[bar.slip],
                    strokeWidth=0,
                )
            )
        baseline = x_of(bar.baseline_at)
        drawing.add(
            Line(baseline, y - row_height * 0.38, baseline, y + row_height * 0.38, strokeColor=MUTED, strokeWidth=1)
        )
        drawing.add(_marker(bar, x_of(bar.due_at), y))
    return drawing


def planned_vs_achieved_drawing(series, width: float, height: float = 170) -> Drawing:
    """Cumulative milestones planned (by baseline) and achieved, month by month."""
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 36, 28
    chart.width, chart.height = width - 150, height - 44
    months = series.months or []
    chart.data = [series.planned or [0], series.achieved or [0]]
    # About ten month labels, drawn as plain strings: the axis would build a label widget for every month,
    # which for a long project cost more than the rest of the chart.
    chart.categoryAxis.visibleLabels = False
    step = max(1, -(-len(months) // 10))
    slot = chart.width / max(len(months), 1)
    for index in range(0, len(months), step):
        x = chart.x + (index + 0.5) * slot
        label = formats.date_format(months[index], "M y")
        drawing.add(String(x, chart.y - 11, label, fontName="Helvetica", fontSize=6.5, textAnchor="middle"))
    chart.valueAxis.valueMin = 0
    reached = [value for value in series.planned + series.achieved if value is not None]
    chart.valueAxis.valueStep = max(1, -(-max(reached, default=0) // 5))
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e6e6e6")
    chart.lines[0].strokeColor = PLANNED_COLOUR
    chart.lines[0].strokeWidth = 1.5
    chart.lines[1].strokeColor = ACHIEVED_COLOUR
    chart.lines[1].strokeWidth = 1.5
    drawing.add(chart)

    legend = Legend()
    legend.x, legend.y = width - 104, height - 20
    legend.fontName, legend.fontSize = "Helvetica", 7
    legend.alignment = "right"
    legend.colorNamePairs = [
        (PLANNED_COLOUR, gettext("Planned (cumulative)")),
        (ACHIEVED_COLOUR, gettext("Achieved (cumulative)")),
    ]
    drawing.add(legend)
    return drawing


def spend_drawing(parties, width: float, *, currency: str, bar_height: float = 7) -> Drawing:
    """Per party of the agreement: committed, certified and paid, as three bars on one scale (``SpendChart``)."""
    chart = spend_chart(parties)
    label_width, value_width, legend_height = 120, 70, 16
    row_height = 3 * bar_height + 8
    height = legend_height + max(len(chart.rows), 1) * row_height + 4
    drawing = Drawing(width, height)
    plot_left, plot_width = label_width, width - label_width - value_width
    legend_x = plot_left
    for key, label in chart.series:
        drawing.add(Rect(legend_x, height - 9, 8, 6, fillColor=SPEND_FILL[key], strokeWidth=0))
        drawing.add(String(legend_x + 11, height - 9, label, fontName="Helvetica", fontSize=7, fillColor=MUTED))
        legend_x += 22 + stringWidth(label, "Helvetica", 7)
    drawing.add(
        String(width, height - 9, currency, fontName="Helvetica", fontSize=7, fillColor=MUTED, textAnchor="end")
    )
    for index, row in enumerate(chart.rows):
        top = height - legend_height - index * row_height
        drawing.add(
            String(
                label_width - 4,
                top - 1.5 * bar_height - 2,
                _shorten(row.party, 30),
                fontName="Helvetica",
                fontSize=7,
                textAnchor="end",
            )
        )
        for line, bar in enumerate(row.bars):
            y = top - (line + 1) * bar_height
            drawing.add(
                Rect(
                    plot_left,
                    y,
                    max(bar.fraction * plot_width, 0.5),
                    bar_height - 1,
                    fillColor=SPEND_FILL[bar.key],
                    strokeWidth=0,
                )
            )
            drawing.add(
                String(
                    plot_left + bar.fraction * plot_width + 3,
                    y + 1,
                    bar.text,
                    fontName="Helvetica",
                    fontSize=6,
                    fillColor=MUTED,
                )
            )
    return drawing


def portfolio_status_drawing(reports, width: float) -> Drawing:
    """One stacked bar per project: how many milestones are achieved, on track, due soon, overdue, missed."""
    keys = ["achieved", "on_track", "due_soon", "overdue", "missed"]
    labels = [gettext("Achieved"), gettext("On track"), gettext("Due soon"), gettext("Overdue"), gettext("Missed")]
    fills = [
        ACHIEVED_COLOUR,
        colors.HexColor("#81c784"),
        RAG_FILL["amber"],
        RAG_FILL["red"],
        colors.HexColor("#6d1b1b"),
    ]
    # Bars run top-down in the order the comparison table lists the projects.
    ordered = list(reversed(reports))
    bar_height = 14
    height = 40 + bar_height * max(len(ordered), 1)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 90, 20
    chart.width, chart.height = width - 220, height - 30
    chart.data = [[report.counts[key] for report in ordered] or [0] for key in keys]
    chart.categoryAxis.categoryNames = [report.project.code for report in ordered] or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.barSpacing = 2
    for index, fill in enumerate(fills):
        chart.bars[index].fillColor = fill
        chart.bars[index].strokeWidth = 0
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 110, height - 8
    legend.fontName, legend.fontSize = "Helvetica", 7
    legend.alignment = "right"
    legend.colorNamePairs = list(zip(fills, labels, strict=True))
    drawing.add(legend)
    return drawing


def _value(value) -> str:
    return formatting.format_amount(value)


def _fit(text: str, width: float, font: str, size: float) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` points."""
    while len(text) > 1 and stringWidth(text, font, size) > width:
        text = _shorten(text, len(text) - 1)
    return text


def kpi_chart_drawing(chart: KpiChart, width: float, height: float = 118) -> Drawing:
    """One KPI's measurements over time, with its target (dashed) and baseline (dotted) as labelled lines."""
    kpi = chart.row.kpi
    drawing = Drawing(width, height)
    drawing.add(
        String(2, height - 10, _fit(str(kpi), width - 4, "Helvetica-Bold", 8), fontName="Helvetica-Bold", fontSize=8)
    )
    latest = gettext("not measured") if kpi.latest_value is None else _value(kpi.latest_value)
    subtitle = gettext("Latest {latest} · target {target} · {direction}").format(
        latest=latest, target=_value(kpi.target), direction=kpi.get_direction_display().lower()
    )
    drawing.add(String(2, height - 20, _fit(subtitle, width - 4, "Helvetica", 6.5), fontSize=6.5, fillColor=MUTED))
    reference_lines = [
        (chart.baseline_y, gettext("Baseline {value}").format(value=_value(kpi.baseline)), MUTED, [1, 2]),
        (chart.target_y, gettext("Target {value}").format(value=_value(kpi.target)), ACHIEVED_COLOUR, [4, 2]),
    ]
    # The reference lines' labels sit left of the plot; the plot takes what they leave.
    left = 6 + max(stringWidth(label, "Helvetica", 6) for _fraction, label, _colour, _dash in reference_lines)
    right, bottom, top = width - 10, 16, height - 28
    drawing.add(Rect(left, bottom, right - left, top - bottom, fillColor=colors.HexColor("#f7f9fb"), strokeWidth=0))
    if not chart.measured:
        drawing.add(
            String(
                (left + right) / 2,
                (bottom + top) / 2,
                gettext("No measurements yet"),
                fontSize=7.5,
                textAnchor="middle",
            )
        )
        return drawing

    def x_of(fraction: float) -> float:
        # Inset by the last point's marker, so a point on the plot's edge is drawn whole.
        return left + 4 + fraction * (right - left - 8)

    def y_of(fraction: float) -> float:
        return bottom + fraction * (top - bottom)

    baseline_y, target_y = y_of(chart.baseline_y), y_of(chart.target_y)
    for fraction, label, colour, dash in reference_lines:
        y = y_of(fraction)
        drawing.add(Line(left, y, right, y, strokeColor=colour, strokeWidth=0.8, strokeDashArray=dash))
        if label.startswith("Target") or abs(baseline_y - target_y) > 7:  # nearly one line: name only the target
            drawing.add(String(left - 3, y - 2.2, label, fontSize=6, fillColor=colour, textAnchor="end"))

    points = [(x_of(x), y_of(y)) for x, y in chart.points]
    if len(points) > 1:
        drawing.add(PolyLine([c for point in points for c in point], strokeColor=PLANNED_COLOUR, strokeWidth=1.4))
    if chart.markers:
        for x, y in points[:-1]:
            drawing.add(Circle(x, y, 1.6, fillColor=PLANNED_COLOUR, strokeWidth=0))
    last_x, last_y = points[-1]
    drawing.add(
        Circle(
            last_x,
            last_y,
            2.8,
            fillColor=ACHIEVED_COLOUR if kpi.on_target else RAG_FILL["red"],
            strokeColor=colors.white,
            strokeWidth=0.5,
        )
    )

    if chart.first == chart.last:
        drawing.add(String(x_of(0.5), bottom - 9, formatting.format_date(chart.first), fontSize=6, textAnchor="middle"))
    else:
        drawing.add(String(left, bottom - 9, formatting.format_date(chart.first), fontSize=6))
        drawing.add(String(right, bottom - 9, formatting.format_date(chart.last), fontSize=6, textAnchor="end"))
    return drawing
