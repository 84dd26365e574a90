"""``risk_model``: XGBoost on a split that holds in real time, evaluated with intervals beside
the LACE and HOSPITAL baselines, tracked and registered in MLflow with its model card, then
gated against the champion by a paired comparison on the same holdout."""

import time

import dagster as dg
from pydantic import Field

from healthcare_dataops import settings
from healthcare_dataops.defs.gold.patient_features import PATIENT_FEATURES
from healthcare_dataops.lakehouse import delta_tables
from healthcare_dataops.lib.pools import MODEL_REGISTRY
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.ml import dataset, gating, model_card, registry, tracking, training
from healthcare_dataops.ml.baselines import lace_auroc
from healthcare_dataops.ml.evaluation_log import comparison_metrics, log_evaluation
from healthcare_dataops.ml.holdout import Evaluation, evaluate, score_champion
from healthcare_dataops.ml.lineage import (
    CODE_VERSION_TAG,
    DAGSTER_RUN_TAG,
    FEATURES_URI_TAG,
    FEATURES_VERSION_TAG,
)
from healthcare_dataops.ml.report import markdown_summary
from healthcare_dataops.resources import (
    LakehouseResource,
    MlflowResource,
    PseudonymizationResource,
)

RISK_MODEL = "risk_model"


class RiskModelConfig(dg.Config):
    min_auroc: float = Field(0.65, ge=0, le=1, description="Absolute floor: below it a new version is never champion.")
    auroc_tolerance: float = Field(
        0.01, description="How much holdout AUROC a new version may lose to the champion and still replace it; "
        "losing by more counts only where the paired bootstrap on the same holdout finds it significantly worse."
    )
    require_beat_lace: bool = Field(
        True,
        description="A new version is champion only if its holdout AUROC beats the LACE score's on the same holdout.",
    )
    min_holdout_positives: int = Field(
        20, ge=1, description="A holdout with fewer readmitted (or not readmitted) admissions than this promotes "
        "nothing: its AUROC's interval is too wide to judge a version by."
    )
    force_promotion: bool = Field(False, description="Make the new version champion whatever the gate says.")
    holdout_fraction: float = Field(0.25, gt=0, lt=1, description="Share of the newest labelled admissions held out.")
    embargo_days: float = Field(
        dataset.DEFAULT_EMBARGO_DAYS, ge=0, description="Training admissions end this many days (real time) before "
        "the holdout's first: no training label observed after the holdout began."
    )
    min_labelled_rows: int = Field(
        100, ge=10, description="Fewer trainable admissions (complete label, lab results): no training."
    )
    require_lab_results: bool = Field(
        True,
        description="Learn only from admissions with a key lab result before discharge, like every "
        "stay that is scored; history from before the lab feed began has none.",
    )
    train_on_history: bool = Field(
        False, description="Also learn from the history the first export carried from before the feeds began "
        "(labels from the export, not seen by the feeds; no lab results): only for a first model where the "
        "feeds have labelled nothing yet, with require_lab_results false."
    )
    n_estimators: int = Field(600, ge=1, description="Most trees; early stopping picks how many are used.")
    learning_rate: float = Field(0.03, gt=0)
    max_depth: int = Field(3, ge=1)
    validation_fraction: float = Field(
        0.2, ge=0, lt=1, description="The newest share of the training rows early stopping watches; 0: no early "
        "stopping, every tree is used (for training sets too small to spare a slice)."
    )
    n_jobs: int = Field(2, ge=1, description="XGBoost threads.")
    generator_truth_file: str | None = Field(
        None,
        description="readmission_truth.csv of generated feeds, to report the best possible AUROC "
        "beside the model's; default: the generator's file under the data folder, where it exists.",
    )

    def hyperparameters(self) -> training.Hyperparameters:
        return training.Hyperparameters(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            max_depth=self.max_depth, n_jobs=self.n_jobs, validation_fraction=self.validation_fraction,
        )

    def gate_rules(self) -> gating.GateRules:
        return gating.GateRules(min_auroc=self.min_auroc, tolerance=self.auroc_tolerance,
                                require_beat_lace=self.require_beat_lace,
                                min_holdout_positives=self.min_holdout_positives, force=self.force_promotion)


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
    description="30-day readmission model: XGBoost trained on the older index admissions of "
    "patient_features (in real time, 30 days of embargo before the holdout), scored on the newest "
    "with bootstrap intervals beside the LACE and HOSPITAL baselines, logged and registered in MLflow "
    "with its model card, and gated: alias champion only with a big enough holdout, above the AUROC "
    "floor and LACE, and not significantly worse than the current champion on the same holdout "
    "(paired bootstrap), else challenger.",
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
            features, config.holdout_fraction, config.min_labelled_rows, config.require_lab_results,
            config.embargo_days, config.train_on_history,
        )
    except dataset.NotEnoughData as error:
        # A refusal, not a transient fault: retrying cannot change the data.
        raise dg.Failure(description=f"risk_model cannot train: {error}", allow_retries=False) from error

    model = training.fit(split.train, config.hyperparameters())
    found: Evaluation = evaluate(model, split, pseudonymization.key_bytes(), config.generator_truth_file)
    client = mlflow_tracking.activate()
    name = mlflow_tracking.registered_model_name
    champion = score_champion(client, name, split.holdout, found.risk)
    holdout = found.holdout
    candidate = gating.Candidate(holdout.auroc, holdout.positives, holdout.rows - holdout.positives)
    decision = gating.decide(candidate, champion, lace_auroc(found.baselines), config.gate_rules())
    counts = model_card.CohortCounts.of(features, len(split.train) + len(split.holdout), split.embargoed)
    lineage = {
        FEATURES_URI_TAG: uri,
        FEATURES_VERSION_TAG: str(features_version),
        CODE_VERSION_TAG: settings.code_version(),
        DAGSTER_RUN_TAG: context.run.run_id,
    }
    with mlflow_tracking.start_run(context, lineage) as run:
        run.log_params({**config.hyperparameters().as_params(), "holdout_fraction": config.holdout_fraction,
                        "require_lab_results": config.require_lab_results, "embargo_days": config.embargo_days,
                        "train_on_history": config.train_on_history,
                        "train_rows": len(split.train), "holdout_rows": len(split.holdout),
                        "embargoed_rows": split.embargoed, "holdout_starts": str(split.boundary),
                        "model_inputs": len(dataset.MODEL_INPUTS)})
        info = tracking.log_model(model, split.train, name)
        version = str(info.registered_model_version)
        card = model_card.render(
            model_name=name, version=version, decision=decision, split=split, counts=counts, holdout=holdout,
            unseen=found.unseen_patients, baselines=found.baselines, champion=champion, subgroups=found.subgroups)
        log_evaluation(found, champion, card)
        registry.assign_alias(client, name, version, decision.alias)
        client.update_model_version(name, version, description=card)
        for key, value in {**lineage, "gate.alias": decision.alias, "gate.reason": decision.reason}.items():
            client.set_model_version_tag(name, version, key, value)
        mlflow.set_tags({"gate.alias": decision.alias, "gate.reason": decision.reason,
                         "registered_model_version": version})
        active = mlflow.active_run().info
        run_url = mlflow_tracking.run_url(active.experiment_id, active.run_id)

    context.log.info(f"{name} v{version} is {decision.alias}: {decision.reason}")
    compared = comparison_metrics(found, champion)
    return dg.MaterializeResult(
        metadata={
            "model_name": name,
            "model_version": version,
            "alias": decision.alias,
            "promoted": decision.promoted,
            "decision": decision.reason,
            **{f"holdout_{k}": v for k, v in holdout.as_dict().items()},
            "holdout_unseen_patients_rows": found.unseen_patients.rows,
            "holdout_unseen_patients_auroc": found.unseen_patients.auroc,
            "train_rows": len(split.train),
            "embargoed_rows": split.embargoed,
            "not_index_admissions": dg.MetadataValue.json(counts.excluded),
            "rows_before_feeds": counts.before_feeds,
            "champion_before": champion.version if champion else None,
            "champion_holdout_auroc": champion.auroc if champion else None,
            **{k: compared.get(k) for k in ("baseline_lace_auroc", "baseline_hospital_auroc", "auroc_minus_lace",
                                            "auroc_minus_champion", "auroc_minus_champion_ci_low",
                                            "auroc_minus_champion_ci_high", "best_possible_auroc",
                                            "auroc_gap_to_best_possible")},
            "patient_features_delta_version": features_version,
            "code_version": lineage[CODE_VERSION_TAG],
            "mlflow_run": dg.MetadataValue.url(run_url),
            "mlflow_model_version": dg.MetadataValue.url(mlflow_tracking.model_version_url(version)),
            "subgroup_metrics": dg.MetadataValue.md(model_card.subgroup_table(found.subgroups)),
            "summary": dg.MetadataValue.md(markdown_summary(card, found.images, run_url)),
            "step_seconds": round(time.perf_counter() - started, 3),
        },
    )
