"""`make docs`: dbt's documentation site as one page that opens from disk (`dbt docs generate
--static`: manifest and catalog inside, no JSON to fetch, which a browser refuses from file://).

The catalog (column types, row counts) is read from the warehouse of the settings when there is one;
on a fresh clone, before any load, the page has the models, their descriptions and lineage, without it.
"""
from pathlib import Path

from parity.config import DBT_PROJECT_DIR, Settings
from parity.dbt import run_dbt

DOCS_TARGET = DBT_PROJECT_DIR / "target" / "docs"  # ignored by git, like the rest of target/


def generate_docs(settings: Settings, target: Path = DOCS_TARGET) -> Path:
    """Write the page; returns its path."""
    with_catalog = settings.warehouse.exists()
    run_dbt("docs", "generate", "--static", *([] if with_catalog else ["--empty-catalog"]),
            warehouse=settings.warehouse if with_catalog else target / "empty.duckdb",
            target_path=target, settings=settings)
    return target / "static_index.html"


if __name__ == "__main__":
    settings = Settings.from_env()
    page = generate_docs(settings)
    source = f"the warehouse {settings.warehouse}" if settings.warehouse.exists() else "no warehouse yet (no catalog)"
    print(f"dbt docs of the project, with {source}: open {page}")
