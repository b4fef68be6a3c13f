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

from parity.suppression.audit import Exposure, System, build_system, exposures


class SuppressionError(RuntimeError):
    """A confidential count stays exposed whatever may still be withheld: nothing may be published."""

    def __init__(self, exposed: list[Exposure]):
        self.exposed = exposed
        super().__init__(f"{len(exposed)} confidential count(s) cannot be protected: "
                         + "; ".join(e.describe() for e in exposed[:5]))


@dataclass
class Protection:
    statuses: list[str]  # per row of the cells given: A, C or D
    rounds: int
    system: System  # what was audited: every release's relations and confidential counts
    known: dict[int, int]  # the values everything published would show, this release's with the statuses

    def audit(self, threshold: int, width: int) -> list[Exposure]:
        """Every confidential count audited again on the final decision (empty: it may be published)."""
        return exposures(self.system, threshold, width, self.known)


def primary(cells: pd.DataFrame, threshold: int) -> list[str]:
    """C where the numerator, or the denominator minus the numerator, is 1..threshold; else A."""
    n, d = cells["numerator"], cells["denominator"]
    small = n.between(1, threshold) | (d - n).between(1, threshold)  # NaN (no denominator) is not between
    return ["C" if s else "A" for s in small.fillna(False)]


def protect(cells: pd.DataFrame, history: pd.DataFrame | None, regions: dict[str, list[str]], bands: dict[str, str],
            threshold: int, width: int, withheld_before: set[tuple] = frozenset()) -> Protection:
    """The status of each row of `cells` (indicator_values: KEY, unit, numerator, denominator) for the
    next release, given what earlier releases published (`history`: audit.build_system);
    `withheld_before`: the keys withheld (D) by the last release."""
    cells = cells.reset_index(drop=True)
    statuses = primary(cells, threshold)
    system = build_system(cells.assign(obs_status=statuses), history, regions, bands, threshold)
    already = {var: system.values[var] for var in system.known_before}
    rows = system.rows[None]
    frozen = [all(v in already for v in parts.values()) for _, parts in rows]
    owner = {v: i for i, (_, parts) in enumerate(rows) for v in parts.values() if v not in already}
    by_variable = system.by_variable
    pending, rounds = None, 0
    while True:
        known = dict(already)
        for i, (_, parts) in enumerate(rows):
            if statuses[i] == "A":
                known.update({v: system.values[v] for v in parts.values()})
        failing = exposures(system, threshold, width, known, pending)
        rounds += 1
        if not failing:
            return Protection(statuses, rounds, system, known)
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
        if not chosen:
            raise SuppressionError(stuck)
        pending = {e.terms for e in failing}


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
