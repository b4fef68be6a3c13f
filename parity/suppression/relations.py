"""The ties between published indicator rows that an outside analyst can derive from indicators.md alone.

A row of `indicator_values` holds two counts: `n` (its numerator) and `d` (its denominator; none for
unit `count`). Each relation below is linear in them, so together with the published values it bounds
every withheld count (parity/suppression/audit.py). The relations are the attacker's knowledge; what is
left out here is left out of the protection, so each one is written from the definitions, not from the
data:

- a region's row is the sum of its members' rows (a member without the row counts 0);
- a breakdown that splits its population (every person, application, separation or complaint has one
  value) sums to its total, and rank bands are sums of their NATO ranks;
- the same persons counted by two indicators: the uniformed are the officers, NCOs and soldiers; the
  snapshot (every category) is the denominator of TRAINING_COVERAGE and COMPLAINTS_PER_1000; women
  admitted are WSHARE_ADMITTED's numerator and ADMISSION_RATE's (F) numerator; the uniformed of q-1 are
  the denominators of q's attrition rate;
- inequalities: a subset is at most its set (command posts, decision-making posts, promotions, decided
  applications, deployments by breakdown), a cumulative count never falls from one quarter to the next,
  every count is >= 0 and a numerator at most its denominator (but an attrition rate may pass 100),
  and a breakdown row exists only where its denominator (or, for a count, its value) is above 0 (these
  two bounds are the variables' own: `floors`).

Every relation is `sum(coef * variable) <sense> 0`, with sense "=" or "<="; variables are (row, "n"|"d").
"""
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pandas as pd

from sources.period import Period

KEY = ["indicator_code", "country_code", "period", "breakdown", "breakdown_value"]
CATEGORY_SHARES = ("WSHARE_OFFICERS", "WSHARE_NCOS", "WSHARE_SOLDIERS", "WSHARE_CADETS", "WSHARE_CIVILIANS")
UNIFORMED_SHARES = CATEGORY_SHARES[:3]
# (indicator, breakdown) whose values split the total's population: the rows sum to the total row
PARTITIONS = {
    ("WSHARE_UNIFORMED", "service"), ("WSHARE_UNIFORMED", "nato_rank"), ("WSHARE_UNIFORMED", "rank_band"),
    ("WSHARE_APPLICANTS", "channel"), ("WSHARE_ADMITTED", "channel"), ("ADMISSION_RATE", "sex"),
    ("ATTRITION_RATE", "sex"), ("PROMOTION_RATE", "sex"), ("TRAINING_COVERAGE", "sex"), ("COMPLAINTS_RECEIVED", "type"),
}
# breakdowns of persons who may hold several values at once (distinct persons deployed): each row is at
# most the total, and together they cover it
COVERS = {("WSHARE_DEPLOYED", "organization"), ("WSHARE_DEPLOYED", "role")}
UN_ROLES = ("contingent", "staff_officer", "observer")
CUMULATIVE = ("GENDER_COACH_TOTAL",)
# a separation may be of someone who joined within the quarter: the numerator can pass the denominator
UNBOUNDED_RATIO = ("ATTRITION_RATE",)

Var = tuple[int, str]  # (row index, "n" or "d")


@dataclass(frozen=True)
class Relation:
    terms: tuple[tuple[Var, int], ...]
    sense: str  # "=" or "<="
    why: str


def _expression(*parts: tuple[int, dict[Var, int]]) -> dict[Var, int]:
    total: dict[Var, int] = defaultdict(int)
    for sign, part in parts:
        for var, coef in part.items():
            total[var] += sign * coef
    return {v: c for v, c in total.items() if c}


class Table:
    """Row lookup over the cells (KEY columns and `unit`), by position."""

    def __init__(self, cells: pd.DataFrame):
        self.cells = cells.reset_index(drop=True)
        self.index = {tuple(k): i for i, k in enumerate(self.cells[KEY].itertuples(index=False, name=None))}
        self.units = self.cells["unit"].tolist()
        groups, by_place = defaultdict(list), defaultdict(set)
        for i, (code, country, period, breakdown, value) in enumerate(self.cells[KEY].itertuples(index=False, name=None)):
            groups[(code, country, period, breakdown)].append((value, i))
            by_place[(country, period)].add((code, country, period, breakdown))
        self.groups = groups
        self.by_place = by_place  # (country, period) -> the group keys there

    def row(self, code: str, country: str, period: str, breakdown: str = "total", value: str = "total") -> int | None:
        return self.index.get((code, country, period, breakdown, value))

    def has_d(self, i: int) -> bool:
        return self.units[i] != "count"

    # the counts of a row as expressions: n, d, and d - n (e.g. the men of a share of women)
    def n(self, i: int | None) -> dict[Var, int]:
        return {} if i is None else {(i, "n"): 1}

    def d(self, i: int | None) -> dict[Var, int]:
        return {} if i is None else {(i, "d"): 1}

    def rest(self, i: int | None) -> dict[Var, int]:
        return {} if i is None else {(i, "d"): 1, (i, "n"): -1}

    def sum(self, part, rows: Iterable[int | None]) -> dict[Var, int]:
        return _expression(*((1, part(i)) for i in rows))


def _eq(left: dict, right: dict, why: str) -> Relation | None:
    terms = _expression((1, left), (-1, right))
    return Relation(tuple(sorted(terms.items())), "=", why) if terms else None


def _le(left: dict, right: dict, why: str) -> Relation | None:
    terms = _expression((1, left), (-1, right))
    return Relation(tuple(sorted(terms.items())), "<=", why) if terms else None


def relations(cells: pd.DataFrame, regions: dict[str, list[str]], bands: dict[str, str],
              places: set[tuple[str, str]] | None = None) -> tuple[Table, list[Relation]]:
    """The relations among `cells` (rows of indicator_values: KEY and unit). `regions`: region code ->
    member countries; `bands`: NATO rank code -> rank band. `places`: only the relations stated at these
    (country, period) pairs (a region's sums at the region's; q's attrition and cumulative ties at q's)."""
    table = Table(cells)
    everywhere = {(c, p) for _, c, p, _, _ in table.index}
    places = everywhere if places is None else everywhere & places
    found: list[Relation | None] = []
    found += _row_bounds(table, places)
    found += _regions(table, regions, places)
    for country, period in sorted(places):
        found += _breakdowns(table, country, period, bands)
        found += _same_persons(table, country, period)
    return table, [r for r in found if r is not None]


def affected_places(country: str, period: str, regions: dict[str, list[str]]) -> set[tuple[str, str]]:
    """The places whose relations involve a row of (country, period)."""
    following = str(Period.parse(period).next())
    wheres = {country} | {region for region, members in regions.items() if country in members}
    return {(where, when) for where in wheres for when in (period, following)}


def _row_bounds(table: Table, places) -> Iterator[Relation | None]:
    # every count is at least 0, and at least 1 where floors() says: the bounds of the variables
    for (code, country, period, _, _), i in table.index.items():
        if (country, period) in places and table.has_d(i) and code not in UNBOUNDED_RATIO:
            yield _le(table.n(i), table.d(i), "a numerator is at most its denominator")


def floors(cells: pd.DataFrame) -> list[Var]:
    """The counts that are at least 1: a breakdown row exists only where its population is not empty (its
    denominator, or for unit count its value, above 0)."""
    out = []
    for i, (breakdown, unit) in enumerate(zip(cells["breakdown"], cells["unit"])):
        if breakdown != "total":
            out.append((i, "n" if unit == "count" else "d"))
    return out


def _regions(table: Table, regions: dict[str, list[str]], places) -> Iterator[Relation | None]:
    for (code, country, period, breakdown, value), i in table.index.items():
        members = regions.get(country)
        if not members or (country, period) not in places:
            continue
        rows = [table.row(code, m, period, breakdown, value) for m in members]
        why = f"{country} is the sum of {', '.join(members)}"
        yield _eq(table.n(i), table.sum(table.n, rows), why)
        if table.has_d(i):
            yield _eq(table.d(i), table.sum(table.d, rows), why)


def _breakdowns(table: Table, country: str, period: str, bands: dict[str, str]) -> Iterator[Relation | None]:
    for group in sorted(table.by_place[(country, period)]):
        code, _, _, breakdown = group
        members = table.groups[group]
        if breakdown == "total":
            continue
        total = table.row(code, country, period)
        rows = [i for _, i in members]
        if total is None:
            continue
        why = f"{code} by {breakdown} sums to its total"
        if (code, breakdown) in PARTITIONS:
            if table.has_d(total):
                yield _eq(table.d(total), table.sum(table.d, rows), why)
            # a sex without persons at the start of the quarter has no attrition row, yet may have separations
            absent = code in UNBOUNDED_RATIO and len(rows) < 2
            yield (_le if absent else _eq)(table.sum(table.n, rows), table.n(total), why)
        elif (code, breakdown) in COVERS:
            why = f"{code}: each {breakdown} row at most the total, all of them at least the total"
            for i in rows:
                yield _le(table.n(i), table.n(total), why)
                yield _le(table.rest(i), table.rest(total), why)
            yield _le(table.n(total), table.sum(table.n, rows), why)
            yield _le(table.rest(total), table.sum(table.rest, rows), why)
    yield from _bands(table, country, period, bands)
    yield from _un_roles(table, country, period)


def _bands(table: Table, country: str, period: str, bands: dict[str, str]) -> Iterator[Relation | None]:
    by_band = defaultdict(list)
    for value, i in table.groups.get(("WSHARE_UNIFORMED", country, period, "nato_rank"), []):
        by_band[bands[value]].append(i)
    for band, i in table.groups.get(("WSHARE_UNIFORMED", country, period, "rank_band"), []):
        ranks = by_band.get(band, [])
        why = f"rank band {band} is the sum of its NATO ranks"
        yield _eq(table.n(i), table.sum(table.n, ranks), why)
        yield _eq(table.d(i), table.sum(table.d, ranks), why)


def _un_roles(table: Table, country: str, period: str) -> Iterator[Relation | None]:
    def row(breakdown, value):
        return table.row("WSHARE_DEPLOYED", country, period, breakdown, value)

    un, individual = row("organization", "UN"), row("un_role", "individual")
    parts = [row("un_role", r) for r in ("staff_officer", "observer")]
    for part in (table.n, table.rest):
        for role in UN_ROLES:
            yield _le(part(row("un_role", role)), part(un), "a UN role is within the UN deployments")
            yield _le(part(row("un_role", role)), part(row("role", role)), "a UN role is within the role")
        yield _le(part(individual), part(un), "UN individual officers are within the UN deployments")
        for i in parts:
            yield _le(part(i), part(individual), "staff officers and observers are individual officers")
        yield _le(part(individual), table.sum(part, parts), "individual officers are staff officers or observers")


def _same_persons(table: Table, country: str, period: str) -> Iterator[Relation | None]:
    def row(code, breakdown="total", value="total", when=period):
        return table.row(code, country, when, breakdown, value)

    categories = [row(code) for code in CATEGORY_SHARES]
    everyone = all(i is not None for i in categories)
    uniformed = row("WSHARE_UNIFORMED")
    # the uniformed are the officers, NCOs and soldiers
    if uniformed is not None:
        parts = [row(code) for code in UNIFORMED_SHARES]
        yield _eq(table.n(uniformed), table.sum(table.n, parts), "the uniformed are officers, NCOs and soldiers")
        yield _eq(table.d(uniformed), table.sum(table.d, parts), "the uniformed are officers, NCOs and soldiers")
        command = row("WSHARE_COMMAND")
        for part in (table.n, table.rest):
            yield _le(part(command), part(uniformed), "command posts are held by uniformed persons")
    if everyone:
        women, persons = table.sum(table.n, categories), table.sum(table.d, categories)
        men = _expression((1, persons), (-1, women))
        decision = row("WSHARE_DECISION")
        yield _le(table.n(decision), women, "decision-making posts are held by persons of the snapshot")
        yield _le(table.rest(decision), men, "decision-making posts are held by persons of the snapshot")
        coverage = row("TRAINING_COVERAGE")
        if coverage is not None:
            why = "TRAINING_COVERAGE counts the persons of the snapshot"
            yield _eq(table.d(coverage), persons, why)
            yield _eq(table.d(row("TRAINING_COVERAGE", "sex", "F")), women, why)
            yield _eq(table.d(row("TRAINING_COVERAGE", "sex", "M")), men, why)
        per_1000 = row("COMPLAINTS_PER_1000")
        if per_1000 is not None:
            yield _eq(table.d(per_1000), persons, "COMPLAINTS_PER_1000 is per person of the snapshot")
    per_1000, received = row("COMPLAINTS_PER_1000"), row("COMPLAINTS_RECEIVED")
    if per_1000 is not None and received is not None:
        yield _eq(table.n(per_1000), table.n(received), "COMPLAINTS_PER_1000 counts the complaints received")
    yield from _recruitment(table, row, country, period)
    previous = str(Period.parse(period).previous())
    yield from _turnover(table, row, previous)
    for code in CUMULATIVE:
        now, before = row(code), row(code, when=previous)
        if now is not None and before is not None:
            yield _le(table.n(before), table.n(now), f"{code} is cumulative: it never falls")


def _recruitment(table: Table, row, country: str, period: str) -> Iterator[Relation | None]:
    admitted, applicants, rate = row("WSHARE_ADMITTED"), row("WSHARE_APPLICANTS"), row("ADMISSION_RATE")
    if admitted is None or rate is None:
        return
    why = "admitted applications are counted by WSHARE_ADMITTED and ADMISSION_RATE"
    women, men = row("ADMISSION_RATE", "sex", "F"), row("ADMISSION_RATE", "sex", "M")
    yield _eq(table.n(admitted), table.n(women), why)
    yield _eq(table.rest(admitted), table.n(men), why)
    yield _eq(table.d(admitted), table.n(rate), why)
    why = "decided and admitted applications are applications"
    yield _le(table.d(women), table.n(applicants), why)
    yield _le(table.d(men), table.rest(applicants), why)
    for value, i in table.groups.get(("WSHARE_ADMITTED", country, period, "channel"), []):
        applied = row("WSHARE_APPLICANTS", "channel", value)
        yield _le(table.n(i), table.n(applied), why)
        yield _le(table.rest(i), table.rest(applied), why)


def _turnover(table: Table, row, previous: str) -> Iterator[Relation | None]:
    before, now = row("WSHARE_UNIFORMED", when=previous), row("WSHARE_UNIFORMED")
    attrition = row("ATTRITION_RATE")
    if attrition is not None and before is not None:
        why = "ATTRITION_RATE's denominators are the uniformed of the previous quarter"
        yield _eq(table.d(attrition), table.d(before), why)
        yield _eq(table.d(row("ATTRITION_RATE", "sex", "F")), table.n(before), why)
        yield _eq(table.d(row("ATTRITION_RATE", "sex", "M")), table.rest(before), why)
    for value, part in (("total", None), ("F", table.n), ("M", table.rest)):
        promoted = row("PROMOTION_RATE", *(("total", "total") if value == "total" else ("sex", value)))
        if promoted is None:
            continue
        why = "PROMOTION_RATE counts persons uniformed in both quarters"
        # by sex only within q's snapshot: the sex is q's (a record corrected since q-1 may differ)
        for snapshot in (before, now) if value == "total" else (now,):
            if snapshot is not None:
                yield _le(table.d(promoted), (part or table.d)(snapshot), why)
