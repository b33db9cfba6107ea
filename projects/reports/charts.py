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

_RAG_COLOUR = {
    "achieved": "green",
    "on_track": "green",
    "due_soon": "amber",
    "overdue": "red",
    "missed": "red",
    "cancelled": "grey",
}


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _due_marker(x: float, y: float, *, achieved: bool, late: bool, size: float = 3.2):
    if achieved:
        return Circle(x, y, size, fillColor=RAG_FILL["green"], strokeColor=colors.white, strokeWidth=0.5)
    if late:
        return Polygon(
            [x, y + size, x + size, y, x, y - size, x - size, y],
            fillColor=RAG_FILL["red"],
            strokeColor=colors.white,
            strokeWidth=0.5,
        )
    return Circle(x, y, size * 0.8, fillColor=colors.white, strokeColor=MUTED, strokeWidth=0.8)


def timeline_drawing(timeline: Timeline, width: float, *, row_height: float = 10, label_width: float = 190) -> Drawing:
    """Gantt-style bars from the baseline to the due date, with a marker at the due date and a line for today."""
    top_margin, bottom_margin = 22, 24
    height = top_margin + bottom_margin + max(len(timeline.bars), 1) * row_height
    drawing = Drawing(width, height)
    plot_left, plot_width = label_width, width - label_width - 8
    plot_bottom = bottom_margin

    def x_of(fraction: float) -> float:
        return plot_left + fraction * plot_width

    # Legend across the top.
    legend_y = height - 10
    legend_x = plot_left
    for achieved, late, label in (
        (True, False, gettext("Achieved")),
        (False, True, gettext("Overdue or missed")),
        (False, False, gettext("Open")),
    ):
        drawing.add(_due_marker(legend_x, legend_y + 2.5, achieved=achieved, late=late))
        drawing.add(String(legend_x + 6, legend_y, label, fontName="Helvetica", fontSize=7, fillColor=MUTED))
        legend_x += 30 + len(label) * 3.6
    drawing.add(
        Line(legend_x, legend_y - 1, legend_x, legend_y + 7, strokeColor=RAG_FILL["red"], strokeDashArray=[2, 2])
    )
    drawing.add(String(legend_x + 4, legend_y, gettext("Today"), fontName="Helvetica", fontSize=7, fillColor=MUTED))

    # Axis with month ticks.
    drawing.add(Line(plot_left, plot_bottom, plot_left + plot_width, plot_bottom, strokeColor=MUTED, strokeWidth=0.5))
    for fraction, label in timeline.ticks:
        x = x_of(fraction)
        drawing.add(
            Line(x, plot_bottom, x, height - top_margin, strokeColor=colors.HexColor("#e6e6e6"), strokeWidth=0.4)
        )
        drawing.add(String(x, plot_bottom - 10, label, fontName="Helvetica", fontSize=6.5, textAnchor="middle"))

    for index, bar in enumerate(timeline.bars):
        y = height - top_margin - (index + 0.5) * row_height
        drawing.add(
            String(
                plot_left - 6, y - 2.5, _shorten(bar.label, 48), fontName="Helvetica", fontSize=6.5, textAnchor="end"
            )
        )
        start, end = x_of(bar.start), x_of(bar.end)
        fill = RAG_FILL[_RAG_COLOUR[bar.rag]]
        drawing.add(
            Rect(start, y - row_height * 0.3, max(end - start, 2), row_height * 0.6, fillColor=fill, strokeWidth=0)
        )
        drawing.add(_due_marker(x_of(bar.due_at), y, achieved=bar.achieved, late=bar.late))

    today = x_of(timeline.today)
    drawing.add(
        Line(today, plot_bottom, today, height - top_margin + 4, strokeColor=RAG_FILL["red"], strokeDashArray=[2, 2])
    )
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
    chart.valueAxis.valueStep = max(1, -(-max(series.planned + series.achieved) // 5))
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
        return left + fraction * (right - left)

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
