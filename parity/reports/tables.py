"""A report's tables to take away: every public row the report draws on (the area's quarters, the
region's countries it is compared with), as CSV and XLSX beside the report. The same disclosure-
controlled numbers: a withheld row has its status and no number. Columns are the public table's
(language-neutral codes, as analysts query them) with the names in the report's language beside them,
and the release the numbers are read from."""
import csv
import io
from pathlib import Path

from openpyxl import Workbook

from parity.bi import SELF_NAMED
from parity.private import write_private
from parity.reports.data import ReportData, Value
from parity.reports.locale import Writer

COLUMNS = ("indicator_code", "indicator_name", "country_code", "country_name", "period", "breakdown",
           "breakdown_name", "breakdown_value", "breakdown_value_name", "numerator", "denominator", "value", "unit",
           "obs_status", "obs_status_meaning", "release_id")


def _name(w: Writer, key: str, fallback: str) -> str:
    return w.data_names().get(key, fallback)


def rows(data: ReportData, lang: str) -> list[tuple]:
    w = Writer(lang)

    def row(v: Value) -> tuple:
        numbers = (None, None, None) if v.suppressed else (v.numerator, v.denominator, v.value)
        value_name = v.breakdown_value if v.breakdown in SELF_NAMED else \
            _name(w, f"value.{v.breakdown}.{v.breakdown_value}", v.breakdown_value)
        return (v.indicator_code, _name(w, f"indicator.{v.indicator_code}", v.indicator_code), v.country_code,
                _name(w, f"country.{v.country_code}", v.country_code), v.period, v.breakdown,
                _name(w, f"breakdown.{v.breakdown}", v.breakdown), v.breakdown_value, value_name, *numbers, v.unit,
                v.obs_status, _name(w, f"obs_status.{v.obs_status}", v.obs_status), data.release)
    return [row(v) for v in sorted(data.values, key=lambda v: (v.indicator_code, v.country_code, v.period,
                                                                   v.breakdown, v.breakdown_value))]


def write_tables(data: ReportData, lang: str, stem: Path) -> tuple[Path, Path]:
    """<stem>.csv (UTF-8 with a byte order mark, which Excel needs to read it as UTF-8) and <stem>.xlsx,
    each written whole (private.write_private), as the report beside them."""
    table = rows(data, lang)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows(table)
    path_csv = write_private(stem.with_suffix(".csv"), text.getvalue().encode("utf-8-sig"))
    book = Workbook()
    sheet = book.active
    sheet.title = data.period
    sheet.append(COLUMNS)
    for row in table:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    saved = io.BytesIO()
    book.save(saved)
    return path_csv, write_private(stem.with_suffix(".xlsx"), saved.getvalue())
