"""Problems found in a delivery, phrased for the focal point who has to fix the file."""
from dataclasses import dataclass

from sources.redact import shown

# What a message may show of a value: a cell as written (a unit's name, a date) or the gate's own
# detail of a cross-quarter step (a category, two shares, two quarters: about 130 characters).
VALUE_LIMIT = 160


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a delivery, located as the MoD sees its file.

    `value` is what was found, or None where showing it would disclose a registration number.
    What comes from the file (its name, sheet, column header, value) is kept only as it may be
    shown (sources/redact.py): whatever builds a Problem, no message can echo a registration
    number, a control character or a megabyte-long cell.
    """
    file: str
    expected: str
    fix: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"  # "error" rejects the table, "warning" lets it in
    rule: str | None = None  # which rule: names the message in the focal point's language

    def __post_init__(self):
        for name, limit in (("file", 120), ("sheet", 60), ("column", 60), ("value", VALUE_LIMIT)):
            text = getattr(self, name)
            if text is not None:
                object.__setattr__(self, name, shown(str(text), limit))

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def message(self) -> str:
        found = "" if self.value is None else f"found {self.value!r}; "
        return f"{self.location()}: {found}expected {self.expected}. {self.fix}"


class HasProblems:
    """Something read from a delivery with its `problems`: errors reject it, warnings do not."""
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class ReadError(Exception):
    """A delivery (or one table of it) that cannot be accepted; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.summary())

    def summary(self, limit: int = 10) -> str:
        lines = [p.message() for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problems of the same file")
        return "\n".join(lines)
