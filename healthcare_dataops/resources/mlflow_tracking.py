"""MLflow tracking and model registry, as a typed resource built on dagster-mlflow.

dagster-mlflow's ``mlflow_tracking`` is an old-style function resource: it cannot be a typed
asset parameter, it starts an MLflow run as soon as any step that requires it initializes,
and it warns of deprecations at this Dagster version. Its ``MlFlow`` class holds the part
worth keeping (one MLflow run per Dagster run, found again through the ``dagster_run_id``
tag, so a retried step logs into the run it began; extra tags; chunked ``log_params``).
This resource keeps that class and starts it only where an asset asks for a run, from
configuration that comes through ``dg.EnvVar`` like every other resource's.

MLflow and dagster-mlflow are imported inside the methods, on first use: ``import mlflow``
takes seconds, and every process that loads the definitions (each CLI call, run worker and
sensor tick) would pay it before any step that tracks anything runs.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster_mlflow.resources import MlFlow
    from mlflow import MlflowClient


class MlflowResource(dg.ConfigurableResource):
    """Where runs, artifacts and registered models go; sqlite under ``data/`` by default."""

    tracking_uri: str
    # Artifacts of the experiment this resource creates; an existing experiment keeps its own.
    artifact_root: str
    experiment_name: str = "readmission_risk"
    registered_model_name: str = "readmission_risk"
    # The MLflow UI that serves ``tracking_uri``, for links in asset metadata.
    ui_url: str = "http://127.0.0.1:5000"

    def activate(self) -> MlflowClient:
        """Point this process's MLflow at the store and return a client for the registry."""
        import mlflow
        from mlflow import MlflowClient

        _make_sqlite_folder(self.tracking_uri)
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        if client.get_experiment_by_name(self.experiment_name) is None:
            client.create_experiment(self.experiment_name, artifact_location=self.artifact_root)
        return client

    @contextmanager
    def start_run(self, context: dg.AssetExecutionContext, tags: dict[str, str]) -> Iterator[MlFlow]:
        """The MLflow run of this Dagster run, active for the block; FAILED if it raises."""
        import mlflow

        self.activate()
        with warnings.catch_warnings():
            # MlFlow is marked beta; it is the part of dagster-mlflow this resource is built on.
            warnings.simplefilter("ignore", dg.BetaWarning)
            tracker = self._tracker(context, tags)
        try:
            yield tracker
        except BaseException:
            tracker.cleanup_on_error()
            raise
        mlflow.end_run()

    def _tracker(self, context: dg.AssetExecutionContext, tags: dict[str, str]) -> MlFlow:
        with warnings.catch_warnings():
            # The package defines its run hooks with a beta API when imported; nothing to act on.
            warnings.simplefilter("ignore", dg.BetaWarning)
            from dagster_mlflow.resources import MlFlow

        run_id = context.run.run_id
        return MlFlow(
            # The init context dagster-mlflow's class reads, from the asset's own context.
            SimpleNamespace(
                log=context.log,
                dagster_run=context.run,
                run_id=run_id,
                resource_config={
                    "experiment_name": self.experiment_name,
                    "mlflow_tracking_uri": self.tracking_uri,
                    "extra_tags": {"mlflow.runName": f"{context.asset_key.to_user_string()} {run_id[:8]}", **tags},
                },
            )
        )

    def run_url(self, experiment_id: str, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"

    def model_version_url(self, version: str) -> str:
        return f"{self.ui_url.rstrip('/')}/#/models/{self.registered_model_name}/versions/{version}"


def _make_sqlite_folder(tracking_uri: str) -> None:
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix):
        folder = os.path.dirname(tracking_uri[len(prefix):])
        if folder:
            os.makedirs(folder, exist_ok=True)
