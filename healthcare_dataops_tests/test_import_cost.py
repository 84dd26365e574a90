"""Loading the code location imports no library that only some steps need.

Every ``dagster`` CLI call, run worker and sensor tick imports the definitions before it does
anything; MLflow, XGBoost (with scikit-learn), Evidently, Great Expectations, matplotlib and
dagster-aws (with boto3) together took seconds of that, and are imported by the steps that
use them instead.
"""

import json
import os
import subprocess
import sys

from healthcare_dataops import settings
from healthcare_dataops_tests.conftest import REPO_ROOT

STEP_ONLY = (
    "mlflow", "dagster_mlflow", "xgboost", "sklearn", "scipy", "matplotlib",
    "evidently", "great_expectations", "dagster_aws", "boto3", "botocore",
)

LOAD = """
import json, sys
import dagster as dg
from healthcare_dataops.definitions import defs
dg.Definitions.validate_loadable(defs)
defs.resolve_asset_graph()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_loading_the_definitions_imports_no_step_only_library(tmp_path):
    # A fresh interpreter (this one has imported them all already), local defaults: an S3
    # landing zone would need dagster-aws at load time, rightly.
    env = {k: v for k, v in os.environ.items() if not k.startswith(settings.ENV_PREFIX)}
    env["DAGSTER_HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", LOAD], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "healthcare_dataops" in loaded
    assert loaded.isdisjoint(STEP_ONLY), sorted(loaded & set(STEP_ONLY))
