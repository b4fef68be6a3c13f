"""An outside analyst's attack on what parity publishes, written from indicators.md alone (no code of
parity/suppression): every release's public indicator rows, the published rank bands and region, and
linear programming over the ties between rows. For each confidential count (the women, or the others,
of a withheld row whose true count is 1..threshold) it finds the range the published numbers leave, and
reports those narrower than the protection rule.

Unknowns: for each withheld row, w (the numerator: the women, the admitted, the separated ...) and o
(the denominator minus it), at least 0, and w + o at least 1 on a breakdown row (it exists only where
its population is not empty). A row whose true counts are the same in two releases is one unknown in both
(an attacker may guess as much; this one is told).
"""
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

KEY = ["indicator_code", "country_code", "period", "breakdown", "breakdown_value"]
SPLITS = [("WSHARE_UNIFORMED", "service"), ("WSHARE_UNIFORMED", "nato_rank"), ("WSHARE_UNIFORMED", "rank_band"),
          ("WSHARE_APPLICANTS", "channel"), ("WSHARE_ADMITTED", "channel"), ("ADMISSION_RATE", "sex"),
          ("PROMOTION_RATE", "sex"), ("TRAINING_COVERAGE", "sex"), ("COMPLAINTS_RECEIVED", "type")]
CATEGORIES = ["WSHARE_OFFICERS", "WSHARE_NCOS", "WSHARE_SOLDIERS", "WSHARE_CADETS", "WSHARE_CIVILIANS"]


@dataclass(frozen=True)
class Finding:
    release: int
    key: tuple
    count: str  # "w" or "o"
    truth: int
    low: float
    high: float


def _quarter_before(period: str) -> str:
    year, q = int(period[:4]), int(period[-1])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


class _Model:
    def __init__(self):
        self.names = {}  # (key, true n, true d, part) -> column
        self.fixed = {}  # column -> published value
        self.free_below = set()  # columns that may be negative (an attrition rate's o)
        self.constraints = []  # (dict column -> coef, sense): sum (= or <=) 0
        self.floors = []  # dict column -> coef: sum >= 1 (a breakdown row exists: its population is not empty)

    def column(self, name, published=None, may_be_negative=False):
        if name not in self.names:
            self.names[name] = len(self.names)
        j = self.names[name]
        if published is not None:
            self.fixed[j] = published
        if may_be_negative:
            self.free_below.add(j)
        return j


def _release_terms(model: _Model, published: pd.DataFrame, truth: pd.DataFrame):
    """part(key, 'w'|'o'|'t') -> {column: coef} for one release; absent rows are 0."""
    rows = published.merge(truth[KEY + ["numerator", "denominator"]], on=KEY, suffixes=("", "_true"))
    lookup = {}
    for r in rows.itertuples(index=False):
        key = tuple(getattr(r, k) for k in KEY)
        n, d = int(r.numerator_true), (None if pd.isna(r.denominator_true) else int(r.denominator_true))
        shown = r.obs_status == "A"
        w = model.column((key, n, d, "w"), n if shown else None)
        o = None if d is None else model.column((key, n, d, "o"), d - n if shown else None,
                                                 may_be_negative=key[0] == "ATTRITION_RATE")
        lookup[key] = (w, o, n, d, r.obs_status)
        if key[3] != "total":
            model.floors.append({w: 1} if o is None else {w: 1, o: 1})

    def part(key, which):
        if key not in lookup:
            return {}
        w, o, *_ = lookup[key]
        if which == "w":
            return {w: 1}
        if o is None:
            return {}
        return {o: 1} if which == "o" else {w: 1, o: 1}
    return lookup, part


def _add(model, left: dict, right: dict, sense="="):
    terms = defaultdict(int)
    for j, c in left.items():
        terms[j] += c
    for j, c in right.items():
        terms[j] -= c
    terms = {j: c for j, c in terms.items() if c}
    if terms:
        model.constraints.append((terms, sense))


def _sum(*parts):
    total = defaultdict(int)
    for p in parts:
        for j, c in p.items():
            total[j] += c
    return dict(total)


def _relations(model, lookup, part, bands: dict, members: list[str]):
    keys = list(lookup)
    by_group = defaultdict(list)
    for k in keys:
        by_group[k[:4]].append(k)
    places = {(k[1], k[2]) for k in keys}
    # a region is the sum of its members
    for k in keys:
        if k[1] == "WB4":
            for which in ("w", "o"):
                _add(model, part(k, which), _sum(*(part((k[0], m, *k[2:]), which) for m in members)))
    for (code, country, period) in {(k[0], k[1], k[2]) for k in keys}:
        total = (code, country, period, "total", "total")
        for split_code, breakdown in SPLITS:
            if split_code == code and (code, country, period, breakdown) in by_group:
                rows = by_group[(code, country, period, breakdown)]
                for which in ("w", "o"):
                    _add(model, part(total, which), _sum(*(part(r, which) for r in rows)))
        attrition = by_group.get((code, country, period, "sex"), []) if code == "ATTRITION_RATE" else []
        if attrition:
            _add(model, part(total, "t"), _sum(*(part(r, "t") for r in attrition)))
            if len(attrition) == 2:
                _add(model, part(total, "w"), _sum(*(part(r, "w") for r in attrition)))
    for country, period in places:
        def row(code, breakdown="total", value="total", when=period, where=country):
            return (code, where, when, breakdown, value)
        by_band = defaultdict(list)
        for k in by_group.get(("WSHARE_UNIFORMED", country, period, "nato_rank"), []):
            by_band[bands[k[4]]].append(k)
        for k in by_group.get(("WSHARE_UNIFORMED", country, period, "rank_band"), []):
            for which in ("w", "o"):
                _add(model, part(k, which), _sum(*(part(r, which) for r in by_band[k[4]])))
        if row("WSHARE_UNIFORMED") in lookup:
            for which in ("w", "o"):
                _add(model, part(row("WSHARE_UNIFORMED"), which),
                     _sum(*(part(row(c), which) for c in CATEGORIES[:3])))
                if row("WSHARE_COMMAND") in lookup:
                    _add(model, part(row("WSHARE_COMMAND"), which), part(row("WSHARE_UNIFORMED"), which), "<=")
        if row("WSHARE_ADMITTED") in lookup and row("ADMISSION_RATE") in lookup:
            _add(model, part(row("WSHARE_ADMITTED"), "w"), part(row("ADMISSION_RATE", "sex", "F"), "w"))
            _add(model, part(row("WSHARE_ADMITTED"), "o"), part(row("ADMISSION_RATE", "sex", "M"), "w"))
        before = row("WSHARE_UNIFORMED", when=_quarter_before(period))
        if row("ATTRITION_RATE") in lookup and before in lookup:
            _add(model, part(row("ATTRITION_RATE"), "t"), part(before, "t"))
            _add(model, part(row("ATTRITION_RATE", "sex", "F"), "t"), part(before, "w"))
            _add(model, part(row("ATTRITION_RATE", "sex", "M"), "t"), part(before, "o"))
        snapshot = [row(c) for c in CATEGORIES]
        if all(k in lookup for k in snapshot):
            if row("TRAINING_COVERAGE") in lookup:
                _add(model, part(row("TRAINING_COVERAGE", "sex", "F"), "t"), _sum(*(part(k, "w") for k in snapshot)))
                _add(model, part(row("TRAINING_COVERAGE", "sex", "M"), "t"), _sum(*(part(k, "o") for k in snapshot)))
            if row("COMPLAINTS_PER_1000") in lookup:
                _add(model, part(row("COMPLAINTS_PER_1000"), "t"), _sum(*(part(k, "t") for k in snapshot)))
        if row("COMPLAINTS_PER_1000") in lookup and row("COMPLAINTS_RECEIVED") in lookup:
            _add(model, part(row("COMPLAINTS_PER_1000"), "w"), part(row("COMPLAINTS_RECEIVED"), "w"))
        coaches_before = row("GENDER_COACH_TOTAL", when=_quarter_before(period))
        if row("GENDER_COACH_TOTAL") in lookup and coaches_before in lookup:
            _add(model, part(coaches_before, "w"), part(row("GENDER_COACH_TOTAL"), "w"), "<=")


def attack(releases: list[tuple[pd.DataFrame, pd.DataFrame]], bands: dict, members: list[str],
           threshold: int, width: int) -> list[Finding]:
    """releases: (published, truth) per release, oldest first: the public indicator rows (KEY, unit,
    numerator, denominator, obs_status) and the true ones (KEY, numerator, denominator)."""
    import highspy
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    model, targets = _Model(), []
    for number, (published, truth) in enumerate(releases, start=1):
        lookup, part = _release_terms(model, published, truth)
        _relations(model, lookup, part, bands, members)
        for key, (w, o, n, d, status) in lookup.items():
            if status == "A":
                continue
            if 1 <= n <= threshold:
                targets.append((number, key, "w", n, w))
            if o is not None and 1 <= d - n <= threshold:
                targets.append((number, key, "o", d - n, o))
    size = len(model.names)
    rows, cols = [], []
    for terms in [t for t, _ in model.constraints] + model.floors:
        unknown = [j for j in terms if j not in model.fixed]
        if not unknown:
            continue
        rows += [unknown[0]] * len(unknown)
        cols += unknown
    graph = coo_array((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, component = connected_components(graph, directed=False)
    findings, solvers = [], {}
    for number, key, which, truth, j in targets:
        c = component[j]
        if c not in solvers:
            solvers[c] = _solver(highspy, model, component, c)
        highs, variables = solvers[c]
        if j in model.fixed:
            low = high = model.fixed[j]
        else:
            highs.minimize(variables[j])
            low = _bound(highs, -np.inf)
            highs.maximize(variables[j])
            high = _bound(highs, np.inf)
        outside = low < 1 - 1e-6 or high > threshold + 1e-6
        if not (outside and high - low >= width - 1e-6):
            findings.append(Finding(number, key, which, truth, low, high))
    return findings


def _bound(highs, unbounded: float) -> float:
    status = highs.modelStatusToString(highs.getModelStatus())
    if status == "Unknown":  # HiGHS gave up from the last basis: solve this objective afresh
        highs.clearSolver()
        highs.run()
        status = highs.modelStatusToString(highs.getModelStatus())
    if status.startswith("Unbounded"):
        return unbounded
    assert status == "Optimal", status
    return highs.getObjectiveValue()


def _solver(highspy, model: _Model, component, c):
    highs = highspy.Highs()
    highs.silent()
    variables = {}
    for j in np.flatnonzero(component == c):
        if j not in model.fixed:
            variables[j] = highs.addVariable(lb=-highspy.kHighsInf if j in model.free_below else 0)
    for terms, sense in model.constraints:
        unknown = [j for j in terms if j not in model.fixed]
        if not unknown or component[unknown[0]] != c:
            continue
        constant = sum(coef * model.fixed[j] for j, coef in terms.items() if j in model.fixed)
        expression = sum(coef * variables[j] for j, coef in terms.items() if j not in model.fixed)
        highs.addConstr(expression + constant == 0 if sense == "=" else expression + constant <= 0)
    for terms in model.floors:
        unknown = [j for j in terms if j not in model.fixed]
        if unknown and component[unknown[0]] == c:
            constant = sum(coef * model.fixed[j] for j, coef in terms.items() if j in model.fixed)
            highs.addConstr(sum(coef * variables[j] for j in unknown for coef in [terms[j]]) + constant >= 1)
    return highs, variables
