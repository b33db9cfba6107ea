"""Milestone reports for project boards as PDF (reportlab platypus + graphics).

``milestone_report_pdf(project)`` is the full report for one project; ``portfolio_report_pdf(projects)``
puts a comparison page first, then one page per project.
"""

import bisect
import contextlib
import datetime
import functools
import gc
import io
import itertools
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ppp import formatting

from ..models import Milestone, Project
from ..selectors import ProjectReport, Rag, project_report, project_reports
from .charts import (
    RAG_FILL,
    kpi_chart_drawing,
    planned_vs_achieved_drawing,
    portfolio_status_drawing,
    spend_drawing,
    timeline_drawing,
)
from .kpis import kpi_chart
from .timeline import milestone_timeline, planned_vs_achieved

PAGE = landscape(A4)
MARGIN = 14 * mm
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
# Long tables: plain-string cells in this font, wrapped by us, so every row's height is known before layout.
CELL_FONT, CELL_BOLD, CELL_SIZE, CELL_LEADING = "Helvetica", "Helvetica-Bold", 7.5, 9
CELL_PADDING_X, CELL_PADDING_Y = 3, 2
PORTFOLIO_TIMELINE_LIMIT = 12
PORTFOLIO_RISK_LIMIT = 5
STATUS_BARS_PER_CHART = 25  # 14 pt a bar: 25 projects and the axes fill most of a page
KPI_CHARTS_PER_ROW = 3

HEADER_BG = colors.HexColor("#1f4e79")
GRID = colors.HexColor("#c8c8c8")
ZEBRA = colors.HexColor("#f5f7fa")
LATE_TEXT = colors.HexColor("#b00020")
RAG_BACKGROUND = {
    "green": colors.HexColor("#d7ecd9"),
    "amber": colors.HexColor("#fde9b0"),
    "red": colors.HexColor("#f6c9c9"),
    "grey": colors.HexColor("#e4e4e4"),
}

_styles = getSampleStyleSheet()
TITLE = ParagraphStyle("ReportTitle", parent=_styles["Title"], fontSize=17, leading=21, alignment=0, spaceAfter=2)
H2 = ParagraphStyle("ReportH2", parent=_styles["Heading2"], fontSize=12, leading=15, spaceBefore=8, spaceAfter=4)
BODY = ParagraphStyle("ReportBody", parent=_styles["BodyText"], fontSize=8.5, leading=11)
SMALL = ParagraphStyle("ReportSmall", parent=BODY, fontSize=7.5, leading=9)
CAPTION = ParagraphStyle("ReportCaption", parent=SMALL, textColor=colors.HexColor("#555555"))
NUMBER = ParagraphStyle("ReportNumber", parent=SMALL, alignment=TA_RIGHT)


def money(amount: Decimal) -> str:
    # Cached per language: the same amount reads 1,234.50 in English and 1 234,50 in French.
    return _money(amount, translation.get_language())


@functools.lru_cache(maxsize=4096)  # payments and dates repeat across thousands of rows
def _money(amount: Decimal, language: str | None) -> str:
    return formatting.format_amount(amount)


def _p(text, style=SMALL) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _date(day: datetime.date | None) -> str:
    return _localized_date(day, translation.get_language())


@functools.lru_cache(maxsize=4096)
def _localized_date(day: datetime.date | None, language: str | None) -> str:
    return formatting.format_date(day)


class _FooterContext(Flowable):
    """Zero-size marker: from here on, the page footer names this project and agreement."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv._ppp_footer = self.text


class _FooterCanvas(canvas.Canvas):
    """Draws the footer once the page count is known, so every page says "page x of y"."""

    def __init__(self, *args, generated: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._page_states = []
        self._ppp_footer = ""
        self._generated = generated

    def showPage(self):
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._page_states)
        for state in self._page_states:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int):
        self.saveState()
        self.setFont("Helvetica", 7.5)
        self.setFillColor(colors.HexColor("#555555"))
        y = MARGIN * 0.55
        self.drawString(MARGIN, y, self._ppp_footer)
        self.drawCentredString(PAGE[0] / 2, y, gettext("Generated {moment}").format(moment=self._generated))
        self.drawRightString(
            PAGE[0] - MARGIN, y, gettext("Page {page} of {total}").format(page=self._pageNumber, total=total)
        )
        self.restoreState()


def _table(rows, col_widths, *, extra_style=(), header=True, repeat=True, row_heights=None) -> Table:
    table = Table(
        rows, colWidths=col_widths, rowHeights=row_heights, repeatRows=1 if header and repeat else 0, hAlign="LEFT"
    )
    style = [
        ("FONT", (0, 0), (-1, -1), CELL_FONT, CELL_SIZE, CELL_LEADING),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING_Y),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING_Y),
    ]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("FONT", (0, 0), (-1, 0), CELL_BOLD, CELL_SIZE, CELL_LEADING),
        ]
    table.setStyle(TableStyle([*style, *extra_style]))
    return table


@functools.lru_cache(maxsize=8192)
def _wrapped(text: str, width: float, font: str = CELL_FONT) -> str:
    """``text`` broken into lines that fit ``width`` points (long words too), joined by newlines.

    Cached: responsible vendors, dates and statuses repeat on every page of a long report.
    """
    room = width - 2 * CELL_PADDING_X
    if stringWidth(text, font, CELL_SIZE) <= room:
        return text
    lines = []
    for line in simpleSplit(text, font, CELL_SIZE, room):
        while len(line) > 1 and stringWidth(line, font, CELL_SIZE) > room:
            cut = len(line) - 1
            while cut > 1 and stringWidth(line[:cut], font, CELL_SIZE) > room:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return "\n".join(lines)


def _row_height(cells: list[str]) -> float:
    return max(cell.count("\n") + 1 for cell in cells) * CELL_LEADING + 2 * CELL_PADDING_Y


class _PagedTable(Flowable):
    """A long table laid out page by page from row heights measured once, with the header on every page.

    reportlab's Table re-measures every remaining row each time it splits at a page end (quadratic in the rows),
    and builds, styles and draws every cell through general machinery (a cell style object per cell, a text
    object per string); for a 10,000-milestone report that was nearly all of the time. Here each row is plain
    text wrapped once, so its height is known up front; a split just cuts the rows that fit, and a page is drawn
    straight onto the canvas: header, zebra stripes and cell backgrounds as rectangles, the grid as one path, and
    each cell line as its own ``BT … Tj T* ET`` text block, as ``drawString`` writes it (text extraction reads
    cells as separate lines), encoded by reportlab itself so fonts and special characters come out the same.

    ``row_style(index, line)`` gives the row's extra styling as TableStyle-like commands on that one row:
    ``BACKGROUND``, ``TEXTCOLOR`` or ``ALIGN`` over a range of columns.
    """

    def __init__(self, header, rows, col_widths, row_style=None, *, _measured=None, _start=0, _end=None):
        super().__init__()
        self.col_widths = col_widths
        self.row_style = row_style
        if _measured is None:
            header = [_wrapped(text, width, CELL_BOLD) for text, width in zip(header, col_widths, strict=True)]
            rows = [[_wrapped(text, width) for text, width in zip(row, col_widths, strict=True)] for row in rows]
            tops = [0.0, *itertools.accumulate(_row_height(row) for row in rows)]
            _measured = (header, _row_height(header), rows, tops)
        self._measured = _measured
        self.start = _start
        self.end = len(_measured[2]) if _end is None else _end

    def wrap(self, available_width, available_height):
        _header, header_height, _rows, tops = self._measured
        self.width = sum(self.col_widths)
        self.height = header_height + tops[self.end] - tops[self.start]
        return self.width, self.height

    def split(self, available_width, available_height):
        _header, header_height, _rows, tops = self._measured
        # The last row whose bottom still fits (a hair of slack for the frame's float comparison).
        end = bisect.bisect_right(tops, tops[self.start] + available_height - header_height - 1e-6) - 1
        end = min(end, self.end)
        if end <= self.start:
            return []
        measured, widths, style = self._measured, self.col_widths, self.row_style
        return [
            _PagedTable(None, None, widths, style, _measured=measured, _start=self.start, _end=end),
            _PagedTable(None, None, widths, style, _measured=measured, _start=end, _end=self.end),
        ]

    def draw(self):
        header, header_height, rows, tops = self._measured
        canvas, widths = self.canv, self.col_widths
        lefts = [0.0, *itertools.accumulate(widths)]
        width, height = lefts[-1], self.height

        def bottom_of(index: int) -> float:  # the row's bottom edge, measured from the table's bottom
            return height - header_height - (tops[index + 1] - tops[self.start])

        backgrounds = [(HEADER_BG, 0, height - header_height, width, header_height)]
        backgrounds += [
            (ZEBRA, 0, bottom_of(index), width, tops[index + 1] - tops[index])
            for index in range(self.start, self.end)
            if index % 2
        ]
        text_colours, alignments = {}, {}
        for index in range(self.start, self.end):
            for name, (first, _line), (last, _same_line), value in self.row_style(index, 0) if self.row_style else ():
                for column in range(first % len(widths), last % len(widths) + 1):
                    if name == "BACKGROUND":
                        row_height = tops[index + 1] - tops[index]
                        backgrounds.append((value, lefts[column], bottom_of(index), widths[column], row_height))
                    elif name == "TEXTCOLOR":
                        text_colours[index, column] = value
                    elif name == "ALIGN":
                        alignments[index, column] = value
                    else:
                        raise ValueError(f"Unsupported row style {name!r}")
        for colour, x, y, w, h in backgrounds:
            canvas.setFillColor(colour)
            canvas.rect(x, y, w, h, stroke=0, fill=1)

        grid = canvas.beginPath()
        for y in [height, *(bottom_of(index) for index in range(self.start - 1, self.end))]:
            grid.moveTo(0, y)
            grid.lineTo(width, y)
        for x in lefts:
            grid.moveTo(x, 0)
            grid.lineTo(x, height)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.4)
        canvas.drawPath(grid, stroke=1, fill=0)

        text = _CellText(canvas, lefts, widths)
        text.row(header, height, CELL_BOLD, colors.white)
        for index in range(self.start, self.end):
            top = bottom_of(index) + tops[index + 1] - tops[index]
            text.row(rows[index], top, CELL_FONT, colors.black, text_colours, alignments, index)


class _CellText:
    """Writes a table's cells as PDF text blocks, remembering each distinct line's encoded form (dates, statuses
    and vendor names repeat on every page)."""

    def __init__(self, canvas, lefts: list[float], widths: list[float]):
        self.canvas, self.lefts, self.widths = canvas, lefts, widths
        self.encoded = canvas.__dict__.setdefault("_ppp_encoded_cells", {})
        self.colour = None

    def _encode(self, font: str, line: str) -> str:
        """``BT … ET`` for one line, with ``{}`` where its position goes."""
        encoders = self.canvas.__dict__.setdefault("_ppp_cell_encoders", {})
        if font not in encoders:
            text = self.canvas.beginText()
            text.setFont(font, CELL_SIZE, CELL_LEADING)
            encoders[font] = (text, self.canvas._doc.getInternalFontName(font))
        text, internal_name = encoders[font]
        # reportlab's own encoder (private, stable across 4.x and 5.x): substitution fonts and escaping.
        encoded = text._formatText(line).replace("{", "{{").replace("}", "}}")
        block = f"BT {internal_name} {CELL_SIZE} Tf {CELL_LEADING} TL 1 0 0 1 {{}} Tm {encoded} T* ET"
        self.encoded[font, line] = block
        return block

    def row(self, cells, top, font, colour, text_colours=None, alignments=None, index=None):
        code, lefts, widths, encoded = self.canvas._code, self.lefts, self.widths, self.encoded
        y = top - CELL_PADDING_Y - CELL_SIZE
        for column, cell in enumerate(cells):
            if not cell:
                continue
            cell_colour = text_colours.get((index, column), colour) if text_colours else colour
            if cell_colour is not self.colour:
                self.canvas.setFillColor(cell_colour)
                self.colour = cell_colour
            right = alignments and alignments.get((index, column)) == "RIGHT"
            line_y = y
            for line in cell.split("\n") if "\n" in cell else (cell,):
                if right:
                    x = lefts[column] + widths[column] - CELL_PADDING_X - stringWidth(line, font, CELL_SIZE)
                else:
                    x = lefts[column] + CELL_PADDING_X
                block = encoded.get((font, line)) or self._encode(font, line)
                code.append(block.format(f"{x:.2f} {line_y:.2f}"))
                line_y -= CELL_LEADING


def _long_table(header, rows, col_widths, row_style=None) -> list[Flowable]:
    """A table of plain strings of any length: wrapped to its columns, split at page ends, the header on every page."""
    if not rows:
        return [_table([header], col_widths)]
    return [_PagedTable(header, rows, col_widths, row_style)]


# --- Sections ----------------------------------------------------------------------------------


def _cover(report: ProjectReport, heading: str) -> list:
    project = report.project
    agreement = project.agreement
    facts = [
        (gettext("Project"), f"{project.code} – {project.name}"),
        (gettext("Agreement"), f"{agreement.reference} – {agreement.title}"),
        (gettext("Authority"), agreement.authority.name),
        (gettext("Partners"), ", ".join(report.partners) or gettext("none")),
        (gettext("Phase"), project.get_phase_display()),
        (gettext("Delivery method"), project.get_delivery_method_display()),
        (gettext("Report date"), _date(report.on)),
    ]
    cover = _table(
        [[_p(label, BODY), _p(value, BODY)] for label, value in facts],
        [32 * mm, 150 * mm],
        header=False,
        extra_style=[("FONT", (0, 0), (0, -1), "Helvetica-Bold", 8), ("BACKGROUND", (0, 0), (0, -1), ZEBRA)],
    )
    summary = _summary_table(report)
    layout = Table([[cover, summary]], colWidths=[186 * mm, FRAME_WIDTH - 186 * mm], hAlign="LEFT")
    layout.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [
        _FooterContext(
            gettext("Agreement {reference} · Project {code}").format(reference=agreement.reference, code=project.code)
        ),
        Paragraph(escape(heading), TITLE),
        _status_line(report),
        layout,
    ]


STATUS_STYLE = ParagraphStyle("ReportStatus", parent=BODY, fontSize=10.5, leading=13)


def _status_line(report: ProjectReport, width: float = FRAME_WIDTH) -> Table:
    """The overall status as a band: its colour down the left edge, "Red: 3 milestones overdue, ..." beside it."""
    status = report.status
    text = f"<b>{escape(status.label)}:</b> {escape(status.reason)}"
    band = Table([["", Paragraph(text, STATUS_STYLE)]], colWidths=[3 * mm, width - 3 * mm], hAlign="LEFT", spaceAfter=5)
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (0, 0), RAG_FILL[status.colour]),
                ("BACKGROUND", (1, 0), (1, 0), RAG_BACKGROUND[status.colour]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return band


def _summary_table(report: ProjectReport) -> Table:
    rows = [[gettext("Milestones"), ""]]
    extra = []
    for line, (_key, label, count, colour) in enumerate(report.summary, start=1):
        rows.append([label, str(count)])
        if count:  # a zero is never shaded red or amber
            extra.append(("BACKGROUND", (0, line), (0, line), RAG_BACKGROUND[colour]))
    rows += [
        [gettext("Total"), str(len(report.rows))],
        [gettext("Milestone payments ({currency})").format(currency=report.currency), money(report.total_payments)],
        [gettext("Paid by certificates ({currency})").format(currency=report.currency), money(report.paid_payments)],
    ]
    return _table(
        rows,
        [45 * mm, 30 * mm],
        extra_style=[*extra, ("ALIGN", (1, 1), (1, -1), "RIGHT"), ("SPAN", (0, 0), (1, 0))],
        repeat=False,
    )


def _cost_shares(report: ProjectReport) -> list:
    currency = report.currency
    header = [
        gettext("Party"),
        gettext("Role"),
        gettext("Share"),
        gettext("Committed ({currency})").format(currency=currency),
        gettext("Actual spend ({currency})").format(currency=currency),
        gettext("Remaining ({currency})").format(currency=currency),
    ]
    rows, extra = [], []
    for line, party in enumerate(report.budget, start=1):
        rows.append(
            [
                _p(party.party),
                gettext("Authority") if party.is_authority else gettext("Partner"),
                f"{formatting.format_amount(party.percentage)} %",
                money(party.committed),
                money(party.spent),
                money(party.remaining),
            ]
        )
        if party.remaining < 0:
            extra.append(("TEXTCOLOR", (5, line), (5, line), LATE_TEXT))
    if not rows:
        rows.append([_p(gettext("No cost shares recorded.")), "", "", "", "", ""])
    extra.append(("ALIGN", (2, 1), (-1, -1), "RIGHT"))
    table = _table([header, *rows], [80 * mm, 22 * mm, 18 * mm, 36 * mm, 36 * mm, 36 * mm], extra_style=extra)
    return [
        KeepTogether([Paragraph(gettext("Cost shares: budget against actual spend"), H2), table]),
        *_party_payments(report),
    ]


def _party_payments(report: ProjectReport) -> list:
    """Certified, deducted, retained and paid per party: the whole agreement's, from its payment certificates."""
    currency = report.currency
    header = [
        gettext("Party"),
        gettext("Certified ({currency})").format(currency=currency),
        gettext("Deducted ({currency})").format(currency=currency),
        gettext("Retained ({currency})").format(currency=currency),
        gettext("Paid ({currency})").format(currency=currency),
    ]
    rows = [
        [_p(party.party), money(party.certified), money(party.deducted), money(party.retained), money(party.paid)]
        for party in report.payments
    ] or [[_p(gettext("No cost shares recorded.")), "", "", "", ""]]
    heading = gettext("Payments per party: agreement {reference} (all its projects)").format(
        reference=report.project.agreement.reference
    )
    table = _table(
        [header, *rows],
        [80 * mm, 40 * mm, 40 * mm, 40 * mm, 40 * mm],
        extra_style=[("ALIGN", (1, 1), (-1, -1), "RIGHT")],
    )
    # A heading never ends a page alone: it moves over with its table (a party list is never pages long).
    return [KeepTogether([Paragraph(heading, H2), table])]


def _timeline(report: ProjectReport, *, limit: int | None = None, width: float = FRAME_WIDTH, **drawing) -> list:
    timeline = milestone_timeline(report.rows, report.on, **({"limit": limit} if limit else {}))
    if not timeline.bars:
        return [_p(gettext("No milestones to chart yet."), BODY)]
    return [timeline_drawing(timeline, width, **drawing), _p(timeline.caption, CAPTION)]


def _progress_chart(report: ProjectReport, *, width: float = FRAME_WIDTH, height: float = 170) -> list:
    series = planned_vs_achieved(report.rows, report.on)
    if not series.months:
        return [_p(gettext("No milestones to chart yet."), BODY)]
    return [
        planned_vs_achieved_drawing(series, width, height=height),
        _p(
            gettext("Cumulative count at each month end: planned by baseline date, achieved by achievement date."),
            CAPTION,
        ),
    ]


def _overview_charts(report: ProjectReport) -> list:
    """Page 1's charts, side by side: planned vs achieved milestones, and spend by party."""
    half = FRAME_WIDTH / 2 - 4
    if report.payments:
        spend = [spend_drawing(report.payments, half, currency=report.currency)]
    else:
        spend = [_p(gettext("No cost shares recorded."), BODY)]
    charts = Table(
        [
            [Paragraph("Planned vs achieved milestones", H2), Paragraph(gettext("Spend by party"), H2)],
            [_progress_chart(report, width=half, height=145), spend],
        ],
        colWidths=[half + 4, half + 4],
        hAlign="LEFT",
    )
    charts.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [charts]


def _compact_charts(report: ProjectReport) -> list:
    half = FRAME_WIDTH / 2 - 4
    charts = Table(
        [
            [_p(gettext("Milestone timeline"), BODY), _p(gettext("Planned vs achieved milestones"), BODY)],
            [
                _timeline(report, limit=PORTFOLIO_TIMELINE_LIMIT, width=half, row_height=8, label_width=120),
                _progress_chart(report, width=half, height=150),
            ],
        ],
        colWidths=[half + 4, half + 4],
        hAlign="LEFT",
    )
    charts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [Spacer(1, 6), charts]


def _milestone_table(report: ProjectReport) -> list:
    header = [
        "#",
        gettext("Milestone"),
        gettext("Type"),
        gettext("Responsible"),
        gettext("Baseline"),
        gettext("Due"),
        gettext("Delivered"),
        gettext("Status"),
        gettext("Days late"),
        gettext("Deliverables accepted"),
        gettext("Progress"),
        gettext("Payment ({currency})").format(currency=report.currency),
    ]
    types = {value: str(label) for value, label in Milestone.Type.choices}
    rows = []
    for number, row in enumerate(report.rows, start=1):
        milestone = row.milestone
        rows.append(
            [
                str(number),
                milestone.title,
                types[milestone.type],
                milestone.responsible_vendor.legal_name if milestone.responsible_vendor else "–",
                _date(milestone.baseline_due_date),
                _date(milestone.due_date),
                _date(milestone.delivered_on),  # days late count to the delivery, not to the acceptance
                row.rag_label,
                str(row.days_late) if row.days_late else "–",
                f"{row.deliverable_accepted} / {row.deliverable_total}",
                f"{row.average_progress} %" if row.deliverable_total else "–",
                money(milestone.payment_amount),
            ]
        )

    def row_style(index, line):
        colour = RAG_BACKGROUND[report.rows[index].rag_colour]
        style = [("BACKGROUND", (7, line), (7, line), colour)]
        if report.rows[index].days_late and report.rows[index].is_late:
            style.append(("TEXTCOLOR", (8, line), (8, line), LATE_TEXT))
        return style

    widths = [9, 56, 17, 39, 19, 19, 19, 17, 13, 20, 17, 24]
    return [
        Paragraph(gettext("Milestones ({count})").format(count=len(rows)), H2),
        *_long_table(header, rows, [w * mm for w in widths], row_style=row_style),
    ]


def _late_deliverables(report: ProjectReport) -> list:
    late = report.late_rows
    flowables = [Paragraph(gettext("Open deliverables under late milestones"), H2)]
    if not late:
        return [*flowables, _p(gettext("No milestone is overdue or missed."), BODY)]
    header = [
        gettext("Milestone"),
        gettext("Due"),
        gettext("Days late"),
        gettext("Deliverable"),
        gettext("Responsible"),
        gettext("Status"),
        gettext("Progress"),
    ]
    rows = []
    for row in late:
        milestone_cell = [row.milestone.title, _date(row.milestone.due_date), str(row.days_late)]
        if not row.open_deliverables:
            rows.append([*milestone_cell, gettext("No open deliverables."), "", "", ""])
        for deliverable in row.open_deliverables:
            rows.append(
                [
                    *milestone_cell,
                    deliverable.title,
                    deliverable.responsible_vendor.legal_name,
                    deliverable.get_status_display(),
                    f"{deliverable.progress} %",
                ]
            )
    widths = [70, 22, 16, 70, 50, 22, 16]
    return [*flowables, *_long_table(header, rows, [w * mm for w in widths])]


def _overdue_risks(report: ProjectReport, *, limit: int | None = None) -> list:
    """The live risks whose review date has passed, worst first; ``limit`` keeps a portfolio page to one page."""
    risks = report.overdue_risks[:limit]
    flowables = [
        Paragraph(gettext("Risks past their review date ({count})").format(count=len(report.overdue_risks)), H2)
    ]
    if not risks:
        return [*flowables, _p(gettext("Every open risk has been reviewed on time."), BODY)]
    header = [
        gettext("Risk"),
        gettext("Category"),
        gettext("Allocation"),
        gettext("Score"),
        gettext("Owner"),
        gettext("Status"),
        gettext("Review was due"),
        gettext("Days overdue"),
    ]
    rows = [
        [
            risk.title,
            risk.get_category_display(),
            risk.get_allocation_display(),
            f"{risk.score} ({risk.level_label})",
            risk.owner.get_full_name() or risk.owner.get_username(),
            risk.get_status_display(),
            _date(risk.review_date),
            str(risk.days_past_review),
        ]
        for risk in risks
    ]

    def row_style(index, line):
        level = risks[index].level
        colour = {"critical": "red", "high": "red", "medium": "amber"}.get(level, "green")
        return [("BACKGROUND", (3, line), (3, line), RAG_BACKGROUND[colour]), ("ALIGN", (7, line), (7, line), "RIGHT")]

    widths = [78, 42, 27, 17, 38, 19, 22, 18]
    table = _long_table(header, rows, [w * mm for w in widths], row_style=row_style)
    hidden = len(report.overdue_risks) - len(risks)
    more = (
        [_p(gettext("… and {hidden} more in the project's milestone report.").format(hidden=hidden), CAPTION)]
        if hidden
        else []
    )
    return [*flowables, *table, *more]


def _kpi_table(report: ProjectReport) -> list:
    flowables = [Paragraph(gettext("Key performance indicators ({count})").format(count=len(report.kpis)), H2)]
    if not report.kpis:
        return [*flowables, _p(gettext("No KPIs recorded."), BODY)]
    header = [
        gettext("KPI"),
        gettext("Unit"),
        gettext("Better when"),
        gettext("Baseline"),
        gettext("Target"),
        gettext("Latest"),
        gettext("Measured on"),
        gettext("Trend"),
        gettext("On target"),
    ]
    rows = []
    for row in report.kpis:
        kpi = row.kpi
        rows.append(
            [
                kpi.name,
                kpi.unit,
                gettext("higher") if kpi.direction == kpi.Direction.HIGHER else gettext("lower"),
                money(kpi.baseline),
                money(kpi.target),
                "–" if kpi.latest_value is None else money(kpi.latest_value),
                _date(kpi.latest_date),
                row.trend_label,
                row.on_target_label,
            ]
        )

    def row_style(index, line):
        colour = {True: "green", False: "red", None: "grey"}[report.kpis[index].kpi.on_target]
        return [("BACKGROUND", (8, line), (8, line), RAG_BACKGROUND[colour]), ("ALIGN", (3, line), (5, line), "RIGHT")]

    widths = [78, 22, 20, 24, 24, 24, 22, 20, 20]
    table = _long_table(header, rows, [w * mm for w in widths], row_style=row_style)
    return [*flowables, *table]


def _kpi_charts(report: ProjectReport) -> list:
    """Small multiples, a few to a row, so six KPIs fit in two rows and a long list still breaks between rows."""
    if not report.kpis:
        return []
    cell = FRAME_WIDTH / KPI_CHARTS_PER_ROW
    drawings = [kpi_chart_drawing(kpi_chart(row), cell - 8) for row in report.kpis]
    grid = [drawings[start : start + KPI_CHARTS_PER_ROW] for start in range(0, len(drawings), KPI_CHARTS_PER_ROW)]
    grid[-1] += [""] * (KPI_CHARTS_PER_ROW - len(grid[-1]))
    charts = Table(grid, colWidths=[cell] * KPI_CHARTS_PER_ROW, hAlign="LEFT")
    charts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    caption = _p(
        gettext(
            "Each measurement, oldest to newest; dashed line: target, dotted line: baseline; "
            "last point green when on target, red when not."
        ),
        CAPTION,
    )
    return [KeepTogether([Paragraph(gettext("KPI measurements against target"), H2), charts, caption])]


# --- Documents ---------------------------------------------------------------------------------


def _render(story: list, *, title: str, generated_at: datetime.datetime) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="ppp-tracker",
        subject=gettext("Milestone report for the project board"),
    )
    generated = f"{formatting.format_datetime(generated_at)} {timezone.localtime(generated_at).strftime('%Z')}"

    def make_canvas(*args, **kwargs):
        return _FooterCanvas(*args, generated=generated, **kwargs)

    document.build(story, canvasmaker=make_canvas)
    return buffer.getvalue()


def project_report_story(report: ProjectReport) -> list:
    # Page 1 reads on its own: status, facts and counts, then the two overview charts.
    return [
        *_cover(report, gettext("Milestone report: {code}").format(code=report.project.code)),
        *_overview_charts(report),
        *_cost_shares(report),
        *_overdue_risks(report),
        *_kpi_table(report),
        *_kpi_charts(report),
        KeepTogether([Paragraph(gettext("Milestone timeline"), H2), *_timeline(report)]),
        *_milestone_table(report),
        *_late_deliverables(report),
    ]


@contextlib.contextmanager
def _cycle_collection_paused(pause: bool):
    """Pause Python's cyclic garbage collector while a report is built, when the caller opts in.

    A long report holds hundreds of thousands of live objects (rows, cells, model instances), and each full
    collection walks all of them: with the collector running, 20,000 milestones took 2.2–2.5 times as long as
    10,000; paused, 1.8–1.9 times. Reference counting still frees everything that is not a cycle, and the
    collector comes back on as soon as the report is done (only if it was on; nested reports leave it alone).

    Only a process that builds one report and nothing else may opt in (the benchmark, a command): in a web
    worker the pause would be process-wide, so every other request served by its threads would pile up
    garbage cycles meanwhile. Views and admin actions therefore leave ``pause_gc`` off.
    """
    if not pause:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def milestone_report_pdf(project: Project, *, on: datetime.date | None = None, pause_gc: bool = False) -> bytes:
    """The board's milestone report for one project (``pause_gc``: see ``_cycle_collection_paused``)."""
    with _cycle_collection_paused(pause_gc):
        report = project_report(project, on=on)
        return _render(
            project_report_story(report),
            title=gettext("Milestone report {code}").format(code=project.code),
            generated_at=report.generated_at,
        )


def _comparison_page(reports: list[ProjectReport]) -> list:
    counted = (Rag.ACHIEVED, Rag.ON_TRACK, Rag.DUE_SOON, Rag.OVERDUE, Rag.MISSED)
    header = [
        gettext("Project"),
        gettext("Status"),
        gettext("Agreement"),
        *[str(Rag.LABELS[key]) for key in counted],
        gettext("Achieved %"),
        gettext("Payments"),
        gettext("Paid"),
    ]
    rows = []
    for report in reports:
        counts, status = report.counts, report.status
        rows.append(
            [
                f"{report.project.code} – {report.project.name}",
                status.line,
                report.project.agreement.reference,
                *[str(counts[key]) for key in counted],
                f"{report.percent_achieved} %",
                f"{report.currency} {money(report.total_payments)}",
                f"{report.currency} {money(report.paid_payments)}",
            ]
        )
    first_count = 3

    def row_style(index, line):
        report = reports[index]
        style = [
            ("ALIGN", (first_count, line), (-1, line), "RIGHT"),
            ("BACKGROUND", (1, line), (1, line), RAG_BACKGROUND[report.status.colour]),
        ]
        # Each count shaded by its own value: a zero is never red, whatever its neighbours hold.
        for offset, key in enumerate(counted):
            colour = Rag.COLOURS[key]
            if report.counts[key] and colour in ("amber", "red"):
                column = first_count + offset
                style.append(("BACKGROUND", (column, line), (column, line), RAG_BACKGROUND[colour]))
        return style

    widths = [50, 56, 25, 14, 14, 14, 14, 14, 16, 26, 26]
    story = [
        _FooterContext(gettext("Portfolio report")),
        Paragraph(gettext("Portfolio milestone report"), TITLE),
        _p(
            ngettext(
                "{count} project · report date {day}", "{count} projects · report date {day}", len(reports)
            ).format(count=len(reports), day=_date(reports[0].on if reports else None)),
            BODY,
        ),
        Spacer(1, 6),
    ]
    if not reports:
        return [*story, _p(gettext("No projects to report on."), BODY)]
    return [
        *story,
        *_long_table(header, rows, [w * mm for w in widths], row_style=row_style),
        *_status_charts(reports),
    ]


def _status_charts(reports: list[ProjectReport]) -> list:
    """The stacked status bars, a page's worth of projects to a chart (one tall chart would not fit a page)."""
    charts = [
        portfolio_status_drawing(reports[start : start + STATUS_BARS_PER_CHART], FRAME_WIDTH)
        for start in range(0, len(reports), STATUS_BARS_PER_CHART)
    ]
    return [KeepTogether([Paragraph(gettext("Milestones by status"), H2), charts[0]]), *charts[1:]]


def _project_page(report: ProjectReport) -> list:
    content = [
        *_cover(report, f"{report.project.code}: {report.project.name}")[1:],
        *_cost_shares(report),
        *_compact_charts(report),
        *_overdue_risks(report, limit=PORTFOLIO_RISK_LIMIT),
        *_kpi_table(report),
    ]
    # One page per project: shrink rather than spill when a project has many parties. KeepInFrame cannot hold
    # KeepTogether (it never breaks a page inside anyway), so those are unwrapped.
    content = [part for flowable in content for part in _unwrapped(flowable)]
    return [
        _cover(report, "")[0],
        KeepInFrame(FRAME_WIDTH, PAGE[1] - 2 * MARGIN - 12, content, mode="shrink"),
    ]


def _unwrapped(flowable) -> list:
    return list(flowable._content) if isinstance(flowable, KeepTogether) else [flowable]


def portfolio_report_pdf(
    projects: QuerySet[Project] | Iterable[Project], *, on: datetime.date | None = None, pause_gc: bool = False
) -> bytes:
    """A comparison page, then one page per project (for a board, or projects an officer selected);
    ``pause_gc``: see ``_cycle_collection_paused``."""
    if not isinstance(projects, QuerySet):
        projects = Project.objects.filter(pk__in=[project.pk for project in projects])
    with _cycle_collection_paused(pause_gc):
        reports = project_reports(projects.select_related("agreement__authority").order_by("code"), on=on)
        story = _comparison_page(reports)
        for report in reports:
            story += [PageBreak(), *_project_page(report)]
        generated_at = reports[0].generated_at if reports else timezone.localtime()
        return _render(story, title=gettext("Portfolio milestone report"), generated_at=generated_at)
