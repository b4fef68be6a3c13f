"""The one reader: any MoD delivery -> canonical pandas DataFrames, one per table.

Every dialect difference comes from its description (`sources/dialects/*.toml`); this module only
knows the two containers (CSV text, XLSX workbook) and the canonical column kinds. Each row keeps
where the MoD sees it (`source_row`: the CSV line, the sheet row; the header is 1), so that every
message can point at file, sheet, row and column instead of quoting a registration number.
"""
import contextlib
import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sources.dialect import DIALECTS, Dialect, dialect_for
from sources.errors import HasProblems, Problem, ReadError
from sources.limits import MIB, Limits, check_workbook
from sources.period import Period
from sources.tables import TABLES, Column
from sources.text import clean, serbian_latin

DEFAULT_TIMEZONE = "Europe/Belgrade"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class DeliveryName:
    """What a delivery's file name says: country, quarter and (for CSV) table."""
    path: Path
    country: str
    period: str
    table: str | None  # None: a workbook holding several tables
    delivered_as: str | None = None  # the name in the inbox, when `path` is a copy of the file

    @property
    def file(self) -> str:
        return self.delivered_as or self.path.name

    @property
    def dialect(self) -> Dialect:
        return dialect_for(self.country)


@dataclass
class ExtractTable(HasProblems):
    """One table of a delivery, read. `frame` is None when the table is rejected."""
    country: str
    period: str
    table: str
    file: str
    sheet: str | None
    frame: pd.DataFrame | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.frame is not None and not self.errors


def parse_delivery_name(path: Path | str, country: str | None = None) -> DeliveryName:
    """Recognise a delivery by its file name, exactly as the spec's patterns write it. `country` (the
    inbox's, or the one asked for) chooses the example a misnamed file is answered with."""
    path = Path(path)
    for dialect in DIALECTS.values():
        match = dialect.name_regex.fullmatch(path.name)
        if match and match["country"] == dialect.country:
            table = match.groupdict().get("table")
            if table is not None and table not in TABLES:
                break
            return DeliveryName(path, dialect.country, match["period"], table)
    raise ReadError([_misnamed(path.name, country)])


def exact_delivery_name(name: str, country: str | None = None) -> DeliveryName:
    """parse_delivery_name for a name that came apart from its file (an upload's): it must be exactly
    a dialect's name, with no folder and no other spelling, or it is a misnamed file."""
    delivery = parse_delivery_name(name, country)
    if delivery.dialect.file_name(delivery.period, delivery.table) != name:
        raise ReadError([_misnamed(name, country)])
    return delivery


def _misnamed(name: str, country: str | None) -> Problem:
    return Problem(file=name, value=name, rule="file_name",
                   facts={"example": example_names(country), "tables": ", ".join(TABLES)})


def example_names(country: str | None = None) -> str:
    """A right name for a delivery of `country` (every country's when None), of the last quarter of
    2024: what a message shows instead of a name template."""
    dialects = [DIALECTS[country]] if country in DIALECTS else DIALECTS.values()
    return ", ".join(d.file_name("2024Q4", None if d.container == "xlsx" else "personnel") for d in dialects)


def read_delivery(path: Path | str, *, name: str | None = None, inbox_country: str | None = None,
                  now: dt.datetime | None = None, timezone: str = DEFAULT_TIMEZONE,
                  limits: Limits | None = None) -> list[ExtractTable]:
    """Read one delivered file into its tables. `name` is the name it was delivered under when
    `path` is a copy (the archive's).

    Raises ReadError for what rejects the whole file (its name, country or quarter, its size, a
    workbook that cannot be opened); problems of one table are kept on that table.
    """
    limits = limits or Limits()
    delivery = parse_delivery_name(name or path, inbox_country)
    delivery = DeliveryName(Path(path), delivery.country, delivery.period, delivery.table, delivery.path.name)
    _check_name(delivery, inbox_country, now or dt.datetime.now(dt.UTC), timezone)
    size = delivery.path.stat().st_size
    if size > limits.file_bytes:
        raise limits.too_large(delivery.file, "file_too_large", f"{size // MIB:,} MB",
                               max_mb=f"{limits.file_bytes // MIB:,}")
    if delivery.dialect.container == "xlsx":
        return _read_workbook(delivery, size, limits)
    return [_read_csv(delivery, limits)]


def _check_name(name: DeliveryName, inbox_country: str | None, now: dt.datetime, timezone: str) -> None:
    file = name.file
    if inbox_country is not None and name.country != inbox_country:
        raise ReadError([Problem(file=file, value=name.country, rule="wrong_inbox",
                                 facts={"inbox": inbox_country, "country": name.country})])
    if not Period.parse(name.period).has_ended(now, timezone):
        raise ReadError([Problem(file=file, value=name.period, rule="quarter_not_ended",
                                 facts={"timezone": timezone})])


# --- containers -----------------------------------------------------------------------------

def _read_csv(name: DeliveryName, limits: Limits) -> ExtractTable:
    dialect, file = name.dialect, name.file
    out = ExtractTable(name.country, name.period, name.table, file, None, None)
    try:
        text = _decode(name.path.read_bytes(), dialect, file)
    except ReadError as e:
        out.problems.extend(e.problems)
        return out
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
    rows, previous_end = [], 0
    with _field_size_limit(limits.cell_chars):
        try:
            for cells in reader:
                row = previous_end + 1  # the line where the record starts
                if len(rows) > limits.rows or len(cells) > limits.cells_per_row:  # stop before holding more
                    out.problems.append(limits.shape_problem(file, None, len(rows), len(cells), row))
                    return out
                rows.append((row, cells))
                previous_end = reader.line_num
        except csv.Error as e:
            too_long = "field larger than field limit" in str(e)
            out.problems.append(Problem(file=file, row=previous_end + 1, rule="cell_too_long" if too_long else "csv_quotes",
                                        facts={"max_chars": f"{limits.cell_chars:,}"}))
            return out
    return _parse_table(dialect, None, rows, out, width_checked=True, limits=limits)


@contextlib.contextmanager
def _field_size_limit(chars: int):
    """csv's limit of a field's length (process-wide, so it is put back after)."""
    before = csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _decode(data: bytes, dialect: Dialect, file: str) -> str:
    encoding = ENCODING_NAMES.get(dialect.encoding, dialect.encoding)

    def problem(rule: str, row: int | None = None, value: str | None = None) -> ReadError:
        return ReadError([Problem(file=file, row=row, value=value, rule=rule, facts={"encoding": encoding})])

    if data.startswith(_ZIP_MAGIC):
        raise problem("not_csv", value="XLSX/ZIP")
    if b"\x00" in data:
        raise problem("not_csv", value="0x00")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        if dialect.encoding != "utf-8":
            raise problem("wrong_encoding", value="UTF-8 (BOM)")
    if dialect.encoding != "utf-8" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise problem("wrong_encoding", value="UTF-8")
    try:
        return data.decode(dialect.encoding)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise problem("wrong_encoding", row=line, value=f"0x{data[e.start]:02X}") from None


# The names people know the agreed encodings by (what a spreadsheet's export dialog offers).
ENCODING_NAMES = {"utf-8": "UTF-8", "cp1251": "Windows-1251"}


def _read_workbook(name: DeliveryName, size: int, limits: Limits) -> list[ExtractTable]:
    from python_calamine import CalamineWorkbook

    dialect, file = name.dialect, name.file
    try:
        with name.path.open("rb") as f:
            if f.read(4) != _ZIP_MAGIC:
                raise ValueError("not a ZIP container")
        with zipfile.ZipFile(name.path) as archive:
            check_workbook(archive, file, size, limits)  # before calamine allocates what the file declares
        workbook = CalamineWorkbook.from_path(str(name.path))
    except ReadError:
        raise
    except Exception as e:  # zipfile and calamine raise their own error types for every broken workbook
        raise ReadError([Problem(file=file, value=type(e).__name__, rule="not_workbook")]) from None
    by_sheet = {sheet: table for table, sheet in dialect.sheets.items()}
    by_key = {dialect.key(sheet): sheet for sheet in by_sheet}
    tables, unknown = [], []
    for sheet in workbook.sheet_names:
        canonical_sheet = by_key.get(dialect.key(sheet))
        if canonical_sheet is None:
            unknown.append(sheet)
            continue
        table = by_sheet[canonical_sheet]
        out = ExtractTable(name.country, name.period, table, file, sheet, None)
        cells = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        tables.append(_parse_table(dialect, sheet, list(enumerate(cells, start=1)), out, width_checked=False,
                                   limits=limits))
    sheets = {"sheets": ", ".join(dialect.sheets.values())}
    if not tables:
        raise ReadError([Problem(file=file, value=", ".join(workbook.sheet_names), rule="no_sheets", facts=sheets)])
    for sheet in unknown:  # said once, on the workbook's first table (a report lists each problem once)
        tables[0].problems.append(Problem(file=file, sheet=sheet, severity="warning", value=sheet,
                                          rule="unknown_sheet", facts=sheets))
    return tables


# --- one table --------------------------------------------------------------------------------

def _is_empty(cell) -> bool:
    return cell is None or (isinstance(cell, str) and clean(cell) == "")


def _parse_table(dialect: Dialect, sheet: str | None, rows: list[tuple[int, list]], out: ExtractTable,
                 width_checked: bool, limits: Limits) -> ExtractTable:
    file, table = out.file, TABLES[out.table]

    def problem(rule: str, facts: dict | None = None, **kw) -> Problem:
        return Problem(file=file, sheet=sheet, rule=rule, facts=facts or {}, **kw)

    while rows and all(_is_empty(c) for c in rows[-1][1]):
        rows.pop()  # empty trailing rows are ignored
    if not rows:
        out.problems.append(problem("empty_table"))
        return out
    widest = max(len(cells) for _, cells in rows)
    if len(rows) - 1 > limits.rows or widest > limits.cells_per_row:
        out.problems.append(limits.shape_problem(file, sheet, len(rows) - 1, widest))
        return out
    header_row, header = rows[0]
    if width_checked and (separator := _other_delimiter(dialect, out.table, header)):
        out.problems.append(problem("wrong_delimiter", {"delimiter": dialect.delimiter}, row=header_row,
                                    value=separator))
        return out
    columns = _map_header(dialect, out.table, header, header_row, problem, out.problems)
    if out.errors:
        return out
    data = rows[1:]
    if width_checked:
        for row_no, cells in data:
            if len(cells) != len(header):
                out.problems.append(problem("field_count", {"fields": len(header), "delimiter": dialect.delimiter},
                                            row=row_no, value=len(cells)))
        if out.errors:
            return out
    for i, cell in enumerate(header):
        if _is_empty(cell) and any(i < len(cells) and not _is_empty(cells[i]) for _, cells in data):
            out.problems.append(problem("unnamed_column", row=header_row, column=f"#{i + 1}", severity="warning"))
    width = len(header)  # every CSV row was checked to have it; a sheet's rows all span its width
    transposed = list(zip(*(cells[:width] + [None] * (width - len(cells)) for _, cells in data))) or [()] * width
    frame = pd.DataFrame({col.name: pd.Series(transposed[i], dtype=object) for col, i in columns})
    source_rows = pd.Series([r for r, _ in data], dtype="int64")
    converted = {}
    for col, i in columns:
        header_text = clean(str(header[i]))
        converted[col.name] = _convert(dialect, col, frame[col.name], source_rows, limits,
                                       lambda rule, facts=None, header_text=header_text, **kw: out.problems.append(
                                           problem(rule, facts, column=header_text, **kw)))
    # kept with its cells' errors (a cell that did not convert is empty): the suites check the rest of
    # the table too, so that every problem of a file is told at once; a table with errors is never stored
    result = pd.DataFrame(converted)[table.column_names]
    result.insert(0, "source_row", source_rows)
    out.frame = result
    return out


def _map_header(dialect: Dialect, table: str, header: list, header_row: int, problem, problems: list[Problem]):
    index = dialect.header_index(table)
    expected_headers = dialect.headers[table]
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        if _is_empty(cell):
            continue  # an unnamed column is reported by _parse_table if it holds data
        text = clean(str(cell))
        col = index.get(dialect.key(text))
        if col is None:
            problems.append(problem("extra_column", row=header_row, column=text, severity="warning", value=text))
        elif col in found:
            problems.append(problem("repeated_header", {"header": expected_headers[col]}, row=header_row, column=text,
                                    value=text))
        else:
            found[col] = i
    for col, header_text in expected_headers.items():
        if col not in found:
            problems.append(problem("missing_header", {"header": header_text}, row=header_row, column=header_text))
    columns = TABLES[table].columns
    return [(c, found[c.name]) for c in columns if c.name in found]


def _per_unique(values: pd.Series, fn, na=None) -> pd.Series:
    """fn applied once per distinct value (code columns hold a handful over many rows); empty
    cells (None, NaN) give `na`."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques] + [na], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _convert(dialect: Dialect, col: Column, values: pd.Series, rows: pd.Series, limits: Limits,
             report) -> pd.Series:
    """Turn one column's raw cells into canonical values; report every cell that does not fit."""
    empty = _per_unique(values, _is_empty, na=True).astype(bool)
    if not col.optional:
        for row in rows[empty]:
            report("value_required", row=int(row))
    present = ~empty
    cells = values[present]

    if col.kind in ("code", "rank"):
        index = dialect.rank_index if col.kind == "rank" else dialect.code_index(col.code_list)
        keys = _per_unique(cells, lambda v: index.get(dialect.key(str(v))))
        if keys.isna().any():
            rule = "rank_known" if col.kind == "rank" else "code_list"
            facts = {"country": dialect.country} if col.kind == "rank" else {"values": ", ".join(dialect.labels(col.code_list))}
            for row, raw in zip(rows[present][keys.isna()], cells[keys.isna()]):
                report(rule, facts, row=int(row), value=clean(str(raw)))
        return keys.reindex(values.index)

    if col.kind == "date":
        return _convert_dates(dialect, values, present, rows, report)

    if col.kind == "year":
        as_text = _per_unique(cells, _year_text)
        parsed = pd.to_numeric(as_text.where(as_text.str.fullmatch(r"\d{4}")), errors="coerce")
        for row, raw in zip(rows[present][parsed.isna()], cells[parsed.isna()]):
            report("year_format", row=int(row), value=str(raw))
        return parsed.reindex(values.index).astype("Int64")

    texts = _per_unique(cells, _cell_text)
    present_rows = rows[present]
    for row in present_rows[texts.str.len() > limits.cell_chars]:
        report("cell_too_long", {"max_chars": f"{limits.cell_chars:,}"}, row=int(row))
    if col.kind != "person":
        # a registration number where the spec has none would reach the warehouse in clear
        shaped = _per_unique(texts, dialect.looks_like_personnel_no).astype(bool)
        for row in present_rows[shaped]:
            report("personnel_no_elsewhere", row=int(row))
    if col.kind == "person":
        # The spec's normal form for pseudonymisation: trimmed, upper case, Serbian Cyrillic in Latin.
        texts = _per_unique(texts, lambda v: (serbian_latin(v) if dialect.transliterate else v).upper())
    return texts.reindex(values.index)


def _cell_text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a number typed into a workbook cell
    return clean(str(cell))


def _year_text(cell) -> str:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and float(cell).is_integer():
        return str(int(cell))
    return clean(str(cell))


def _convert_dates(dialect: Dialect, values: pd.Series, present: pd.Series, rows: pd.Series, report) -> pd.Series:
    cells = values[present]
    if dialect.date_style == "excel":
        as_date = _per_unique(cells, lambda c: c.date() if isinstance(c, dt.datetime) else
                              c if isinstance(c, dt.date) else None)
        ok = as_date.notna()
        parsed = pd.to_datetime(as_date[ok])
        for row, raw in zip(rows[present][~ok], cells[~ok]):
            report("excel_date", row=int(row), value=_cell_text(raw))
        return parsed.reindex(values.index).astype("datetime64[ns]")
    text = _per_unique(cells, _cell_text)
    parsed = pd.to_datetime(text, format=dialect.date_style, errors="coerce")
    # strptime forgives missing leading zeros; the agreed style does not
    shaped = text.str.fullmatch(_date_shape(dialect.date_style)).astype(bool)
    ok = parsed.notna() & shaped
    facts = {"example": date_example(dialect)}
    for row, raw, right_shape in zip(rows[present][~ok], text[~ok], shaped[~ok]):
        # written in the agreed style, but no such day (2019-02-31): said as such, not as a format
        report("no_such_date" if right_shape else "date_format", facts, row=int(row), value=raw)
    return parsed[ok].reindex(values.index).astype("datetime64[ns]")


def date_example(dialect: Dialect) -> str:
    """A date in the dialect's agreed style whose day cannot be taken for the month (25 March 2024)."""
    return dt.date(2024, 3, 25).strftime(dialect.date_style)


def _date_shape(style: str) -> str:
    """A regular expression of the digits' places in a strptime style (%d.%m.%Y -> dd.dd.dddd)."""
    widths = {"%d": 2, "%m": 2, "%Y": 4}
    return "".join(rf"\d{{{widths[part]}}}" if part in widths else re.escape(part)
                   for part in re.split(r"(%[dmY])", style) if part)


_SEPARATORS = (",", ";", "\t", "|")


def _other_delimiter(dialect: Dialect, table: str, header: list) -> str | None:
    """The separator a CSV file was written with when it is not the agreed one: its header, split by
    that separator, names more of the agreed columns than split by the agreed one (a header that
    matches as it is returns None)."""
    index = dialect.header_index(table)

    def known(cells) -> int:
        return len({index[k] for c in cells if (k := dialect.key(clean(str(c)))) in index})

    as_split = known(header)
    if as_split == len(index):
        return None
    line = dialect.delimiter.join("" if c is None else str(c) for c in header)
    best = max(((known(line.split(sep)), sep) for sep in _SEPARATORS if sep != dialect.delimiter), default=(0, None))
    return best[1] if best[0] > max(as_split, len(index) // 2) else None
