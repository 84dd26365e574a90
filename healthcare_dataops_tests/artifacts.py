"""Where tests keep what a person should be able to look at after a run (screenshots, the
fault report): ``$HEALTHCARE_DATAOPS_TEST_ARTIFACTS/<kind>``, else the git-ignored
``build/test-artifacts/<kind>`` of the checkout."""

from __future__ import annotations

import os
from pathlib import Path

from healthcare_dataops_tests.conftest import REPO_ROOT

ARTIFACTS_ENV = "HEALTHCARE_DATAOPS_TEST_ARTIFACTS"


def artifact_folder(kind: str) -> Path:
    root = os.environ.get(ARTIFACTS_ENV)
    folder = (Path(root) if root else REPO_ROOT / "build" / "test-artifacts") / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder
