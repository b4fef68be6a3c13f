"""What the warehouse already holds for a country, as the cross-quarter checks compare with it.

Every function takes an open connection (the ingest's own, inside its unit of work) and reads only
pseudonymised raw tables: the current accepted version of each (country, quarter, table).
"""
import pandas as pd

from sources.period import Period


def snapshot(con, country: str, period: Period) -> pd.DataFrame | None:
    """The accepted personnel of (country, period): person_key, sex, category, entry_date; None if
    none was accepted."""
    frame = con.execute(
        "SELECT person_key, sex, category, entry_date FROM raw.personnel WHERE country_code=? AND period=?",
        [country, str(period)]).df()
    return frame if len(frame) else None


def reported(con, country: str, period: Period, table: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM meta.current_tables WHERE country_code=? AND period=? AND table_name=?",
        [country, str(period), table]).fetchone()[0] > 0


def separation_count(con, country: str, period: Period) -> int | None:
    """Separations accepted for the quarter, None if its table was not reported."""
    if not reported(con, country, period, "separations"):
        return None
    return con.execute("SELECT count(*) FROM raw.separations WHERE country_code=? AND period=?",
                       [country, str(period)]).fetchone()[0]


def category_history(con, country: str, before: Period) -> pd.DataFrame:
    """Headcount and women by category for each accepted quarter before `before`."""
    return con.execute(
        """SELECT period, category, count(*) AS headcount, count(*) FILTER (WHERE sex = 'F') AS women
           FROM raw.personnel WHERE country_code = ? AND period < ?
           GROUP BY ALL""", [country, str(before)]).df()
