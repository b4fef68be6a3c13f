"""Publishing the public side (public.duckdb: the disclosure-controlled indicators, the dimensions and
the aggregates built from them, the releases and the history of every published value) into a
PostgreSQL schema that BI tools read.

- Whole releases: every table is replaced by public.duckdb's, so the schema shows one release, the
  latest, with the history of all before it. Running it twice gives the same database.
- Only an audited release: public.duckdb's current rows must be its latest release's (public.duckdb is
  written only after a release is recorded under a passed disclosure audit), and the small-cell rule is
  checked again on every table.
- One transaction: a BI session sees the previous publication or the new one, never a mix.
- Read-only analysts: the role `parity_analyst` (NOLOGIN) may read the schema and nothing else;
  analysts' login roles are made members of it (GRANT parity_analyst TO alice).
- Table and column descriptions travel with the tables (COMMENT ON), from the dbt documentation.
"""
from dataclasses import dataclass

import duckdb
import sqlalchemy as sa

from parity import disclosure
from parity.config import Settings
from parity.postgres import copy_rows, engine, quote, table_like
from parity.releases import PUBLISHED
from parity.suppression.relations import KEY

DEFAULT_SCHEMA = "parity"
ANALYST_ROLE = "parity_analyst"


@dataclass(frozen=True)
class Publication:
    schema: str
    release: int  # the release now in the schema
    rows: dict[str, int]  # rows written per table


def _public_tables(duck) -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """{table: (comment, [(column, type, comment)])} of public.duckdb."""
    tables = {}
    for name, comment in duck.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY table_name").fetchall():
        columns = duck.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ? ORDER BY column_index", [name]).fetchall()
        tables[name] = (comment or "", columns)
    return tables


def _existing_columns(pg: sa.Connection, schema: str, name: str) -> list[str]:
    return [c for (c,) in pg.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = :t "
        "ORDER BY ordinal_position"), {"s": schema, "t": name})]


def _ensure_role(pg: sa.Connection, role: str) -> None:
    if pg.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
        pg.execute(sa.text(f"CREATE ROLE {quote(role)} NOLOGIN"))


def _release(duck) -> int:
    """public.duckdb's latest release, checked to be what its indicator_values_public shows."""
    names = {name for (name,) in duck.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    if not {"releases", "indicator_values_history", "indicator_values_public"} <= names:
        raise disclosure.DisclosureError("public.duckdb holds no release (written by an older parity?): nothing was "
                                         "sent. Run parity load to publish a release.")
    release = duck.execute("SELECT max(release_id) FROM releases").fetchone()[0]
    columns = ", ".join(KEY + PUBLISHED)
    differs = duck.execute(f"""SELECT count(*) FROM (
        (SELECT {columns} FROM indicator_values_public
         EXCEPT ALL SELECT {columns} FROM indicator_values_history WHERE last_release_id IS NULL)
        UNION ALL
        (SELECT {columns} FROM indicator_values_history WHERE last_release_id IS NULL
         EXCEPT ALL SELECT {columns} FROM indicator_values_public))""").fetchone()[0]
    if release is None or differs:
        raise disclosure.DisclosureError(
            f"indicator_values_public is not release {release}'s ({differs} rows differ): nothing was sent. "
            "public.duckdb was changed after parity wrote it; run parity load to write it again.")
    return int(release)


def publish(settings: Settings, url: str, schema: str = DEFAULT_SCHEMA,
            analyst_role: str = ANALYST_ROLE) -> Publication:
    """Copy public.duckdb, its latest release with the history before it, into `schema`."""
    public_warehouse = settings.public_warehouse
    if not public_warehouse.exists():
        raise FileNotFoundError(f"{public_warehouse} does not exist yet: load and build first (parity load)")
    rows = {}
    with duckdb.connect(str(public_warehouse), read_only=True) as duck, engine(url).begin() as pg:
        tables = _public_tables(duck)
        disclosure.assert_controlled(duck, {name: {c for c, _, _ in cols} for name, (_, cols) in tables.items()},
                                     settings.disclosure_threshold)
        release = _release(duck)
        pg.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}"))
        _ensure_role(pg, analyst_role)
        for name, (comment, columns) in tables.items():
            table = table_like(sa.MetaData(schema=schema), name, [(c, t) for c, t, _ in columns])
            existing = _existing_columns(pg, schema, name)
            if existing and existing != [c for c, _, _ in columns]:
                # the model changed shape: this table is published again from scratch
                pg.execute(sa.text(f"DROP TABLE {quote(schema)}.{quote(name)}"))
            table.create(pg, checkfirst=True)
            pg.execute(table.delete())
            rows[name] = copy_rows(duck, f'SELECT * FROM main."{name}"', None, pg, table)
            target = f"{quote(schema)}.{quote(name)}"
            pg.execute(sa.text(f"COMMENT ON TABLE {target} IS :c"), {"c": comment})
            for column, _, text in columns:
                pg.execute(sa.text(f"COMMENT ON COLUMN {target}.{quote(column)} IS :c"), {"c": text or ""})
        pg.execute(sa.text(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {quote(analyst_role)}"))
        pg.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {quote(schema)} TO {quote(analyst_role)}"))
    return Publication(schema, release, rows)
