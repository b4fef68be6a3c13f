"""The canonical tables of a delivery: the warehouse's own column names and kinds.

Every dialect maps its headers and code labels onto these; nothing dialect-specific lives here.
"""
from dataclasses import dataclass

# Kinds of column, each read one way by the reader:
#   person  - a registration number: trimmed, pseudonymised before it leaves the reader's caller
#   id      - another identifier (application, case): trimmed text
#   code    - a value of a code list (field name = code list name unless `codes` says otherwise)
#   rank    - a local rank of ranks.csv for the delivering country
#   date    - a date in the dialect's date style
#   year    - a four-digit year
#   text    - free text (unit, mission)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    optional: bool = False  # may the value be empty?
    codes: str | None = None  # code list, where it differs from the column name

    @property
    def code_list(self) -> str:
        return self.codes or self.name


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    mandatory: bool = False  # personnel must be delivered; every other table is optional

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


_SEX = Column("sex", "code")
_CATEGORY = Column("category", "code")
_RANK = Column("rank", "rank", optional=True)  # empty for civilians and cadets
_PERSON = Column("personnel_no", "person")

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("personnel", (
        _PERSON, _SEX, Column("birth_year", "year"), _CATEGORY, _RANK,
        Column("service", "code"), Column("unit", "text"),
        Column("command_level", "code", optional=True), Column("entry_date", "date"),
    ), mandatory=True),
    Table("recruitment", (
        Column("application_no", "id"), _SEX, Column("birth_year", "year"),
        Column("channel", "code"), Column("outcome", "code"), Column("application_date", "date"),
    )),
    Table("separations", (
        _PERSON, _SEX, _CATEGORY, _RANK, Column("exit_date", "date"), Column("reason", "code"),
    )),
    Table("deployments", (
        _PERSON, _SEX, _CATEGORY, _RANK, Column("mission", "text"),
        Column("organization", "code"), Column("role", "code"),
        Column("start_date", "date"), Column("end_date", "date", optional=True),
    )),
    Table("trainings", (
        _PERSON, _SEX, Column("course", "code"), Column("completion_date", "date"),
    )),
    Table("complaints", (
        Column("case_no", "id"), Column("report_date", "date"), Column("type", "code"),
        Column("complainant_sex", "code", codes="sex"), Column("status", "code"),
        Column("closed_date", "date", optional=True),
    )),
)}

# Code lists whose labels are the same in every country (spec: organization).
COMMON_CODES: dict[str, dict[str, list[str]]] = {
    "organization": {code: [code] for code in ("UN", "EU", "NATO", "OSCE")},
}

# Canonical codes of every code list; a dialect gives each a label (navy only where it exists).
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "sex": ("F", "M"),
    "category": ("officer", "nco", "soldier", "cadet", "civilian"),
    "service": ("army", "air_force", "navy", "joint", "training", "support", "ministry"),
    "command_level": ("team", "platoon", "company", "battalion", "brigade", "strategic"),
    "channel": ("academy", "soldier", "nco", "civilian"),
    "outcome": ("admitted", "rejected", "withdrawn", "pending"),
    "reason": ("retirement", "resignation", "contract_end", "dismissal", "medical", "death", "other"),
    "role": ("contingent", "staff_officer", "observer"),
    "course": ("gender_basic", "gender_online", "gender_coach", "gender_trainer", "pre_deployment"),
    "type": ("sexual_harassment", "gender_discrimination", "other_harassment"),
    "status": ("received", "investigating", "substantiated", "unsubstantiated", "withdrawn"),
    "organization": ("UN", "EU", "NATO", "OSCE"),
}

UNIFORMED = ("officer", "nco", "soldier")
