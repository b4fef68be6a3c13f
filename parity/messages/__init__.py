"""What parity says to people, per language: the labels of reports and alerts, and one sentence per
rule (`Problem.rule`) in each focal point's language. English is the base; every message shows the
focal point's language with English beside it.

Catalogues: <lang>.toml here. A catalogue may name another as its base (`base = "bs"`) and only
override what differs; a label or rule missing everywhere is a bug (tests/test_messages.py).
"""
import tomllib
from functools import cache
from pathlib import Path

CATALOGUE_DIR = Path(__file__).resolve().parent
LANGUAGES = {"en": "English", "bs": "Bosanski", "cnr": "Crnogorski", "mk": "Македонски", "sr": "Српски"}


@cache
def catalogue(lang: str) -> dict:
    raw = tomllib.loads((CATALOGUE_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    base = raw.pop("base", None)
    if base is None:
        return raw
    merged = catalogue(base)
    return {section: {**merged.get(section, {}), **raw.get(section, {})} for section in ("labels", "rules")}


def label(lang: str, key: str, **values) -> str:
    return catalogue(lang)["labels"][key].format(**values)


def rule_sentence(lang: str, rule: str | None) -> str | None:
    """The rule explained in `lang` (None for English: the problem's own text is English)."""
    if lang == "en" or rule is None:
        return None
    return catalogue(lang)["rules"][rule]
