"""Writing the quarterly reports: $PARITY_HOME/reports/<quarter>/parity_<area>_<quarter>_<lang>.html and
.pdf, with the report's tables beside them as .csv and .xlsx. A country's report is written in its
language and in English; a region's in all five."""
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from parity import disclosure
from parity.config import Config, Settings
from parity.messages import LANGUAGES
from parity.private import write_private
from parity.regions import areas as all_areas
from parity.regions import regions
from parity.reports.data import ReportData, load_report_data
from parity.reports.pdf import print_pdf
from parity.reports.render import render_html
from parity.reports.tables import write_tables
from sources.dialect import DIALECTS


@dataclass(frozen=True)
class BuiltReport:
    area: str
    period: str
    lang: str
    html: Path
    pdf: Path | None
    csv: Path
    xlsx: Path
    fingerprint: str


def report_dir(settings: Settings, period: str) -> Path:
    return settings.home / "reports" / period


def report_languages(area: str) -> tuple[str, ...]:
    """A country's report in its language and English; a region's in every language (English first)."""
    if area in regions() or area not in DIALECTS:
        return tuple(LANGUAGES)
    return (DIALECTS[area].language, "en") if DIALECTS[area].language != "en" else ("en",)


def assert_controlled(data: ReportData, limit: int) -> None:
    """The public rows carry no small cell; checked again here because a report leaves the zone."""
    for v in data.values:
        if not v.suppressed and disclosure.is_small(v.numerator, v.denominator, limit):
            raise disclosure.DisclosureError(
                f"{v.indicator_code} {v.country_code} {v.period} {v.breakdown}={v.breakdown_value} shows "
                f"{v.numerator} of {v.denominator}: rebuild the marts; no report was written")


def build_report(settings: Settings, config: Config, area: str, period: str, pdf: bool = True,
                 now: dt.datetime | None = None, languages: tuple[str, ...] | None = None) -> list[BuiltReport]:
    """The report of `area` for `period` in each of its languages (or those asked for)."""
    now = now or settings.clock.now()
    data = load_report_data(settings, config, area, period, now)
    assert_controlled(data, settings.disclosure_threshold)
    out = report_dir(settings, period)
    out.mkdir(parents=True, exist_ok=True)
    built = []
    for lang in languages or report_languages(area):
        stem = out / f"parity_{area}_{period}_{lang}"
        html = stem.with_suffix(".html")
        write_private(html, render_html(data, lang, now, settings.clock.label, report_languages(area)).encode())
        csv, xlsx = write_tables(data, lang, stem)
        pdf_path = None
        if pdf:
            pdf_path = stem.with_suffix(".pdf")
            print_pdf(html, pdf_path, settings.chromium)
        built.append(BuiltReport(area, period, lang, html, pdf_path, csv, xlsx, data.fingerprint()))
    return built


def build_reports(settings: Settings, config: Config, period: str, areas: tuple[str, ...] | None = None, pdf: bool = True,
                  now: dt.datetime | None = None, languages: tuple[str, ...] | None = None) -> list[BuiltReport]:
    """The reports of `areas` (default: every country and region) for `period`."""
    return [report for area in areas or all_areas()
            for report in build_report(settings, config, area, period, pdf, now, languages)]
