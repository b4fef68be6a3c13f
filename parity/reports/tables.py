"""A report's tables to take away: every public row the report draws on (the area's quarters, the
region's countries it is compared with), as CSV and XLSX beside the report. The same disclosure-
controlled numbers: a withheld row has its status and no number. Columns are the public table's
(language-neutral codes, as analysts query them) with the names in the report's language beside them,
and the release the numbers are read from."""
import csv
import os
from pathlib import Path

from openpyxl import Workbook

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
        value_name = v.breakdown_value if v.breakdown in ("nato_rank", "rank_band") else \
            _name(w, f"value.{v.breakdown}.{v.breakdown_value}", v.breakdown_value)
        return (v.indicator_code, _name(w, f"indicator.{v.indicator_code}", v.indicator_code), v.country_code,
                _name(w, f"country.{v.country_code}", v.country_code), v.period, v.breakdown,
                _name(w, f"breakdown.{v.breakdown}", v.breakdown), v.breakdown_value, value_name, *numbers, v.unit,
                v.obs_status, _name(w, f"obs_status.{v.obs_status}", v.obs_status), data.release)
    return [row(v) for v in sorted(data.values, key=lambda v: (v.indicator_code, v.country_code, v.period,
                                                                   v.breakdown, v.breakdown_value))]


def write_tables(data: ReportData, lang: str, stem: Path) -> tuple[Path, Path]:
    """<stem>.csv (UTF-8 with a byte order mark, which Excel needs to read it as UTF-8) and <stem>.xlsx."""
    table = rows(data, lang)
    path_csv, path_xlsx = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
    partial = path_csv.with_name(f".{path_csv.name}.partial")
    with partial.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(table)
    os.replace(partial, path_csv)
    book = Workbook()
    sheet = book.active
    sheet.title = data.period
    sheet.append(COLUMNS)
    for row in table:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    partial = path_xlsx.with_name(f".{path_xlsx.name}.partial")
    book.save(partial)
    os.replace(partial, path_xlsx)
    return path_csv, path_xlsx
