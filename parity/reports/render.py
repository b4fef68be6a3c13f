"""A report's HTML, from its data and figures (templates/report.html.j2)."""
import datetime as dt
from pathlib import Path

import jinja2

from parity.clock import REAL
from parity.reports.data import ReportData
from parity.reports.figures import figures
from sources.dialect import DIALECTS

TIMELINESS_LABELS = {"on_time": "On time", "late": "Late", "missing": "Missing (overdue)",
                     "awaiting": "Not yet due", "not_watched": "No deadline configured"}
QUALITY_LABELS = {"accepted": "Accepted", "warnings": "Accepted with warnings", "partly": "Partly rejected",
                  "rejected": "Rejected", "none": "Nothing received"}
UNIT_LABELS = {"percent": "percent", "per_1000": "per 1,000", "count": "count"}

_environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                  autoescape=True, undefined=jinja2.StrictUndefined)


def sources(data: ReportData) -> dict[str, str]:
    """Per table name: the accepted version each country's figures came from."""
    described = {}
    for table in ("personnel", "recruitment", "separations", "deployments", "trainings", "complaints"):
        parts = []
        for status in data.statuses:
            used = next((t for t in status.tables if t.table_name == table), None)
            parts.append(f"{status.country_code} {data.period} {table} "
                         + (f"version {used.version}, received {used.received_at:%Y-%m-%d}" if used else "not reported"))
        described[table] = "; ".join(parts)
    return described


def tables_in_use(status) -> str:
    """'received 2025-01-12: personnel v1, trainings v2; received ...', grouped by day of receipt."""
    by_day = {}
    for t in status.tables:
        by_day.setdefault(f"{t.received_at:%Y-%m-%d}", []).append(f"{t.table_name} v{t.version}")
    return "; ".join(f"received {day}: {', '.join(tables)}" for day, tables in sorted(by_day.items())) or "none"


def title(data: ReportData) -> str:
    return f"Women in the armed forces: {data.area_name}, {data.period}"


def render_html(data: ReportData, built_at: dt.datetime, clock_label: str = REAL) -> str:
    """The report; a clock that was set (the demo's) is named beside the time it stamped (parity/clock.py)."""
    return _environment.get_template("report.html.j2").render(
        title=title(data), data=data, tables_in_use=tables_in_use, figures=figures(data), sources=sources(data),
        all_country_names=", ".join(data.country_names[c] for c in sorted(DIALECTS) if c in data.country_names),
        member_names=", ".join(data.country_names.get(c, c) for c in data.countries),
        built_at=f"{built_at:%Y-%m-%d %H:%M} UTC" + ("" if clock_label == REAL else f" (clock {clock_label})"),
        fingerprint=data.fingerprint(),
        timeliness_labels=TIMELINESS_LABELS, quality_labels=QUALITY_LABELS, unit_labels=UNIT_LABELS)
