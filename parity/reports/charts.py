"""Charts as inline SVG: no script, no font or library to fetch, so a report opens offline from an
e-mail attachment and prints to PDF as drawn. Each chart is an image with a title and a short
description for screen readers; the numbers themselves are in the table printed under it.

A suppressed value (1 or 2 persons) is drawn as a hatched, labelled placeholder, never as a bar
of a guessed length.
"""
from dataclasses import dataclass
from html import escape

WIDTH = 640
WOMEN, MEN = "#8e3b8e", "#0072b2"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies
SERIES_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
HATCH = """<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#f1f1f1"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="2"/>
</pattern></defs>"""


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    suppressed: bool = False
    colour: str = WOMEN
    target: float | None = None  # drawn as a marker (the UN parity target)


def _svg(chart_id: str, title: str, description: str, height: int, body: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>'
            f'{HATCH.format(id=chart_id + "-hatch")}{body}</svg>')


def _number(value: float, unit: str) -> str:
    return f"{value:.1f}%" if unit == "percent" else f"{value:,.1f}" if unit == "per_1000" else f"{value:,.0f}"


def bar_chart(chart_id: str, title: str, bars: list[Bar], unit: str = "percent", scale_max: float | None = None) -> str:
    """Horizontal bars, one per row, labelled with their value; percent scales to 100 unless told."""
    label_w, row_h, top = 190, 30, 10
    plot_w = WIDTH - label_w - 70
    known = [b.value for b in bars if b.value is not None] + [b.target for b in bars if b.target is not None]
    top_value = scale_max or (100.0 if unit == "percent" else max(known, default=1.0) or 1.0)
    parts = []
    for i, bar in enumerate(bars):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" class="label">{escape(bar.label)}</text>')
        if bar.suppressed:
            parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{plot_w * 0.25:.1f}" height="20" '
                         f'fill="url(#{chart_id}-hatch)"/><text x="{label_w + plot_w * 0.25 + 6:.1f}" y="{y + 19}" '
                         'class="note">suppressed (1-2 persons)</text>')
        elif bar.value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 19}" class="note">no data</text>')
        else:
            w = max(plot_w * bar.value / top_value, 1.0)
            parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="20" fill="{bar.colour}"/>'
                         f'<text x="{label_w + w + 6:.1f}" y="{y + 19}" class="value">{_number(bar.value, unit)}</text>')
        if bar.target is not None:
            x = label_w + plot_w * bar.target / top_value
            parts.append(f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + 29}" stroke="#222" stroke-width="2" '
                         f'stroke-dasharray="3 2"/><text x="{x + 3:.1f}" y="{y + 8}" class="target">target '
                         f'{_number(bar.target, unit)}</text>')
    height = top * 2 + row_h * len(bars)
    parts.append(f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{height - top}" stroke="#444"/>')
    described = "; ".join(f"{b.label}: " + ("suppressed" if b.suppressed else "no data" if b.value is None
                                               else _number(b.value, unit)) for b in bars)
    return _svg(chart_id, title, described, height, "".join(parts))


def line_chart(chart_id: str, title: str, periods: list[str], series: dict[str, list[float | None]],
               unit: str = "percent") -> str:
    """One line per series over the quarters; a missing or suppressed quarter breaks the line."""
    left, right, top, bottom = 48, 150, 14, 34
    plot_w, plot_h = WIDTH - left - right, 220
    known = [v for values in series.values() for v in values if v is not None]
    top_value = max(10.0, (int(max(known, default=10.0) / 10) + 1) * 10.0)
    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w * i / max(len(periods) - 1, 1))
        return x, top + plot_h - plot_h * v / top_value
    parts = []
    for tick in range(0, int(top_value) + 1, max(int(top_value / 5), 1)):
        _, y = xy(0, tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{tick}'
                     f'{"%" if unit == "percent" else ""}</text>')
    for i, period in enumerate(periods):
        x, _ = xy(i, 0)
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 20}" text-anchor="middle" class="axis">{period}</text>')
    for n, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        segment = []
        for i, v in enumerate([*values, None]):
            if v is None:
                if len(segment) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="'
                                 + " ".join(f"{x:.1f},{y:.1f}" for x, y in segment) + '"/>')
                segment = []
                continue
            segment.append(xy(i, v))
            parts.append(f'<circle cx="{segment[-1][0]:.1f}" cy="{segment[-1][1]:.1f}" r="3.5" fill="{colour}"/>')
        y = top + 14 + n * 20
        parts.append(f'<rect x="{left + plot_w + 14}" y="{y - 9}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{left + plot_w + 30}" y="{y + 1}" class="label">{escape(name)}</text>')
    latest = "; ".join(f"{name} {_number(values[-1], unit)}" for name, values in series.items()
                       if values and values[-1] is not None)
    description = f"{len(series)} series from {periods[0]} to {periods[-1]}. Latest quarter: {latest or 'no data'}."
    return _svg(chart_id, title, description, top + plot_h + bottom, "".join(parts))


def pyramid(chart_id: str, title: str, rows: list[tuple[str, int | None, int | None, bool]]) -> str:
    """Women to the left, men to the right, one row per rank band (highest first). rows:
    (band, women, men, suppressed)."""
    centre, row_h, top, half = WIDTH / 2, 30, 30, WIDTH / 2 - 90
    largest = max([n for _, w, m, _ in rows for n in (w, m) if n is not None], default=1) or 1
    parts = [f'<text x="{centre - 40}" y="18" text-anchor="end" class="label" fill="{WOMEN}">Women</text>',
             f'<text x="{centre + 40}" y="18" class="label" fill="{MEN}">Men</text>']
    for i, (band, women, men, suppressed) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{centre}" y="{y + 19}" text-anchor="middle" class="label">{escape(band)}</text>')
        if suppressed:
            parts.append(f'<rect x="{centre + 34}" y="{y + 5}" width="120" height="20" fill="url(#{chart_id}-hatch)"/>'
                         f'<text x="{centre + 160}" y="{y + 19}" class="note">suppressed (1-2 persons)</text>')
            continue
        for count, sign, colour in ((women, -1, WOMEN), (men, 1, MEN)):
            if count is None:
                continue
            w = max(half * count / largest, 1.0) if count else 0.0
            x = centre + 34 if sign > 0 else centre - 34 - w
            anchor_x = x + w + 5 if sign > 0 else x - 5
            parts.append(f'<rect x="{x:.1f}" y="{y + 5}" width="{w:.1f}" height="20" fill="{colour}"/>'
                         f'<text x="{anchor_x:.1f}" y="{y + 19}" class="value" '
                         f'text-anchor="{"start" if sign > 0 else "end"}">{count:,}</text>')
    described = "; ".join(f"{band}: " + ("suppressed" if s else f"women {w}, men {m}") for band, w, m, s in rows)
    return _svg(chart_id, title, described, top + row_h * len(rows) + 10, "".join(parts))
