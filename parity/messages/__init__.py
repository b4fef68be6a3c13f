"""What parity says to people, in every language it speaks: one catalogue, catalogue.toml here.

Each entry holds its text in en, bs, cnr, mk and sr (Cyrillic), and its review status ("draft" until a
native speaker has checked it). Every text is a template: its named placeholders ({period}, {values})
are the facts it states, the same in every language. Sections: `labels` (alerts, quality reports,
`parity check`), `rules` (per quality rule: `<rule>.expected`, `<rule>.fix` and, for a derived value,
`<rule>.found`), `skipped` (a cross-table check that had nothing to compare with), `data` (names of
what is published: indicators, units, countries, breakdowns and their values, observation statuses) and
`web` (the focal points' check-and-send page).
A text missing in a language is a bug (tests/test_messages.py), never a fallback.
"""
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "catalogue.toml"
LANGUAGES = {"en": "English", "bs": "Bosanski", "cnr": "Crnogorski", "mk": "Македонски", "sr": "Српски"}
REVIEWED = "reviewed"


@cache
def entries() -> dict[str, dict[str, dict]]:
    """{section: {key: {lang: text, ..., "review": status}}}, as written."""
    return tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))


@cache
def catalogue(lang: str) -> dict[str, dict[str, str]]:
    """{section: {key: text}} in `lang` (a section's entries without that language are left out)."""
    return {section: {key: entry[lang] for key, entry in items.items() if lang in entry}
            for section, items in entries().items()}


def label(lang: str, key: str, **values) -> str:
    return catalogue(lang)["labels"][key].format(**values)


def web_text(lang: str, key: str, **values) -> str:
    """A text of the focal points' page (parity serve)."""
    return catalogue(lang)["web"][key].format(**values)


def rule_text(lang: str, rule: str, part: str, facts: Mapping[str, str]) -> str | None:
    """What a rule's problem says in `lang`: part "expected", "fix" or "found" (None: the rule has no
    words for what was found, the cell itself is shown)."""
    template = catalogue(lang)["rules"].get(f"{rule}.{part}")
    return None if template is None else template.format_map(facts)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def rule_placeholders(rule: str) -> frozenset[str]:
    """The facts a rule's texts name (the same in every language: tests/test_messages.py)."""
    return frozenset(name for part in ("expected", "fix", "found")
                     for name in placeholders(catalogue("en")["rules"].get(f"{rule}.{part}", "")))


@dataclass(frozen=True, order=True)
class Text:
    """A catalogue entry with its facts, rendered in whichever language the reader reads."""
    section: str
    key: str
    facts: tuple[tuple[str, str], ...] | Mapping[str, object] = ()

    def __post_init__(self):
        object.__setattr__(self, "facts", tuple(sorted((k, str(v)) for k, v in dict(self.facts).items())))

    def render(self, lang: str) -> str:
        return catalogue(lang)[self.section][self.key].format_map(dict(self.facts))


def awaiting_review() -> dict[str, int]:
    """Per section, how many entries no native speaker has reviewed yet."""
    return {section: sum(1 for entry in items.values() if entry.get("review") != REVIEWED)
            for section, items in entries().items()}
