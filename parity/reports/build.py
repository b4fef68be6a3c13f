"""Writing the quarterly reports: $PARITY_HOME/reports/<quarter>/parity_<area>_<quarter>.html and .pdf."""
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from parity import disclosure
from parity.config import Config, Settings
from parity.regions import areas as all_areas
from parity.reports.data import ReportData, load_report_data
from parity.reports.pdf import print_pdf
from parity.reports.render import render_html


@dataclass(frozen=True)
class BuiltReport:
    area: str
    period: str
    html: Path
    pdf: Path | None
    fingerprint: str


def report_dir(settings: Settings, period: str) -> Path:
    return settings.home / "reports" / period


def assert_controlled(data: ReportData, limit: int) -> None:
    """The public rows carry no small cell; checked again here because a report leaves the zone."""
    for v in data.values:
        if not v.suppressed and disclosure.is_small(v.numerator, v.denominator, limit):
            raise disclosure.DisclosureError(
                f"{v.indicator_code} {v.country_code} {v.period} {v.breakdown}={v.breakdown_value} shows "
                f"{v.numerator} of {v.denominator}: rebuild the marts; no report was written")


def build_report(settings: Settings, config: Config, area: str, period: str, pdf: bool = True,
                 now: dt.datetime | None = None) -> BuiltReport:
    now = now or settings.clock.now()
    data = load_report_data(settings, config, area, period, now)
    assert_controlled(data, settings.disclosure_threshold)
    out = report_dir(settings, period)
    out.mkdir(parents=True, exist_ok=True)
    html = out / f"parity_{area}_{period}.html"
    partial = html.with_name(f".{html.name}.partial")
    partial.write_text(render_html(data, now, settings.clock.label), encoding="utf-8")
    os.replace(partial, html)
    pdf_path = None
    if pdf:
        pdf_path = html.with_suffix(".pdf")
        print_pdf(html, pdf_path, settings.chromium)
    return BuiltReport(area, period, html, pdf_path, data.fingerprint())


def build_reports(settings: Settings, config: Config, period: str, areas: tuple[str, ...] | None = None, pdf: bool = True,
                  now: dt.datetime | None = None) -> list[BuiltReport]:
    """The reports of `areas` (default: every country and region) for `period`."""
    return [build_report(settings, config, area, period, pdf, now) for area in areas or all_areas()]
