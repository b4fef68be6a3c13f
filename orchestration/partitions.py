"""Partitions: quarter x country. One submission = one (quarter, country) partition."""
import datetime as dt

import dagster as dg

from sources.dialect import DIALECTS
from sources.period import Period

FIRST_QUARTER = "2015Q1"
COUNTRY, QUARTER = "country", "quarter"


def quarter_keys(today: dt.date | None = None) -> list[str]:
    """2015Q1 up to the last quarter of next year. Keys are computed when the code location
    loads; a deployment reloads it at least once a year (every release does)."""
    today = today or dt.date.today()
    return [str(p) for p in Period.range(f"{FIRST_QUARTER}:{today.year + 1}Q4")]


QUARTER_KEYS = quarter_keys()
submission_partitions = dg.MultiPartitionsDefinition({
    COUNTRY: dg.StaticPartitionsDefinition(sorted(DIALECTS)),
    QUARTER: dg.StaticPartitionsDefinition(QUARTER_KEYS),
})


def partition_key(country: str, period: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({COUNTRY: country, QUARTER: period})


def country_and_period(key: str | dg.MultiPartitionKey) -> tuple[str, str]:
    if not isinstance(key, dg.MultiPartitionKey):
        key = submission_partitions.get_partition_key_from_str(key)
    dims = key.keys_by_dimension
    return dims[COUNTRY], dims[QUARTER]
