"""The suppression step on the warehouse: read what it needs, decide, audit, and only then write.

Between the dbt models indicator_values (the truth) and indicator_values_public (what leaves), the
`publication/suppression` asset runs `suppress`: it decides every row's status for the next release,
audits that decision against everything published before, records the audit, and writes the decision
(meta.suppression) only when the audit passed. A failed audit changes nothing but its own record.
"""
import hashlib
import time
from dataclasses import dataclass, field

import pandas as pd

from parity.config import Settings
from parity.suppression import KEY, Exposure, SuppressionError, bands_of, counts, decide, regions_of
from parity.suppression.secondary import primary

VALUE_COLUMNS = KEY + ["unit", "numerator", "denominator"]


@dataclass
class Inputs:
    values: pd.DataFrame  # marts.indicator_values: KEY, unit, numerator, denominator
    history: pd.DataFrame  # meta.release_cells: every published version
    regions: dict[str, list[str]]
    bands: dict[str, str]


@dataclass
class Outcome:
    exposed: list[Exposure]
    confidential: int  # confidential rows (primary suppression)
    fingerprint: str
    seconds: float
    by_indicator: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows, C, D and D's share per indicator

    @property
    def passed(self) -> bool:
        return not self.exposed


def read_inputs(con) -> Inputs:
    values = counts(con.execute(f"SELECT {', '.join(VALUE_COLUMNS)} FROM marts.indicator_values").df())
    history = counts(con.execute("SELECT * FROM meta.release_cells").df())
    regions = regions_of(con.execute("SELECT region_code, country_code FROM reference.region_members").df())
    bands = bands_of(con.execute("SELECT nato_code, rank_band FROM marts.dim_rank").df())
    return Inputs(values, history, regions, bands)


def fingerprint(values: pd.DataFrame, statuses: pd.DataFrame) -> str:
    """Of the truth and the decision together: what an audit passed for, and what an export must match."""
    rows = values[VALUE_COLUMNS].merge(statuses[KEY + ["obs_status"]], on=KEY).sort_values(KEY, ignore_index=True)
    rows = rows.astype({"numerator": "Int64", "denominator": "Int64"})  # 3 and 3.0 are the same count
    digest = hashlib.sha256("\x1f".join(rows.columns).encode("utf-8"))
    for column in rows.columns:  # column by column: a NULL is not the text "<NA>"
        digest.update(rows[column].astype("string").fillna("\x00").str.cat(sep="\x1e").encode("utf-8") + b"\x1d")
    return digest.hexdigest()


def suppress(settings: Settings, con) -> Outcome:
    """Decide, audit, record the audit; write meta.suppression if it passed. `con` writes the warehouse."""
    start = time.perf_counter()
    inputs = read_inputs(con)
    threshold, width = settings.disclosure_threshold, settings.protection_width
    try:
        # the last release audited under this rule: only what is tied to a new or changed row is audited again
        incremental = con.execute("SELECT threshold = ? AND width = ? FROM meta.releases ORDER BY release_id DESC "
                                  "LIMIT 1", [threshold, width]).fetchone() == (True,)
        statuses, protection = decide(inputs.values, inputs.history, inputs.regions, inputs.bands, threshold, width,
                                      incremental)
        exposed = protection.audit(threshold, width)  # every confidential count of every release, on the decision
    except SuppressionError as e:  # no row left to withhold for some count: the decision is not published
        statuses = inputs.values[KEY].assign(obs_status="D")
        exposed = e.exposed
    outcome = Outcome(exposed, primary(inputs.values, threshold).count("C"),
                      fingerprint(inputs.values, statuses), 0.0, shares(inputs.values.merge(statuses, on=KEY)))
    outcome.seconds = time.perf_counter() - start
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO meta.disclosure_audits VALUES (now(), ?, ?, ?, ?, ?)",
                    [outcome.fingerprint, outcome.passed, outcome.confidential, len(exposed), outcome.seconds])
        if outcome.passed:
            con.execute("DELETE FROM meta.suppression")
            con.execute("INSERT INTO meta.suppression SELECT * FROM statuses")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return outcome


def shares(rows: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: rows, confidential (C), withheld to protect them (D), and D's share of the rows."""
    table = rows.groupby("indicator_code")["obs_status"].value_counts().unstack(fill_value=0)
    table = table.reindex(columns=["A", "C", "D"], fill_value=0)
    table["rows"] = table.sum(axis=1)
    table["secondary_share"] = table["D"] / table["rows"]
    return table.reset_index()[["indicator_code", "rows", "C", "D", "secondary_share"]]


def passed_audit(con, values: pd.DataFrame, statuses: pd.DataFrame) -> str | None:
    """The fingerprint of this truth and decision if an audit passed it (else None): the export's
    check that what it is about to publish is what was audited."""
    printed = fingerprint(values, statuses)
    row = con.execute("SELECT count(*) FROM meta.disclosure_audits WHERE fingerprint = ? AND passed",
                      [printed]).fetchone()
    return printed if row[0] else None


