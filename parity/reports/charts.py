"""Charts as inline SVG: no script, no font or library to fetch, so a report opens offline from an
e-mail attachment and prints to PDF as drawn. Each chart is an image with a title and a short
description for screen readers; its numbers are in the language's format and each carries what it
is (the `data-*` attributes of figures.number_attributes), as in the tables.

A withheld value is drawn as a hatched, labelled placeholder, never as a bar of a guessed length.
Labels are sized to their box: a label longer than its column is wrapped onto two lines, and a test
measures every text against its chart in Chromium (tests/test_browser.py).
"""
import textwrap
from dataclasses import dataclass

from markupsafe import Markup, escape

from parity.reports.locale import Writer
from sources.period import Period

WOMEN, MEN, AREA = "#8e3b8e", "#0072b2", "#555555"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies
SERIES_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
HATCH = """<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#f1f1f1"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="2"/>
</pattern></defs>"""
HALF = 420  # a chart beside another: drawn narrower, so that its text prints at the same size
LABEL_WIDTH = 150  # a bar's label column
LABEL_CHARACTERS = 19  # of a bar's label at 12px in its column: longer labels wrap onto a second line


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    suppressed: bool = False
    colour: str = WOMEN
    target: float | None = None  # drawn as a marker (the UN parity target)
    attributes: Markup = Markup("")  # what the value is (figures.number_attributes)


def _svg(chart_id: str, title: str, description: str, height: int, body: str, width: int) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
                  f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
                  f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>'
                  f'{HATCH.format(id=chart_id + "-hatch")}{body}</svg>')


def formatted(w: Writer, value: float, unit: str) -> str:
    return w.percent(value) if unit == "percent" else w.number(value, 1) if unit == "per_1000" else w.count(value)


def _label(x: float, y: float, text: str, anchor: str = "end", characters: int = 0) -> str:
    """A label on one line, or wrapped onto lines of `characters` centred on `y` when it is longer."""
    lines = textwrap.wrap(text, characters or LABEL_CHARACTERS) or [""]
    first = y - 6.5 * (len(lines) - 1)
    return (f'<text x="{x}" y="{first:.1f}" text-anchor="{anchor}" class="label">{escape(lines[0])}'
            + "".join(f'<tspan x="{x}" dy="13">{escape(line)}</tspan>' for line in lines[1:]) + "</text>")


def bar_chart(w: Writer, chart_id: str, title: str, bars: list[Bar], unit: str = "percent",
              scale_max: float | None = None, width: int = HALF) -> Markup:
    """Horizontal bars, one per row, labelled with their value; percent scales to 100 unless told."""
    label_w, row_h, top = LABEL_WIDTH, 32, 10
    plot_w = width - label_w - 70
    known = [b.value for b in bars if b.value is not None] + [b.target for b in bars if b.target is not None]
    top_value = scale_max or (100.0 if unit == "percent" else max(known, default=1.0) or 1.0)
    parts = []
    for i, bar in enumerate(bars):
        y = top + i * row_h
        parts.append(_label(label_w - 8, y + 20, bar.label))
        if bar.suppressed:
            parts.append(f'<rect x="{label_w}" y="{y + 6}" width="{plot_w * 0.2:.1f}" height="20" '
                         f'fill="url(#{chart_id}-hatch)"/><text x="{label_w + plot_w * 0.2 + 6:.1f}" y="{y + 20}" '
                         f'class="note">{escape(w.text("withheld_short"))}</text>')
        elif bar.value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 20}" class="note">{escape(w.text("no_data"))}</text>')
        else:
            length = max(plot_w * bar.value / top_value, 1.0)
            parts.append(f'<rect x="{label_w}" y="{y + 6}" width="{length:.1f}" height="20" fill="{bar.colour}"/>'
                         f'<text x="{label_w + length + 6:.1f}" y="{y + 20}" class="value"{bar.attributes}>'
                         f'{escape(formatted(w, bar.value, unit))}</text>')
        if bar.target is not None:
            x = label_w + plot_w * bar.target / top_value
            parts.append(f'<line x1="{x:.1f}" y1="{y + 2}" x2="{x:.1f}" y2="{y + 30}" stroke="#222" stroke-width="2" '
                         f'stroke-dasharray="3 2"/>')
    height = top * 2 + row_h * len(bars)
    parts.append(f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{height - top}" stroke="#444"/>')
    described = "; ".join(f"{b.label}: " + (w.text("withheld_short") if b.suppressed else w.text("no_data")
                                               if b.value is None else formatted(w, b.value, unit)) for b in bars)
    return _svg(chart_id, title, described, height, "".join(parts), width)


def line_chart(w: Writer, chart_id: str, title: str, periods: list[str], series: dict[str, list[float | None]],
               unit: str = "percent", width: int = HALF) -> Markup:
    """One line per series over the quarters; a missing or withheld quarter breaks the line. The values
    are in the table beside it."""
    left, right, top = 44, 26, 12
    plot_w, plot_h = width - left - right, 130
    known = [v for values in series.values() for v in values if v is not None]
    top_value = max(10.0, (int(max(known, default=10.0) / 10) + 1) * 10.0)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w * i / max(len(periods) - 1, 1))
        return x, top + plot_h - plot_h * v / top_value
    parts = []
    for tick in range(0, int(top_value) + 1, max(int(top_value / 5), 1)):
        _, y = xy(0, tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis" data-kind="axis">'
                     f'{escape(formatted(w, tick, unit) if unit != "percent" else w.percent(tick, 0))}</text>')
    for i, period in enumerate(periods):
        x, _ = xy(i, 0)
        quarter = Period.parse(period)  # the quarter, and below it the year where one begins (and at the start)
        year = f'<tspan x="{x:.1f}" dy="12">{quarter.year}</tspan>' if i == 0 or quarter.quarter == 1 else ""
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 15}" text-anchor="middle" class="axis" data-kind="axis">'
                     f'{escape(w.text("quarter_axis", quarter=quarter.quarter))}{year}</text>')
    legend_top, column = top + plot_h + 44, (width - left) / 2
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
        # the legend below the plot, two entries a row, so that the quarters have the chart's whole width
        x, y = left + (n % 2) * column, legend_top + (n // 2) * 18
        parts.append(f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 17:.1f}" y="{y}" class="label">{escape(name)}</text>')
    latest = "; ".join(f"{name} {formatted(w, values[-1], unit)}" for name, values in series.items()
                       if values and values[-1] is not None)
    description = f"{w.quarter(periods[0])} – {w.quarter(periods[-1])}: {latest or w.text('no_data')}"
    height = legend_top + ((len(series) + 1) // 2) * 18 - 6
    return _svg(chart_id, title, description, int(height), "".join(parts), width)


def pyramid(w: Writer, chart_id: str, title: str,
            rows: list[tuple[str, int | None, int | None, bool, Markup, Markup]]) -> Markup:
    """Women to the left, men to the right, one row per rank band (highest first). rows:
    (band, women, men, withheld, women's attributes, men's attributes)."""
    width = HALF
    centre, row_h, top, half = width / 2, 28, 30, width / 2 - 90
    largest = max([n for _, wo, m, *_ in rows for n in (wo, m) if n is not None], default=1) or 1
    parts = [f'<text x="{centre - 40}" y="18" text-anchor="end" class="label" fill="{WOMEN}">'
             f'{escape(w.text("women"))}</text>',
             f'<text x="{centre + 40}" y="18" class="label" fill="{MEN}">{escape(w.text("men"))}</text>']
    for i, (band, women, men, withheld, women_attributes, men_attributes) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{centre}" y="{y + 18}" text-anchor="middle" class="label">{escape(band)}</text>')
        if withheld:
            parts.append(f'<rect x="{centre + 34}" y="{y + 4}" width="60" height="20" fill="url(#{chart_id}-hatch)"/>'
                         f'<text x="{centre + 100}" y="{y + 18}" class="note">{escape(w.text("withheld_short"))}</text>')
            continue
        for count, sign, colour, attributes in ((women, -1, WOMEN, women_attributes), (men, 1, MEN, men_attributes)):
            if count is None:
                continue
            length = max(half * count / largest, 1.0) if count else 0.0
            x = centre + 34 if sign > 0 else centre - 34 - length
            anchor_x = x + length + 5 if sign > 0 else x - 5
            parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="20" fill="{colour}"/>'
                         f'<text x="{anchor_x:.1f}" y="{y + 18}" class="value" '
                         f'text-anchor="{"start" if sign > 0 else "end"}"{attributes}>{escape(w.count(count))}</text>')
    described = "; ".join(f"{band}: " + (w.text("withheld_short") if s else f"{w.text('women')} {wo}, {w.text('men')} {m}")
                          for band, wo, m, s, *_ in rows)
    return _svg(chart_id, title, described, top + row_h * len(rows) + 8, "".join(parts), width)
