"""Problems found in a delivery, phrased for the focal point who has to fix the file.

A Problem holds no sentence: it names its rule and carries the facts its texts need (a value set, a
format, a limit, a quarter) as named values. What it says, in every language parity speaks, comes from
the translation catalogue (parity/messages/catalogue.toml: `rules."<rule>.expected"`, `"<rule>.fix"`
and, for derived values, `"<rule>.found"`), so that no language is told less than another.
"""
from collections.abc import Mapping
from dataclasses import dataclass

from sources.redact import shown

# What a message may show of a value: a cell as written (a unit's name, a date) or the gate's own
# detail of a cross-quarter step (a category, two shares, two quarters: about 130 characters).
VALUE_LIMIT = 160
# A fact is a value set, a format or a number: the longest are code lists of a few dozen labels.
FACT_LIMIT = 400


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a delivery, located as the MoD sees its file.

    `value` is what was found, or None where showing it would disclose a registration number.
    What comes from the file (its name, sheet, column header, value, facts) is kept only as it may
    be shown (sources/redact.py): whatever builds a Problem, no message can echo a registration
    number, a control character or a megabyte-long cell. `facts` are language-neutral (numbers,
    codes, the MoD's own labels, quarters, file names): the catalogue's templates put them in words.
    """
    file: str
    rule: str
    facts: tuple[tuple[str, str], ...] | Mapping[str, object] = ()
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"  # "error" rejects the table, "warning" lets it in

    def __post_init__(self):
        for name, limit in (("file", 120), ("sheet", 60), ("column", 60), ("value", VALUE_LIMIT)):
            text = getattr(self, name)
            if text is not None:
                object.__setattr__(self, name, shown(str(text), limit))
        facts = dict(self.facts)
        object.__setattr__(self, "facts", tuple(sorted((k, shown(str(v), FACT_LIMIT)) for k, v in facts.items())))

    def text(self, lang: str, part: str) -> str | None:
        """The rule's `part` (expected, fix, found) in `lang`, with this problem's facts."""
        from parity.messages import rule_text  # the catalogue is the application's (one home for every text)

        return rule_text(lang, self.rule, part, dict(self.facts))

    @property
    def expected(self) -> str:
        return self.text("en", "expected")

    @property
    def fix(self) -> str:
        return self.text("en", "fix")

    def found_in(self, lang: str) -> str | None:
        """What was found: the cell as written, or the rule's own words in `lang` for a derived value."""
        return self.value if self.value is not None else self.text(lang, "found")

    @property
    def found(self) -> str | None:
        return self.found_in("en")

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
        """One line in English (logs, the registry, Dagster's metadata)."""
        found = self.found
        found = "" if found is None else f"found {found!r}; "
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
        super().__init__(f"{len(problems)} problems")

    def __str__(self) -> str:
        return self.summary()

    def summary(self, limit: int = 10) -> str:
        lines = [p.message() for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problems of the same file")
        return "\n".join(lines)
