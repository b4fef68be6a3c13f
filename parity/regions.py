"""The areas a report can be about: each country with a dialect, and each region of the dbt seeds
`countries` (is_region) and `region_members`, the one place regions are configured (the marts read
the same files)."""
import csv
from functools import cache

from parity.config import DBT_PROJECT_DIR
from sources.dialect import DIALECTS

SEEDS = DBT_PROJECT_DIR / "seeds"


@cache
def regions() -> dict[str, tuple[str, ...]]:
    """Region code -> its member countries, in code order."""
    with (SEEDS / "region_members.csv").open(encoding="utf-8", newline="") as f:
        members: dict[str, list[str]] = {}
        for row in csv.DictReader(f):
            members.setdefault(row["region_code"], []).append(row["country_code"])
    return {region: tuple(sorted(countries)) for region, countries in sorted(members.items())}


def areas() -> tuple[str, ...]:
    """The countries (those with a dialect), then the regions."""
    return (*sorted(DIALECTS), *regions())


def countries_of(area: str) -> tuple[str, ...]:
    """The countries whose figures an area's report shows: a region's members, or the country itself."""
    return regions().get(area, (area,))
