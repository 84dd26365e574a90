"""The worklist's browser tests use the Dagster UI tests' Chromium fixtures and failure screenshots."""

import pytest

from healthcare_dataops_tests.webui.browser import browser, page  # noqa: F401 - fixtures


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
