"""How big a delivery may be, and the checks that hold a hostile file to it before memory is spent.

A real quarter stays far below every default (the largest, SRB personnel at ten times today's
headcount, is about 41 MB and 297,000 rows of 9 columns with cells of under 100 characters).
Anything above is refused with a message instead of being read: a 30 KB workbook that declares
16,384 x 1,048,576 cells, a zip bomb, a 300 MB cell. What still gets past these checks meets the
memory and time limits of the reading process (parity/isolation.py).
"""
import re
import zipfile
from dataclasses import dataclass

from sources.errors import Problem, ReadError

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 64 * MIB  # a delivered file, as stored
    rows: int = 2_000_000  # data rows of one table
    cells_per_row: int = 64  # the widest table has 9 columns
    cell_chars: int = 1_000  # one cell's text
    unpacked_ratio: int = 16  # a workbook's XML may be this many times its file size, at most
    memory_bytes: int = 3 * 1024 * MIB  # address space of the reading process
    seconds: float = 600.0  # wall-clock time of the reading process

    def shape_problem(self, file: str, sheet: str | None, rows: int, columns: int, row: int | None = None) -> Problem:
        """A table of more rows or columns than the limits allow."""
        return Problem(file=file, sheet=sheet, row=row,
                       rule="too_many_rows" if rows > self.rows else "too_many_columns",
                       value=f"{rows:,}" if rows > self.rows else f"{columns:,}",
                       facts={"max_rows": f"{self.rows:,}", "max_columns": self.cells_per_row})

    def too_large(self, file: str, rule: str, value: str, **facts) -> ReadError:
        return ReadError([Problem(file=file, value=value, rule=rule, facts=facts)])


_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def check_workbook(archive: zipfile.ZipFile, file: str, size: int, limits: Limits) -> None:
    """Refuse a workbook whose unpacked size, declared sheet dimensions or longest shared string
    exceed the limits, reading only the archive's directory and streaming its XML."""
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > max(size, MIB) * limits.unpacked_ratio:
        raise limits.too_large(file, "workbook_too_large", f"{unpacked // MIB:,} MB", ratio=limits.unpacked_ratio)
    for info in archive.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            with archive.open(info) as stream:
                match = _DIMENSION.search(stream.read(64 * 1024))
            if match and match[3]:
                first, last = (match[1] or b"A").decode(), match[3].decode()
                cols = column_number(last) - column_number(first) + 1
                rows = int(match[4]) - int(match[2] or 1) + 1
                if rows > limits.rows + 1 or cols > limits.cells_per_row:
                    raise limits.too_large(file, "sheet_too_large", f"{rows:,} x {cols:,}",
                                           max_rows=f"{limits.rows + 1:,}", max_columns=limits.cells_per_row)
    # a text is a shared string (<si>) or written in its cell (<is>); XML escaping and UTF-8 take at
    # most 6 bytes a character, plus the markup of its runs
    for info in archive.infolist():
        element = b"si" if info.filename == "xl/sharedStrings.xml" else \
            b"is" if info.filename.startswith("xl/worksheets/") else None
        if element:
            with archive.open(info) as stream:
                longest = longest_element(stream, element)
            if longest > 6 * limits.cell_chars + 1024:
                raise limits.too_large(file, "cell_too_long", f"{longest:,} B", max_chars=f"{limits.cell_chars:,}")


def longest_element(stream, name: bytes, chunk: int = MIB) -> int:
    """The most bytes between an opening <name> (or <name ...>) and its closing tag in an XML
    stream, read a chunk at a time (no element is ever held whole)."""
    opening, closing = b"<" + name, b"</" + name + b">"
    keep = max(len(opening), len(closing))
    longest, start, consumed, offset, tail = 0, None, 0, 0, b""
    while block := stream.read(chunk):
        data, base = tail + block, offset - len(tail)
        offset += len(block)
        i = max(0, consumed - base)
        while True:
            tag = closing if start is not None else opening
            j = data.find(tag, i)
            if j < 0:
                break
            if start is None:
                start = base + j
            else:
                longest, start = max(longest, base + j - start), None
            i = j + len(tag)
            consumed = base + i
        if start is not None:
            longest = max(longest, offset - start)
        tail = data[-keep:]
    return longest
