"""indicators.md computed a second way: plain pandas over the generator's canonical tables (registration
numbers in clear, no warehouse, no SQL). The marts must agree with it row for row."""
import pandas as pd

from parity.config import DBT_PROJECT_DIR
from sources.period import Period

UNIFORMED = {"officer", "nco", "soldier"}
DECISION = {"battalion", "brigade", "strategic"}
CLOSED = {"substantiated", "unsubstantiated", "withdrawn"}
BANDS = {**{f"OF-{i}": "OF6+" for i in range(6, 11)}, **{f"OF-{i}": "OF3-5" for i in (3, 4, 5)},
         "OF-1": "OF1-2", "OF-2": "OF1-2", **{f"OR-{i}": "OR5-9" for i in range(5, 10)},
         **{f"OR-{i}": "OR1-4" for i in range(1, 5)}}
UNITS = {"GENDER_COACH_TOTAL": "count", "COMPLAINTS_RECEIVED": "count", "COMPLAINTS_PER_1000": "per_1000"}
KEY = ["indicator_code", "country_code", "period", "breakdown", "breakdown_value"]


def _ranks() -> pd.DataFrame:
    ranks = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "ranks.csv", dtype=str)
    return ranks.assign(rank_order=ranks.rank_order.astype(int), band=ranks.nato_code.map(BANDS))


class _Rows(list):
    def add(self, code, country, period, breakdown, value, numerator, denominator):
        self.append((code, country, period, breakdown, value, int(numerator),
                     None if denominator is None else int(denominator)))

    def share(self, code, country, period, frame, is_numerator, breakdowns=(), person=None):
        """Total row always; a breakdown row per value present (so its denominator is above 0)."""
        numerator = is_numerator(frame)
        if person:
            def count(f):
                return f[person].nunique()
            self.add(code, country, period, "total", "total", count(frame[numerator]), count(frame))
            for name, column in breakdowns:
                for value, group in frame.dropna(subset=[column]).groupby(column):
                    self.add(code, country, period, name, value, count(group[is_numerator(group)]), count(group))
            return
        # rows, not persons: counted by value in one pass (groupby leaves out a missing value)
        self.add(code, country, period, "total", "total", numerator.sum(), len(frame))
        for name, column in breakdowns:
            counts = numerator.groupby(frame[column], observed=True).agg(["sum", "size"])
            for value, (women, rows) in counts.iterrows():
                self.add(code, country, period, name, value, women, rows)


def reference_indicators(data: dict[tuple[str, str], dict[str, pd.DataFrame]]) -> pd.DataFrame:
    """data: (country, period) -> {table: canonical frame}; a table not in the dict was not reported."""
    ranks = _ranks()
    rows = _Rows()
    women = lambda f: f.sex == "F"  # noqa: E731
    for (country, period), tables in sorted(data.items()):
        if "personnel" not in tables:
            continue
        q = Period.parse(period)
        first, last = pd.Timestamp(q.first_day), pd.Timestamp(q.last_day)
        own_ranks = ranks[ranks.country_code == country][["local_rank", "rank_order", "nato_code", "band"]]
        people = tables["personnel"].merge(own_ranks, how="left", left_on="rank", right_on="local_rank")
        uniformed = people[people.category.isin(UNIFORMED)]
        rows.share("WSHARE_UNIFORMED", country, period, uniformed, women,
                   [("service", "service"), ("nato_rank", "nato_code"), ("rank_band", "band")])
        for code, category in [("WSHARE_OFFICERS", "officer"), ("WSHARE_NCOS", "nco"), ("WSHARE_SOLDIERS", "soldier"),
                               ("WSHARE_CADETS", "cadet"), ("WSHARE_CIVILIANS", "civilian")]:
            rows.share(code, country, period, people[people.category == category], women)
        rows.share("WSHARE_COMMAND", country, period, uniformed[uniformed.command_level.notna()], women)
        rows.share("WSHARE_DECISION", country, period, people[people.command_level.isin(DECISION)], women)

        if "recruitment" in tables:
            apps = tables["recruitment"]
            rows.share("WSHARE_APPLICANTS", country, period, apps, women, [("channel", "channel")])
            rows.share("WSHARE_ADMITTED", country, period, apps[apps.outcome == "admitted"], women,
                       [("channel", "channel")])
            rows.share("ADMISSION_RATE", country, period, apps[apps.outcome.isin({"admitted", "rejected"})],
                       lambda f: f.outcome == "admitted", [("sex", "sex")])

        previous = data.get((country, str(q.previous())), {}).get("personnel")
        if previous is not None:
            before = previous.merge(own_ranks, how="left", left_on="rank", right_on="local_rank")
            before_uniformed = before[before.category.isin(UNIFORMED)]
            if "separations" in tables:
                left = tables["separations"][tables["separations"].category.isin(UNIFORMED)]
                rows.add("ATTRITION_RATE", country, period, "total", "total", len(left), len(before_uniformed))
                for sex in ("F", "M"):
                    denominator = int((before_uniformed.sex == sex).sum())
                    if denominator:
                        rows.add("ATTRITION_RATE", country, period, "sex", sex, (left.sex == sex).sum(), denominator)
            both = uniformed.merge(before_uniformed[["personnel_no", "rank_order"]], on="personnel_no",
                                   suffixes=("", "_before"))
            rows.share("PROMOTION_RATE", country, period, both, lambda f: f.rank_order > f.rank_order_before,
                       [("sex", "sex")])

        if "deployments" in tables:
            dep = tables["deployments"]
            un = dep[dep.organization == "UN"]
            individual = un[un.role.isin({"staff_officer", "observer"})].assign(role="individual")
            rows.share("WSHARE_DEPLOYED", country, period, dep, women,
                       [("organization", "organization"), ("role", "role")], person="personnel_no")
            for value, group in pd.concat([un, individual]).groupby("role"):
                rows.add("WSHARE_DEPLOYED", country, period, "un_role", value,
                         group[women(group)].personnel_no.nunique(), group.personnel_no.nunique())

        if "trainings" in tables:
            earlier = pd.concat([t["trainings"] for (c, p), t in data.items()
                                 if c == country and p <= period and "trainings" in t])
            trained = set(earlier.personnel_no)
            rows.share("TRAINING_COVERAGE", country, period, people, lambda f, trained=trained: f.personnel_no.isin(trained),
                       [("sex", "sex")])
            coaches = earlier[earlier.course == "gender_coach"].personnel_no.nunique()
            rows.add("GENDER_COACH_TOTAL", country, period, "total", "total", coaches, None)

        if "complaints" in tables:
            cases = tables["complaints"]
            received = cases[(cases.report_date >= first) & (cases.report_date <= last)]
            rows.add("COMPLAINTS_RECEIVED", country, period, "total", "total", len(received), None)
            for value, group in received.groupby("type"):
                rows.add("COMPLAINTS_RECEIVED", country, period, "type", value, len(group), None)
            rows.add("COMPLAINTS_PER_1000", country, period, "total", "total", len(received), len(people))
            closed = cases[cases.status.isin(CLOSED) & (cases.closed_date >= first) & (cases.closed_date <= last)]
            rows.add("COMPLAINTS_SUBSTANTIATED", country, period, "total", "total",
                     (closed.status == "substantiated").sum(), len(closed))

    frame = pd.DataFrame(rows, columns=KEY[:1] + ["country_code", "period", "breakdown", "breakdown_value",
                                                  "numerator", "denominator"])
    frame = frame[KEY + ["numerator", "denominator"]]
    totals = frame[frame.breakdown == "total"].groupby(["indicator_code", "period"]).country_code.nunique()
    complete = totals[totals == 4].reset_index()[["indicator_code", "period"]]
    region = (frame.merge(complete).groupby(KEY[:1] + KEY[2:], as_index=False)
              .agg(numerator=("numerator", "sum"), denominator=("denominator", lambda d: d.sum(min_count=1))))
    frame = pd.concat([frame, region.assign(country_code="WB4")[frame.columns]], ignore_index=True)
    frame["unit"] = frame.indicator_code.map(UNITS).fillna("percent")
    scale = frame.unit.map({"percent": 100.0, "per_1000": 1000.0, "count": 1.0})
    ratio = frame.numerator / frame.denominator.where(frame.denominator > 0)
    frame["value"] = (scale * ratio).where(frame.unit != "count", frame.numerator.astype(float))
    return frame.sort_values(KEY, ignore_index=True)
