"""The national rank tables: one file serves the reader and dbt (as the seed `ranks`)."""
import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RANKS_CSV = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "ranks.csv"


@dataclass(frozen=True)
class Rank:
    country_code: str
    local_rank: str
    rank_order: int
    nato_code: str
    category: str
    note: str = ""


@cache
def ranks_of(country: str) -> tuple[Rank, ...]:
    with RANKS_CSV.open(encoding="utf-8", newline="") as f:
        return tuple(
            Rank(r["country_code"], r["local_rank"], int(r["rank_order"]), r["nato_code"], r["category"], r["note"])
            for r in csv.DictReader(f)
            if r["country_code"] == country
        )
