"""I/O steps retry with backoff wherever they run: in the daily job and from the CLI."""

from healthcare_dataops.definitions import defs
from healthcare_dataops.lib.retries import IO_RETRY_POLICY


def test_data_layer_steps_carry_the_io_retry_policy():
    steps = {a.node_def.name: a.node_def.retry_policy for a in defs.assets}
    without = {name for name, policy in steps.items() if policy != IO_RETRY_POLICY}
    # wearable_vitals is built outside the silver factory; it retries in daily_pipeline_job
    # (op_retry_policy). The model's steps raise dg.Failure for a deterministic refusal (too
    # few labels, no champion), which a policy would retry: they wait for allow_retries=False.
    assert without <= {"wearable_vitals", "risk_model", "patient_risk_scores"}
    assert ({"ehr_bronze", "lab_bronze", "wearable_bronze", "patients_silver", "patient_features"}
            <= set(steps) - without)
