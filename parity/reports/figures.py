"""The body of a quarterly report: one section per indicator family, each with its trend over the
report's quarters, the region's countries side by side, a short table, a plain definition, and its
sources said once. Built from ReportData only, that is from disclosure-controlled values: a withheld
row stays withheld here too, in every language.

Every number shown carries what it is (`number_attributes`): indicator, area, quarter, breakdown,
which part of the row (value, women, total, men, a change), and the release. tests/test_reports.py
recomputes each from public.duckdb.
"""
from dataclasses import dataclass

from markupsafe import Markup, escape

from parity.reports import charts
from parity.reports.charts import AREA, MEN, WOMEN, Bar
from parity.reports.data import ReportData, Value
from parity.reports.locale import Writer

CATEGORIES = ("WSHARE_UNIFORMED", "WSHARE_OFFICERS", "WSHARE_NCOS", "WSHARE_SOLDIERS", "WSHARE_CADETS",
              "WSHARE_CIVILIANS")
RANK_BANDS = ("OF6+", "OF3-5", "OF1-2", "OR5-9", "OR1-4")
UN_ROLES = ("contingent", "individual")
SEXES = ("F", "M")
SEX_COLOURS = {"F": WOMEN, "M": MEN}


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Markup, ...], ...]


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    definition: str
    charts: tuple[Markup, ...]
    table: Table
    sources: Markup
    note: str = ""


def number_attributes(v: Value, kind: str = "value", base: str | None = None) -> Markup:
    """What a shown number is: the public row it comes from (indicator, area, quarter, breakdown), the
    part of it (value, numerator, denominator, complement: the men of a women's share; change: the value
    minus the value of quarter `base`) and the release it is read from."""
    attributes = {"indicator": v.indicator_code, "area": v.country_code, "period": v.period,
                  "breakdown": v.breakdown, "breakdown-value": v.breakdown_value, "kind": kind, "unit": v.unit}
    if base:
        attributes["base"] = base
    return Markup("".join(f' data-{k}="{escape(value)}"' for k, value in attributes.items()))


class Numbers:
    """The report's numbers as `lang` writes them, each wrapped with what it is."""

    def __init__(self, w: Writer, data: ReportData):
        self.w, self.data = w, data

    def _what(self, v: Value, kind: str, base: str | None = None) -> Markup:
        return number_attributes(v, kind, base) + Markup(f' data-release="{self.data.release}"')

    def _withheld(self) -> Markup:
        return Markup(f'<span class="withheld">{escape(self.w.text("withheld"))}</span>')

    def mark(self, v: Value, kind: str, text: str, base: str | None = None) -> Markup:
        """`text`, a number derived from row `v` (its `kind`), with what it is."""
        return Markup(f'<span class="num"{self._what(v, kind, base)}>{escape(text)}</span>')

    def value(self, v: Value | None) -> Markup:
        """A value as a cell: the number, or why there is none."""
        if v is None:
            return escape(self.w.text("not_reported"))
        if v.suppressed:
            return self._withheld()
        if v.value is None:
            return escape(self.w.text("no_denominator"))
        return self.mark(v, "value", charts.formatted(self.w, v.value, v.unit))

    def part(self, v: Value | None, kind: str) -> Markup:
        """numerator, denominator or complement (the men of a women's share) as a cell."""
        if v is None:
            return Markup("")
        if v.suppressed:
            return self._withheld()
        n = {"numerator": v.numerator, "denominator": v.denominator,
             "complement": None if v.numerator is None or v.denominator is None else v.denominator - v.numerator}[kind]
        return Markup("") if n is None else self.mark(v, kind, self.w.count(n))

    def change(self, v: Value | None, quarters_back: int) -> Markup:
        """The change of a share or rate since `quarters_back` quarters, in points, where both are shown."""
        base = self.data.period_back(quarters_back)
        before = self.data.get(v.indicator_code, v.country_code, base, v.breakdown, v.breakdown_value) \
            if v is not None and base else None
        if not visible(v) or not visible(before) or v.unit == "count":
            return Markup("")
        return self.mark(v, "change", self.w.points(v.value - before.value), base)

    def attributes(self, v: Value | None, kind: str = "value") -> Markup:
        """For a chart's number: the same attributes as a table's."""
        return self._what(v, kind) if visible(v) else Markup("")


def visible(v: Value | None) -> bool:
    """Shown in the release: not withheld, with a value."""
    return v is not None and not v.suppressed and v.value is not None


def _bar(n: Numbers, label: str, v: Value | None, colour: str = WOMEN, target: float | None = None) -> Bar:
    return Bar(label, v.value if visible(v) else None, suppressed=v is not None and v.suppressed, colour=colour,
               target=target, attributes=n.attributes(v))


def _share_rows(n: Numbers, rows: list[tuple[str, Value | None]]) -> Table:
    """Women, total, share and its changes against the previous quarter and a year before."""
    w = n.w
    return Table((w.text("column_women"), w.text("column_total"), w.text("column_share"),
                  w.text("column_change_quarter"), w.text("column_change_year")),
                 tuple((escape(label), n.part(v, "numerator"), n.part(v, "denominator"), n.value(v), n.change(v, 1),
                        n.change(v, 4)) for label, v in rows))


def _trend(n: Numbers, chart_id: str, title: str, codes: dict[str, tuple]) -> Markup:
    """The area's values of each series over the report's quarters."""
    data = n.data
    series = {}
    for label, (code, breakdown, breakdown_value) in codes.items():
        values = [data.get(code, period=p, breakdown=breakdown, breakdown_value=breakdown_value) for p in data.periods]
        series[label] = [v.value if visible(v) else None for v in values]
    return charts.line_chart(n.w, chart_id, title, list(data.periods), series)


def _countries(n: Numbers, chart_id: str, title: str, code: str, breakdown: str = "total",
               breakdown_value: str = "total") -> Markup:
    """The region's countries side by side in the quarter, the region last; the report's own area stands out."""
    data, w = n.data, n.w
    areas = [*data.peers, *([data.region] if data.region else [])]
    bars = [_bar(n, short(w.data_name(f"country.{c}")),
                 data.get(code, country=c, breakdown=breakdown, breakdown_value=breakdown_value),
                 WOMEN if c == data.area else AREA if c == data.region else "#b9a3b9") for c in areas]
    return charts.bar_chart(w, chart_id, title, bars, scale_max=_scale(bars))


def _region_compares(n: Numbers, chart_id: str, indicator: str, code: str, breakdown: str = "total",
                     breakdown_value: str = "total") -> tuple[Markup, ...]:
    """The region's report compares its countries in every family; a country's report does in the first
    three (its four pages hold no more), and shows these families by sex and against the UN targets."""
    if not n.data.is_region:
        return ()
    return (_countries(n, chart_id, n.w.text("countries_title", indicator=indicator), code, breakdown, breakdown_value),)


def short(name: str) -> str:
    """A name as a chart's label: without its explanation in parentheses (the table gives it whole)."""
    return name.split(" (")[0]


def _scale(bars: list[Bar], floor: float = 10.0) -> float:
    known = [b.value for b in bars if b.value is not None] + [b.target for b in bars if b.target is not None]
    return max([floor, *known]) * 1.25


def sources(n: Numbers, tables: tuple[str, ...]) -> Markup:
    """Once per section: the accepted version of each table its figures came from, per country, and the
    release whose values it shows."""
    w, parts = n.w, []
    for status in n.data.statuses:
        used = [t for t in status.tables if t.table_name in tables]
        if not used:
            continue
        described = ", ".join(w.text("source_table", table=w.label(f"table_{t.table_name}"), version=t.version,
                                     received=w.date(t.received_at.date())) for t in used)
        parts.append(f"{w.data_name(f'country.{status.country_code}')}: {described}")
    release = w.text("source_release", release=n.data.release, date=w.date(n.data.released_at.date())) \
        if n.data.release else ""
    return escape(w.text("sources", tables="; ".join(parts) or w.text("not_reported"), release=release).strip())


def workforce(n: Numbers) -> Section:
    data, w = n.data, n.w
    names = {code: w.text(f"category_{code}") for code in CATEGORIES}
    pyramid_rows = []
    by_band = {v.breakdown_value: v for v in data.breakdown("WSHARE_UNIFORMED", "rank_band")}
    for band in RANK_BANDS:
        v = by_band.get(band)
        shown = visible(v)
        pyramid_rows.append((band, v.numerator if shown else None,
                             v.denominator - v.numerator if shown else None, v is not None and v.suppressed,
                             n.attributes(v, "numerator"), n.attributes(v, "complement")))
    return Section(
        "workforce", w.text("workforce_title"), w.text("workforce_definition"),
        (_trend(n, "workforce-trend", w.text("workforce_trend"),
                {names[c]: (c, "total", "total") for c in CATEGORIES}),
         _countries(n, "workforce-countries", w.text("countries_title", indicator=names["WSHARE_UNIFORMED"]),
                    "WSHARE_UNIFORMED"),
         charts.pyramid(w, "workforce-ranks", w.text("pyramid_title"), pyramid_rows)),
        _share_rows(n, [(names[c], data.get(c)) for c in CATEGORIES]),
        sources(n, ("personnel",)), w.text("bands_note"))


def leadership(n: Numbers) -> Section:
    data, w = n.data, n.w
    rows = [(w.text("command_posts"), "WSHARE_COMMAND"), (w.text("decision_posts"), "WSHARE_DECISION")]
    return Section(
        "leadership", w.text("leadership_title"), w.text("leadership_definition"),
        (_trend(n, "leadership-trend", w.text("leadership_trend"), {label: (c, "total", "total") for label, c in rows}),
         _countries(n, "leadership-countries", w.text("countries_title", indicator=w.text("command_posts")),
                    "WSHARE_COMMAND")),
        _share_rows(n, [(label, data.get(code)) for label, code in rows]),
        sources(n, ("personnel",)), w.text("civilians_note"))


def recruitment(n: Numbers) -> Section:
    data, w = n.data, n.w
    rows = [(w.text("applicants"), data.get("WSHARE_APPLICANTS")), (w.text("admitted"), data.get("WSHARE_ADMITTED"))]
    rows += [(w.text(f"admission_rate_{sex}"), data.get("ADMISSION_RATE", breakdown="sex", breakdown_value=sex))
             for sex in SEXES]
    return Section(
        "recruitment", w.text("recruitment_title"), w.text("recruitment_definition"),
        (_trend(n, "recruitment-trend", w.text("recruitment_trend"),
                {w.text("applicants"): ("WSHARE_APPLICANTS", "total", "total"),
                 w.text("admitted"): ("WSHARE_ADMITTED", "total", "total")}),
         _countries(n, "recruitment-countries", w.text("countries_title", indicator=w.text("admitted")),
                    "WSHARE_ADMITTED")),
        _share_rows(n, rows), sources(n, ("recruitment",)))


def careers(n: Numbers) -> Section:
    data, w = n.data, n.w
    rows = [(w.text(f"{name}_{sex}"), data.get(code, breakdown="sex", breakdown_value=sex))
            for code, name in (("ATTRITION_RATE", "attrition"), ("PROMOTION_RATE", "promotion")) for sex in SEXES]
    bars = [_bar(n, label, v, SEX_COLOURS[sex]) for (label, v), sex in zip(rows, SEXES * 2)]
    return Section(
        "careers", w.text("careers_title"), w.text("careers_definition"),
        (_trend(n, "careers-trend", w.text("careers_trend"),
                {label: (code, "sex", sex) for label, code, sex in (
                    (w.text("attrition_F"), "ATTRITION_RATE", "F"), (w.text("promotion_F"), "PROMOTION_RATE", "F"))}),
         charts.bar_chart(w, "careers-sex", w.text("careers_by_sex"), bars, scale_max=_scale(bars, 2.0)),
         *_region_compares(n, "careers-countries", w.text("promotion_F"), "PROMOTION_RATE", "sex", "F")),
        _share_rows(n, rows), sources(n, ("personnel", "separations")), w.text("careers_note"))


def deployment(n: Numbers) -> Section:
    data, w = n.data, n.w
    gaps = {g.un_role: g for g in data.deployment_gaps}
    bars = []
    for role in UN_ROLES:
        v = data.get("WSHARE_DEPLOYED", breakdown="un_role", breakdown_value=role)
        gap = gaps.get(role)
        bars.append(_bar(n, short(w.data_name(f"value.un_role.{role}")), v,
                         target=gap.target_percent if gap and gap.target_percent is not None else None))
    rows = [(w.data_name(f"value.un_role.{role}"), data.get("WSHARE_DEPLOYED", breakdown="un_role", breakdown_value=role))
            for role in UN_ROLES] + [(w.text("all_deployments"), data.get("WSHARE_DEPLOYED"))]
    table = _share_rows(n, rows)
    targets = tuple(escape(w.text("target_line", role=w.data_name(f"value.un_role.{role}"),
                                  target=w.percent(gaps[role].target_percent, 0))) for role in UN_ROLES
                    if role in gaps and gaps[role].target_percent is not None)
    return Section(
        "deployment", w.text("deployment_title"), w.text("deployment_definition") + (
            " " + " ".join(targets) if targets else ""),
        (_trend(n, "deployment-trend", w.text("deployment_trend"),
                {w.text("all_deployments"): ("WSHARE_DEPLOYED", "total", "total")}),
         charts.bar_chart(w, "deployment-targets", w.text("deployment_targets"), bars, scale_max=_scale(bars, 25.0)),
         *_region_compares(n, "deployment-countries", w.text("all_deployments"), "WSHARE_DEPLOYED")),
        table, sources(n, ("deployments",)), w.text("targets_note"))


def training_and_complaints(n: Numbers) -> Section:
    data, w = n.data, n.w
    coverage = [(w.text("everyone"), data.get("TRAINING_COVERAGE"))] + [
        (w.text(f"sex_{sex}"), data.get("TRAINING_COVERAGE", breakdown="sex", breakdown_value=sex)) for sex in SEXES]
    bars = [_bar(n, label, v, colour) for (label, v), colour in zip(coverage, (AREA, *SEX_COLOURS.values()))]
    by_type = data.breakdown("COMPLAINTS_RECEIVED", "type")
    complaint_bars = [_bar(n, w.data_name(f"value.type.{v.breakdown_value}"), v, AREA) for v in by_type]
    complaints = (charts.bar_chart(w, "complaints", w.text("complaints_by_type"), complaint_bars, unit="count")
                  if complaint_bars else Markup(f'<p class="empty">{escape(w.text("no_complaints"))}</p>'))
    table = _share_rows(n, [(w.text("training_row", who=label), v) for label, v in coverage])
    counted = [(w.text("coaches"), data.get("GENDER_COACH_TOTAL")), (w.text("complaints_all"),
                                                                   data.get("COMPLAINTS_RECEIVED")),
               (w.text("complaints_per_1000"), data.get("COMPLAINTS_PER_1000")),
               (w.text("complaints_substantiated"), data.get("COMPLAINTS_SUBSTANTIATED"))]
    table = Table(table.headers, table.rows + tuple(
        (escape(label), n.part(v, "numerator") if v is not None and v.unit != "count" else Markup(""),
         n.part(v, "denominator"), n.value(v), Markup(""), Markup("")) for label, v in counted))
    return Section(
        "training", w.text("training_title"), w.text("training_definition"),
        (charts.bar_chart(w, "training-sex", w.text("training_by_sex"), bars), complaints,
         *_region_compares(n, "training-countries", w.text("training_by_sex"), "TRAINING_COVERAGE")),
        table, sources(n, ("trainings", "personnel", "complaints")))


def sections(w: Writer, data: ReportData) -> list[Section]:
    n = Numbers(w, data)
    return [workforce(n), leadership(n), recruitment(n), careers(n), deployment(n), training_and_complaints(n)]
