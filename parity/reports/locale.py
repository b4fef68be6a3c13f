"""How each language writes numbers, dates, quarters and plurals in a report (CLDR's rules, through
Babel), and the report's texts from the one catalogue (section `report`).

The languages are parity's own (parity.messages.LANGUAGES, named by the catalogue): Babel is asked only
for the formats of a locale that writes like the language. Montenegrin has no CLDR locale of its own;
it writes numbers and dates as Serbian in Latin script in Montenegro does (sr_Latn_ME), which Babel
would call "srpski (latinica, Crna Gora)": that name is never shown. English is British English
(20 February 2025), as UNDP writes it.
"""
import datetime as dt
from dataclasses import dataclass
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from parity.messages import LANGUAGES, catalogue, label
from sources.period import Period

FORMATS = {"en": "en_GB", "bs": "bs", "cnr": "sr_Latn_ME", "mk": "mk", "sr": "sr_Cyrl"}
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


@cache
def babel_locale(lang: str) -> Locale:
    if lang not in LANGUAGES:
        raise ValueError(f"no language {lang!r}: one of {', '.join(LANGUAGES)}")
    return Locale.parse(FORMATS[lang])


def plural_forms(lang: str) -> tuple[str, ...]:
    """The plural categories the language tells apart (CLDR): en one/other, bs one/few/other."""
    return tuple(form for form in PLURAL_FORMS if form in babel_locale(lang).plural_form.tags | {"other"})


@dataclass(frozen=True)
class Writer:
    """Numbers, dates and the report's texts as `lang` writes them."""
    lang: str

    @property
    def _locale(self) -> Locale:
        return babel_locale(self.lang)

    def number(self, value: float, digits: int = 1) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self._locale)

    def count(self, value: int) -> str:
        return self.number(value, 0)

    def percent(self, value: float, digits: int = 1) -> str:
        """17.1 -> '17.1%' (en), '17,1%' (bs), '17,1 %' (mk): the language's percent pattern."""
        pattern = self._locale.percent_formats[None].pattern  # e.g. '#,##0%' or '#,##0\xa0%'
        return pattern.replace("#,##0", self.number(value, digits))

    def points(self, change: float, digits: int = 1) -> str:
        """A change in percentage points with its sign: '+0.4', '−1.2' (a true minus sign)."""
        rounded = round(change, digits)
        sign = "+" if rounded > 0 else "\u2212" if rounded < 0 else "\u00b1"
        return sign + self.number(abs(rounded), digits)

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self._locale)

    def quarter(self, period: str) -> str:
        p = Period.parse(period)
        return self.text("quarter", quarter=p.quarter, year=p.year)

    def template(self, key: str) -> str:
        """A text of the report as the catalogue writes it, placeholders unfilled."""
        return catalogue(self.lang)["report"][key]

    def text(self, key: str, **values) -> str:
        """A text of the report (catalogue section `report`); a plural entry takes the form of `n`."""
        entry = self.template(key)
        if isinstance(entry, dict):
            entry = entry[self._locale.plural_form(values["n"])]
        return entry.format(**values)

    def markup(self, key: str, **values) -> Markup:
        """A text whose values are HTML already (numbers that carry what they are): the catalogue's
        text is escaped, Markup values are kept, other values escaped. `n` (a plural's count) stays a number."""
        slots = {k: v if k == "n" else _Slot(k) for k, v in values.items()}
        return _fill(self.text(key, **slots), values)

    def data_name(self, key: str) -> str:
        """A published code's name (catalogue section `data`: indicator.<code>, country.<code>, ...)."""
        return self.data_names()[key]

    def data_names(self) -> dict[str, str]:
        return catalogue(self.lang)["data"]

    def label(self, key: str) -> str:
        """A word of the catalogue's `labels` (shared with the quality reports: the tables' names)."""
        return label(self.lang, key)

    def language_name(self) -> str:
        return self.label("language")


class _Slot(str):
    """A placeholder kept as a marker while the text around it is formatted."""
    def __new__(cls, name: str):
        return super().__new__(cls, "\x00" + name + "\x00")


def _fill(text: str, values: dict) -> Markup:
    parts = text.split("\x00")
    out = Markup("")
    for i, part in enumerate(parts):
        out += Markup(escape(values[part])) if i % 2 else escape(part)
    return out
