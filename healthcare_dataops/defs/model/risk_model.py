"""``risk_model``: XGBoost on a temporal split, tracked and registered in MLflow, then gated."""

import time

import dagster as dg
from pydantic import Field

from healthcare_dataops import settings
from healthcare_dataops.defs.gold.patient_features import PATIENT_FEATURES
from healthcare_dataops.lakehouse import delta_tables
from healthcare_dataops.lib.pools import MODEL_REGISTRY
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.ml import dataset, gating, registry, tracking, training
from healthcare_dataops.ml.holdout import Evaluation, evaluate, score_champion
from healthcare_dataops.ml.lineage import (
    CODE_VERSION_TAG,
    DAGSTER_RUN_TAG,
    FEATURES_URI_TAG,
    FEATURES_VERSION_TAG,
)
from healthcare_dataops.ml.report import markdown_summary, subgroup_table
from healthcare_dataops.resources import (
    LakehouseResource,
    MlflowResource,
    PseudonymizationResource,
)

RISK_MODEL = "risk_model"


class RiskModelConfig(dg.Config):
    min_auroc: float = Field(0.65, ge=0, le=1, description="Absolute floor: below it a new version is never champion.")
    auroc_tolerance: float = Field(
        0.01, description="How much holdout AUROC a new version may lose to the champion and still replace it."
    )
    force_promotion: bool = Field(False, description="Make the new version champion whatever the gate says.")
    holdout_fraction: float = Field(0.25, gt=0, lt=1, description="Share of the newest labelled admissions held out.")
    min_labelled_rows: int = Field(
        100, ge=10, description="Fewer trainable admissions (complete label, lab results): no training."
    )
    require_lab_results: bool = Field(
        True,
        description="Learn only from admissions with a key lab result before discharge, like every "
        "stay that is scored; history from before the lab feed began has none.",
    )
    n_estimators: int = Field(600, ge=1, description="Most trees; early stopping picks how many are used.")
    learning_rate: float = Field(0.03, gt=0)
    max_depth: int = Field(3, ge=1)
    n_jobs: int = Field(2, ge=1, description="XGBoost threads.")
    generator_truth_file: str | None = Field(
        None,
        description="readmission_truth.csv of generated feeds, to report the best possible AUROC "
        "beside the model's; default: the generator's file under the data folder, where it exists.",
    )

    def hyperparameters(self) -> training.Hyperparameters:
        return training.Hyperparameters(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            max_depth=self.max_depth, n_jobs=self.n_jobs,
        )


@dg.asset(
    deps=[PATIENT_FEATURES],
    # Not partitioned: one model from the whole feature table, whichever days a run covers.
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=IO_RETRY_POLICY,
    # Training reads gold, but what must not interleave is two versions registered and
    # gated against the champion at once.
    pool=MODEL_REGISTRY,
    group_name="ml",
    kinds={"xgboost", "mlflow"},
    tags={"layer": "ml"},
    description="30-day readmission model: XGBoost trained on the older admissions of "
    "patient_features, scored on the newest, logged and registered in MLflow, and gated: "
    "alias champion only above the AUROC floor and not worse than the current champion on "
    "the same holdout (by more than a tolerance), else challenger.",
)
def risk_model(
    context: dg.AssetExecutionContext,
    config: RiskModelConfig,
    lakehouse: LakehouseResource,
    mlflow_tracking: MlflowResource,
    pseudonymization: PseudonymizationResource,
) -> dg.MaterializeResult:
    """Trains on the whole feature table at its current Delta version, whichever days the run covers."""
    import mlflow  # here, not at the top: loading the definitions must not pay for MLflow

    started = time.perf_counter()
    uri = lakehouse.table_uri("gold", PATIENT_FEATURES)
    features_version, features = delta_tables.read_snapshot(uri, lakehouse.storage_options())
    try:
        split = dataset.temporal_split(
            features, config.holdout_fraction, config.min_labelled_rows, config.require_lab_results
        )
    except dataset.NotEnoughData as error:
        # A refusal, not a transient fault: retrying cannot change the data.
        raise dg.Failure(description=f"risk_model cannot train: {error}", allow_retries=False) from error

    model = training.fit(split.train, config.hyperparameters())
    found: Evaluation = evaluate(model, split, pseudonymization.key_bytes(), config.generator_truth_file)
    client = mlflow_tracking.activate()
    name = mlflow_tracking.registered_model_name
    champion = score_champion(client, name, split.holdout)
    lineage = {
        FEATURES_URI_TAG: uri,
        FEATURES_VERSION_TAG: str(features_version),
        CODE_VERSION_TAG: settings.code_version(),
        DAGSTER_RUN_TAG: context.run.run_id,
    }
    with mlflow_tracking.start_run(context, lineage) as run:
        run.log_params({**config.hyperparameters().as_params(), "holdout_fraction": config.holdout_fraction,
                        "require_lab_results": config.require_lab_results,
                        "train_rows": len(split.train), "holdout_rows": len(split.holdout),
                        "holdout_starts": str(split.boundary), "model_inputs": len(dataset.MODEL_INPUTS)})
        tracking.log_metrics("holdout", found.holdout)
        tracking.log_subgroups(found.subgroups)
        tracking.log_plots(found.images)
        if champion and champion.auroc is not None:
            mlflow.log_metric("champion_holdout_auroc", champion.auroc)
        if found.oracle and found.oracle.rows:
            mlflow.log_metrics({k: v for k, v in (("best_possible_auroc", found.oracle.best_possible_auroc),
                                                  ("auroc_gap_to_best_possible", found.oracle.gap)) if v is not None})
        info = tracking.log_model(model, split.train, name)
        version = str(info.registered_model_version)
        decision = gating.decide(found.holdout.auroc, champion, config.min_auroc, config.auroc_tolerance,
                                 config.force_promotion)
        registry.assign_alias(client, name, version, decision.alias)
        for key, value in {**lineage, "gate.alias": decision.alias, "gate.reason": decision.reason}.items():
            client.set_model_version_tag(name, version, key, value)
        mlflow.set_tags({"gate.alias": decision.alias, "gate.reason": decision.reason,
                         "registered_model_version": version})
        active = mlflow.active_run().info
        run_url = mlflow_tracking.run_url(active.experiment_id, active.run_id)

    context.log.info(f"{name} v{version} is {decision.alias}: {decision.reason}")
    holdout = found.holdout
    return dg.MaterializeResult(
        metadata={
            "model_name": name,
            "model_version": version,
            "alias": decision.alias,
            "promoted": decision.promoted,
            "decision": decision.reason,
            "holdout_auroc": holdout.auroc,
            "holdout_auprc": holdout.auprc,
            "holdout_brier": holdout.brier,
            "holdout_calibration_error": holdout.calibration_error,
            "holdout_rows": holdout.rows,
            "holdout_prevalence": holdout.prevalence,
            "train_rows": len(split.train),
            "champion_before": champion.version if champion else None,
            "champion_holdout_auroc": champion.auroc if champion else None,
            "best_possible_auroc": found.oracle.best_possible_auroc if found.oracle else None,
            "auroc_gap_to_best_possible": found.oracle.gap if found.oracle else None,
            "patient_features_delta_version": features_version,
            "code_version": lineage[CODE_VERSION_TAG],
            "mlflow_run": dg.MetadataValue.url(run_url),
            "mlflow_model_version": dg.MetadataValue.url(mlflow_tracking.model_version_url(version)),
            "subgroup_metrics": dg.MetadataValue.md(subgroup_table(found.subgroups)),
            "summary": dg.MetadataValue.md(markdown_summary(
                model_name=name, version=version, decision=decision, holdout=holdout,
                train_rows=len(split.train), boundary=str(split.boundary), subgroups=found.subgroups,
                oracle=found.oracle, images=found.images, run_url=run_url,
            )),
            "step_seconds": round(time.perf_counter() - started, 3),
        },
    )
