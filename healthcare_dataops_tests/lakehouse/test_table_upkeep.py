"""Compaction and vacuum on real Delta tables written with delta-rs, locally and on S3."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, PostCommitHookProperties, write_deltalake
from mlflow import MlflowClient

from healthcare_dataops.lakehouse import storage, table_upkeep
from healthcare_dataops.lakehouse.table_upkeep import LakehouseTable
from healthcare_dataops.ml.lineage import FEATURES_URI_TAG, FEATURES_VERSION_TAG
from healthcare_dataops.resources.lakehouse import LAYERS

DAYS = ("2026-01-01", "2026-01-02", "2026-01-03")
# What a test may delete at once: nothing younger than a week is safe in production.
NO_RETENTION = {"retention_hours": 0, "enforce_retention_duration": False}


def append_small_files(uri: str, appends: int = 24, storage_options: dict[str, str] | None = None) -> pa.Table:
    """A table partitioned by day, made as daily runs make it: many small appends, and a day
    replaced twice (a re-run). Returns the rows its current snapshot holds."""
    for i in range(appends):
        write_deltalake(uri, _rows(i, DAYS[i % len(DAYS)]), mode="append", partition_by=["day"],
                        storage_options=storage_options)
    for rerun in (100, 101):
        write_deltalake(uri, _rows(rerun, DAYS[0]), mode="overwrite", predicate=f"day = '{DAYS[0]}'",
                        partition_by=["day"], storage_options=storage_options)
    return _sorted(DeltaTable(uri, storage_options=storage_options).to_pyarrow_table())


def overwrite_whole(uri: str, times: int) -> list[pa.Table]:
    """As patient_features is written: every version replaces all the rows before it."""
    written = []
    for i in range(times):
        written.append(_rows(10 * i, DAYS[0], count=5))
        write_deltalake(uri, written[-1], mode="overwrite")
    return written


def _rows(batch: int, day: str, count: int = 3) -> pa.Table:
    return pa.table({"day": [day] * count, "batch": [batch] * count, "value": [batch * 10 + k for k in range(count)]})


def _sorted(table: pa.Table) -> pa.Table:
    return table.select(["day", "batch", "value"]).sort_by([("batch", "ascending"), ("value", "ascending")])


def data_files(folder: Path) -> set[str]:
    """The table's Parquet files on storage, whether or not a snapshot still names them."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet") if "_delta_log" not in p.parts}


def _age_the_log(uri: str, *, seconds: float) -> None:
    """Dates the table's log files ``seconds`` back: delta-rs expires a commit by its file's
    modification time, so a log retention of a second has passed without waiting it out."""
    then = time.time() - seconds
    for entry in Path(uri, "_delta_log").iterdir():
        os.utime(entry, (then, then))


def _table(uri: str, layer: str = "bronze") -> LakehouseTable:
    return LakehouseTable(layer, uri.rstrip("/").rsplit("/", 1)[-1], uri)


def test_compaction_replaces_small_files_and_keeps_the_rows(tmp_path):
    uri = str(tmp_path / "bronze" / "readings")
    rows = append_small_files(uri)
    report = table_upkeep.upkeep(_table(uri), {}, **NO_RETENTION)
    assert report.files_before == 2 * 8 + 1 and report.files_after == len(DAYS)  # one file per day
    assert report.files_compacted == 2 * 8  # the re-run day is one file already
    assert report.rows_before == report.rows_after == rows.num_rows
    assert _sorted(DeltaTable(uri).to_pyarrow_table()).equals(rows)
    current = set(DeltaTable(uri).file_uris())
    assert report.bytes_after == sum(Path(f).stat().st_size for f in current)
    # What is left on storage is the current snapshot, and vacuum counted what went.
    assert {str(tmp_path / "bronze" / "readings" / f) for f in data_files(Path(uri))} == current
    assert report.files_vacuumed == 24 + 2 - 1  # every file appended or re-run but the current re-run
    assert report.read_seconds_before > 0 and report.read_seconds_after > 0
    assert "| bronze/readings | 17 → 3 |" in table_upkeep.markdown_summary([report])


def test_vacuum_keeps_every_file_of_a_protected_version(tmp_path):
    uri = str(tmp_path / "gold" / "patient_features")
    written = overwrite_whole(uri, 4)
    report = table_upkeep.upkeep(_table(uri, "gold"), {}, **NO_RETENTION, keep_versions=[1])
    assert report.versions_kept == (1,)
    assert DeltaTable(uri, version=1).to_pyarrow_table().equals(written[1])
    assert DeltaTable(uri).to_pyarrow_table().equals(written[3])
    for unprotected in (0, 2):
        with pytest.raises(FileNotFoundError):
            DeltaTable(uri, version=unprotected).to_pyarrow_table()
    assert report.files_vacuumed == 2


def test_the_retention_keeps_what_was_removed_recently(tmp_path):
    uri = str(tmp_path / "gold" / "patient_features")
    written = overwrite_whole(uri, 3)
    report = table_upkeep.upkeep(_table(uri, "gold"), {}, retention_hours=168)
    assert report.files_vacuumed == 0
    assert DeltaTable(uri, version=0).to_pyarrow_table().equals(written[0])
    with pytest.raises(Exception, match=r"(?i)retention"):
        table_upkeep.upkeep(_table(uri, "gold"), {}, retention_hours=1)


def test_a_full_vacuum_deletes_only_old_files_no_commit_names(tmp_path):
    uri = tmp_path / "silver" / "patients"
    overwrite_whole(str(uri), 1)
    (uri / "crashed-writer.parquet").write_bytes(b"never committed")
    (uri / "being-written.parquet").write_bytes(b"not committed yet")
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(uri / "crashed-writer.parquet", (week_ago, week_ago))
    assert table_upkeep.upkeep(_table(str(uri), "silver"), {}, retention_hours=168,
                               full_vacuum=False).files_vacuumed == 0
    assert table_upkeep.upkeep(_table(str(uri), "silver"), {}, retention_hours=168).files_vacuumed == 1
    assert not (uri / "crashed-writer.parquet").exists() and (uri / "being-written.parquet").exists()


def test_a_kept_version_that_cannot_be_loaded_stops_the_vacuum(tmp_path):
    """Old commits that log cleanup expired cannot be protected: nothing is deleted without it."""
    uri = str(tmp_path / "gold" / "patient_features")
    write_deltalake(uri, _rows(0, DAYS[0]), mode="overwrite",
                    configuration={"delta.logRetentionDuration": "interval 1 second"})
    overwrite_whole(uri, 3)
    _age_the_log(uri, seconds=10)
    delta = DeltaTable(uri)
    delta.create_checkpoint()
    delta.cleanup_metadata()  # what a writer's checkpoint does once the log retention has passed
    on_storage = data_files(Path(uri))
    with pytest.raises(Exception, match="log segment"):
        table_upkeep.upkeep(_table(uri, "gold"), {}, **NO_RETENTION, keep_versions=[1])
    assert on_storage <= data_files(Path(uri))  # vacuum deleted nothing


def test_a_table_with_versions_to_keep_keeps_its_whole_log(tmp_path):
    """A table that checkpoints on every commit, its log retention passed, written as the Sail
    engine writes (never cleaning the log): upkeep's commits must not delete version 1's commit."""
    uri = str(tmp_path / "gold" / "patient_features")
    as_sail_writes = PostCommitHookProperties(cleanup_expired_logs=False)
    write_deltalake(uri, _rows(0, DAYS[0]), mode="overwrite", post_commithook_properties=as_sail_writes,
                    configuration={"delta.logRetentionDuration": "interval 1 second", "delta.checkpointInterval": "1"})
    written = [_rows(i, DAYS[0]) for i in (1, 2, 3)]
    for rows in written:
        write_deltalake(uri, rows, mode="overwrite", post_commithook_properties=as_sail_writes)
    _age_the_log(uri, seconds=10)
    report = table_upkeep.upkeep(_table(uri, "gold"), {}, **NO_RETENTION, keep_versions=[1])
    assert report.log_cleanup_switched_off and report.files_vacuumed == 2
    assert DeltaTable(uri, version=1).to_pyarrow_table().equals(written[0])
    assert DeltaTable(uri).metadata().configuration["delta.enableExpiredLogCleanup"] == "false"
    assert not table_upkeep.upkeep(_table(uri, "gold"), {}, **NO_RETENTION, keep_versions=[1]).log_cleanup_switched_off
    # A table with nothing to keep is left as its writers made it.
    other = str(tmp_path / "silver" / "patients")
    overwrite_whole(other, 2)
    assert not table_upkeep.upkeep(_table(other, "silver"), {}, **NO_RETENTION).log_cleanup_switched_off
    assert "delta.enableExpiredLogCleanup" not in DeltaTable(other).metadata().configuration


def test_tables_are_found_by_layer_and_nothing_else(tmp_path):
    for layer, name in (("silver", "patients"), ("bronze", "lab_results_raw"), ("gold", "patient_features"),
                        ("bronze", "ehr_patients")):
        overwrite_whole(str(tmp_path / layer / name), 1)
    (tmp_path / "silver" / "not_a_table").mkdir()
    overwrite_whole(str(tmp_path / "reports" / "feature_drift"), 1)  # beside the layers, not in one
    found = table_upkeep.find_tables(str(tmp_path) + "/", LAYERS, {})
    assert [(t.layer, t.name) for t in found] == [
        ("bronze", "ehr_patients"), ("bronze", "lab_results_raw"), ("silver", "patients"), ("gold", "patient_features")]
    assert found[0].uri == f"{tmp_path}/bronze/ehr_patients"
    assert table_upkeep.find_tables(str(tmp_path / "missing"), LAYERS, {}) == []


def test_lineage_uris_match_the_table_however_the_root_was_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    local = LakehouseTable("gold", "patient_features", f"{tmp_path}/lake/gold/patient_features")
    assert table_upkeep.same_table("lake/gold/patient_features/", local.uri)
    assert table_upkeep.same_table(f"file://{tmp_path}/lake/gold/patient_features", local.uri)
    assert not table_upkeep.same_table(f"{tmp_path}/lake/gold/patient_features_old", local.uri)
    assert table_upkeep.same_table("s3a://bucket/lake/gold/patient_features/", "s3://bucket/lake/gold/patient_features")
    assert not table_upkeep.same_table("s3://other/lake/gold/patient_features", "s3://bucket/lake/gold/patient_features")


def test_every_aliased_model_version_protects_its_training_version(tmp_path):
    # The registry named too: an earlier test's mlflow.set_registry_uri would otherwise win.
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    features = f"{tmp_path}/lakehouse/gold/patient_features"

    def register(model: str, delta_version: int | None, alias: str | None) -> None:
        tags = {} if delta_version is None else {FEATURES_URI_TAG: features, FEATURES_VERSION_TAG: str(delta_version)}
        if not client.search_registered_models(filter_string=f"name = '{model}'"):
            client.create_registered_model(model)
        version = client.create_model_version(model, source=str(tmp_path / "artifacts"), tags=tags)
        if alias:
            client.set_registered_model_alias(model, alias, version.version)

    register("readmission_risk", 3, "champion")
    register("readmission_risk", 5, None)  # superseded, no alias: nothing to keep
    register("readmission_risk", 7, "challenger")
    register("readmission_risk", None, "baseline")  # an alias without lineage tags
    register("los_model", 4, "champion")
    protected = table_upkeep.model_lineage_versions(client)
    assert sorted((p.model, p.model_version, p.alias, p.delta_version) for p in protected) == [
        ("los_model", "1", "champion", 4),
        ("readmission_risk", "1", "champion", 3),
        ("readmission_risk", "3", "challenger", 7),
    ]
    table = LakehouseTable("gold", "patient_features", features)
    assert table_upkeep.versions_to_keep(table, protected) == (3, 4, 7)
    assert table_upkeep.versions_to_keep(_table(f"{tmp_path}/lakehouse/gold/other", "gold"), protected) == ()


def test_upkeep_on_an_s3_lakehouse(s3_bucket):
    uri = f"{s3_bucket}/bronze/wearable_readings_raw"
    options = storage.storage_options(uri)
    rows = append_small_files(uri, appends=9, storage_options=options)
    [table] = table_upkeep.find_tables(s3_bucket, LAYERS, options)
    assert (table.layer, table.name, table.uri) == ("bronze", "wearable_readings_raw", uri)
    report = table_upkeep.upkeep(table, options, **NO_RETENTION)
    assert (report.files_before, report.files_after) == (3 + 3 + 1, len(DAYS))
    assert report.files_vacuumed == 9 + 2 - 1
    assert _sorted(DeltaTable(uri, storage_options=options).to_pyarrow_table()).equals(rows)


def test_scratch_folders_of_killed_runs_are_removed_once_stale(tmp_path):
    import datetime as dt
    import os

    from healthcare_dataops.lakehouse.table_upkeep import remove_stale_staging

    staging = tmp_path / "_staging"
    for name in ("bronze-old", "patients-new"):
        (staging / name / "rejected").mkdir(parents=True)
        (staging / name / "rejected" / "part.parquet").write_bytes(b"x")
    old = (dt.datetime.now() - dt.timedelta(days=2)).timestamp()
    for path in [staging / "bronze-old", staging / "bronze-old" / "rejected",
                 staging / "bronze-old" / "rejected" / "part.parquet"]:
        os.utime(path, (old, old))
    assert remove_stale_staging(str(tmp_path)) == ["bronze-old"]
    assert sorted(p.name for p in staging.iterdir()) == ["patients-new"]
    assert remove_stale_staging(str(tmp_path / "nowhere")) == []
