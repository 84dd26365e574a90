"""Privacy end to end: PHI canaries planted in every PHI field of every source (free text
included), and a distinctive pseudonym key, run through the whole graph (bronze to gold, the
model, the scores, the drift report) on a persistent Dagster instance. Not one canary may
reach silver, gold, a quarantine past bronze, MLflow, the Evidently HTML, the Dagster event
log or the webserver's GraphQL answers; the key may appear nowhere at all."""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster._serdes import serialize_value
from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.defs.model.risk_model import risk_model
from healthcare_dataops.defs.monitoring.feature_drift_report import feature_drift_report
from healthcare_dataops.defs.scores.patient_risk_scores import patient_risk_scores
from healthcare_dataops.generate import runner
from healthcare_dataops.privacy.keys import PSEUDONYM_KEY_ENV
from healthcare_dataops.resources import build_resources
from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.dagster_helpers import lakehouse_assets, materialize_days
from healthcare_dataops_tests.loopback import free_port
from healthcare_dataops_tests.privacy.canaries import CANARY, Canaries, plant
from healthcare_dataops_tests.servers import graphql, http_get, wait_for

FIRST, LAST = "2026-01-01", "2026-01-02"
# No "CANARY" in it, so that a key found is told apart from a canary found.
KEY = "pseudokey-Heron-Quartz-5521-ultraviolet-Orchid"
MODEL_CONFIG = {"force_promotion": True, "min_labelled_rows": 20, "require_lab_results": False,
                "train_on_history": True}

pytestmark = pytest.mark.slow


def _key_forms(key: str) -> list[bytes]:
    """The key as text, hex and base64, and the HMAC pads the Spark plans carry as literals
    (K xor ipad, K xor opad), which give the key back to anyone who XORs them again."""
    raw = key.encode()
    block = (hashlib.sha256(raw).digest() if len(raw) > 64 else raw).ljust(64, b"\x00")
    pads = [bytes(b ^ 0x36 for b in block)[:24], bytes(b ^ 0x5C for b in block)[:24]]
    forms = [raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)]
    forms += [p.hex().encode() for p in pads] + [p.hex().upper().encode() for p in pads]
    return forms + [f.lower() for f in forms if f.lower() != f]


KEY_FORMS = _key_forms(KEY)


def _as_utf8(data: bytes) -> bytes:
    """A file the generator re-encoded as UTF-16 (one of its faults) as UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16").encode()
    return data


_UTF16_CANARY = ("CANARY".encode("utf-16-le"), "CANARY".encode("utf-16-be"))


def _leaks(text: bytes | str) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    found = sorted({m.decode() for m in CANARY.findall(data)})[:5]
    found += ["a canary in UTF-16" for marker in _UTF16_CANARY if marker in data][:1]
    return found + [f"pseudonym key ({form[:12].decode()}...)" for form in KEY_FORMS if form in data]


def _delta_texts(layer: Path) -> dict[str, str]:
    return {table.name: DeltaTable(str(table)).to_pyarrow_table().to_pandas().to_csv(index=False)
            for table in sorted(layer.iterdir()) if (table / "_delta_log").is_dir()}


def _files_with_leaks(folder: Path) -> dict[str, list[str]]:
    return {str(p): leaks for p in sorted(folder.rglob("*")) if p.is_file() and (leaks := _leaks(p.read_bytes()))}


@pytest.fixture
def environment(tmp_path, monkeypatch) -> dict[str, str]:
    """The variables a deployment sets, for the in-process runs and the webserver alike."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    mlflow = tmp_path / "mlflow"
    values = {
        "DAGSTER_HOME": str(home),
        PSEUDONYM_KEY_ENV: KEY,
        "HEALTHCARE_DATAOPS_LANDING_ROOT": str(tmp_path / "landing"),
        "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT": str(tmp_path / "lakehouse"),
        "HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI": f"sqlite:///{mlflow}/mlflow.db",
        "HEALTHCARE_DATAOPS_MLFLOW_ARTIFACT_ROOT": str(mlflow / "artifacts"),
        "HEALTHCARE_DATAOPS_FIRST_DELIVERY_DAY": "2025-12-01",
        "DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def _generate_with_canaries(tmp_path: Path, monkeypatch) -> Canaries:
    """The generator's own run, with the canaries planted just before it injects its faults,
    so that the faults (quarantined rows, messages and files) carry canaries too."""
    planted: list[Canaries] = []
    inject_faults = runner.inject_faults

    def plant_then_inject(options, records):
        planted.append(plant(Path(options.landing)))
        return inject_faults(options, records)

    monkeypatch.setattr(runner, "inject_faults", plant_then_inject)
    assert cli(["generate", "--landing", str(tmp_path / "landing"), "--side", str(tmp_path / "side"),
                "--patients", "80", "--days", "2", "--start-date", FIRST, "--faults", "all", "--quiet",
                # The EHR's FHIR export beside its CSV: the same patients, canaries in every PHI element.
                "--ehr-format", "both"]) in (0, None)
    return planted[0]


def test_no_canary_and_no_key_past_bronze_anywhere(tmp_path, monkeypatch, environment, processes):
    canaries = _generate_with_canaries(tmp_path, monkeypatch)
    landing_bytes = b"".join(_as_utf8(p.read_bytes()) for p in sorted((tmp_path / "landing").rglob("*")) if p.is_file())
    delivered = set(CANARY.findall(landing_bytes))
    assert len(canaries.fields) > 50 and len(delivered) > 20_000
    # Only those of the records a fault removed, cut short or broke are not delivered.
    assert len(canaries.all - delivered) < len(canaries.all) // 50, sorted(canaries.all - delivered)[:10]

    # The webserver loads the code location while the pipeline runs.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    webserver_log = processes.start(
        "webserver", [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port),
                      "-m", "healthcare_dataops.definitions"],
        env={**os.environ, **environment}, cwd=REPO_ROOT)

    with dg.DagsterInstance.get() as instance:
        days = {"landing": tmp_path / "landing", "lakehouse": tmp_path / "lakehouse", "instance": instance}
        results = [
            materialize_days(lakehouse_assets(), FIRST, LAST, **days, resources=build_resources()),
            materialize_days([risk_model, patient_risk_scores], LAST, LAST, **days, resources=build_resources(),
                             run_config={"ops": {"risk_model": {"config": MODEL_CONFIG}}}),
            materialize_days([feature_drift_report], LAST, LAST, **days, resources=build_resources()),
        ]
        assert all(r.success for r in results)
        run_ids = [r.run_id for r in results]
        events = [serialize_value(record.event_log_entry) for run_id in run_ids
                  for record in instance.get_records_for_run(run_id, limit=100_000).records]
        logs = [serialize_value(entry) for run_id in run_ids for entry in instance.all_logs(run_id)]

    lakehouse = tmp_path / "lakehouse"
    bronze = "\n".join(_delta_texts(lakehouse / "bronze").values()).encode()
    in_bronze = set(CANARY.findall(bronze))
    # Planted where the pipeline reads: every canary delivered in a field bronze keeps is
    # there, and so are those of the messages quarantined whole (NTE, NK1, PID-11 ...).
    assert delivered & canaries.kept <= in_bronze, sorted((delivered & canaries.kept) - in_bronze)[:10]
    assert in_bronze & canaries.dropped
    bronze_quarantine = "\n".join(t for n, t in _delta_texts(lakehouse / "bronze").items() if "quarantine" in n)
    assert CANARY.search(bronze_quarantine.encode())

    # Silver and gold, every quarantine past bronze included.
    silver, gold = _delta_texts(lakehouse / "silver"), _delta_texts(lakehouse / "gold")
    quarantines = [name for name, text in silver.items() if name.endswith("_quarantine") and text.count("\n") > 1]
    assert {"patients", "lab_results", "wearable_readings", "observations"} <= set(silver)
    assert sum(n.startswith("fhir ") for n in canaries.fields) >= 10, sorted(canaries.fields)
    fhir_quarantined = [t for n, t in silver.items() if n.endswith("_quarantine") and "fhir_resources" in t]
    assert fhir_quarantined, "no FHIR row reached a silver quarantine: the FHIR feed was not exercised"
    assert {"lab_results_quarantine", "observations_quarantine", "wearable_readings_quarantine"} <= set(quarantines)
    assert {"patient_features", "patient_risk_scores"} <= set(gold)
    assert {name: leaks for name, text in {**silver, **gold}.items() if (leaks := _leaks(text))} == {}

    # Every byte under the lakehouse (Delta logs, statistics, reports) and the key: none.
    assert {p: [x for x in leaks if x.startswith("pseudonym key")] for p, leaks in _files_with_leaks(lakehouse).items()
            if any(x.startswith("pseudonym key") for x in leaks)} == {}
    reports = sorted((lakehouse / "reports" / "feature_drift").rglob("*.html"))
    assert reports and all(b"Drift for column" in r.read_bytes() for r in reports)
    assert _files_with_leaks(lakehouse / "reports") == {}

    # MLflow: every byte of the store and the artifacts, and the params and tags as MLflow
    # gives them back.
    mlflow_folder = tmp_path / "mlflow"
    assert any((mlflow_folder / "artifacts").rglob("*.html")) and any((mlflow_folder / "artifacts").rglob("*.png"))
    assert _files_with_leaks(mlflow_folder) == {}
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=environment["HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI"])
    runs = [run for experiment in client.search_experiments()
            for run in client.search_runs([experiment.experiment_id])]
    assert runs and any(run.data.params for run in runs)
    tracked = json.dumps([[run.data.params, run.data.tags, run.data.metrics] for run in runs]
                         + [[v.tags, v.description, v.run_id] for v in client.search_model_versions()])
    assert _leaks(tracked) == []

    # The Dagster event log: every event of every run, metadata and log messages, and every
    # byte the instance keeps (run and event databases, compute logs).
    assert len(events) > 200 and any("feature_drift_report" in e for e in events)
    assert [e[:300] for e in events + logs if _leaks(e)] == []
    assert _files_with_leaks(Path(environment["DAGSTER_HOME"])) == {}

    # The webserver's answers.
    wait_for("the webserver answers", lambda: http_get(f"{base}/server_info") is not None, 240, processes)
    answers = _graphql_answers(base, run_ids, processes)
    for what, answer in answers.items():
        assert _leaks(answer) == [], what
    assert _leaks(webserver_log.read_bytes()) == []


def _graphql_answers(base: str, run_ids: list[str], processes) -> dict[str, str]:
    """Runs, each run's logs, asset nodes with their materializations and partition stats,
    the asset checks' executions and the resources' configuration, as the UI asks for them;
    each answer checked for substance, so that an empty answer cannot pass."""
    wait_for("the code location loads", lambda: _location(base) is not None, 240, processes)
    location, repository = _location(base)
    answers: dict[str, str] = {}

    runs = graphql(base, RUNS)
    answers["runs"] = json.dumps(runs)
    assert set(run_ids) <= {r["runId"] for r in runs["runsOrError"]["results"]}

    for run_id in run_ids:
        events, cursor = [], None
        while True:
            page = graphql(base, LOGS % (json.dumps(run_id), json.dumps(cursor)))["logsForRun"]
            events += page["events"]
            cursor = page["cursor"]
            if not page["hasMore"]:
                break
        answers[f"logsForRun {run_id}"] = json.dumps(events)
        assert len(events) > 10
    all_logs = "".join(v for k, v in answers.items() if k.startswith("logsForRun"))
    assert '"MaterializationEvent"' in all_logs and '"AssetCheckEvaluationEvent"' in all_logs
    assert "dagster/row_count" in all_logs or "rows" in all_logs

    nodes = graphql(base, ASSET_NODES)["assetNodes"]
    answers["assetNodes"] = json.dumps(nodes)
    by_name = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    for name in ("patients", "patient_features", "risk_model", "feature_drift_report"):
        node = by_name[name]
        assert node["assetMaterializations"] and node["assetMaterializations"][0]["metadataEntries"], name
    # Daily assets answer with their days; the whole-history ones have none.
    assert by_name["patients"]["partitionStats"]["numMaterialized"] >= 1
    assert all(by_name[name]["partitionStats"] is None
               for name in ("patient_features", "risk_model", "feature_drift_report"))

    checks = [(n["assetKey"]["path"], c["name"]) for n in nodes
              for c in (n["assetChecksOrError"].get("checks") or [])]
    assert len(checks) > 10
    executions = []
    for path, name in checks:
        executions += graphql(base, CHECK_EXECUTIONS % (json.dumps(path), json.dumps(name)))["assetCheckExecutions"]
    answers["assetCheckExecutions"] = json.dumps(executions)
    assert sum(bool(e["evaluation"] and e["evaluation"]["metadataEntries"]) for e in executions) > 10

    resources = graphql(base, RESOURCES % (json.dumps(location), json.dumps(repository)))
    answers["resources"] = json.dumps(resources)
    configured = {(r["name"], v["key"]): (v["type"], v["value"])
                  for r in resources["allTopLevelResourceDetailsOrError"]["results"] for v in r["configuredValues"]}
    # The key is configured by name, and shown by name only.
    assert configured[("pseudonymization", "key")] == ("ENV_VAR", PSEUDONYM_KEY_ENV)
    return answers


def _location(base: str) -> tuple[str, str] | None:
    answer = http_get(f"{base}/graphql?query={WORKSPACE}")
    if answer is None:
        return None
    for entry in json.loads(answer)["data"]["workspaceOrError"].get("locationEntries", []):
        location = entry["locationOrLoadError"] or {}
        if location.get("__typename") == "PythonError":
            pytest.fail(f"the code location failed to load: {location['message']}")
        if location.get("repositories"):
            return entry["name"], location["repositories"][0]["name"]
    return None


WORKSPACE = re.sub(r"\s+", "%20", """{workspaceOrError{...on Workspace{locationEntries{name
  locationOrLoadError{__typename ...on RepositoryLocation{repositories{name}} ...on PythonError{message}}}}}}""")

METADATA = """fragment md on MetadataEntry { __typename label description
  ... on TextMetadataEntry { text } ... on MarkdownMetadataEntry { mdStr }
  ... on JsonMetadataEntry { jsonString } ... on IntMetadataEntry { intValue intRepr }
  ... on FloatMetadataEntry { floatValue } ... on BoolMetadataEntry { boolValue }
  ... on UrlMetadataEntry { url } ... on PathMetadataEntry { path }
  ... on TableMetadataEntry { table { records schema { columns { name type description } } } }
  ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
  ... on TableColumnLineageMetadataEntry { lineage { columnName } }
  ... on AssetMetadataEntry { assetKey { path } } ... on JobMetadataEntry { jobName }
  ... on PipelineRunMetadataEntry { runId } ... on TimestampMetadataEntry { timestamp } }"""

RUNS = """{ runsOrError { ... on Runs { results { runId status jobName runConfigYaml
  tags { key value } assetSelection { path } assetCheckSelection { name }
  stats { ... on RunStatsSnapshot { stepsSucceeded materializations } } } } } }"""

LOGS = METADATA + """
query { logsForRun(runId: %s, afterCursor: %s, limit: 1000) {
  ... on EventConnection { cursor hasMore events {
    __typename
    ... on MessageEvent { message level stepKey eventType }
    ... on DisplayableEvent { label description metadataEntries { ...md } }
    ... on ErrorEvent { error { message stack causes { message stack } } }
    ... on MaterializationEvent { assetKey { path } partition }
    ... on AssetCheckEvaluationEvent { evaluation { checkName success description metadataEntries { ...md } } }
  } } } }"""

ASSET_NODES = METADATA + """
query { assetNodes(loadMaterializations: true) { assetKey { path } description groupName
  partitionStats { numMaterialized numPartitions numFailed }
  metadataEntries { ...md }
  assetMaterializations(limit: 5) { runId partition message label description metadataEntries { ...md } }
  assetChecksOrError { ... on AssetChecks { checks { name description
    executionForLatestMaterialization { status evaluation { description metadataEntries { ...md } } } } } } } }"""

CHECK_EXECUTIONS = METADATA + """
query { assetCheckExecutions(assetKey: {path: %s}, checkName: %s, limit: 10) {
  runId status partition evaluation { success severity description metadataEntries { ...md } } } }"""

RESOURCES = """{ allTopLevelResourceDetailsOrError(repositorySelector: {repositoryLocationName: %s,
  repositoryName: %s}) { ... on ResourceDetailsList { results { name description
  configuredValues { key value type } configFields { name description defaultValueAsJson } } } } }"""
