"""A MoD's dialect: how its deliveries spell the canonical tables. Loaded from TOML files.

Adding a country is adding `dialects/<CC>.toml` (and its ranks to ranks.csv): no reader code.
"""
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sources.ranks import ranks_of
from sources.tables import CODE_LISTS, COMMON_CODES, TABLES
from sources.text import clean, match_key

DIALECT_DIR = Path(__file__).resolve().parent / "dialects"


@dataclass(frozen=True)
class Dialect:
    country: str
    name: str
    language: str
    container: str  # "csv" or "xlsx"
    file_pattern: str  # with {country}, {period} and, for CSV, {table}
    date_style: str  # strptime format, or "excel" for date cells
    transliterate: bool  # compare Serbian Cyrillic and Latin as one script
    headers: dict[str, dict[str, str]]  # table -> canonical column -> header text
    codes: dict[str, dict[str, list[str]]]  # code list -> code -> labels
    personnel_no_shape: str  # a regular expression: what a registration number of this MoD looks like
    encoding: str | None = None
    delimiter: str | None = None
    sheets: dict[str, str] = field(default_factory=dict)  # table -> sheet name (xlsx)
    bom: bool = False  # does the MoD usually write a UTF-8 BOM? (read either way, as the spec says)

    @classmethod
    def from_toml(cls, path: Path) -> "Dialect":
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        raw["codes"] = {
            name: {code: [labels] if isinstance(labels, str) else list(labels)
                   for code, labels in codes.items()}
            for name, codes in raw.get("codes", {}).items()
        }
        dialect = cls(**raw)
        dialect.check()
        return dialect

    def check(self) -> None:
        """Refuse a description that does not cover the canonical tables and codes."""
        for table in TABLES.values():
            missing = set(table.column_names) - set(self.headers.get(table.name, {}))
            if missing:
                raise ValueError(f"{self.country}: no header for {table.name}.{sorted(missing)}")
            if self.container == "xlsx" and table.name not in self.sheets:
                raise ValueError(f"{self.country}: no sheet name for {table.name}")
        for name, codes in self.codes.items():
            unknown = set(codes) - set(CODE_LISTS.get(name, ()))
            if unknown:
                raise ValueError(f"{self.country}: unknown codes {sorted(unknown)} in {name}")
        for name in set(CODE_LISTS) - set(COMMON_CODES) - set(self.codes):
            raise ValueError(f"{self.country}: no labels for code list {name}")
        try:
            re.compile(self.personnel_no_shape)
        except re.error as e:
            raise ValueError(f"{self.country}: personnel_no_shape is no regular expression ({e})") from None

    @cached_property
    def personnel_no_regex(self) -> re.Pattern:
        return re.compile(self.personnel_no_shape, re.IGNORECASE)

    def looks_like_personnel_no(self, text: str) -> bool:
        """Has this cell the shape of a registration number (in either script, for SRB)?"""
        return bool(self.personnel_no_regex.fullmatch(clean(text)))

    def key(self, text: str) -> str:
        return match_key(text, self.transliterate)

    def header_index(self, table: str) -> dict[str, str]:
        """Matching key of each header -> canonical column."""
        return {self.key(h): col for col, h in self.headers[table].items()}

    def code_index(self, code_list: str) -> dict[str, str]:
        """Matching key of each label -> canonical code."""
        codes = self.codes.get(code_list) or COMMON_CODES[code_list]
        return {self.key(label): code for code, labels in codes.items() for label in labels}

    def labels(self, code_list: str) -> list[str]:
        codes = self.codes.get(code_list) or COMMON_CODES[code_list]
        return [label for labels in codes.values() for label in labels]

    @cached_property
    def rank_index(self) -> dict[str, str]:
        """Matching key of each local rank -> the local rank as ranks.csv writes it."""
        return {self.key(r.local_rank): r.local_rank for r in ranks_of(self.country)}

    @cached_property
    def name_regex(self) -> re.Pattern:
        pattern = re.escape(self.file_pattern)
        for name, rx in (("country", r"(?P<country>[A-Z]{3})"), ("period", r"(?P<period>\d{4}Q[1-4])"),
                         ("table", r"(?P<table>[a-z]+)")):
            pattern = pattern.replace(re.escape("{" + name + "}"), rx)
        return re.compile(pattern)  # used with fullmatch: a name ending in a newline is no delivery

    def file_name(self, period: str, table: str | None = None) -> str:
        return self.file_pattern.format(country=self.country, period=period, table=table or "")


def _load_all() -> dict[str, Dialect]:
    return {p.stem: Dialect.from_toml(p) for p in sorted(DIALECT_DIR.glob("*.toml"))}


DIALECTS: dict[str, Dialect] = _load_all()


def dialect_for(country: str) -> Dialect:
    try:
        return DIALECTS[country]
    except KeyError:
        raise KeyError(f"no dialect description for country {country!r} in {DIALECT_DIR}") from None
