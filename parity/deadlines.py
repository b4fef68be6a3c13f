"""Deadlines: when each quarter's submission is due, whether it came in time, and the reminders and
overdue notices to focal points whose `personnel` has not arrived.

A quarter is due `due_days` after it ends, by the end of that day in the country's time zone. It is
on time when its first accepted `personnel` was received by then, late when after, missing while
none has been accepted after the due date, and awaiting before. Nothing before a country's
`first_period` is chased.
"""
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from parity import warehouse
from parity.alerts.compose import deadlines_message, recipient_of
from parity.alerts.outbox import enqueue, flush_with
from parity.config import Config, FocalPoint, Settings
from sources.period import Period


def due_date(focal_point: FocalPoint, period: Period) -> dt.date:
    return period.last_day + dt.timedelta(days=focal_point.due_days)


def due_at(focal_point: FocalPoint, period: Period) -> dt.datetime:
    """The instant the due date ends in the country's time zone."""
    next_day = due_date(focal_point, period) + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=ZoneInfo(focal_point.timezone))


def watched_periods(focal_point: FocalPoint, now: dt.datetime) -> list[Period]:
    """From the first reporting quarter to the last quarter that has ended, in the country's clock."""
    today = now.astimezone(ZoneInfo(focal_point.timezone)).date()
    last = Period.of_date(today).previous()
    first = Period.parse(focal_point.first_period)
    return Period.range(f"{first}:{last}") if first <= last else []


def timeliness(focal_point: FocalPoint, period: Period, first_accepted_at: dt.datetime | None,
               now: dt.datetime) -> str:
    deadline = due_at(focal_point, period)
    if first_accepted_at is not None:
        return "on_time" if first_accepted_at < deadline else "late"
    return "missing" if now >= deadline else "awaiting"


def notice(focal_point: FocalPoint, period: Period, first_accepted_at: dt.datetime | None,
           now: dt.datetime) -> str | None:
    """reminder (within reminder_days before the due date), overdue (after it), or None."""
    if first_accepted_at is not None:
        return None
    if now >= due_at(focal_point, period):
        return "overdue"
    today = now.astimezone(ZoneInfo(focal_point.timezone)).date()
    if today >= due_date(focal_point, period) - dt.timedelta(days=focal_point.reminder_days):
        return "reminder"
    return None


# Every country x quarter of the overview (the `timeliness` asset), in the order a quarter goes through them.
STATES = {"not_expected": "not expected", "not_yet_due": "not yet due", "awaited": "awaited",
          "on_time": "on time", "late": "late", "missing": "missing", "rejected": "rejected"}
OVERDUE = ("missing", "rejected")  # past the due date with no accepted personnel


def delivery_state(focal_point: FocalPoint, period: Period, first_accepted_at: dt.datetime | None,
                   rejected: bool, now: dt.datetime) -> str:
    """One of STATES: before the country's first quarter; a quarter that has not ended; ended and not
    due yet with nothing accepted; personnel accepted by or after the due date; nothing accepted after
    it, or only a rejected personnel (rejected wins over awaited and missing: the focal point has a
    report to act on)."""
    if period < Period.parse(focal_point.first_period):
        return "not_expected"
    if not period.has_ended(now, focal_point.timezone):
        return "not_yet_due"
    status = timeliness(focal_point, period, first_accepted_at, now)
    if status in ("missing", "awaiting") and rejected:
        return "rejected"
    return "awaited" if status == "awaiting" else status


def configured_quarters(config: Config, now: dt.datetime) -> list[Period]:
    """From the earliest first quarter of the configured countries to the current one: what the
    overview shows and what a report can be about."""
    first, current = config.first_quarter, Period.of_date(now.date())
    return Period.range(f"{first}:{current}") if first and Period.parse(first) <= current else []


def overview(con, config: Config, now: dt.datetime) -> dict[tuple[str, str], str]:
    """delivery_state of every configured country x quarter of configured_quarters."""
    rejected = {(c, p) for c, p in con.execute(
        """SELECT country_code, period FROM meta.submission_tables WHERE table_name = 'personnel' AND status = 'rejected'
           UNION SELECT country_code, period FROM meta.received_files WHERE status = 'rejected'""").fetchall()}
    states = {}
    for country, focal_point in sorted(config.focal_points.items()):
        accepted = first_accepted_personnel(con, country)
        for period in configured_quarters(config, now):
            states[(country, str(period))] = delivery_state(focal_point, period, accepted.get(str(period)),
                                                            (country, str(period)) in rejected, now)
    return states


@dataclass
class DeadlineReport:
    timeliness: dict[tuple[str, str], str]
    queued: list[str]  # the notices queued now (reminder|overdue:country:quarter), one message per focal point


def first_accepted_personnel(con, country: str) -> dict[str, dt.datetime]:
    return dict(con.execute(
        """SELECT period, min(received_at) FROM meta.submission_tables
           WHERE country_code = ? AND table_name = 'personnel' AND status = 'accepted' GROUP BY period""",
        [country]).fetchall())


def _watched(con, config: Config, now: dt.datetime, countries: list[str] | None = None):
    """(focal point, quarter, first accepted personnel or None) for every watched quarter."""
    for country in countries or sorted(config.focal_points):
        focal_point = config.focal_points[country]
        accepted = first_accepted_personnel(con, country)
        for period in watched_periods(focal_point, now):
            yield focal_point, period, accepted.get(str(period))


def _record(con, watched: list[tuple[FocalPoint, Period, dt.datetime | None]], now: dt.datetime) -> dict:
    """Each watched quarter's status into meta.timeliness, in one statement (a statement per quarter
    cost a load 40 ms per partition); the statuses by (country, quarter)."""
    rows = [(fp, period, accepted_at, timeliness(fp, period, accepted_at, now)) for fp, period, accepted_at in watched]
    if rows:
        con.execute(f"""INSERT OR REPLACE INTO meta.timeliness
                        (country_code, period, due_at, first_accepted_at, status, recorded_at)
                        VALUES {", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))}""",
                    [v for fp, period, accepted_at, status in rows
                     for v in (fp.country, str(period), due_at(fp, period), accepted_at, status, now)])
    return {(fp.country, str(period)): status for fp, period, _, status in rows}


def record_timeliness(con, config: Config, now: dt.datetime, countries: list[str] | None = None) -> dict:
    """Rewrite meta.timeliness for every watched quarter of `countries` (all by default)."""
    return _record(con, list(_watched(con, config, now, countries)), now)


def watch_deadlines(settings: Settings, config: Config, now: dt.datetime | None = None) -> DeadlineReport:
    """Record timeliness, and queue each reminder and overdue notice once: the notices of a run that
    are new for a focal point go in one message to them (never a message per quarter); then send."""
    now = now or settings.clock.now()
    queued = []
    with warehouse.writing(settings, "deadline watch") as con:
        warehouse.ensure_schema(con)
        watched = list(_watched(con, config, now))
        statuses = _record(con, watched, now)
        # told before: in a run's message (meta.deadline_notices), or as a message of its own (earlier homes)
        told = {key for (key,) in con.execute("SELECT notice_key FROM meta.deadline_notices UNION ALL "
                                              "SELECT dedup_key FROM meta.alerts").fetchall()}
        new: dict[str, list[tuple[str, Period, str]]] = {}
        for focal_point, period, accepted_at in watched:
            kind = notice(focal_point, period, accepted_at, now)
            key = f"{kind}:{focal_point.country}:{period}"
            if kind is not None and key not in told:
                new.setdefault(focal_point.country, []).append((kind, period, key))
        for country, notices in new.items():
            focal_point = config.focal_points[country]
            message = deadlines_message(focal_point, [(kind, str(period), due_date(focal_point, period))
                                                      for kind, period, _ in notices], settings.page_url)
            keys = [key for _, _, key in notices]
            con.execute("BEGIN TRANSACTION")  # the message and the notices it tells, together
            enqueue(con, dedup_key="deadlines:" + ",".join(keys), kind="deadlines", recipient=recipient_of(focal_point),
                    message=message, now=now, country=country)
            con.executemany("INSERT INTO meta.deadline_notices (notice_key, queued_at) VALUES (?, ?)",
                            [(key, now) for key in keys])
            con.execute("COMMIT")
            queued += keys
        flush_with(con, settings)  # what was just queued, on the same connection
    return DeadlineReport(statuses, queued)
