"""Disclosure control of what parity publishes: primary and secondary suppression, and the audit.

- relations.py: the ties between indicator rows that the published definitions give anyone;
- audit.py: how far everything published (every release) pins each confidential count (LP, HiGHS);
- secondary.py: the rows withheld beside the confidential ones so that the audit passes;
- step.py: the suppression step on the warehouse (the `publication/suppression` asset);
- this module: deciding and auditing on frames (indicator_values, the release history, region
  members, rank bands).
"""
import pandas as pd

from parity.suppression.audit import Exposure, build_system, exposures
from parity.suppression.relations import KEY
from parity.suppression.secondary import Protection, SuppressionError, protect

__all__ = ["KEY", "Exposure", "SuppressionError", "audit", "decide", "regions_of", "bands_of"]


def regions_of(region_members: pd.DataFrame) -> dict[str, list[str]]:
    """region_code -> its member countries (seed region_members)."""
    return {region: sorted(group["country_code"]) for region, group in region_members.groupby("region_code")}


def bands_of(ranks: pd.DataFrame) -> dict[str, str]:
    """NATO code -> rank band (dim_rank)."""
    return dict(ranks[["nato_code", "rank_band"]].drop_duplicates().itertuples(index=False, name=None))


def counts(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """numerator and denominator as floats (NaN for none): DuckDB gives nullable integers, whose NA has
    no truth value."""
    if frame is None:
        return None
    return frame.astype({c: "float64" for c in ("numerator", "denominator", "value") if c in frame})


def decide(values: pd.DataFrame, history: pd.DataFrame | None, regions: dict[str, list[str]],
           bands: dict[str, str], threshold: int, width: int, incremental: bool = False
           ) -> tuple[pd.DataFrame, Protection]:
    """The published status of each row of indicator_values (KEY, unit, numerator, denominator):
    KEY and obs_status (A shown, C confidential, D withheld to protect a C row); and the protection, to
    audit the decision with. `incremental`: the last release was audited under the same rule
    (secondary.protect)."""
    values, history = counts(values).sort_values(KEY, ignore_index=True), counts(history)
    protection = protect(values, history, regions, bands, threshold, width, incremental)
    return values[KEY].assign(obs_status=protection.statuses), protection


def audit(published: pd.DataFrame, values: pd.DataFrame, history: pd.DataFrame | None,
          regions: dict[str, list[str]], bands: dict[str, str], threshold: int, width: int) -> list[Exposure]:
    """The confidential counts that publishing `published` (KEY and the obs_status of each row of
    `values`, indicator_values), with every earlier release, narrows below the protection rule, audited
    afresh; empty: it may be published. A row on one side only is refused: fail closed."""
    values, history = counts(values), counts(history)
    merged = values.merge(published[KEY + ["obs_status"]], on=KEY, how="outer", indicator=True)
    odd = merged[(merged["_merge"] != "both") | (merged["obs_status"].isna())]
    if len(odd):
        raise ValueError(f"indicator_values_public has other rows than indicator_values ({len(odd)} differ): "
                         "rebuild the marts")
    cells = merged[KEY + ["unit", "numerator", "denominator", "obs_status"]]
    return exposures(build_system(cells, history, regions, bands, threshold), threshold, width)
