"""What of a delivery may be echoed back to people: a short, printable text with no registration number.

Every value a message shows comes from a file someone else wrote. Before it is shown anywhere (the
focal point's e-mail and report, the registry, logs, Dagster events) it passes `shown`: control and
format characters go (they can hide text or break a log line), anything shaped like a registration
number of any MoD is masked, wherever in the text and whichever column it stood in, and the rest is
cut to a length that still lets the reader recognise the cell.
"""
import re
import unicodedata
from functools import cache

MAX_SHOWN = 60
MASK = "█████"  # the same in every language: what the row and column point at is not shown


@cache
def _registration_numbers() -> re.Pattern:
    from sources.dialect import DIALECTS

    shapes = "|".join(f"(?:{d.personnel_no_shape})" for d in DIALECTS.values())
    # no word boundaries: a number glued to other text is masked too
    return re.compile(shapes, re.IGNORECASE)


def printable(text: str) -> str:
    """`text` with a space for each control, format, line- or paragraph-separator character."""
    return "".join(" " if unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" else c for c in text)


def mask_registration_numbers(text: str) -> str:
    return _registration_numbers().sub(MASK, text)


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """A value from a file as it may be echoed: printable, masked, at most `limit` characters."""
    text = mask_registration_numbers(printable(text))
    return text if len(text) <= limit else text[:limit - 1] + "…"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_cell(text: str) -> str:
    """A cell of a CSV or workbook made for people: a text a spreadsheet would run as a formula
    (=HYPERLINK(...), +cmd|..., @SUM, their full-width twins) starts with an apostrophe instead, and
    is shown as written."""
    return "'" + text if text.startswith(_FORMULA_START) else text
