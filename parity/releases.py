"""Releases: every refresh of what is published that changes it, numbered, kept for good.

Before public.duckdb is written, `record_release` compares what the public twin would publish now
(with the true counts behind it) with the current release. Anything different, and the audit of
exactly this content passed: a new release (its time, the submission versions it reflects, and a new
version of each row that changed); nothing different: no release. A release is never recorded without
a passed audit, and never changed afterwards.

The restricted history (meta.release_cells) keeps the true counts of every version, for the audit of
later releases. What analysts see is derived from it (`PUBLIC_HISTORY`): versions of the published
columns only (a confidential row whose true count changed shows no new version), the revisions between
releases with their cause, and the releases with what they reflect.
"""
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from parity.config import WAREHOUSE_FILE
from parity.suppression.relations import KEY
from parity.suppression.step import passed_audit

PUBLISHED = ["numerator", "denominator", "value", "unit", "obs_status"]  # a public row's columns beside KEY


class NotAudited(RuntimeError):
    """What the public twin shows has no passed disclosure audit: nothing is published."""


@dataclass(frozen=True)
class Release:
    release_id: int
    new: bool  # False: nothing changed since this release, none was made


def _published(con) -> pd.DataFrame:
    """The public twin with the true counts beside it (true_*), row for row."""
    frame = con.execute(f"""
        SELECT {', '.join(KEY)}, p.numerator, p.denominator, p.value, p.unit, p.obs_status,
               v.numerator AS true_numerator, v.denominator AS true_denominator, v.value AS true_value
        FROM marts.indicator_values_public AS p
        FULL JOIN marts.indicator_values AS v USING ({', '.join(KEY)})""").df()
    broken = frame["obs_status"].isna() | frame["true_numerator"].isna()  # a row on one side only
    shown = frame["obs_status"] == "A"
    differs = shown & ((frame["numerator"] != frame["true_numerator"])
                       | (frame["denominator"].fillna(-1) != frame["true_denominator"].fillna(-1)))
    hidden_numbers = ~shown & frame[["numerator", "denominator", "value"]].notna().any(axis=1)
    if broken.any() or differs.any() or hidden_numbers.any():
        raise NotAudited("indicator_values_public does not match indicator_values row for row: rebuild the marts "
                         "(parity load) before publishing")
    return frame


def record_release(con, now: dt.datetime, threshold: int, width: int) -> Release | None:
    """A new release if what would be published differs from the current one (None: nothing published
    yet and nothing to publish). Raises NotAudited when no passed audit covers it. `con` writes;
    `threshold` and `width`: the protection rule it was audited with (settings)."""
    frame = _published(con)
    values = frame[KEY + ["unit"]].assign(numerator=frame["true_numerator"], denominator=frame["true_denominator"])
    fingerprint = passed_audit(con, values, frame[KEY + ["obs_status"]])
    if fingerprint is None:
        raise NotAudited("the disclosure audit has not passed what indicator_values_public shows (run the "
                         "transform: its suppression asset audits before anything is published)")
    current = con.execute(f"SELECT {', '.join(KEY)}, numerator, denominator, value, obs_status FROM meta.release_cells "
                          "WHERE last_release_id IS NULL").df()
    latest = con.execute("SELECT max(release_id) FROM meta.releases").fetchone()[0]
    now_rows = frame[KEY].assign(numerator=frame["true_numerator"], denominator=frame["true_denominator"],
                                 value=frame["true_value"], unit=frame["unit"], obs_status=frame["obs_status"])
    merged = now_rows.merge(current, on=KEY, how="outer", suffixes=("", "_was"), indicator=True)
    same = (merged["_merge"] == "both") & _equal(merged, ["numerator", "denominator", "value", "obs_status"])
    if same.all() and latest is not None:
        return Release(int(latest), new=False)
    if not len(now_rows) and latest is None:
        return None
    release = (latest or 0) + 1
    changed = merged[~same]
    # read by DuckDB by name below: versions that end with the previous release, and the new ones
    gone = changed[changed["_merge"] != "left_only"][KEY]  # noqa: F841
    arrived = changed[changed["_merge"] != "right_only"][KEY]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"""UPDATE meta.release_cells AS c SET last_release_id = ? FROM gone AS g
                        WHERE c.last_release_id IS NULL AND {' AND '.join(f'c.{k} = g.{k}' for k in KEY)}""",
                    [release - 1])
        con.execute(f"""INSERT INTO meta.release_cells
                        SELECT {', '.join('n.' + k for k in KEY)}, n.numerator, n.denominator, n.value, n.unit,
                               n.obs_status, ?, NULL
                        FROM now_rows AS n JOIN arrived AS a USING ({', '.join(KEY)})""", [release])
        counts = frame["obs_status"].value_counts()
        con.execute("INSERT INTO meta.releases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [release, now, fingerprint, threshold, width, int(counts.get("A", 0)), int(counts.get("C", 0)),
                     int(counts.get("D", 0)), len(arrived)])
        con.execute("""INSERT INTO meta.release_submissions
                       SELECT ?, country_code, period, table_name, version, submission_table_id
                       FROM meta.current_tables""", [release])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Release(release, new=True)


def _equal(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    same = pd.Series(True, index=frame.index)
    for column in columns:
        a, b = frame[column], frame[f"{column}_was"]
        same &= (a == b) | (a.isna() & b.isna())
    return same


_KEYS = ", ".join(KEY)
_PARTITION = f"PARTITION BY {_KEYS} ORDER BY first_release_id"
RESTRICTED = Path(WAREHOUSE_FILE).stem  # the restricted warehouse's catalog, as attached to public.duckdb
# The analysts' side of the history, from the restricted one (SQL with the warehouse attached as RESTRICTED):
# name -> (query, description). Published columns only: a version is a change of what was shown.
PUBLIC_HISTORY = {
    "releases": (
        f"""SELECT release_id, released_at, rows_published, rows_confidential, rows_withheld, rows_changed
            FROM {RESTRICTED}.meta.releases ORDER BY release_id""",
        "Every release of the published indicators: a refresh of public.duckdb (and the PostgreSQL schema) that "
        "changed what is published, with its time and how many rows it shows (A), holds confidential (C), "
        "withholds to protect them (D), and changed. release_submissions says what it reflects."),
    "release_submissions": (
        f"""SELECT release_id, country_code, period, table_name, version FROM {RESTRICTED}.meta.release_submissions
            ORDER BY release_id, country_code, period, table_name""",
        "What each release reflects: the version of each submitted table (country, quarter, table) accepted "
        "when it was made. A correction from a ministry is a new version."),
    "indicator_values_history": (
        f"""WITH published AS (
                SELECT {_KEYS},
                       CASE WHEN obs_status = 'A' THEN numerator END AS numerator,
                       CASE WHEN obs_status = 'A' THEN denominator END AS denominator,
                       CASE WHEN obs_status = 'A' THEN value END AS value,
                       unit, obs_status, first_release_id, last_release_id
                FROM {RESTRICTED}.meta.release_cells
            ),
            marked AS (
                SELECT *, CASE WHEN lag(last_release_id) OVER ({_PARTITION}) = first_release_id - 1
                                AND (lag(numerator) OVER ({_PARTITION})) IS NOT DISTINCT FROM numerator
                                AND (lag(denominator) OVER ({_PARTITION})) IS NOT DISTINCT FROM denominator
                                AND (lag(value) OVER ({_PARTITION})) IS NOT DISTINCT FROM value
                                AND (lag(obs_status) OVER ({_PARTITION})) IS NOT DISTINCT FROM obs_status
                               THEN 0 ELSE 1 END AS starts
                FROM published
            ),
            numbered AS (SELECT *, sum(starts) OVER ({_PARTITION}) AS version FROM marked)
            SELECT {_KEYS}, numerator, denominator, value, unit, obs_status,
                   min(first_release_id) AS first_release_id,
                   CASE WHEN count(*) > count(last_release_id) THEN NULL ELSE max(last_release_id) END
                       AS last_release_id
            FROM numbered
            GROUP BY {_KEYS}, version, numerator, denominator, value, unit, obs_status
            ORDER BY {_KEYS}, first_release_id""",
        "Every published version of every row of indicator_values_public: its columns, the first release that "
        "showed it and the last (NULL while it is current). As of release R: first_release_id <= R and "
        "(last_release_id IS NULL OR last_release_id >= R)."),
}
# revisions: from the public history, so they show only what analysts could see change
REVISIONS = (
    f"""WITH versions AS (
            SELECT *, lag(numerator) OVER w AS old_numerator, lag(denominator) OVER w AS old_denominator,
                   lag(value) OVER w AS old_value, lag(obs_status) OVER w AS old_obs_status,
                   lag(last_release_id) OVER w AS old_last_release_id
            FROM indicator_values_history
            WINDOW w AS (PARTITION BY {_KEYS} ORDER BY first_release_id)
        ),
        changed AS (
            SELECT * FROM versions WHERE old_last_release_id = first_release_id - 1
        ),
        members AS (  -- a region's row changes with its members' submissions
            SELECT country_code, country_code AS member FROM (SELECT DISTINCT country_code FROM changed)
            UNION ALL
            SELECT region_code, country_code FROM {RESTRICTED}.reference.region_members
        ),
        submission_changes AS (
            SELECT n.release_id, n.country_code, n.period, n.table_name, o.version AS old_version, n.version
            FROM release_submissions AS n
            LEFT JOIN release_submissions AS o
                ON o.release_id = n.release_id - 1 AND o.country_code = n.country_code AND o.period = n.period
                AND o.table_name = n.table_name
            WHERE o.version IS DISTINCT FROM n.version
        ),
        causes AS (
            SELECT c.indicator_code, c.country_code, c.period, c.breakdown, c.breakdown_value, c.first_release_id,
                   string_agg(s.country_code || ' ' || s.period || ' ' || s.table_name || ' '
                              || coalesce('v' || s.old_version || ' -> ', 'new: ') || 'v' || s.version, '; '
                              ORDER BY s.country_code, s.period, s.table_name) AS cause
            FROM changed AS c
            JOIN members AS m ON m.country_code = c.country_code
            JOIN submission_changes AS s
                ON s.release_id = c.first_release_id AND s.country_code = m.member
                -- an indicator of q reads q's tables, q-1's snapshot (attrition, promotion) and earlier trainings
                AND s.period <= c.period
            GROUP BY ALL
        )
        SELECT c.first_release_id AS release_id, c.old_last_release_id AS previous_release_id,
               {', '.join('c.' + k for k in KEY)}, c.unit,
               c.old_numerator, c.numerator AS new_numerator, c.old_denominator, c.denominator AS new_denominator,
               c.old_value, c.value AS new_value, c.old_obs_status, c.obs_status AS new_obs_status,
               coalesce(k.cause, CASE WHEN c.obs_status = 'D' OR c.old_obs_status = 'D'
                                      THEN 'suppression: withheld or shown again to protect confidential rows'
                                      ELSE 'recomputed' END) AS cause
        FROM changed AS c
        LEFT JOIN causes AS k USING (indicator_code, country_code, period, breakdown, breakdown_value, first_release_id)
        ORDER BY release_id, {_KEYS}""",
    "Each published value that changed from one release to the next: old and new numbers and status, and why "
    "(the submission versions of its country, or its region's members, for its quarter and earlier ones that "
    "changed between the two releases; or a change of suppression).")
