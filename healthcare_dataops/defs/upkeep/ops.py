"""The two steps of table upkeep: which versions must survive, then every table's upkeep.

Ops, not assets: compaction and vacuum change no table's content, so they are not a
materialization. The MLflow lookup is a step of its own so that no vacuum starts before the
protected versions are known (if MLflow cannot be reached, nothing is vacuumed), and the UI
shows which versions were kept and why. (A model registered in between trained on a snapshot
that is current or was replaced within the retention, which vacuum keeps anyway.)

One step for every table, not an op per layer or per table: tables are upkept one after
another (a weekly job on a small machine), a failing table does not stop the others, and the
step fails at the end, naming it; a retry redoes little, as compacted and vacuumed tables
have nothing left to do.
"""

import dagster as dg

from healthcare_dataops.defs.upkeep.config import LakehouseUpkeepConfig
from healthcare_dataops.lakehouse import table_upkeep
from healthcare_dataops.lakehouse.table_upkeep import ProtectedVersion, TableUpkeep
from healthcare_dataops.resources import LakehouseResource, MlflowResource
from healthcare_dataops.resources.lakehouse import LAYERS


@dg.op(description="The Delta versions that registered model versions holding an alias were "
       "trained on (their lineage tags): vacuum keeps them.")
def model_lineage_versions(
    context: dg.OpExecutionContext, mlflow_tracking: MlflowResource
) -> list[ProtectedVersion]:
    protected = table_upkeep.model_lineage_versions(mlflow_tracking.activate())
    lines = [f"- {p.table_uri} v{p.delta_version}: {p.model} v{p.model_version} ({p.alias})" for p in protected]
    context.add_output_metadata({
        "protected_versions": len(protected),
        "lineage": dg.MetadataValue.md("\n".join(lines) or "no model version holding an alias has lineage tags"),
    })
    return protected


@dg.op(description="Compacts and vacuums every Delta table of the lakehouse, keeping every "
       "version a model's lineage names; reports files, bytes and read times before and after.")
def upkeep_lakehouse_tables(
    context: dg.OpExecutionContext,
    config: LakehouseUpkeepConfig,
    lakehouse: LakehouseResource,
    protected: list[ProtectedVersion],
) -> list[TableUpkeep]:
    options = lakehouse.storage_options()
    tables = table_upkeep.find_tables(lakehouse.root, LAYERS, options)
    for version in protected:
        if not any(table_upkeep.same_table(version.table_uri, t.uri) for t in tables):
            context.log.warning(f"{version.model} v{version.model_version} ({version.alias}) names "
                                f"{version.table_uri}, not a table of this lakehouse: not kept by this run")
    reports, failed = [], []
    for table in tables:
        try:
            report = table_upkeep.upkeep(
                table, options, retention_hours=config.retention_hours,
                enforce_retention_duration=config.enforce_retention_duration, full_vacuum=config.full_vacuum,
                keep_versions=table_upkeep.versions_to_keep(table, protected), time_reads=config.time_reads,
            )
        except Exception as error:  # delta-rs raises plain exceptions; the others still get upkeep
            context.log.error(f"upkeep of {table.layer}/{table.name} failed: {error}")
            failed.append(f"{table.layer}/{table.name}")
            continue
        context.log.info(f"{table.layer}/{table.name}: {report.files_before} → {report.files_after} files, "
                         f"{report.files_vacuumed} vacuumed, kept versions {list(report.versions_kept)}")
        if report.log_cleanup_switched_off:
            context.log.info(f"{table.layer}/{table.name} keeps every commit from now on "
                             "(delta.enableExpiredLogCleanup=false), so the kept versions stay loadable")
        reports.append(report)
    stale = table_upkeep.remove_stale_staging(lakehouse.root)
    if stale:
        context.log.info(f"removed {len(stale)} scratch folders of runs killed on the way: {stale}")
    summary = {**_summary_metadata(reports, config), "stale_staging_removed": len(stale)}
    if failed:
        raise dg.Failure(description=f"upkeep failed for {', '.join(failed)} (see the step's log)", metadata=summary)
    context.add_output_metadata(summary)
    return reports


def _summary_metadata(reports: list[TableUpkeep], config: LakehouseUpkeepConfig) -> dict[str, object]:
    def total(field: str) -> int:
        return sum(getattr(r, field) for r in reports)

    def read_seconds(field: str) -> float | None:
        return round(sum(getattr(r, field) for r in reports), 3) if config.time_reads else None

    return {
        "tables": len(reports),
        "retention_hours": config.retention_hours,
        "files_before": total("files_before"),
        "files_after": total("files_after"),
        "bytes_before": total("bytes_before"),
        "bytes_after": total("bytes_after"),
        "files_vacuumed": total("files_vacuumed"),
        "read_seconds_before": read_seconds("read_seconds_before"),
        "read_seconds_after": read_seconds("read_seconds_after"),
        "summary": dg.MetadataValue.md(table_upkeep.markdown_summary(reports)),
    }
