"""What parity says to people, in every language it speaks: one catalogue, catalogue.toml here.

Each entry holds its text in en, bs, cnr, mk and sr (Cyrillic), and its review status ("draft" until a
native speaker has checked it). Sections: `labels` (alerts, quality reports, `parity check`), `rules`
(one sentence per quality rule: what to do; the English is the problem's own text) and `data` (names
of what is published: indicators, units, countries, breakdowns and their values, observation
statuses). A text missing in a language is a bug (tests/test_messages.py), never a fallback.
"""
import tomllib
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


def rule_sentence(lang: str, rule: str | None) -> str | None:
    """The rule explained in `lang` (None for English: the problem's own text is English)."""
    if lang == "en" or rule is None:
        return None
    return catalogue(lang)["rules"][rule]


def awaiting_review() -> dict[str, int]:
    """Per section, how many entries no native speaker has reviewed yet."""
    return {section: sum(1 for entry in items.values() if entry.get("review") != REVIEWED)
            for section, items in entries().items()}
