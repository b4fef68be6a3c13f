"""Partitions: quarter x country. One submission = one (quarter, country) partition.

The quarters are a fixed range, so that the asset graph does not depend on the day the code location
loaded (nor on any clock): a file of a quarter that has not ended on parity's clock is not taken
until it has (parity.load.pending_partitions, the inbox sensor), whatever the partitions allow."""
import dagster as dg

from sources.dialect import DIALECTS
from sources.period import Period

FIRST_QUARTER, LAST_QUARTER = "2015Q1", "2040Q4"
COUNTRY, QUARTER = "country", "quarter"

QUARTER_KEYS = [str(p) for p in Period.range(f"{FIRST_QUARTER}:{LAST_QUARTER}")]
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
