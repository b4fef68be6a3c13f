"""Secondary suppression: the rows withheld (obs_status D) so that the audit passes.

Primary suppression withholds each row that shows 1..threshold persons on either side of its ratio
(obs_status C). Then, while the audit (audit.py) finds a confidential count that the published numbers
pin down or narrow below the protection rule, one more row is withheld for it: a published row in a
relation that ties it, the nearest first (relations with the fewest other unknowns, then along the
unknowns it shares relations with), the cheapest first: a row withheld in the previous release
(the same complementary rows from quarter to quarter), then the smallest. Withholding a row only widens
every range, so a count that passed stays passed and each round audits what still failed.

A row published before with the same counts is known whatever this release does: it is shown again,
never counted on to protect. When no row is left to withhold for an exposed count, nothing is published
(SuppressionError names it).
"""
from collections import deque
from dataclasses import dataclass

import pandas as pd

from parity.suppression.audit import Exposure, System, build_system, component, exposures
from parity.suppression.relations import KEY


class SuppressionError(RuntimeError):
    """A confidential count stays exposed whatever may still be withheld: nothing may be published."""

    def __init__(self, exposed: list[Exposure]):
        self.exposed = exposed
        super().__init__(f"{len(exposed)} confidential count(s) cannot be protected: "
                         + "; ".join(e.describe() for e in exposed[:5]))


@dataclass
class Protection:
    statuses: list[str]  # per row of the cells given: A, C or D
    system: System  # what was audited: every release's relations and confidential counts
    known: dict[int, int]  # the values everything published would show, this release's with the statuses
    fresh: set[int] | None = None  # incremental: the variables of rows new or changed since the last release

    def audit(self, threshold: int, width: int) -> list[Exposure]:
        """The confidential counts audited again on the final decision (empty: it may be published): every
        one, or (incremental) every one tied to a new or changed row."""
        only = None if self.fresh is None else tied_to(self.system, self.fresh, self.known)
        return exposures(self.system, threshold, width, self.known, only)


def primary(cells: pd.DataFrame, threshold: int) -> list[str]:
    """C where the numerator, or the denominator minus the numerator, is 1..threshold; else A."""
    n, d = cells["numerator"], cells["denominator"]
    small = n.between(1, threshold) | (d - n).between(1, threshold)  # NaN (no denominator) is not between
    return ["C" if s else "A" for s in small.fillna(False)]


def protect(cells: pd.DataFrame, history: pd.DataFrame | None, regions: dict[str, list[str]], bands: dict[str, str],
            threshold: int, width: int, incremental: bool = False) -> Protection:
    """The status of each row of `cells` (indicator_values: KEY, unit, numerator, denominator) for the
    next release, given what earlier releases published (`history`: audit.build_system).

    A row with the same counts as in the last release keeps the status it was published with (it was
    audited so; a row shown then is known anyway). `incremental`: the last release was audited under the
    same rule, so only the confidential counts tied (through unknowns) to a new or changed row are audited
    again; the others face the same relations and the same published values as then."""
    cells = cells.reset_index(drop=True)
    statuses = primary(cells, threshold)
    last = _last_release(history)
    withheld_before = {key for key, (_, _, status) in last.items() if status == "D"}  # chosen again first
    keys = list(cells[KEY].itertuples(index=False, name=None))
    counts = zip(cells["numerator"], cells["denominator"])
    settled = []
    for i, (key, (n, d)) in enumerate(zip(keys, counts)):
        was = last.get(key)
        same = was is not None and was[0] == n and (was[1] == d or pd.isna(was[1]) and pd.isna(d))
        if same and statuses[i] != "C" and was[2] != "C":
            statuses[i] = was[2]
        settled.append(same and statuses[i] == was[2])
    system = build_system(cells.assign(obs_status=statuses), history, regions, bands, threshold)
    already = {var: system.values[var] for var in system.known_before}
    rows = system.rows
    frozen = [all(v in already for v in parts.values()) for _, parts in rows]
    owner = {v: i for i, (_, parts) in enumerate(rows) for v in parts.values() if v not in already}
    fresh = {v for i, (_, parts) in enumerate(rows) if not settled[i] for v in parts.values()}
    by_variable = system.by_variable
    known = dict(already)
    for i, (_, parts) in enumerate(rows):
        if statuses[i] == "A":
            known.update({v: system.values[v] for v in parts.values()})
    pending, first = None, True
    while True:
        if first and incremental:
            pending = tied_to(system, fresh, known)
        first = False
        failing = exposures(system, threshold, width, known, pending)
        if not failing:
            return Protection(statuses, system, known, fresh if incremental else None)
        chosen, stuck = set(), []
        for exposure in failing:
            if any(owner.get(u) in chosen for v, _ in exposure.terms for terms in by_variable[v] for u, _ in terms):
                continue  # a row withheld this round already widens it: audited again first
            row = _complement(system, exposure.terms, known, by_variable, owner, statuses, frozen, withheld_before,
                              rows)
            if row is None:
                stuck.append(exposure)
            else:
                chosen.add(row)
                statuses[row] = "D"
                fresh.update(rows[row][1].values())
        if not chosen:
            raise SuppressionError(stuck)
        for row in chosen:  # unknown from now on: a row's own variables (keys are unique), unless published before
            for v in rows[row][1].values():
                if v not in already:
                    del known[v]
        pending = {e.terms for e in failing}


def _last_release(history: pd.DataFrame | None) -> dict[tuple, tuple]:
    """key -> (numerator, denominator, obs_status) of the current release."""
    if history is None or history.empty:
        return {}
    current = history[history["last_release_id"].isna()]
    return {tuple(row[:5]): tuple(row[5:]) for row in
            current[KEY + ["numerator", "denominator", "obs_status"]].itertuples(index=False, name=None)}


def tied_to(system: System, fresh: set[int], known: dict[int, int]) -> set[tuple]:
    """The confidential counts tied to a `fresh` variable: those of its rows, and those reached from it
    through relations that hold unknowns (a fresh value shown changes the bounds of the unknowns in its
    relations as much as a fresh unknown does)."""
    seeds = {v for v in fresh if v not in known}
    for v in fresh:
        for terms in system.by_variable[v]:
            seeds.update(u for u, _ in terms if u not in known)
    reached: dict[int, int] = {}
    for v in seeds:
        if v not in reached:
            component(system, known, [v], reached, 0)
    return {t for t in system.targets if any(v in reached or v in fresh for v, _ in t)}


def _complement(system: System, target: tuple, known: dict[int, int], by_variable, owner: dict[int, int],
                statuses: list[str], frozen: list[bool], withheld_before: set, rows) -> int | None:
    """The row to withhold next for `target`: breadth-first from its variables through the relations
    with unknowns, the first relation that holds a row that may still be withheld gives its cheapest."""
    start = [v for v, _ in target if v not in known]
    seen, queue = set(start), deque(start)
    visited_relations = set()
    while queue:
        level = [queue.popleft() for _ in range(len(queue))]
        candidates = []
        for v in level:
            for terms in sorted(by_variable[v], key=lambda t: sum(1 for u, _ in t if u not in known)):
                if terms in visited_relations:
                    continue
                visited_relations.add(terms)
                for u, _ in terms:
                    i = owner.get(u)
                    if i is not None and statuses[i] == "A" and not frozen[i]:
                        candidates.append(i)
                    elif u not in known and u not in seen:
                        seen.add(u)
                        queue.append(u)
            if candidates:
                return min(candidates, key=lambda i: (rows[i][0] not in withheld_before, _size(system, rows[i][1])))
    return None


def _size(system: System, parts: dict[str, int]) -> int:
    return system.values[parts.get("d", parts["n"])]
