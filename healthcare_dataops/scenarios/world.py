"""A landing zone, lakehouse, MLflow store and Dagster instance of a scenario's own, and the
project's jobs, sensor and assets bound to them.

A world lives at one folder; ``save`` keeps a copy of it and ``restore`` puts the copy back
at the same folder, so several scenarios can start from one baseline: every absolute path a
model version or its lineage records (artifact folders, the feature table's URI) stays valid.
The MLflow database is the one file that moves: each restore gets a database file of its own
name beside the world, since MLflow keeps a connection per tracking URI for the life of the
process, and one to a file replaced under it would write to what is gone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pyarrow.compute as pc
from deltalake import DeltaTable

from healthcare_dataops import settings
from healthcare_dataops.definitions import defs as project
from healthcare_dataops.defs.automation.jobs import daily_pipeline_job
from healthcare_dataops.defs.model.retrain_job import retrain_job
from healthcare_dataops.defs.model.risk_model import RISK_MODEL
from healthcare_dataops.defs.monitoring.feature_drift_report import FEATURE_DRIFT_REPORT
from healthcare_dataops.defs.monitoring.feature_drift_sensor import feature_drift_sensor
from healthcare_dataops.defs.scores.patient_risk_scores import PATIENT_RISK_SCORES
from healthcare_dataops.lib.source_value_checks import LAB_VALUES_MATCH_HISTORY, WEARABLE_VALUES_MATCH_HISTORY
from healthcare_dataops.ml import registry
from healthcare_dataops.resources import (
    KafkaResource,
    LakehouseResource,
    LandingZoneResource,
    MlflowResource,
    PseudonymizationResource,
    SparkResource,
)

# The tags of a run over a range of partitions, as the CLI's --partition-range sets them.
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
SOURCE_MONITORS = (LAB_VALUES_MATCH_HISTORY, WEARABLE_VALUES_MATCH_HISTORY)


class ScenarioWorld:
    def __init__(self, root: Path, model_config: dict, database: str = "baseline"):
        self.root = root
        self.landing, self.side, self.lakehouse = root / "landing", root / "generator", root / "lakehouse"
        self.model_config = model_config
        self._bind(database)

    def _database(self, name: str) -> Path:
        return self.root.parent / "mlflow-databases" / f"{name}.db"

    def _bind(self, database: str) -> None:
        self.database = self._database(database)
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self.mlflow = MlflowResource(tracking_uri=f"sqlite:///{self.database}",
                                     artifact_root=str(self.root / "mlflow" / "artifacts"))
        self.resources = {
            "landing_zone": LandingZoneResource(root=str(self.landing)),
            "lakehouse": LakehouseResource(root=str(self.lakehouse)),
            "spark": SparkResource(),
            "pseudonymization": PseudonymizationResource(),
            "mlflow_tracking": self.mlflow,
            # No topic is read in a scenario: the resource is there for the stream sensors.
            "kafka": KafkaResource(bootstrap_servers=settings.kafka_bootstrap_servers()),
        }
        # The project's definitions as they are, bound to this world's storage.
        self.defs = dg.Definitions(
            assets=project.assets, asset_checks=project.asset_checks, jobs=project.jobs,
            schedules=project.schedules, sensors=project.sensors, resources=self.resources,
            executor=project.executor,
        )
        # The truth file sits beside the feeds, not where the default looks (data/generator).
        self.run_model_config = {"generator_truth_file": str(self.side / "readmission_truth.csv"),
                                 **self.model_config}
        self.fresh_instance()

    def fresh_instance(self) -> None:
        """A new Dagster instance and sensor cursor (the storage stays)."""
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor: str | None = None

    def save(self, copy: Path) -> None:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.root, copy)
        shutil.copyfile(self.database, copy.with_suffix(".db"))

    def restore(self, copy: Path, database: str) -> None:
        """The world as saved in ``copy``, its MLflow database now named ``database``."""
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(copy, self.root)
        shutil.copyfile(copy.with_suffix(".db"), self._database(database))
        self._bind(database)

    @staticmethod
    def _range(first: str, last: str) -> dict[str, str]:
        return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}

    def _run_config(self, **overrides) -> dict:
        return {"ops": {RISK_MODEL: {"config": {**self.run_model_config, **overrides}}}}

    def run_graph(self, first: str, last: str, force: bool = False) -> None:
        run_config = self._run_config(**({"force_promotion": True} if force else {}))
        result = dg.materialize([*project.assets, *project.asset_checks], resources=self.resources,
                                instance=self.instance, tags=self._range(first, last), run_config=run_config)
        assert result.success

    def run_daily_pipeline(self, first: str, last: str, window_days: int = 30) -> dict[str, list[tuple[str, str]]]:
        """The daily pipeline over first..last, its drift report over the last ``window_days``
        days; what each per-source value monitor named."""
        job = self.defs.resolve_job_def(daily_pipeline_job.name)
        report = {"ops": {FEATURE_DRIFT_REPORT: {"config": {"window_days": window_days}}}}
        result = job.execute_in_process(instance=self.instance, tags=self._range(first, last), run_config=report)
        assert result.success
        named: dict[str, list[tuple[str, str]]] = {}
        for evaluation in result.get_asset_check_evaluations():
            if evaluation.check_name in SOURCE_MONITORS:
                shifted = evaluation.metadata["shifted_sources"].value
                named[evaluation.check_name] = [tuple(pair) for pair in shifted]
        return named

    def run_scores(self, day: str) -> None:
        """The open stays at the end of ``day`` scored by the champion: what the automation
        sensor runs each day in a deployment."""
        from healthcare_dataops.defs.scores.patient_risk_scores import patient_risk_scores

        result = dg.materialize([patient_risk_scores], resources=self.resources, instance=self.instance,
                                partition_key=day)
        assert result.success

    def tick_drift_sensor(self, say) -> tuple[dict, list[dg.RunRequest]]:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor, definitions=self.defs)
        result = feature_drift_sensor(context)
        self.cursor = result.cursor or self.cursor
        report = self.latest_metadata(FEATURE_DRIFT_REPORT)
        say(f"   feature_drift_report for {report.get('delivery_day')}: {report.get('status')}")
        if result.skip_reason:
            say(f"   feature_drift_sensor skips: {result.skip_reason.skip_message[:160]}")
        for request in result.run_requests or []:
            say(f"   feature_drift_sensor requests retrain_job for {request.partition_key} (run key {request.run_key})")
        return report, list(result.run_requests or [])

    def run_retrain(self, request: dg.RunRequest) -> dict:
        job = self.defs.resolve_job_def(retrain_job.name)
        done = job.execute_in_process(instance=self.instance, partition_key=request.partition_key,
                                      tags=request.tags, run_config=self._run_config())
        assert done.success
        return self.latest_metadata(RISK_MODEL)

    def latest_metadata(self, asset: str, partition: str | None = None) -> dict:
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[partition] if partition else None), limit=1
        ).records
        return {k: v.value for k, v in records[0].asset_materialization.metadata.items()} if records else {}

    def model_summary(self) -> str:
        found = self.latest_metadata(RISK_MODEL)
        return (f"holdout AUROC {found.get('holdout_auroc', float('nan')):.4f} on {found.get('holdout_rows')} "
                f"admissions, best possible {found.get('best_possible_auroc') or float('nan'):.4f}")

    def champion_version(self) -> str:
        found = registry.champion_version(self.mlflow.activate(), self.mlflow.registered_model_name)
        return "" if found is None else str(found.version)

    def champion_importance(self) -> dict[str, float]:
        from healthcare_dataops.model_health.drift import feature_importance

        name = self.mlflow.registered_model_name
        found = registry.champion_version(self.mlflow.activate(), name)
        return feature_importance(registry.load_version(name, str(found.version)).model)

    def serving_skew(self) -> list:
        """The champion's scores during its holdout stays against those at their discharge."""
        from healthcare_dataops.lakehouse import spark_tables
        from healthcare_dataops.ml import lineage
        from healthcare_dataops.model_health import serving_skew
        from healthcare_dataops.transforms.features import SILVER_INPUTS

        client, name = self.mlflow.activate(), self.mlflow.registered_model_name
        found = registry.champion_version(client, name)
        split = lineage.split_of(client, found, {})
        session = self.resources["spark"].spark_session
        silver = {t: spark_tables.read(session, str(self.lakehouse / "silver" / t)) for t in SILVER_INPUTS}
        return serving_skew.measure(silver, registry.load_version(name, str(found.version)).model, split.holdout,
                                    split.train)

    def model_card(self, version: str) -> str:
        client = self.mlflow.activate()
        return client.get_model_version(self.mlflow.registered_model_name, version).description or ""

    def scores_version(self, day: str) -> str:
        scores = DeltaTable(str(self.lakehouse / "gold" / PATIENT_RISK_SCORES)).to_pyarrow_table()
        versions = pc.unique(scores.filter(pc.equal(pc.cast(scores["delivery_date"], "string"), day))["model_version"])
        return ",".join(sorted(versions.to_pylist()))
