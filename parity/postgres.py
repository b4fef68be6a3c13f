"""PostgreSQL through SQLAlchemy: copying DuckDB relations into it (publishing, the portability check).
dbt reaches it through a profile parity.dbt writes from the same URL.

The warehouse stays in DuckDB; PostgreSQL receives copies. A copy reads the DuckDB relation's column
types from duckdb_columns() and creates the PostgreSQL table with the same names and matching types,
so a BI tool sees `bigint`, `double precision`, `date` where the marts have them.
"""
import re
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

_SIMPLE_TYPES = {
    "VARCHAR": sa.Text, "BIGINT": sa.BigInteger, "INTEGER": sa.Integer, "SMALLINT": sa.SmallInteger,
    "DATE": sa.Date, "BOOLEAN": sa.Boolean, "DOUBLE": sa.Double, "FLOAT": sa.Float,
    "TIMESTAMP": sa.DateTime, "TIMESTAMP WITH TIME ZONE": lambda: sa.DateTime(timezone=True),
    "HUGEINT": lambda: sa.Numeric(38, 0),
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")
BATCH_ROWS = 10_000


def sqlalchemy_type(duckdb_type: str) -> sa.types.TypeEngine:
    """The SQLAlchemy type (and so the PostgreSQL type) of a DuckDB column type."""
    if duckdb_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[duckdb_type]()
    if match := _DECIMAL.fullmatch(duckdb_type):
        return sa.Numeric(int(match[1]), int(match[2]))
    raise ValueError(f"no PostgreSQL type for the DuckDB type {duckdb_type}")


def parse_url(url: str) -> URL:
    """A postgresql:// URL, driven by psycopg2 whatever driver it names (or none)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername="postgresql+psycopg2")


def engine(url: str) -> sa.Engine:
    return sa.create_engine(parse_url(url), future=True)


def duckdb_columns(duck, schema: str, name: str, database: str | None = None) -> list[tuple[str, str]]:
    """(column name, DuckDB type) of a table or view, in order."""
    rows = duck.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? AND database_name = coalesce(?, current_database()) "
        "ORDER BY column_index", [schema, name, database]).fetchall()
    if not rows:
        raise LookupError(f"{schema}.{name} does not exist in the DuckDB warehouse")
    return rows


def table_like(metadata: sa.MetaData, name: str, columns: list[tuple[str, str]]) -> sa.Table:
    # autoincrement=False: an integer column here is data copied as is, never a generated key
    return sa.Table(name, metadata, *(sa.Column(c, sqlalchemy_type(t), autoincrement=False) for c, t in columns))


def batches(duck, query: str, params: list | None = None) -> Iterator[list[dict]]:
    """The rows of a DuckDB query as dicts, a batch at a time (a mart may not fit in one list)."""
    result = duck.execute(query, params or [])
    names = [d[0] for d in result.description]
    while rows := result.fetchmany(BATCH_ROWS):
        yield [dict(zip(names, row)) for row in rows]


def copy_rows(duck, query: str, params: list | None, connection: sa.Connection, table: sa.Table) -> int:
    """Insert the rows of a DuckDB query into `table` (same column names) inside the caller's
    transaction. Returns the number of rows."""
    copied = 0
    for batch in batches(duck, query, params):
        connection.execute(table.insert(), batch)
        copied += len(batch)
    return copied


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
