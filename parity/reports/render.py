"""A report's HTML in one language, from its data (templates/report.html.j2): page 1 the factsheet
(headline figures, key messages, the quarter's deliveries), then one section per indicator family.

What a reader sees is in their language; what identifies the file (its fingerprint, the release, the
area, the definitions it follows) is in its <meta> tags, not on the page.
"""
import datetime as dt
import re
from pathlib import Path

import jinja2

from parity.clock import REAL
from parity.reports.data import ReportData
from parity.reports.factsheet import headlines, key_messages
from parity.reports.figures import Numbers, sections
from parity.reports.locale import Writer

# the HTML language tag of each of parity's languages (BCP 47): Serbian is written in Cyrillic here
HTML_LANG = {"en": "en", "bs": "bs", "cnr": "cnr", "mk": "mk", "sr": "sr-Cyrl"}
DEFINITIONS = "shared/spec/indicators.md"

_environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                  autoescape=True, undefined=jinja2.StrictUndefined)


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_counter(w: Writer) -> str:
    """CSS `content` for "Page 2 of 4" in the language: its text with the page counters in place."""
    parts = re.split(r"(\{page\}|\{pages\})", w.template("page_of"))
    return " ".join(css_string(p) if not p.startswith("{") else f"counter({p[1:-1]})" for p in parts if p)


def title(w: Writer, data: ReportData) -> str:
    return w.text("title", area=w.data_name(f"country.{data.area}"), quarter=w.quarter(data.period))


def render_html(data: ReportData, lang: str, built_at: dt.datetime, clock_label: str = REAL,
                languages: tuple[str, ...] = ()) -> str:
    """The report in `lang`; a clock that was set (the demo's) is named beside the time it stamped.
    `languages`: those the same report is written in, named (by their own names) on page 1."""
    w = Writer(lang)
    others = [Writer(other).language_name() for other in languages if other != lang]
    n = Numbers(w, data)
    heading = title(w, data)
    built = w.date(built_at.date()) + ("" if clock_label == REAL else f" ({clock_label})")
    return _environment.get_template("report.html.j2").render(
        w=w, data=data, html_lang=HTML_LANG[lang], lang=lang, title=heading,
        running_header=css_string(f"parity · {heading}"), page_counter=page_counter(w),
        headlines=headlines(n), messages=key_messages(n), sections=sections(w, data),
        members=", ".join(w.data_name(f"country.{c}") for c in data.countries),
        release=w.text("release_line", release=data.release, date=w.date(data.released_at.date()))
        if data.release else w.text("no_release"),
        built=built, fingerprint=data.fingerprint(), definitions=DEFINITIONS,
        also_in=w.text("also_in", languages=", ".join(others)) if others else "")
