"""The figures of a quarterly report: for each, a chart, the table of its numbers, the definitions of
the indicators it shows and the submissions they came from. Built from ReportData only, that is
from disclosure-controlled values: a confidential row stays "suppressed" here too.
"""
from dataclasses import dataclass

from parity.reports import charts
from parity.reports.charts import MEN, WOMEN, Bar
from parity.reports.data import WITHHELD, ReportData, Value

SUPPRESSED = "suppressed"
NOT_REPORTED = "not reported"
CATEGORY_SERIES = {"WSHARE_UNIFORMED": "Uniformed", "WSHARE_OFFICERS": "Officers", "WSHARE_NCOS": "NCOs",
                   "WSHARE_SOLDIERS": "Soldiers", "WSHARE_CADETS": "Cadets", "WSHARE_CIVILIANS": "Civilians"}
RANK_BANDS = ("OF6+", "OF3-5", "OF1-2", "OR5-9", "OR1-4")
UN_ROLES = {"contingent": "Contingent troops", "individual": "Staff officers and observers"}


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    anchor: str
    title: str
    chart: str  # inline SVG
    table: Table
    indicators: tuple[str, ...]  # codes whose definitions and sources the report prints under the figure
    note: str = ""


def count(n: int | None) -> str:
    return f"{n:,}" if n is not None else ""


def counted(value: Value | None, column: str) -> str:
    """A numerator or denominator as a table cell."""
    if value is None:
        return ""
    return SUPPRESSED if value.suppressed else count(getattr(value, column))


def shown(value: Value | None, digits: int = 1) -> str:
    """A value as a table cell: the number, or why there is none."""
    if value is None:
        return NOT_REPORTED
    if value.suppressed:
        return SUPPRESSED
    if value.value is None:
        return "no data (denominator 0)"
    if value.unit == "count":
        return f"{value.value:,.0f}"
    return f"{value.value:.{digits}f}" + ("%" if value.unit == "percent" else " per 1,000")


def complement(value: Value | None) -> int | None:
    """Denominator minus numerator (the men of a women's share), where both are shown."""
    if value is None or value.suppressed or value.numerator is None or value.denominator is None:
        return None
    return value.denominator - value.numerator


def _bar(label: str, value: Value | None, colour: str = WOMEN, target: float | None = None) -> Bar:
    return Bar(label, None if value is None or value.suppressed else value.value,
               suppressed=value is not None and value.suppressed, colour=colour, target=target)


def _rate_table(data: ReportData, rows: list[tuple[str, Value | None]]) -> Table:
    return Table(("", "Numerator", "Denominator", "Value"),
                 tuple((label, counted(v, "numerator"), counted(v, "denominator"), shown(v)) for label, v in rows))


def _scale(bars: list[Bar], floor: float = 10.0) -> float:
    known = [b.value for b in bars if b.value is not None] + [b.target for b in bars if b.target is not None]
    return max([floor, *known]) * 1.2


def share_over_time(data: ReportData) -> Figure:
    series = {label: [None if (v := data.get(code, period=p)) is None or v.suppressed else v.value
                      for p in data.periods] for code, label in CATEGORY_SERIES.items()}
    rows = tuple((p, *(shown(data.get(code, period=p)) for code in CATEGORY_SERIES)) for p in data.periods)
    return Figure("share-over-time", "Women's share by category over time",
                  charts.line_chart("share-over-time", "Women's share by category, percent", list(data.periods), series),
                  Table(("Quarter", *CATEGORY_SERIES.values()), rows), tuple(CATEGORY_SERIES))


def rank_pyramid(data: ReportData) -> Figure:
    by_band = {v.breakdown_value: v for v in data.breakdown("WSHARE_UNIFORMED", "rank_band")}
    rows, table = [], []
    for band in RANK_BANDS:
        v = by_band.get(band)
        women = None if v is None or v.suppressed else v.numerator
        rows.append((band, women, complement(v), v is not None and v.suppressed))
        if v is None:  # a breakdown row exists only where its denominator is above 0
            table.append((band, "0", "0", "0", "no one in this band"))
        elif v.suppressed:
            table.append((band, SUPPRESSED, SUPPRESSED, SUPPRESSED, shown(v)))
        else:
            table.append((band, count(v.numerator), count(complement(v)), count(v.denominator), shown(v)))
    return Figure("rank-pyramid", "Rank pyramid by sex (NATO bands)",
                  charts.pyramid("rank-pyramid", "Uniformed personnel by NATO rank band and sex", rows),
                  Table(("Rank band", "Women", "Men", "Total", "Women's share"), tuple(table)), ("WSHARE_UNIFORMED",),
                  note="Bands from the NATO codes of the national ranks: OF6+ generals, OF3-5 senior officers, "
                       "OF1-2 junior officers, OR5-9 senior NCOs, OR1-4 junior ranks.")


def posts(data: ReportData) -> Figure:
    rows = [("Command posts", data.get("WSHARE_COMMAND")), ("Decision-making posts", data.get("WSHARE_DECISION"))]
    bars = [_bar(label, v) for label, v in rows]
    return Figure("posts", "Women in command and decision-making posts",
                  charts.bar_chart("posts", "Women's share of command and decision-making posts, percent", bars,
                                   scale_max=_scale(bars)),
                  _rate_table(data, rows), ("WSHARE_COMMAND", "WSHARE_DECISION"))


def recruitment_funnel(data: ReportData) -> Figure:
    applied, admitted = data.get("WSHARE_APPLICANTS"), data.get("WSHARE_ADMITTED")
    stages = [("Applications", applied), ("Admitted", admitted)]
    bars, table = [], []
    for stage, v in stages:
        women = None if v is None or v.suppressed else v.numerator
        bars += [Bar(f"{stage}, women", women, suppressed=bool(v and v.suppressed), colour=WOMEN),
                 Bar(f"{stage}, men", complement(v), suppressed=bool(v and v.suppressed), colour=MEN)]
        table.append((stage, SUPPRESSED if v and v.suppressed else count(women) if v else NOT_REPORTED,
                      SUPPRESSED if v and v.suppressed else count(complement(v)) if v else NOT_REPORTED,
                      shown(v)))
    for sex, label in (("F", "women"), ("M", "men")):
        rate = data.get("ADMISSION_RATE", breakdown="sex", breakdown_value=sex)
        table.append((f"Admission rate, {label}", "", "", shown(rate)))
    return Figure("recruitment", "Recruitment funnel by sex",
                  charts.bar_chart("recruitment", "Applications and admissions by sex", bars, unit="count"),
                  Table(("Stage", "Women", "Men", "Women's share / rate"), tuple(table)),
                  ("WSHARE_APPLICANTS", "WSHARE_ADMITTED", "ADMISSION_RATE"))


def attrition_and_promotion(data: ReportData) -> Figure:
    rows = [(f"{name}, {label}", data.get(code, breakdown="sex", breakdown_value=sex))
            for code, name in (("ATTRITION_RATE", "Attrition"), ("PROMOTION_RATE", "Promotion"))
            for sex, label in (("F", "women"), ("M", "men"))]
    bars = [_bar(label, v, WOMEN if label.endswith("women") else MEN) for label, v in rows]
    return Figure("turnover", "Attrition and promotion by sex",
                  charts.bar_chart("turnover", "Attrition and promotion rates by sex, percent of the previous "
                                   "quarter's uniformed personnel", bars, scale_max=_scale(bars, 2.0)),
                  _rate_table(data, rows), ("ATTRITION_RATE", "PROMOTION_RATE"),
                  note="Rates exist only where the previous quarter's personnel was accepted.")


def deployment(data: ReportData) -> Figure:
    gaps = {g.un_role: g for g in data.deployment_gaps}
    bars, table = [], []
    for role, label in UN_ROLES.items():
        gap = gaps.get(role)
        value = data.get("WSHARE_DEPLOYED", breakdown="un_role", breakdown_value=role)
        withheld = bool(gap and gap.obs_status in WITHHELD)
        bars.append(Bar(label, None if gap is None or withheld else gap.women_percent,
                        suppressed=withheld, target=gap.target_percent if gap else None))
        target = f"{gap.target_percent}%" if gap and gap.target_percent is not None else ""
        table.append((label, counted(value, "numerator"), counted(value, "denominator"), shown(value), target,
                      f"{gap.gap_points:+.1f}" if gap and gap.gap_points is not None else ""))
    total = data.get("WSHARE_DEPLOYED")
    table.append(("All deployments", counted(total, "numerator"), counted(total, "denominator"), shown(total), "", ""))
    return Figure("deployment", "Peacekeeping deployment against the UN parity targets",
                  charts.bar_chart("deployment", "Women's share of UN deployments against the UN Uniformed Gender "
                                   "Parity Strategy targets, percent", bars, scale_max=_scale(bars, 25.0)),
                  Table(("", "Women", "Persons", "Women's share", "UN target", "Gap (points)"), tuple(table)),
                  ("WSHARE_DEPLOYED",),
                  note="Targets of the UN Uniformed Gender Parity Strategy 2018-2028 for the quarter's year: "
                       "contingents against the contingent target, staff officers and observers together "
                       "against the individual target.")


def training(data: ReportData) -> Figure:
    rows = [("Everyone", data.get("TRAINING_COVERAGE")),
            ("Women", data.get("TRAINING_COVERAGE", breakdown="sex", breakdown_value="F")),
            ("Men", data.get("TRAINING_COVERAGE", breakdown="sex", breakdown_value="M"))]
    bars = [_bar(label, v, MEN if label == "Men" else WOMEN if label == "Women" else "#555") for label, v in rows]
    coaches = data.get("GENDER_COACH_TOTAL")
    table = _rate_table(data, rows)
    table = Table(table.headers, (*table.rows, ("Trained gender coaches", counted(coaches, "numerator"), "",
                                                shown(coaches))))
    return Figure("training", "Gender-training coverage",
                  charts.bar_chart("training", "Personnel with a completed gender training, percent", bars),
                  table, ("TRAINING_COVERAGE", "GENDER_COACH_TOTAL"))


def complaints(data: ReportData) -> Figure:
    by_type = data.breakdown("COMPLAINTS_RECEIVED", "type")
    bars = [_bar(v.breakdown_value.replace("_", " ").capitalize(), v, "#555") for v in by_type]
    rows = [(b.label, v) for b, v in zip(bars, by_type)]
    rows += [("All complaints", data.get("COMPLAINTS_RECEIVED")), ("Per 1,000 personnel", data.get("COMPLAINTS_PER_1000")),
             ("Closed as substantiated", data.get("COMPLAINTS_SUBSTANTIATED"))]
    chart = (charts.bar_chart("complaints", "Complaints received in the quarter by type", bars, unit="count")
             if bars else "<p class=\"empty\">No complaint received in the quarter (or the table was not reported).</p>")
    return Figure("complaints", "Complaints of discrimination and harassment", chart, _rate_table(data, rows),
                  ("COMPLAINTS_RECEIVED", "COMPLAINTS_PER_1000", "COMPLAINTS_SUBSTANTIATED"))


def countries_compared(data: ReportData) -> Figure:
    rows = [(data.country_names.get(c, c), data.get("WSHARE_UNIFORMED", country=c)) for c in (*data.countries, data.area)]
    bars = [_bar(label, v, "#555" if label == data.area_name else WOMEN) for label, v in rows]
    return Figure("countries", "Women among uniformed personnel, by country",
                  charts.bar_chart("countries", "Women's share of uniformed personnel by country, percent", bars,
                                   scale_max=_scale(bars)),
                  _rate_table(data, rows), ("WSHARE_UNIFORMED",))


def figures(data: ReportData) -> list[Figure]:
    built = [share_over_time(data), rank_pyramid(data), posts(data), recruitment_funnel(data),
             attrition_and_promotion(data), deployment(data), training(data), complaints(data)]
    return [countries_compared(data), *built] if data.is_region else built
