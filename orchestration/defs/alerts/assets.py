"""What is late at a glance: the `timeliness` asset, the state of every country x quarter (not expected,
not yet due, awaited, on time, late, missing, rejected), refreshed after every build and by the daily
`deadlines` job, with one check per country that fails while a quarter of it is overdue; and the
deadline notices that job queues."""
import dagster as dg

from orchestration.defs.ingest.assets import REGISTRY_SPECS
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity import warehouse
from parity.deadlines import OVERDUE, STATES, overview, record_timeliness, watch_deadlines
from sources.dialect import DIALECTS

TIMELINESS = dg.AssetKey(["meta", "timeliness"])
DEADLINE_NOTICES = dg.AssetKey(["meta", "deadline_notices"])


def overdue_check(country: str) -> str:
    return f"nothing_overdue_{country}"


def states_table(states: dict[tuple[str, str], str]) -> str:
    """Markdown: a row per quarter (the newest first), a column per country, each cell its state."""
    countries = sorted({c for c, _ in states})
    quarters = sorted({p for _, p in states}, reverse=True)
    lines = ["| quarter | " + " | ".join(countries) + " |", "|---" * (len(countries) + 1) + "|"]
    lines += [f"| {q} | " + " | ".join(STATES[states[(c, q)]] for c in countries) + " |" for q in quarters]
    return "\n".join(lines)


@dg.asset(
    key=TIMELINESS, group_name="deliveries", pool=DUCKDB_POOL, deps=[spec.key for spec in REGISTRY_SPECS],
    check_specs=[dg.AssetCheckSpec(overdue_check(c), asset=TIMELINESS,
                                   description=f"Fails (warning) while a quarter of {c} is past its due date with no "
                                               f"accepted personnel (missing, or rejected).") for c in sorted(DIALECTS)],
    description="Every configured country x quarter (from the earliest first quarter to the current one): not expected "
                "(before the country's first quarter), not yet due (the quarter has not ended), awaited (ended, due date "
                "not passed), on time, late, missing (due date passed, nothing accepted) or rejected (only a rejected "
                "personnel table). Recorded in meta.timeliness; refreshed after every build and every morning.",
)
def timeliness(context: dg.AssetExecutionContext, parity: ParityResource):
    tag_this_process(context)
    settings = parity.settings()
    config, now = settings.config(), settings.clock.now()
    with warehouse.writing(settings, "timeliness") as con:
        warehouse.ensure_schema(con)
        record_timeliness(con, config, now)
        states = overview(con, config, now)
    counts = {label: sum(1 for s in states.values() if s == state) for state, label in STATES.items()}
    yield dg.MaterializeResult(metadata={"states": dg.MetadataValue.md(states_table(states)),
                                         "as_of": now.isoformat(timespec="minutes"), **counts})
    for country in sorted(DIALECTS):
        mine = {p: s for (c, p), s in states.items() if c == country}
        overdue = sorted(p for p, s in mine.items() if s in OVERDUE)
        yield dg.AssetCheckResult(
            asset_key=TIMELINESS, check_name=overdue_check(country), passed=not overdue,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"overdue": ", ".join(f"{p} ({STATES[mine[p]]})" for p in overdue) or "none",
                      "late": ", ".join(sorted(p for p, s in mine.items() if s == "late")) or "none",
                      "on_time": sum(1 for s in mine.values() if s == "on_time")})


@dg.asset(key=DEADLINE_NOTICES, group_name="deliveries", pool=DUCKDB_POOL, deps=[TIMELINESS],
          description="The reminders (before a due date) and overdue notices (after it) queued for the focal points: "
                      "each once, one digest per focal point per run of the `deadlines` job (meta.deadline_notices), "
                      "then sent through the outbox.")
def deadline_notices(context: dg.AssetExecutionContext, parity: ParityResource) -> dg.MaterializeResult:
    tag_this_process(context)
    settings = parity.settings()
    report = watch_deadlines(settings, settings.config())
    return dg.MaterializeResult(metadata={"queued": ", ".join(report.queued) or "none", "count": len(report.queued)})
