"""public.duckdb: the analysts' copy of the public side, refreshed after the marts it copies."""
import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.defs.dbt.assets import warehouse_models
from orchestration.defs.dbt.project import dbt_project
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity import warehouse
from parity.public import export_public, public_relations

PUBLIC_RELATIONS = public_relations(dbt_project.manifest_path)


@dg.asset(
    key=["public", "warehouse"],
    deps=[get_asset_key_for_model([warehouse_models], r.name) for r in PUBLIC_RELATIONS],
    group_name="public",
    pool=DUCKDB_POOL,
    description="$PARITY_HOME/public.duckdb: the public twin of the indicators, the dimensions and the aggregates "
                "built from them (dbt models tagged `public`), swapped in atomically; analysts open it read-only.",
)
def public_warehouse(context: dg.AssetExecutionContext, parity: ParityResource) -> dg.MaterializeResult:
    tag_this_process(context)
    settings = parity.settings()
    with warehouse.locked(settings, "public.duckdb export"):
        counts = export_public(settings, PUBLIC_RELATIONS)
    context.log.info(f"wrote {settings.public_warehouse}: {counts}")
    return dg.MaterializeResult(metadata={"path": str(settings.public_warehouse),
                                          **{f"rows/{name}": n for name, n in counts.items()}})
