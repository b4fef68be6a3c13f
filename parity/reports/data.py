"""What a quarterly report shows, read once: the public indicator rows (public.duckdb, disclosure-
controlled), and per country the submission the figures came from, its quality outcome and its
timeliness (the registry of the restricted warehouse: counts and dates, never a person).

Everything a report depends on is in ReportData, so its fingerprint says when the report must be
built again (a correction, a late delivery, a status that moved from awaiting to missing).
"""
import dataclasses
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass

import duckdb

from parity import warehouse
from parity.config import Config, Settings
from parity.deadlines import due_date, first_accepted_personnel, timeliness
from parity.regions import areas, countries_of, regions
from sources.period import Period

HISTORY_QUARTERS = 8  # the time series end at the report's quarter and go back this far


@dataclass(frozen=True)
class Value:
    """One row of indicator_values_public."""
    indicator_code: str
    country_code: str
    period: str
    breakdown: str
    breakdown_value: str
    numerator: int | None
    denominator: int | None
    value: float | None
    unit: str
    obs_status: str

    @property
    def suppressed(self) -> bool:
        """Withheld: confidential (C) or withheld to protect a confidential row (D)."""
        return self.obs_status in WITHHELD


WITHHELD = ("C", "D")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    source_table: str
    numerator_definition: str
    denominator_definition: str | None


@dataclass(frozen=True)
class SourceTable:
    """The accepted version of one table of a country's quarter: where a figure came from."""
    table_name: str
    version: int
    received_at: dt.datetime
    row_count: int


@dataclass(frozen=True)
class CountryStatus:
    country_code: str
    country_name: str
    due_date: dt.date | None
    timeliness: str  # on_time | late | missing | awaiting | not_watched
    quality: str  # the latest delivery's outcome: accepted | warnings | partly | rejected | none
    errors: int
    warnings: int
    versions: int  # submission versions received for the quarter
    tables: tuple[SourceTable, ...]


@dataclass(frozen=True)
class DeploymentGap:
    country_code: str
    un_role: str
    obs_status: str
    women_percent: float | None
    target_percent: int | None
    gap_points: float | None


@dataclass(frozen=True)
class ReportData:
    area: str
    area_name: str
    period: str
    periods: tuple[str, ...]  # the time series, oldest first, ending at `period`
    countries: tuple[str, ...]  # the countries the area covers
    country_names: dict[str, str]
    indicators: dict[str, Indicator]
    values: tuple[Value, ...]
    deployment_gaps: tuple[DeploymentGap, ...]
    statuses: tuple[CountryStatus, ...]

    @functools.cached_property  # not a field: neither compared nor fingerprinted
    def _by_key(self) -> dict[tuple, Value]:
        return {(v.indicator_code, v.country_code, v.period, v.breakdown, v.breakdown_value): v for v in self.values}

    def get(self, code: str, country: str | None = None, period: str | None = None, breakdown: str = "total",
            breakdown_value: str = "total") -> Value | None:
        return self._by_key.get((code, country or self.area, period or self.period, breakdown, breakdown_value))

    def breakdown(self, code: str, breakdown: str, country: str | None = None) -> list[Value]:
        return [v for v in self.values if v.indicator_code == code and v.breakdown == breakdown
                and v.country_code == (country or self.area) and v.period == self.period]

    @property
    def is_region(self) -> bool:
        return self.area in regions()

    def has_data(self) -> bool:
        return any(v.period == self.period and v.country_code == self.area for v in self.values)

    def fingerprint(self) -> str:
        """A hash of everything the report shows."""
        content = json.dumps(dataclasses.asdict(self), default=str, sort_keys=True)
        return hashlib.sha256(content.encode()).hexdigest()


def history(period: Period) -> list[str]:
    periods = [period]
    while len(periods) < HISTORY_QUARTERS:
        periods.insert(0, periods[0].previous())
    return [str(p) for p in periods]


def _public_values(public, area: str, countries: tuple[str, ...], periods: list[str]) -> list[Value]:
    # the area's own rows over time, and for the region each country's rows of the quarter (the comparison)
    rows = public.execute(
        "SELECT indicator_code, country_code, period, breakdown, breakdown_value, numerator, denominator, value, "
        "unit, obs_status FROM indicator_values_public WHERE (country_code = ? AND period IN (SELECT unnest(?))) "
        "OR (country_code IN (SELECT unnest(?)) AND period = ?) ORDER BY ALL",
        [area, periods, list(countries), periods[-1]]).fetchall()
    return [Value(*row) for row in rows]


def _statuses(settings: Settings, config: Config, countries: tuple[str, ...], names: dict[str, str],
              period: Period, now: dt.datetime) -> list[CountryStatus]:
    statuses = []
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        for country in countries:
            tables = tuple(SourceTable(*row) for row in con.execute(
                "SELECT table_name, version, received_at, row_count FROM meta.current_tables "
                "WHERE country_code = ? AND period = ? ORDER BY table_name", [country, str(period)]).fetchall())
            latest = con.execute(
                "SELECT outcome, errors, warnings, count(*) OVER () FROM meta.deliveries "
                "WHERE country_code = ? AND period = ? ORDER BY received_at DESC, delivery_id DESC LIMIT 1",
                [country, str(period)]).fetchone()
            focal_point = config.focal_points.get(country)
            if focal_point is None:
                due, status = None, "not_watched"
            else:
                due = due_date(focal_point, period)
                status = timeliness(focal_point, period, first_accepted_personnel(con, country).get(str(period)), now)
            outcome, errors, warnings, versions = latest or ("none", 0, 0, 0)
            statuses.append(CountryStatus(country, names.get(country, country), due, status, outcome, errors,
                                          warnings, versions, tables))
    return statuses


def load_report_data(settings: Settings, config: Config, area: str, period: str,
                     now: dt.datetime | None = None) -> ReportData:
    """The data of the report of `area` (a country or a region, parity/regions.py) for quarter `period`."""
    if area not in areas():
        raise ValueError(f"unknown area {area}: one of {', '.join(areas())}")
    quarter = Period.parse(period)
    now = now or settings.clock.now()
    countries = countries_of(area)
    periods = history(quarter)
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as public:
        names = dict(public.execute("SELECT country_code, country_name FROM dim_country").fetchall())
        indicators = {row[0]: Indicator(*row) for row in public.execute(
            "SELECT indicator_code, indicator_name, unit, source_table, numerator_definition, denominator_definition "
            "FROM dim_indicator ORDER BY indicator_code").fetchall()}
        values = _public_values(public, area, countries, periods)
        gaps = [DeploymentGap(*row) for row in public.execute(
            "SELECT country_code, un_role, obs_status, women_percent, target_percent, gap_points FROM un_parity_gap "
            "WHERE country_code = ? AND period = ? ORDER BY un_role", [area, period]).fetchall()]
    statuses = _statuses(settings, config, countries, names, quarter, now)
    return ReportData(area, names.get(area, area), period, tuple(periods), countries, names, indicators,
                      tuple(values), tuple(gaps), tuple(statuses))


def quarters_with_data(settings: Settings) -> list[str]:
    """The quarters public.duckdb has indicator rows of, oldest first."""
    if not settings.public_warehouse.exists():
        return []
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as public:
        return [p for (p,) in public.execute("SELECT DISTINCT period FROM indicator_values_public ORDER BY 1").fetchall()]
