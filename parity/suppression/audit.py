"""The disclosure audit: how far everything published pins each confidential count.

The published rows of every release are known to everyone, with the relations between rows
(relations.py) that the published definitions give. A row's counts are variables; a row whose true
counts did not change between releases is the same variable in each (an attacker may assume as much),
a corrected row a new one. For each confidential count (a numerator, or a denominator minus numerator,
of 1..threshold persons, in any release) linear programming (HiGHS, through highspy) finds the smallest
and the largest value the published numbers allow. The protection rule: that range holds a value
outside 1..threshold, and is at least `width` wide (threshold + 1 by default: PARITY_DISCLOSURE_WIDTH).
"""
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parity.suppression.relations import KEY, affected_places, floors, relations

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Exposure:
    """A confidential count and the range the published numbers leave for it."""
    key: tuple
    count: str  # "numerator" or "denominator - numerator"
    release: int | None
    low: float
    high: float
    terms: tuple = field(default=(), compare=False, repr=False)  # the count as ((variable, coef), ...)

    def describe(self) -> str:
        where = " ".join(str(k) for k in self.key)
        release = "the release being prepared" if self.release is None else f"release {self.release}"
        high = "unbounded" if self.high == np.inf else f"{self.high:g}"
        return f"{where}: its {self.count} can be narrowed to {self.low:g}..{high} from {release} and earlier ones"


@dataclass
class System:
    """The variables and relations of a set of snapshots, and the published values among them."""
    threshold: int
    ids: dict[tuple, int] = field(default_factory=dict)  # (key, "n"|"d", true value) -> variable
    values: list[int] = field(default_factory=list)  # a variable's true value (to choose, never to audit)
    relations: dict[tuple, str] = field(default_factory=dict)  # ((var, coef), ...) -> sense
    known: dict[int, int] = field(default_factory=dict)  # published variables
    known_before: set[int] = field(default_factory=set)  # published by an earlier release
    lower: dict[int, int] = field(default_factory=dict)  # variables at least 1 (others at least 0)
    targets: dict[tuple, tuple] = field(default_factory=dict)  # ((var, coef), ...) -> (key, count, release)
    rows: list[tuple] = field(default_factory=list)  # the release being prepared: each row's key and variables
    by_variable: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))  # the relations of each

    def variable(self, key: tuple, part: str, value) -> int:
        name = (key, part, int(value))
        if name not in self.ids:
            self.ids[name] = len(self.values)
            self.values.append(int(value))
        return self.ids[name]


def build_system(current: pd.DataFrame, history: pd.DataFrame | None, regions: dict[str, list[str]],
                 bands: dict[str, str], threshold: int) -> System:
    """The audit's system: `current`, the release being prepared (indicator_values' rows: KEY, unit,
    numerator, denominator, and the obs_status each would be published with), and `history`, every
    version of a row published by an earlier release (the same columns, with first_release_id and
    last_release_id, NULL while current). An earlier release adds the relations of the places where it
    showed other counts than `current` (elsewhere they are the same relations on the same variables)."""
    system = System(threshold)
    current = current.reset_index(drop=True)
    variables = _add_rows(system, current, None)
    system.lower.update({variables[i][part]: 1 for i, part in floors(current)})
    table, found = relations(current, regions, bands)
    _add_relations(system, variables, found)
    system.rows = list(zip(table.index, variables))
    if history is None or history.empty:
        return system
    history = history.reset_index(drop=True)
    versions = _add_rows(system, history, history["first_release_id"].tolist())
    system.lower.update({versions[i][part]: 1 for i, part in floors(history)})
    values = current[KEY + ["numerator", "denominator"]].assign(now=True)
    differs = history.merge(values, on=KEY + ["numerator", "denominator"], how="left")["now"].isna().to_numpy()
    last = int(history["first_release_id"].max())
    for release in range(int(history.loc[differs, "first_release_id"].min()) if differs.any() else last + 1, last + 1):
        shown = (history["first_release_id"] <= release) & pd.to_numeric(history["last_release_id"]).fillna(last + 1).ge(release)
        places = set()
        for country, period in history.loc[shown.to_numpy() & differs, ["country_code", "period"]].drop_duplicates() \
                .itertuples(index=False, name=None):
            places |= affected_places(country, period, regions)
        if places:
            snapshot = history[shown].reset_index(drop=True)
            _, found = relations(snapshot, regions, bands, places)
            _add_relations(system, _variables(system, snapshot), found)
    return system


def _add_rows(system: System, cells: pd.DataFrame, releases: list[int] | None) -> list[dict[str, int]]:
    """The published counts of `cells` become known, and their confidential counts targets."""
    variables = _variables(system, cells)
    keys = list(cells[KEY].itertuples(index=False, name=None))
    for i, (parts, status) in enumerate(zip(variables, cells["obs_status"])):
        if status == "A":
            system.known.update({var: system.values[var] for var in parts.values()})
            if releases is not None:
                system.known_before.update(parts.values())
        # every small count is a target, whatever its status: one shown by mistake is pinned, and fails
        for target, name in _confidential(parts, system.values, system.threshold):
            system.targets.setdefault(target, (keys[i], name, releases and releases[i]))
    return variables


def _add_relations(system: System, variables: list[dict[str, int]], found) -> None:
    for relation in found:
        terms = defaultdict(int)
        for (i, part), coef in relation.terms:
            terms[variables[i][part]] += coef
        key = tuple(sorted((v, c) for v, c in terms.items() if c))
        if key not in system.relations:
            for v, _ in key:
                system.by_variable[v].append(key)
        system.relations[key] = relation.sense


def _variables(system: System, cells: pd.DataFrame) -> list[dict[str, int]]:
    out = []
    for row in cells[KEY + ["numerator", "denominator"]].itertuples(index=False, name=None):
        key, n, d = row[:5], row[5], row[6]
        parts = {"n": system.variable(key, "n", n)}
        if not pd.isna(d):
            parts["d"] = system.variable(key, "d", d)
        out.append(parts)
    return out


def _confidential(parts: dict[str, int], values: list[int], threshold: int):
    n = values[parts["n"]]
    if 1 <= n <= threshold:
        yield ((parts["n"], 1),), "numerator"
    if "d" in parts and 1 <= values[parts["d"]] - n <= threshold:
        yield tuple(sorted(((parts["d"], 1), (parts["n"], -1)))), "denominator - numerator"


def protected(low: float, high: float, threshold: int, width: int) -> bool:
    """The protection rule on the range [low, high] of a confidential count."""
    outside = low < 1 - TOLERANCE or high > threshold + TOLERANCE
    return outside and high - low >= width - TOLERANCE


def exposures(system: System, threshold: int, width: int, known: dict[int, int] | None = None,
              only: set[tuple] | None = None) -> list[Exposure]:
    """The confidential counts (of `only` targets, or all) that the published values (`known`, or the
    system's) narrow below the protection rule, with their ranges."""
    known = system.known if known is None else known
    targets = system.targets if only is None else only
    failures, component_of, components = [], {}, []
    for target in targets:
        unknown = [v for v, _ in target if v not in known]
        if not unknown:
            value = sum(known[v] * c for v, c in target)
            failures.append(_exposure(system, target, value, value))
            continue
        if unknown[0] not in component_of:
            components.append(component(system, known, unknown, component_of, len(components)))
        components[component_of[unknown[0]]][2].append(target)
    for variables, ties, asked in components:
        program = _Program(variables, ties, known, system.lower)
        for target in asked:
            program.aim(target, known)
            high = program.bound(maximise=True)
            if high >= threshold + width - TOLERANCE:  # then high - low >= width too: low <= the true count <= threshold
                continue
            low = program.bound(maximise=False)
            if not protected(low, high, threshold, width):
                failures.append(_exposure(system, target, low, high))
    return failures


def component(system: System, known: dict[int, int], start: list[int], component_of: dict[int, int],
               number: int) -> tuple[list[int], list[tuple], list]:
    """The unknowns reachable from `start` through relations that hold unknowns, and those relations
    (a count's own unknowns are reached together: an attrition rate's numerator and denominator share no
    relation). Marks each unknown with `number` in `component_of`."""
    variables, relations, seen = [], [], set()
    queue = list(start)
    for v in start:
        component_of[v] = number
    while queue:
        v = queue.pop()
        variables.append(v)
        for terms in system.by_variable[v]:
            if terms in seen:
                continue
            seen.add(terms)
            relations.append((terms, system.relations[terms]))
            for u, _ in terms:
                if u not in known and u not in component_of:
                    component_of[u] = number
                    queue.append(u)
    return variables, relations, []


class _Program:
    """One component's linear program (HiGHS): the unknowns >= 0 (>= 1 where the system says) under its
    relations, with the known values moved to the right-hand side. Each count is a new objective on the
    same model, minimised and maximised from the last basis."""

    def __init__(self, variables: list[int], relations: list[tuple], known: dict[int, int], floors: dict[int, int]):
        import highspy

        self.columns = {v: j for j, v in enumerate(variables)}
        by_column = [([], []) for _ in variables]
        lower, upper = [], []
        for row, (terms, sense) in enumerate(relations):
            rhs = 0.0
            for v, c in terms:
                if v in known:
                    rhs -= c * known[v]
                else:
                    by_column[self.columns[v]][0].append(row)
                    by_column[self.columns[v]][1].append(c)
            lower.append(rhs if sense == "=" else -highspy.kHighsInf)
            upper.append(rhs)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(variables), len(relations)
        lp.col_cost_ = np.zeros(len(variables))
        lp.col_lower_ = np.array([float(floors.get(v, 0)) for v in variables])
        lp.col_upper_ = np.full(len(variables), highspy.kHighsInf)
        lp.row_lower_, lp.row_upper_ = np.array(lower), np.array(upper)
        starts = np.cumsum([0] + [len(rows) for rows, _ in by_column])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = np.array([r for rows, _ in by_column for r in rows], dtype=np.int32)
        lp.a_matrix_.value_ = np.array([c for _, coefs in by_column for c in coefs], dtype=float)
        self.highs = _solver()
        self.highs.setOptionValue("presolve", "off")  # each objective starts from the last basis
        self.highs.setOptionValue("simplex_strategy", 4)  # primal: the last basis stays feasible
        self.highs.passModel(lp)
        self.status = highspy.HighsModelStatus
        self.sense = highspy.ObjSense
        self.last: list[int] = []
        self.constant = 0.0

    def aim(self, target: tuple, known: dict[int, int]) -> None:
        """Make the count `target` the objective."""
        if self.last:
            self.highs.changeColsCost(len(self.last), np.array(self.last, dtype=np.int32), np.zeros(len(self.last)))
        self.constant, columns, costs = 0.0, [], []
        for v, c in target:
            if v in known:
                self.constant += c * known[v]
            else:
                columns.append(self.columns[v])
                costs.append(float(c))
        self.highs.changeColsCost(len(columns), np.array(columns, dtype=np.int32), np.array(costs))
        self.last = columns

    def bound(self, maximise: bool) -> float:
        """The largest (or smallest) value of the objective the relations allow."""
        self.highs.changeObjectiveSense(self.sense.kMaximize if maximise else self.sense.kMinimize)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == self.status.kUnknown:  # HiGHS gave up from the last basis: this objective afresh
            self.highs.clearSolver()
            self.highs.run()
            status = self.highs.getModelStatus()
        if status in (self.status.kUnbounded, self.status.kUnboundedOrInfeasible):
            return np.inf if maximise else -np.inf
        if status != self.status.kOptimal:  # the true counts satisfy every relation: anything else is a fault
            raise RuntimeError(f"the disclosure audit's linear program ended {self.highs.modelStatusToString(status)}")
        return self.highs.getInfo().objective_function_value + self.constant


def _solver():
    """A HiGHS solver, silent. The first one made in a process prints HiGHS's banner on file descriptor 1,
    whatever its options: parity's commands (and dbt's log) print only their own lines."""
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _BANNER_SHOWN = True
    highs.setOptionValue("output_flag", False)
    return highs


_BANNER_SHOWN = False


def _exposure(system: System, target: tuple, low: float, high: float) -> Exposure:
    key, count, release = system.targets[target]
    return Exposure(key, count, release, low, high, target)


