"""What a materialization tells the UI: counts, conservation, version, schema, preview.

A run may cover many delivery days. Counts belong to a day, so they are attached to that
day's partition; the Delta version, schema and preview belong to the run. Every lakehouse
table also tells a data catalog where it is, its name and its columns (``table_metadata``),
and a silver table which bronze columns each of its columns comes from (``column_lineage``).
"""

from __future__ import annotations

import re

import dagster as dg
import pyarrow as pa

from healthcare_dataops.lakehouse import delta_tables
from healthcare_dataops.lakehouse.bronze_writer import DayCounts, QuarantineReport, TableReport
from healthcare_dataops.lakehouse.silver_writer import QUARANTINE_COLUMNS, Lineage, SilverBatchReport
from healthcare_dataops.resources.lakehouse import LakehouseResource

_DAGSTER_TYPES = {pa.string(): "string", pa.int64(): "int64", pa.date32(): "date"}
# Result values may be free text (an HL7 OBX-5 of type TX or ST, a note): the preview shows
# them only where they are numbers (HL7 SN "<^5" included), as silver keeps only numbers.
_RESULT_VALUE_COLUMNS = frozenset({"value", "observation_value"})
_NUMERIC = re.compile(r"[<>=^ ]{0,3}[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
TEXT_WITHHELD = "(text withheld)"


def bronze_result(
    context: dg.AssetExecutionContext, report: TableReport, *, lakehouse: LakehouseResource
) -> dg.MaterializeResult:
    for day, counts in report.days.items():
        context.add_asset_metadata(
            _day_metadata(counts, report.table.file_names_in_metadata),
            asset_key=report.table.name,
            partition_key=day,
        )
    context.log.info(
        f"{report.table.name}: {report.rows_written} rows + {report.rows_quarantined} "
        f"quarantined from {len(report.files_ingested)} files, "
        f"{len(report.files_skipped)} files skipped as re-delivered, "
        f"{sum(len(c.files_empty) for c in report.days.values())} held no record, "
        f"{sum(len(c.files_decoded) for c in report.days.values())} read from UTF-16/32"
    )
    metadata = table_metadata(lakehouse, "bronze", report.table.name)
    if report.version is not None:
        metadata["delta_version"] = report.version
    if report.preview:
        metadata["preview"] = dg.MetadataValue.md(_markdown_table(report.preview))
    return dg.MaterializeResult(asset_key=report.table.name, metadata=metadata)


def quarantine_result(
    context: dg.AssetExecutionContext, asset_key: str, report: QuarantineReport, *, lakehouse: LakehouseResource
) -> dg.MaterializeResult:
    for day, reasons in report.reasons_by_day.items():
        context.add_asset_metadata(
            {
                "dagster/row_count": sum(reasons.values()),
                "reasons": dg.MetadataValue.json(dict(reasons.most_common())),
            },
            asset_key=asset_key,
            partition_key=day,
        )
    metadata = table_metadata(lakehouse, "bronze", asset_key)
    if report.version is not None:
        metadata["delta_version"] = report.version
    return dg.MaterializeResult(asset_key=asset_key, metadata=metadata)


def table_metadata(lakehouse: LakehouseResource, layer: str, table: str) -> dict[str, object]:
    """What a data catalog reads of a lakehouse table: its URI, ``<layer>.<table>``, and its
    columns as the Delta table holds them (read after the write; none before it exists)."""
    uri = lakehouse.table_uri(layer, table)
    metadata: dict[str, object] = {
        "dagster/uri": dg.MetadataValue.path(uri),
        "dagster/table_name": f"{layer}.{table}",
    }
    delta = delta_tables.open_table(uri, lakehouse.storage_options())
    if delta is not None:
        metadata["dagster/column_schema"] = column_schema(pa.schema(delta.schema().to_arrow()))
    return metadata


def column_lineage(bronze_table: str, lineage: Lineage) -> dg.TableColumnLineage:
    """A silver table's lineage as Dagster's: a plain column name is a column of
    ``bronze_table``, a ``(table, column)`` pair a column of another asset."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [
                dg.TableColumnDep(asset_key=dg.AssetKey(source[0]), column_name=source[1])
                if isinstance(source, tuple)
                else dg.TableColumnDep(asset_key=dg.AssetKey(bronze_table), column_name=source)
                for source in sources
            ]
            for column, sources in lineage.items()
        }
    )


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(f.name, _DAGSTER_TYPES.get(f.type, str(f.type))) for f in schema
        ]
    )


def _day_metadata(counts: DayCounts, with_file_names: bool) -> dict[str, object]:
    metadata: dict[str, object] = {
        "dagster/row_count": counts.rows_written,
        "rows_quarantined": counts.rows_quarantined,
        "records_delivered": counts.records_delivered,
        "conservation": dg.MetadataValue.md(
            f"{counts.rows_written} rows + {counts.rows_quarantined} quarantined = "
            f"{counts.records_delivered} records delivered in "
            f"{len(counts.files_ingested)} files"
        ),
        "files_ingested": len(counts.files_ingested),
        "files_skipped_as_redelivered": len(counts.files_skipped),
        "files_empty": len(counts.files_empty),
        "files_decoded": len(counts.files_decoded),
    }
    if with_file_names and counts.files_ingested:
        metadata["files"] = dg.MetadataValue.json(counts.files_ingested)
    if with_file_names and counts.files_skipped:
        metadata["redelivered_files"] = dg.MetadataValue.json(counts.files_skipped)
    if with_file_names and counts.files_empty:
        metadata["empty_files"] = dg.MetadataValue.json(counts.files_empty)
    if with_file_names and counts.files_decoded:
        metadata["decoded_files"] = dg.MetadataValue.json(counts.files_decoded)
    return metadata


def _preview_cell(column: str, value: str | None) -> str:
    text = "" if value is None else str(value)
    if column in _RESULT_VALUE_COLUMNS and text and not _NUMERIC.fullmatch(text.strip()):
        return TEXT_WITHHELD
    return text


def _markdown_table(rows: list[dict[str, str | None]]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [_preview_cell(c, row[c]).replace("|", "\\|") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def silver_results(
    context: dg.AssetExecutionContext,
    report: SilverBatchReport,
    *,
    lakehouse: LakehouseResource,
    bronze_table: str,
    lineage: Lineage,
    engine_startup_seconds: float | None,
) -> list[dg.MaterializeResult]:
    """The silver table's and its quarantine's results; counts go to each day's partition.

    ``lineage``: the silver table's columns → the ``bronze_table`` columns they come from; the
    quarantine's columns of the same name (``patient_id``, provenance) come from the same."""
    table, quarantine = report.table.name, report.table.quarantine_name
    for day, outcome in report.days.items():
        by_feed = {feed: days[day] for feed, days in report.feeds.items() if day in days}
        deleted = (f" + {outcome.deletions} deletions ({outcome.rows_deleted} silver rows removed)"
                   if outcome.deletions else "")
        context.add_asset_metadata(
            {
                "rows_in": outcome.rows_in,
                "dagster/row_count": outcome.written,
                "rows_quarantined": outcome.quarantined,
                "duplicates_removed": outcome.duplicates,
                "deletions": outcome.deletions,
                "rows_deleted": outcome.rows_deleted,
                "outcomes_by_feed": dg.MetadataValue.json({
                    feed: {"rows_in": o.rows_in, "written": o.written, "quarantined": o.quarantined,
                           "duplicates": o.duplicates, "deletions": o.deletions, "rows_deleted": o.rows_deleted}
                    for feed, o in sorted(by_feed.items())
                }),
                "conservation": dg.MetadataValue.md(
                    f"{outcome.rows_in} bronze rows = {outcome.written} silver + "
                    f"{outcome.quarantined} quarantined + {outcome.duplicates} duplicates removed{deleted}"
                ),
            },
            asset_key=table,
            partition_key=day,
        )
        context.add_asset_metadata(
            {
                "dagster/row_count": outcome.quarantined,
                "reasons": dg.MetadataValue.json(outcome.reasons),
            },
            asset_key=quarantine,
            partition_key=day,
        )
    run_level: dict[str, object] = {"step_seconds": round(report.seconds, 3)}
    if engine_startup_seconds is not None:
        run_level["engine_startup_seconds"] = round(engine_startup_seconds, 3)
    quarantine_lineage = {c: lineage[c] for c in QUARANTINE_COLUMNS if c in lineage}
    return [
        dg.MaterializeResult(
            asset_key=table,
            metadata={
                **run_level,
                "delta_version": report.version,
                **table_metadata(lakehouse, "silver", table),
                "dagster/column_lineage": column_lineage(bronze_table, lineage),
            },
        ),
        dg.MaterializeResult(
            asset_key=quarantine,
            metadata={
                "delta_version": report.quarantine_version,
                **table_metadata(lakehouse, "silver", quarantine),
                "dagster/column_lineage": column_lineage(bronze_table, quarantine_lineage),
            },
        ),
    ]
