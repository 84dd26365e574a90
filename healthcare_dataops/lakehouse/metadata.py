"""What a bronze materialization tells the UI: counts, conservation, version, schema, preview."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa

from healthcare_dataops.lakehouse.bronze import QuarantineReport, TableReport

_DAGSTER_TYPES = {pa.string(): "string", pa.int64(): "int64", pa.date32(): "date"}


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(f.name, _DAGSTER_TYPES.get(f.type, str(f.type))) for f in schema
        ]
    )


def bronze_table_metadata(report: TableReport) -> dict[str, object]:
    files = report.files_ingested if report.table.file_names_in_metadata else []
    metadata: dict[str, object] = {
        "dagster/row_count": report.rows_written,
        "rows_quarantined": report.rows_quarantined,
        "records_delivered": report.records_delivered,
        "conservation": dg.MetadataValue.md(
            f"{report.rows_written} rows + {report.rows_quarantined} quarantined = "
            f"{report.records_delivered} records delivered in {len(report.files_ingested)} files"
        ),
        "files_ingested": len(report.files_ingested),
        "files_skipped_as_redelivered": len(report.files_skipped),
        "table_uri": dg.MetadataValue.path(report.uri),
        "dagster/column_schema": column_schema(report.table.schema),
    }
    if report.version is not None:
        metadata["delta_version"] = report.version
    if files:
        metadata["files"] = dg.MetadataValue.json(files)
    if report.files_skipped and report.table.file_names_in_metadata:
        metadata["redelivered_files"] = dg.MetadataValue.json(report.files_skipped)
    if report.preview:
        metadata["preview"] = dg.MetadataValue.md(_markdown_table(report.preview))
    return metadata


def quarantine_metadata(report: QuarantineReport) -> dict[str, object]:
    metadata: dict[str, object] = {
        "dagster/row_count": report.rows,
        "table_uri": dg.MetadataValue.path(report.uri),
        "reasons": dg.MetadataValue.json(dict(report.reasons.most_common())),
    }
    if report.version is not None:
        metadata["delta_version"] = report.version
    return metadata


def _markdown_table(rows: list[dict[str, str | None]]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [str(row[c] if row[c] is not None else "").replace("|", "\\|") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
