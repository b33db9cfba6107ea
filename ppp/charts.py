"""Small charts drawn on the server as inline SVG: no script, no CDN, readable at 390 px and printable.

Generic on purpose (``ppp`` imports no domain app): the apps pass labels and numbers, the colours come from the
status tones of ``static/ppp/admin.css``'s palette below. All text is escaped by ``format_html``.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# One palette for the charts, matching the badge tones (ppp.admin.STATUS_TONES) so a colour means one thing.
TONE_COLOURS = {
    "good": "#2e7d32",
    "done": "#4f7aa6",
    "info": "#1f77b4",
    "warn": "#e0a100",
    "bad": "#c62828",
    "grave": "#7f1d1d",  # worse than late: missed for good
    "muted": "#9e9e9e",
}


@dataclass(frozen=True)
class Series:
    label: str
    tone: str
    values: list[int]

    @property
    def colour(self) -> str:
        return TONE_COLOURS.get(self.tone, TONE_COLOURS["muted"])


def legend(series: list[Series]) -> SafeString:
    return format_html(
        '<ul class="ppp-legend">{}</ul>',
        format_html_join("", '<li style="--swatch:{}">{}</li>', ((s.colour, s.label) for s in series)),
    )


def stacked_columns(categories: list[str], series: list[Series], *, title: str) -> SafeString:
    """One column per category (e.g. a month), its series stacked bottom-up in the order given."""
    width, height, left, bottom, top = 360, 170, 26, 20, 8
    plot_height = height - bottom - top
    slot = (width - left) / max(len(categories), 1)
    totals = [sum(s.values[index] for s in series) for index in range(len(categories))]
    peak = max(totals, default=0) or 1
    step = _nice_step(peak)
    scale_top = step * -(-peak // step)

    parts = []
    for tick in range(0, scale_top + 1, step):
        y = top + plot_height - plot_height * tick / scale_top
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e3e3e3" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="9" text-anchor="end">{}</text>',
                left,
                width,
                _n(y),
                _n(y),
                left - 4,
                _n(y + 3),
                tick,
            )
        )
    for index, category in enumerate(categories):
        x = left + index * slot + slot * 0.15
        base = top + plot_height
        for s in series:
            value = s.values[index]
            if not value:
                continue
            bar = plot_height * value / scale_top
            base -= bar
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} – {}: {}</title></rect>',
                    _n(x),
                    _n(base),
                    _n(slot * 0.7),
                    _n(bar),
                    s.colour,
                    category,
                    s.label,
                    value,
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="9" text-anchor="middle">{}</text>',
                _n(left + index * slot + slot / 2),
                height - 6,
                category,
            )
        )
    svg = format_html(
        '<svg viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}</svg>",
        width,
        height,
        title,
        title,
        mark_safe("".join(parts)),  # each part built by format_html above
    )
    return format_html("{}{}", svg, legend(series))


@dataclass(frozen=True)
class BudgetBar:
    label: str
    detail: str  # e.g. "1,234.00 of 10,000.00 EUR"
    budget: float
    spent: float
    url: str = ""


def budget_bars(bars: list[BudgetBar], *, title: str, spent_label: str, over_label: str) -> SafeString:
    """One row per budget: the bar is the budget, the fill what is spent (red past 100 %). Amounts of different
    currencies are never drawn on one scale: each bar is its own budget's percentage."""
    rows = []
    for bar in bars:
        ratio = bar.spent / bar.budget if bar.budget else 0.0
        filled = min(ratio, 1.0) * 100
        colour = TONE_COLOURS["bad"] if ratio > 1 else TONE_COLOURS["info"]
        name = format_html('<a href="{}">{}</a>', bar.url, bar.label) if bar.url else bar.label
        rows.append(
            format_html(
                '<li><div class="ppp-bar-text"><span>{}</span><span class="ppp-sub">{} ({}&nbsp;%)</span></div>'
                '<svg viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="{}: {} %" '
                'xmlns="http://www.w3.org/2000/svg" class="ppp-bar">'
                '<rect x="0" y="0" width="100" height="6" fill="#e6e6e6"/>'
                '<rect x="0" y="0" width="{}" height="6" fill="{}"/></svg></li>',
                name,
                bar.detail,
                round(ratio * 100),
                bar.label,
                round(ratio * 100),
                _n(filled),
                colour,
            )
        )
    keys = [Series(spent_label, "info", []), Series(over_label, "bad", [])]
    return format_html('<ul class="ppp-bars" aria-label="{}">{}</ul>{}', title, mark_safe("".join(rows)), legend(keys))


def _nice_step(peak: int) -> int:
    """A tick step giving about four grid lines: 1, 2, 5, 10, 20, 50..."""
    raw = max(peak / 4, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
