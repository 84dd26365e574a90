"""A landing zone, lakehouse, MLflow store and Dagster instance of a scenario's own, and the
project's jobs, sensor and assets bound to them."""

from __future__ import annotations

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


class ScenarioWorld:
    def __init__(self, root: Path, model_config: dict):
        self.root = root
        self.landing, self.side, self.lakehouse = root / "landing", root / "generator", root / "lakehouse"
        self.mlflow = MlflowResource(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db",
                                     artifact_root=str(root / "mlflow" / "artifacts"))
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
        self.instance = dg.DagsterInstance.ephemeral()
        # The truth file sits beside the feeds, not where the default looks (data/generator).
        self.run_config = {"ops": {RISK_MODEL: {"config": {
            "generator_truth_file": str(self.side / "readmission_truth.csv"), **model_config}}}}
        self.cursor: str | None = None

    @staticmethod
    def _range(first: str, last: str) -> dict[str, str]:
        return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}

    def run_graph(self, first: str, last: str, force: bool = False) -> None:
        config = self.run_config["ops"][RISK_MODEL]["config"]
        run_config = {"ops": {RISK_MODEL: {"config": {**config, "force_promotion": True} if force else config}}}
        result = dg.materialize([*project.assets, *project.asset_checks], resources=self.resources,
                                instance=self.instance, tags=self._range(first, last), run_config=run_config)
        assert result.success

    def run_daily_pipeline(self, first: str, last: str) -> None:
        job = self.defs.resolve_job_def(daily_pipeline_job.name)
        assert job.execute_in_process(instance=self.instance, tags=self._range(first, last)).success

    def tick_drift_sensor(self, say) -> tuple[float | None, list[dg.RunRequest]]:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor, definitions=self.defs)
        result = feature_drift_sensor(context)
        self.cursor = result.cursor or self.cursor
        report = self.latest_metadata(FEATURE_DRIFT_REPORT)
        share = report.get("drift_share")
        say(f"   feature_drift_report: drift share {share if share is None else round(share, 3)} "
            f"(threshold {report.get('drift_threshold')}); {report.get('status')}")
        if result.skip_reason:
            say(f"   feature_drift_sensor skips: {result.skip_reason.skip_message}")
        for request in result.run_requests or []:
            say(f"   feature_drift_sensor requests retrain_job for {request.partition_key} (run key {request.run_key})")
        return share, list(result.run_requests or [])

    def run_retrain(self, request: dg.RunRequest) -> dict:
        job = self.defs.resolve_job_def(retrain_job.name)
        done = job.execute_in_process(instance=self.instance, partition_key=request.partition_key,
                                      tags=request.tags, run_config=self.run_config)
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

    def scores_version(self, day: str) -> str:
        scores = DeltaTable(str(self.lakehouse / "gold" / PATIENT_RISK_SCORES)).to_pyarrow_table()
        versions = pc.unique(scores.filter(pc.equal(pc.cast(scores["delivery_date"], "string"), day))["model_version"])
        return ",".join(sorted(versions.to_pylist()))
