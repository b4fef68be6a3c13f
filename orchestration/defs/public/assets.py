"""public.duckdb: the analysts' copy of the public side, refreshed after the marts it copies."""
import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.defs.dbt.assets import warehouse_models
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.publication.assets import SUPPRESSION_KEY
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity import warehouse
from parity.public import export_public, public_relations
from parity.releases import record_release

PUBLIC_RELATIONS = public_relations(dbt_project.manifest_path)


@dg.asset(
    key=["public", "warehouse"],
    deps=[get_asset_key_for_model([warehouse_models], r.name) for r in PUBLIC_RELATIONS] + [SUPPRESSION_KEY],
    group_name="public",
    pool=DUCKDB_POOL,
    description="$PARITY_HOME/public.duckdb: the public twin of the indicators, the dimensions and the aggregates "
                "built from them (dbt models tagged `public`), the releases and the history of every published value, "
                "swapped in atomically; analysts open it read-only. A changed publication is a new release, "
                "recorded only under a passed disclosure audit.",
)
def public_warehouse(context: dg.AssetExecutionContext, parity: ParityResource) -> dg.MaterializeResult:
    tag_this_process(context)
    settings = parity.settings()
    with warehouse.locked(settings, "public.duckdb export"):
        # a release first (refused without a passed audit of exactly what would leave), then the file
        with warehouse.connect(settings.warehouse, wait=settings.busy_wait) as con:
            release = record_release(con, settings.clock.now(), settings.disclosure_threshold,
                                     settings.protection_width)
        counts = export_public(settings, PUBLIC_RELATIONS)
    said = "none yet" if release is None else f"{release.release_id} ({'new' if release.new else 'unchanged'})"
    context.log.info(f"wrote {settings.public_warehouse}: release {said}; rows {counts}")
    return dg.MaterializeResult(metadata={
        "path": str(settings.public_warehouse), "release": release.release_id if release else 0,
        "new_release": bool(release and release.new), **{f"rows/{name}": n for name, n in counts.items()}})
