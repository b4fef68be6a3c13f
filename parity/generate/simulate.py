"""A country's workforce simulated quarter by quarter, in canonical form (codes, not labels).

State is a handful of numpy arrays (one entry per person ever employed), so scale 20 over 40
quarters stays small; each quarter's tables are built, handed to the writer and dropped.
Registration numbers are stable: a person keeps theirs across quarters and category changes.
"""
import numpy as np
import pandas as pd

from parity.generate import calibration as cal
from sources.period import Period
from sources.ranks import ranks_of
from sources.tables import CODE_LISTS

CATEGORIES = CODE_LISTS["category"]  # a person's category is an index into it
OFFICER, NCO, SOLDIER, CADET, CIVILIAN = (CATEGORIES.index(c) for c in ("officer", "nco", "soldier", "cadet", "civilian"))
UNIFORMED = (OFFICER, NCO, SOLDIER)
SEPARATION_REASONS = {"resignation": 0.33, "contract_end": 0.35, "dismissal": 0.05, "medical": 0.1,
                      "death": 0.02, "other": 0.15}
COURSES = {"gender_basic": 0.5, "gender_online": 0.3, "gender_coach": 0.01, "gender_trainer": 0.04,
           "pre_deployment": 0.15}
COMPLAINT_TYPES = {"sexual_harassment": 0.45, "gender_discrimination": 0.3, "other_harassment": 0.25}
CLOSED_STATUSES = {"substantiated": 0.4, "unsubstantiated": 0.4, "withdrawn": 0.2}
# Command posts by NATO grade: (level, probability) held by someone of that grade.
COMMAND_BY_GRADE = {
    "OR-5": ("team", 0.2), "OR-6": ("team", 0.2), "OR-7": ("team", 0.2), "OR-8": ("platoon", 0.15),
    "OR-9": ("platoon", 0.15), "OF-1": ("platoon", 0.4), "OF-2": ("company", 0.35), "OF-3": ("battalion", 0.25),
    "OF-4": ("battalion", 0.3), "OF-5": ("brigade", 0.35),
}
EPOCH = np.datetime64("1970-01-01", "D")


def _days(date) -> int:
    return int((np.datetime64(date, "D") - EPOCH).astype(int))


def _year_fraction(period: Period) -> float:
    return period.year + (period.quarter - 0.5) / 4


class Workforce:
    def __init__(self, country: str, scale: float, seed: int, start: Period):
        self.country, self.c = country, cal.COUNTRIES[country]
        self.rng = np.random.default_rng([seed, sum(map(ord, country))])
        self.quarter_index = 0
        ranks = ranks_of(country)
        # Navy equivalents share a grade with a standard rank; they are worn only in the navy.
        self.rank_name = np.array([r.local_rank for r in ranks], dtype=object)
        self.rank_nato = np.array([r.nato_code for r in ranks], dtype=object)
        navy_equiv = {(r.rank_order, r.category): i for i, r in enumerate(ranks) if r.note.startswith("navy")}
        self.ladder = {}  # category -> rank indices, lowest first (standard ranks only)
        self.navy_rank = np.arange(len(ranks))
        for cat in UNIFORMED:
            idx = [i for i, r in enumerate(ranks) if r.category == CATEGORIES[cat] and not r.note.startswith("navy")]
            self.ladder[cat] = sorted(idx, key=lambda i: ranks[i].rank_order)
            assert self.ladder[cat] == sorted(idx), "ranks.csv lists each country's ranks in seniority order"
            for i in idx:
                self.navy_rank[i] = navy_equiv.get((ranks[i].rank_order, ranks[i].category), i)
        grade = {r: int(r.split("-")[1]) for r in set(self.rank_nato)}
        self.women_max_rank = {
            cat: max((i for i in lad if not (self.c.no_women_above_of5 and self.rank_nato[i].startswith("OF")
                                             and grade[self.rank_nato[i]] > 5)), default=lad[-1])
            for cat, lad in self.ladder.items()
        }
        self.services = [s for s in CODE_LISTS["service"] if s in self.c.units]
        # headcount of each category, held constant (the order is the order of the random draws)
        self.targets = {cat: round(self.c.uniformed * scale * cal.CATEGORY_SPLIT[CATEGORIES[cat]]) for cat in UNIFORMED}
        self.targets[CADET] = round(self.c.uniformed * scale * cal.CADETS_PER_UNIFORMED)
        self.targets[CIVILIAN] = round(self.c.civilians * scale)
        self.next_id = 1000 + self.rng.integers(0, 9000)
        self.next_application = self.next_case = 1
        self.p = {k: np.empty(0, dtype=t) for k, t in (
            ("pid", np.int64), ("female", bool), ("birth", np.int16), ("cat", np.int8), ("rank", np.int16),
            ("service", np.int8), ("unit", np.int16), ("cmd", object), ("entry", np.int32), ("active", bool),
            ("joined_q", np.int32))}
        self.dep = {k: np.empty(0, dtype=t) for k, t in (
            ("person", np.int64), ("mission", np.int16), ("role", object), ("start", np.int32), ("end", np.int32))}
        self.cases = {k: np.empty(0, dtype=t) for k, t in (
            ("no", np.int32), ("year", np.int16), ("report", np.int32), ("type", object), ("female", bool),
            ("close", np.int32), ("final", object))}
        self._initial_population(start)

    # --- helpers ------------------------------------------------------------------------------

    def women_target(self, cat: int, period: Period) -> float:
        name = "officer" if cat == CADET else CATEGORIES[cat]
        base = self.c.women_share[name] + (0.05 if cat == CADET else 0.0)
        return max(0.0, base + cal.SHARE_DRIFT_PER_YEAR * (_year_fraction(period) - cal.REFERENCE_YEAR))

    def _choice(self, weights: dict, n: int):
        keys = list(weights)
        w = np.array([weights[k] for k in keys], dtype=float)
        return np.array(keys, dtype=object)[self.rng.choice(len(keys), size=n, p=w / w.sum())]

    def _dates_in(self, period: Period, n: int) -> np.ndarray:
        first, last = _days(period.first_day), _days(period.last_day)
        return self.rng.integers(first, last + 1, size=n).astype(np.int32)

    def _command_levels(self, cat: np.ndarray, rank: np.ndarray, female: np.ndarray) -> np.ndarray:
        out = np.full(len(cat), None, dtype=object)
        draw = self.rng.random(len(cat)) * np.where(female, 1.15, 1.0)  # women a little less often
        nato = np.where(rank >= 0, self.rank_nato[np.maximum(rank, 0)], "")
        for grade, (level, p) in COMMAND_BY_GRADE.items():
            out[(nato == grade) & (draw < p)] = level
        out[np.char.startswith(nato.astype(str), "OF-") & ~np.isin(nato, list(COMMAND_BY_GRADE)) & (draw < 0.7)] = "strategic"
        out[(cat == CIVILIAN) & (draw < 0.015)] = "strategic"
        out[(cat == CIVILIAN) & (draw >= 0.015) & (draw < 0.04)] = "brigade"
        return out

    def _services(self, cat: int, n: int) -> np.ndarray:
        group = "cadet" if cat == CADET else "civilian" if cat == CIVILIAN else "uniformed"
        weights = {s: w for s, w in cal.SERVICE_WEIGHTS[group].items() if s in self.services}
        names = self._choice(weights, n)
        return np.array([self.services.index(s) for s in names], dtype=np.int8)

    def _add_people(self, cat: int, n: int, female: np.ndarray, entry: np.ndarray, age: np.ndarray,
                    rank: np.ndarray) -> None:
        if n == 0:
            return
        service = self._services(cat, n)
        units = np.array([self.rng.integers(0, len(self.c.units[self.services[s]])) for s in service], dtype=np.int16)
        years = (EPOCH + entry.astype("timedelta64[D]")).astype("datetime64[Y]").astype(int) + 1970
        cats = np.full(n, cat, dtype=np.int8)
        new = {
            "pid": np.arange(self.next_id, self.next_id + n, dtype=np.int64), "female": female,
            "birth": (years - age).astype(np.int16), "cat": cats, "rank": rank.astype(np.int16),
            "service": service, "unit": units, "cmd": self._command_levels(cats, rank, female),
            "entry": entry, "active": np.ones(n, bool), "joined_q": np.full(n, self.quarter_index, np.int32),
        }
        self.next_id += n + int(self.rng.integers(0, 3))  # numbers are not perfectly dense
        self.p = {k: np.concatenate([self.p[k], new[k]]) for k in self.p}

    def _initial_population(self, start: Period) -> None:
        start_day = _days(start.first_day)
        for cat, target in self.targets.items():
            female = self.rng.random(target) < self.women_target(cat, start)
            tenure_years = self.rng.integers(0, 4 if cat == CADET else 30 if cat != SOLDIER else 15, size=target)
            entry = (start_day - tenure_years * 365 - self.rng.integers(1, 365, size=target)).astype(np.int32)
            age = self._entry_age(cat, target) + tenure_years
            rank = np.full(target, -1, dtype=np.int16)
            if cat in UNIFORMED:
                ladder = np.array(self.ladder[cat])
                weights = 0.55 ** np.arange(len(ladder))
                weights[self.rank_nato[ladder].astype(str) >= "OF-6"] *= 0.05
                pos = self.rng.choice(len(ladder), size=target, p=weights / weights.sum())
                rank = ladder[pos]
                cap = self.women_max_rank[cat]
                rank = np.where(female & (rank > cap), cap, rank).astype(np.int16)
            self._add_people(cat, target, female, entry, np.minimum(age, cal.RETIREMENT_AGE - 1), rank)
        # cadets' academy years are spread so that graduations come evenly (only cadets' joined_q is read)
        cadets = self.p["cat"] == CADET
        self.p["joined_q"][cadets] = -self.rng.integers(0, cal.CADET_QUARTERS, size=int(cadets.sum()))

    def _entry_age(self, cat: int, n: int) -> np.ndarray:
        low, high = {CADET: (18, 21), CIVILIAN: (23, 45), OFFICER: (22, 27)}.get(cat, (19, 27))
        return self.rng.integers(low, high, size=n)

    # --- one quarter ---------------------------------------------------------------------------

    def step(self, period: Period) -> dict[str, pd.DataFrame]:
        first, last = _days(period.first_day), _days(period.last_day)
        busy = np.isin(self.p["pid"], self.dep["person"][self.dep["end"] >= first])
        separations = self._separate(period, busy)
        graduated = self._graduate()
        self._promote()
        intakes = self._recruit(period, graduated)
        tables = {
            "personnel": self._snapshot(),
            "separations": separations,
            "recruitment": self._applications(period, intakes),
            "deployments": self._deployments(period, first, last),
            "trainings": self._trainings(period),
            "complaints": self._complaints(period, first, last),
        }
        self.quarter_index += 1
        return tables

    def _separate(self, period: Period, busy: np.ndarray) -> pd.DataFrame:
        p = self.p
        active = p["active"] & ~busy
        age = period.year - p["birth"]
        rate = np.array([cal.QUARTERLY_SEPARATION[c] for c in CATEGORIES])[p["cat"]]
        rate = rate * np.where(p["female"], cal.WOMEN_SEPARATION_FACTOR, 1.0)
        retire = active & (age >= cal.RETIREMENT_AGE)
        leave = active & ~retire & (self.rng.random(len(rate)) < rate)
        idx = np.flatnonzero(retire | leave)
        reasons = self._choice(SEPARATION_REASONS, len(idx))
        reasons[retire[idx]] = "retirement"
        frame = self._person_columns(idx, ("personnel_no", "sex", "category", "rank"))
        frame["exit_date"] = self._as_dates(self._dates_in(period, len(idx)))
        frame["reason"] = reasons
        p["active"][idx] = False
        return frame

    def _graduate(self) -> int:
        p = self.p
        done = p["active"] & (p["cat"] == CADET) & (self.quarter_index - p["joined_q"] >= cal.CADET_QUARTERS)
        p["cat"][done] = OFFICER
        p["rank"][done] = self.ladder[OFFICER][0]
        p["service"][done] = self._services(OFFICER, int(done.sum()))
        return int(done.sum())

    def _promote(self) -> None:
        p = self.p
        for cat in UNIFORMED:
            ladder = np.array(self.ladder[cat])
            members = np.flatnonzero(p["active"] & (p["cat"] == cat))
            pos = np.searchsorted(ladder, p["rank"][members])
            top = np.where(p["female"][members], np.searchsorted(ladder, self.women_max_rank[cat]), len(ladder) - 1)
            chance = cal.QUARTERLY_PROMOTION * 0.8 ** pos
            up = members[(pos < top) & (self.rng.random(len(members)) < chance)]
            p["rank"][up] = ladder[np.searchsorted(ladder, p["rank"][up]) + 1]
            p["cmd"][up] = self._command_levels(p["cat"][up], p["rank"][up], p["female"][up])

    def _recruit(self, period: Period, graduated: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Fill each category back to its headcount; returns each category's intakes (sex, entry)."""
        p, intakes = self.p, {}
        for cat, target in self.targets.items():
            members = p["active"] & (p["cat"] == cat)
            need = max(0, target - int(members.sum()))
            women_now = int((members & p["female"]).sum())
            wanted_women = self.women_target(cat, period) * (int(members.sum()) + need)
            share = np.clip((wanted_women - women_now) / need, 0, 1) if need else 0.0
            female = self.rng.random(need) < share
            entry = self._dates_in(period, need)
            rank = np.full(need, self.ladder[cat][0] if cat in UNIFORMED else -1, dtype=np.int16)
            self._add_people(cat, need, female, entry, self._entry_age(cat, need), rank)
            intakes[cat] = (female, entry)
        return intakes

    def _applications(self, period: Period, intakes) -> pd.DataFrame:
        channels = {"academy": (OFFICER, CADET), "soldier": (SOLDIER,), "nco": (NCO,), "civilian": (CIVILIAN,)}
        parts = []
        for channel, cats in channels.items():
            female = np.concatenate([intakes[c][0] for c in cats])
            dates = np.concatenate([intakes[c][1] for c in cats])
            admitted = len(female)
            others = int(round(admitted * (1 / cal.ADMISSION_RATE - 1))) + int(self.rng.integers(0, 3))
            women_share = min(1.0, (female.mean() if admitted else 0.1) * 1.2)
            outcome = np.concatenate([np.full(admitted, "admitted", dtype=object),
                                      self._choice({"rejected": 0.85, "withdrawn": 0.1, "pending": 0.05}, others)])
            first = _days(period.first_day)
            apply_dates = np.concatenate([
                np.maximum(first, dates - self.rng.integers(0, 60, size=admitted)), self._dates_in(period, others)])
            sex = np.concatenate([female, self.rng.random(others) < women_share])
            low, high = (22, 50) if channel == "civilian" else (18, 30)
            parts.append(pd.DataFrame({
                "sex": np.where(sex, "F", "M"),
                "birth_year": (period.year - self.rng.integers(low, high, size=len(sex))).astype(int),
                "channel": channel, "outcome": outcome, "application_date": self._as_dates(apply_dates)}))
        frame = pd.concat(parts, ignore_index=True).sample(frac=1, random_state=self.rng.integers(1 << 31))
        numbers = np.arange(self.next_application, self.next_application + len(frame))
        self.next_application += len(frame)
        frame.insert(0, "application_no", [f"PR-{period.year}-{n:06d}" for n in numbers])
        return frame.sort_values("application_no", ignore_index=True)

    def _snapshot(self) -> pd.DataFrame:
        idx = np.flatnonzero(self.p["active"])
        frame = self._person_columns(idx, ("personnel_no", "sex", "birth_year", "category", "rank", "service",
                                           "unit", "command_level"))
        frame["entry_date"] = self._as_dates(self.p["entry"][idx])
        return frame

    def _deployments(self, period: Period, first: int, last: int) -> pd.DataFrame:
        p, d = self.p, self.dep
        free = p["active"] & np.isin(p["cat"], UNIFORMED) & ~np.isin(p["pid"], d["person"][d["end"] >= first])
        chance = cal.QUARTERLY_DEPLOYMENT_START * np.where(p["female"], cal.WOMEN_DEPLOYMENT_FACTOR, 1.0)
        idx = np.flatnonzero(free & (self.rng.random(len(free)) < chance))
        officer = p["cat"][idx] == OFFICER
        role = np.where(officer, self._choice({"contingent": 0.5, "staff_officer": 0.35, "observer": 0.15}, len(idx)),
                        "contingent").astype(object)
        weights = np.array([w for _, _, w in cal.MISSIONS])
        mission = self.rng.choice(len(cal.MISSIONS), size=len(idx), p=weights / weights.sum())
        un = np.array([i for i, (_, org, _) in enumerate(cal.MISSIONS) if org == "UN"])
        observers = role == "observer"  # military observers serve in UN missions
        mission[observers] = self.rng.choice(un, size=int(observers.sum()))
        start = self._dates_in(period, len(idx))
        end = start + np.where(self.rng.random(len(idx)) < 0.2, 364, 182)
        self.dep = {k: np.concatenate([d[k], v]) for k, v in (
            ("person", p["pid"][idx]), ("mission", mission.astype(np.int16)), ("role", role),
            ("start", start), ("end", end.astype(np.int32)))}
        d = self.dep
        overlap = np.flatnonzero((d["start"] <= last) & (d["end"] >= first))
        people = np.searchsorted(p["pid"], d["person"][overlap])
        frame = self._person_columns(people, ("personnel_no", "sex", "category", "rank"))
        frame["mission"] = [cal.MISSIONS[m][0] for m in d["mission"][overlap]]
        frame["organization"] = [cal.MISSIONS[m][1] for m in d["mission"][overlap]]
        frame["role"] = d["role"][overlap]
        frame["start_date"] = self._as_dates(d["start"][overlap])
        ended = d["end"][overlap] <= last  # still going on at the quarter's end: no end date yet
        frame["end_date"] = self._as_dates(np.where(ended, d["end"][overlap], 0)).where(ended)
        self.dep = {k: v[d["end"] >= first - 400] for k, v in d.items()}  # forget long-finished ones
        return frame

    def _trainings(self, period: Period) -> pd.DataFrame:
        p = self.p
        idx = np.flatnonzero(p["active"] & (self.rng.random(len(p["active"])) < cal.QUARTERLY_TRAINING))
        frame = self._person_columns(idx, ("personnel_no", "sex"))
        frame["course"] = self._choice(COURSES, len(idx))
        frame["completion_date"] = self._as_dates(self._dates_in(period, len(idx)))
        return frame

    def _complaints(self, period: Period, first: int, last: int) -> pd.DataFrame:
        c = self.cases
        headcount = int(self.p["active"].sum())
        n = int(self.rng.poisson(headcount / 1000 * cal.QUARTERLY_COMPLAINTS_PER_1000 * 4))
        report = self._dates_in(period, n)
        new = {"no": np.arange(self.next_case, self.next_case + n, dtype=np.int32),
               "year": np.full(n, period.year, np.int16), "report": report,
               "type": self._choice(COMPLAINT_TYPES, n), "female": self.rng.random(n) < 0.75,
               "close": (report + self.rng.integers(20, 300, size=n)).astype(np.int32),
               "final": self._choice(CLOSED_STATUSES, n)}
        self.next_case += n
        self.cases = c = {k: np.concatenate([c[k], new[k]]) for k in c}
        rows = ((c["report"] >= first) & (c["report"] <= last)) | ((c["close"] >= first) & (c["close"] <= last)) \
            | ((c["report"] <= last) & (c["close"] > last))
        closed = c["close"] <= last
        status = np.where(closed, c["final"], np.where(last - c["report"] < 45, "received", "investigating"))
        frame = pd.DataFrame({
            "case_no": [f"ZP-{no:04d}/{year}" for no, year in zip(c["no"][rows], c["year"][rows])],
            "report_date": self._as_dates(c["report"][rows]),
            "type": c["type"][rows], "complainant_sex": np.where(c["female"][rows], "F", "M"),
            "status": status[rows],
        })
        frame["closed_date"] = self._as_dates(c["close"][rows]).where(closed[rows])
        self.cases = {k: v[c["close"] >= first] for k, v in c.items()}  # closed before q: done
        return frame

    # --- columns --------------------------------------------------------------------------------

    def _as_dates(self, days: np.ndarray) -> pd.Series:
        return pd.Series((EPOCH + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")).astype("datetime64[ns]"))

    def _person_columns(self, idx: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
        p, out = self.p, {}
        for name in names:
            if name == "personnel_no":
                prefix = np.where(p["cat"][idx] == CIVILIAN, self.c.id_prefix_civilian, self.c.id_prefix_military)
                out[name] = np.array([f"{pre}-{pid:0{self.c.id_digits}d}" for pre, pid in zip(prefix, p["pid"][idx])],
                                     dtype=object)
            elif name == "sex":
                out[name] = np.where(p["female"][idx], "F", "M")
            elif name == "birth_year":
                out[name] = p["birth"][idx].astype(int)
            elif name == "category":
                out[name] = np.array(CATEGORIES, dtype=object)[p["cat"][idx]]
            elif name == "rank":
                rank = p["rank"][idx]
                navy = np.array(self.services, dtype=object)[p["service"][idx]] == "navy"
                shown = np.where(navy & (rank >= 0), self.navy_rank[np.maximum(rank, 0)], rank)
                out[name] = np.where(rank >= 0, self.rank_name[np.maximum(shown, 0)], None)
            elif name == "service":
                out[name] = np.array(self.services, dtype=object)[p["service"][idx]]
            elif name == "unit":
                out[name] = [self.c.units[self.services[s]][u] for s, u in zip(p["service"][idx], p["unit"][idx])]
            elif name == "command_level":
                out[name] = p["cmd"][idx]
        return pd.DataFrame(out)
