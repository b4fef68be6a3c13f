"""Canonical tables -> a MoD's files, exactly in its dialect (the reader's inverse).

Uses the same dialect descriptions as the reader, so a fifth country's deliveries can be generated
from its TOML alone. Adds the variation the spec allows: case and surrounding spaces in headers and
codes, and in Serbia Latin-script cells and headers beside the Cyrillic ones.
"""
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from sources.dialect import Dialect
from sources.period import Period
from sources.tables import COMMON_CODES, TABLES
from sources.text import serbian_latin

NOISE_RATE = 0.01  # of code cells written in another case or with surrounding spaces
LATIN_RATE = 0.15  # of SRB cells written in Latin script
_LATIN_TO_CYRILLIC_ID = str.maketrans("VSMOKPRZ", "ВСМОКПРЗ")  # letters of registration prefixes


def _noise(values: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    out = values.copy()
    hit = np.flatnonzero((rng.random(len(out)) < rate) & pd.notna(out))
    styles = rng.integers(0, 4, size=len(hit))
    for i, style in zip(hit, styles):
        v = out[i]
        out[i] = (v.upper(), v.lower(), f"  {v} ", f"\u00a0{v}")[style]
    return out


def _latin(values: np.ndarray, rng: np.random.Generator, rate: float = LATIN_RATE) -> np.ndarray:
    out = values.copy()
    for i in np.flatnonzero((rng.random(len(out)) < rate) & pd.notna(out)):
        out[i] = serbian_latin(out[i])
    return out


def render(dialect: Dialect, table: str, frame: pd.DataFrame, rng: np.random.Generator,
           excel_dates: bool = False) -> tuple[list[str], list[np.ndarray]]:
    """Header texts and columns of cell values as the MoD writes them."""
    headers, columns = [], []
    for col in TABLES[table].columns:
        header = dialect.headers[table][col.name]
        if dialect.transliterate and rng.random() < 0.25:
            header = serbian_latin(header)
        if rng.random() < 0.1:
            header = header.upper() if rng.random() < 0.5 else f" {header}\u00a0"
        headers.append(header)
        values = frame[col.name].to_numpy(dtype=object) if len(frame) else np.empty(0, dtype=object)
        if col.kind == "code":
            labels = dialect.codes.get(col.code_list) or COMMON_CODES[col.code_list]
            values = np.array([None if pd.isna(v) else labels[v][rng.integers(len(labels[v]))] for v in values],
                              dtype=object)
            values = _noise(values, rng, NOISE_RATE)
        elif col.kind == "date":
            dates = pd.to_datetime(pd.Series(values, dtype="datetime64[ns]"))
            if excel_dates:
                values = np.array([None if pd.isna(d) else d.date() for d in dates], dtype=object)
            else:
                values = dates.dt.strftime(dialect.date_style).to_numpy(dtype=object)
        if dialect.transliterate and col.kind in ("code", "rank", "text"):
            values = _latin(values, rng)
        if dialect.transliterate and col.kind == "person":
            values = np.array([v.translate(_LATIN_TO_CYRILLIC_ID) if rng.random() < 0.03 else v for v in values],
                              dtype=object)
        columns.append(values)
    return headers, columns


def _cell(v):
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else v


def write_quarter(dialect: Dialect, period: Period, tables: dict[str, pd.DataFrame], out_dir: Path,
                  rng: np.random.Generator) -> list[Path]:
    """Write one quarter's delivery into out_dir/<CC>/; each file appears whole (rename)."""
    folder = out_dir / dialect.country
    folder.mkdir(parents=True, exist_ok=True)
    if dialect.container == "xlsx":
        return [_write_workbook(dialect, period, tables, folder, rng)]
    written = []
    for table, frame in tables.items():
        headers, columns = render(dialect, table, frame, rng)
        target = folder / dialect.file_name(str(period), table)
        partial = target.with_name(target.name + ".partial")
        encoding = "utf-8-sig" if dialect.bom else dialect.encoding
        with partial.open("w", encoding=encoding, newline="") as f:
            writer = csv.writer(f, delimiter=dialect.delimiter, lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows([_cell(v) for v in row] for row in zip(*columns))
        partial.replace(target)
        written.append(target)
    return written


def _write_workbook(dialect: Dialect, period: Period, tables: dict[str, pd.DataFrame], folder: Path,
                    rng: np.random.Generator) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for table, frame in tables.items():
        sheet = workbook.create_sheet(dialect.sheets[table])
        headers, columns = render(dialect, table, frame, rng, excel_dates=True)
        sheet.append(headers)
        date_cols = [i for i, c in enumerate(TABLES[table].columns) if c.kind == "date"]
        for row in zip(*columns):
            cells = [None if _cell(v) == "" else v for v in row]
            for i in date_cols:
                if cells[i] is not None:
                    cell = WriteOnlyCell(sheet, value=cells[i])
                    cell.number_format = "DD.MM.YYYY"
                    cells[i] = cell
            sheet.append(cells)
    target = folder / dialect.file_name(str(period))
    partial = target.with_name(target.name + ".partial")
    workbook.save(partial)
    partial.replace(target)
    return target
