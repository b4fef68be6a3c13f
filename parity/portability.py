"""The dbt project on PostgreSQL: copy the warehouse's inputs (raw tables and the submission registry)
into a PostgreSQL database, build the same project there with the `postgres` target, and compare its
indicator_values with DuckDB's.

This proves the project is not tied to the embedded engine; a deployment that outgrows one machine
runs dbt on its server database this way (README: "Growing beyond one machine").
"""
import math
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from parity.dbt import run_dbt
from parity.postgres import copy_rows, duckdb_columns, engine, quote, table_like
from parity.warehouse import CURRENT_TABLES_QUERY, connect
from sources.tables import TABLES

# what the dbt project reads (models/staging/_sources.yml; meta.suppression: the public twin is built with
# the same decision on both); the view is recreated from its query
INPUT_TABLES = [("raw", name) for name in TABLES] + [("meta", "received_files"), ("meta", "submission_tables"),
                                                   ("meta", "suppression")]
KEY = ("indicator_code", "country_code", "period", "breakdown", "breakdown_value")
COMPARED = ("numerator", "denominator", "value", "unit", "obs_status")


def copy_inputs(warehouse: Path, url: str) -> dict[str, int]:
    """Replace the raw and meta schemas of the PostgreSQL database with the warehouse's, in one
    transaction. Returns the rows copied per table."""
    counts = {}
    with connect(warehouse, read_only=True) as duck, engine(url).begin() as pg:
        for schema in ("raw", "meta"):
            pg.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            pg.execute(sa.text(f"CREATE SCHEMA {schema}"))
        for schema, name in INPUT_TABLES:
            table = table_like(sa.MetaData(schema=schema), name, duckdb_columns(duck, schema, name))
            table.create(pg)
            counts[f"{schema}.{name}"] = copy_rows(duck, f"SELECT * FROM {schema}.{quote(name)}", None, pg, table)
        pg.execute(sa.text("CREATE VIEW meta.current_tables AS " + CURRENT_TABLES_QUERY))
    return counts


def build(url: str, target_path: Path, settings=None, full_refresh: bool = True) -> None:
    """`dbt build --full-refresh` of the whole project on the PostgreSQL database, unit tests included
    (or an incremental build after one: the partitioned models' own implementation runs on PostgreSQL
    as on DuckDB; the unit tests, which read no data, already ran on this database)."""
    mode = ["--full-refresh"] if full_refresh else ["--exclude", "resource_type:unit_test"]
    run_dbt("build", *mode, postgres_url=url, target_path=target_path, settings=settings)


@dataclass(frozen=True)
class Difference:
    key: tuple
    column: str
    duckdb: object
    postgres: object

    def __str__(self) -> str:
        return f"{'/'.join(map(str, self.key))} {self.column}: DuckDB {self.duckdb!r}, PostgreSQL {self.postgres!r}"


def _same(a, b, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=tolerance, abs_tol=tolerance)
    return a == b


def compare_indicator_values(warehouse: Path, url: str, tolerance: float = 1e-9) -> tuple[int, list[Difference]]:
    """Every row of marts.indicator_values on both sides, matched on the grain. Returns the number of
    DuckDB rows and the differences (a row on one side only counts as a difference of `row`)."""
    columns = ", ".join(KEY + COMPARED)
    query = f"SELECT {columns} FROM marts.indicator_values"
    with connect(warehouse, read_only=True) as duck:
        left = {row[:len(KEY)]: row[len(KEY):] for row in duck.execute(query).fetchall()}
    with engine(url).connect() as pg:
        right = {tuple(row[:len(KEY)]): tuple(row[len(KEY):]) for row in pg.execute(sa.text(query))}
    differences = [Difference(k, "row", "present", "missing") for k in sorted(left.keys() - right.keys())]
    differences += [Difference(k, "row", "missing", "present") for k in sorted(right.keys() - left.keys())]
    for key in sorted(left.keys() & right.keys()):
        for column, a, b in zip(COMPARED, left[key], right[key]):
            if not _same(a, b, tolerance):
                differences.append(Difference(key, column, a, b))
    return len(left), differences
