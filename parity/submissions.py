"""Submission versions: the files of one (country, quarter) received together. Each is recorded in
meta.deliveries with its quality report under $PARITY_HOME/quality/, and queues at most one
message to the country's focal point."""
import datetime as dt
import itertools

from parity.alerts.compose import delivery_message, recipient_of
from parity.alerts.outbox import enqueue
from parity.config import Config, Settings
from parity.deadlines import due_date
from parity.private import write_private
from parity.quality.report import Recheck, SubmissionVersion, render_html
from sources.period import Period


def record_versions(con, settings: Settings, config: Config, country: str, outcomes: list,
                    now: dt.datetime, rechecks: list[tuple[str, Recheck]] = ()) -> list[SubmissionVersion]:
    """A version per quarter among `outcomes` (TableOutcome), with the tables accepted earlier that were
    checked again against it (`rechecks`, by quarter); a quarter whose tables were all identical to what
    was accepted before is no new version: nobody hears the same thing twice."""
    versions = []
    focal_point = config.focal_points.get(country)
    timezone = focal_point.timezone if focal_point else settings.timezone
    by_period = itertools.groupby(sorted(outcomes, key=lambda o: o.period or ""), key=lambda o: o.period or "")
    for period, group in by_period:
        group = list(group)
        if all(o.status == "unchanged" and not o.problems for o in group):
            continue
        version = SubmissionVersion(
            country=country, period=period, received_at=now, timezone=timezone,
            tables=[o.result() for o in group],
            skipped=sorted({s for o in group for s in o.skipped}),
            rechecks=[r for q, r in rechecks if q == period])
        counts = {s: sum(o.status == s for o in group) for s in ("accepted", "unchanged", "rejected")}
        problems = version.problems
        version.delivery_id = con.execute(
            """INSERT INTO meta.deliveries (country_code, period, received_at, outcome, tables_accepted,
                   tables_unchanged, tables_rejected, errors, warnings, report_path)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '') RETURNING delivery_id""",
            [country, period, now, version.outcome, counts["accepted"], counts["unchanged"], counts["rejected"],
             sum(p.severity == "error" for p in problems), sum(p.severity == "warning" for p in problems)],
        ).fetchone()[0]
        report = write_private(settings.quality_dir / country / period / f"{version.file_name}.html",
                               render_html(version, focal_point.language if focal_point else "en").encode("utf-8"))
        con.execute("UPDATE meta.deliveries SET report_path = ? WHERE delivery_id = ?",
                    [str(report.relative_to(settings.home)), version.delivery_id])
        if focal_point:
            enqueue(con, dedup_key=f"delivery:{version.delivery_id}", kind="delivery",
                    recipient=recipient_of(focal_point), now=now, country=country, period=period,
                    delivery_id=version.delivery_id,
                    message=delivery_message(version, focal_point, config.quality.problems_in_body,
                                             due_date(focal_point, Period.parse(period)), settings.page_url))
        versions.append(version)
    return versions
