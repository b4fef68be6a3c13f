"""What a quarterly report shows, read once: the public indicator rows (public.duckdb, disclosure-
controlled), and per country the submission the figures came from, its quality outcome and its
timeliness (the registry of the restricted warehouse: counts and dates, never a person).

Everything a report depends on is in ReportData, so its fingerprint says when the report must be
built again (a correction, a late delivery, a status that moved from awaiting to missing).
"""
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass

import duckdb

from parity import warehouse
from parity.config import Config, Settings
from parity.deadlines import configured_quarters, due_date, first_accepted_personnel, timeliness
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
    release: int  # the release in which this row last changed (public indicator_values_history)

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
    timeliness: str  # on_time | late | missing | awaiting | not_expected (before its first quarter) | not_watched
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
    region: str | None = None  # the region the area is compared with (a region: itself)
    peers: tuple[str, ...] = ()  # the region's countries, compared side by side
    release: int | None = None  # the release whose values the report shows: the last that changed one of them
    released_at: dt.datetime | None = None

    @functools.cached_property  # not a field: neither compared nor fingerprinted
    def _by_key(self) -> dict[tuple, Value]:
        return {(v.indicator_code, v.country_code, v.period, v.breakdown, v.breakdown_value): v for v in self.values}

    def get(self, code: str, country: str | None = None, period: str | None = None, breakdown: str = "total",
            breakdown_value: str = "total") -> Value | None:
        return self._by_key.get((code, country or self.area, period or self.period, breakdown, breakdown_value))

    def breakdown(self, code: str, breakdown: str, country: str | None = None) -> list[Value]:
        return [v for v in self.values if v.indicator_code == code and v.breakdown == breakdown
                and v.country_code == (country or self.area) and v.period == self.period]

    def period_back(self, quarters: int) -> str | None:
        """The quarter `quarters` before the report's, if the report's time series reaches it."""
        index = len(self.periods) - 1 - quarters
        return self.periods[index] if index >= 0 else None

    @property
    def is_region(self) -> bool:
        return self.area in regions()

    def has_data(self) -> bool:
        return any(v.period == self.period and v.country_code == self.area for v in self.values)

    def fingerprint(self) -> str:
        """A hash of everything the report shows."""
        return self._fingerprint

    @functools.cached_property  # once: each language's file carries it
    def _fingerprint(self) -> str:
        content = json.dumps(dataclasses.asdict(self), default=str, sort_keys=True)
        return hashlib.sha256(content.encode()).hexdigest()


def history(period: Period) -> list[str]:
    periods = [period]
    while len(periods) < HISTORY_QUARTERS:
        periods.insert(0, periods[0].previous())
    return [str(p) for p in periods]


def region_of(area: str) -> str | None:
    """The region a report compares its area with: the region itself, or the first that includes the country."""
    if area in regions():
        return area
    return next((region for region, members in regions().items() if area in members), None)


def _public_values(public, shown: list[str], periods: list[str]) -> list[Value]:
    """The current rows of the areas shown over the time series, each with the release it last changed in."""
    rows = public.execute(
        "SELECT p.indicator_code, p.country_code, p.period, p.breakdown, p.breakdown_value, p.numerator, "
        "p.denominator, p.value, p.unit, p.obs_status, h.first_release_id FROM indicator_values_public AS p "
        "JOIN indicator_values_history AS h USING (indicator_code, country_code, period, breakdown, breakdown_value) "
        "WHERE h.last_release_id IS NULL AND p.country_code IN (SELECT unnest(?)) AND p.period IN (SELECT unnest(?)) "
        "ORDER BY ALL", [shown, periods]).fetchall()
    return [Value(*row) for row in rows]


def _statuses(settings: Settings, config: Config, countries: tuple[str, ...], names: dict[str, str],
              period: Period, now: dt.datetime) -> list[CountryStatus]:
    """Each country's deliveries of the quarter, also before anything arrived (no warehouse yet)."""
    statuses = []
    with contextlib.ExitStack() as stack:
        con = stack.enter_context(warehouse.connect(settings.warehouse, read_only=True)) \
            if settings.warehouse.exists() else None
        for country in countries:
            tables, latest, accepted = (), None, {}
            if con is not None:
                tables = tuple(SourceTable(*row) for row in con.execute(
                    "SELECT table_name, version, received_at, row_count FROM meta.current_tables "
                    "WHERE country_code = ? AND period = ? ORDER BY table_name", [country, str(period)]).fetchall())
                latest = con.execute(
                    "SELECT outcome, errors, warnings, count(*) OVER () FROM meta.deliveries "
                    "WHERE country_code = ? AND period = ? ORDER BY received_at DESC, delivery_id DESC LIMIT 1",
                    [country, str(period)]).fetchone()
                accepted = first_accepted_personnel(con, country)
            focal_point = config.focal_points.get(country)
            if focal_point is None:
                due, status = None, "not_watched"
            elif period < Period.parse(focal_point.first_period):
                due, status = None, "not_expected"
            else:
                due = due_date(focal_point, period)
                status = timeliness(focal_point, period, accepted.get(str(period)), now)
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
    region = region_of(area)
    peers = regions()[region] if region else ()
    shown = sorted({area, *countries, *peers, *([region] if region else [])})
    periods = history(quarter)
    if not settings.public_warehouse.exists():  # nothing published yet: a report of the deliveries alone
        statuses = _statuses(settings, config, countries, {}, quarter, now)
        return ReportData(area, area, period, tuple(periods), countries, {}, {}, (), (), tuple(statuses), region, peers)
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as public:
        names = dict(public.execute("SELECT country_code, country_name FROM dim_country").fetchall())
        indicators = {row[0]: Indicator(*row) for row in public.execute(
            "SELECT indicator_code, indicator_name, unit, source_table, numerator_definition, denominator_definition "
            "FROM dim_indicator ORDER BY indicator_code").fetchall()}
        values = _public_values(public, shown, periods)
        gaps = [DeploymentGap(*row) for row in public.execute(
            "SELECT country_code, un_role, obs_status, women_percent, target_percent, gap_points FROM un_parity_gap "
            "WHERE country_code = ? AND period = ? ORDER BY un_role", [area, period]).fetchall()]
        release = max((v.release for v in values), default=None)
        released_at = public.execute("SELECT released_at FROM releases WHERE release_id = ?",
                                     [release]).fetchone()[0] if release else None
    statuses = _statuses(settings, config, countries, names, quarter, now)
    return ReportData(area, names.get(area, area), period, tuple(periods), countries, names, indicators,
                      tuple(values), tuple(gaps), tuple(statuses), region, peers, release, released_at)


def report_quarters(config: Config, now: dt.datetime) -> list[str]:
    """The quarters a report can be about: from the earliest first quarter of the configured countries to
    the current one (a status report says what is due, received or missing, also before anything arrived)."""
    return [str(p) for p in configured_quarters(config, now)]


def quarters_with_data(settings: Settings) -> list[str]:
    """The quarters public.duckdb has indicator rows of, oldest first."""
    if not settings.public_warehouse.exists():
        return []
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as public:
        return [p for (p,) in public.execute("SELECT DISTINCT period FROM indicator_values_public ORDER BY 1").fetchall()]
