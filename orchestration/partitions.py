"""Partitions: quarter x country. One submission = one (quarter, country) partition.

The quarters start at the earliest first quarter of the configured countries (config/parity.toml,
`first_period`: nothing earlier is expected, so the UI shows no partition before it) and end at a fixed
quarter, so that the asset graph does not depend on the day the code location loaded (nor on any
clock): a file of a quarter that has not ended on parity's clock is not taken until it has
(parity.load.pending_partitions, the inbox sensor), whatever the partitions allow. Whether a quarter
is late, missing or not yet due is the `meta/timeliness` asset's (orchestration/defs/alerts/assets.py)."""
import dagster as dg

from parity.config import first_configured_quarter
from sources.dialect import DIALECTS
from sources.period import Period

# the configuration file is read here: the project's, or the one PARITY_CONFIG names (a file that cannot
# be used stops the code location, or the command, with SettingsError naming it)
FIRST_QUARTER, LAST_QUARTER = first_configured_quarter(), "2040Q4"
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
