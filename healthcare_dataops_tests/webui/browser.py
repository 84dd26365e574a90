"""Headless Chromium for the web UI tests: the system's browser (Debian's chromium package)
driven by Playwright, never a browser Playwright downloads; screenshots kept as test artifacts."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcare_dataops_tests.artifacts import artifact_folder

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1600, "height": 1000}
# Dagster's pages answer GraphQL queries against a webserver sharing two cores with the test.
ACTION_TIMEOUT_MS = 60_000


def system_chromium() -> str | None:
    if os.access(SYSTEM_CHROMIUM, os.X_OK):
        return str(SYSTEM_CHROMIUM)
    return shutil.which("chromium")


_emptied: set[Path] = set()


def artifacts_dir() -> Path:
    """``$HEALTHCARE_DATAOPS_TEST_ARTIFACTS/webui``, else ``build/test-artifacts/webui`` (git-ignored);
    emptied of an earlier session's screenshots on first use."""
    folder = artifact_folder("webui")
    if folder not in _emptied:
        for old in folder.glob("*.png"):
            old.unlink()
        _emptied.add(folder)
    return folder


def screenshot(page, name: str) -> Path:
    """The whole viewport as ``<artifacts>/<name>.png``."""
    path = artifacts_dir() / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path))
    return path


def _unavailable(reason: str):
    # CI installs chromium (scripts/browser.sh): there a missing browser is a broken set-up.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the web UI tests must run there)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = system_chromium()
    if executable is None:
        _unavailable(f"no system Chromium at {SYSTEM_CHROMIUM} or on PATH "
                     "(Debian/Ubuntu: apt-get install chromium; scripts/browser.sh does it as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        # --no-sandbox: containers and CI runners often run as root, where Chromium's sandbox refuses.
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    """A fresh browser context (no stored UI state) per test; on failure its last view is saved
    as ``<test name>-failure.png`` beside the other screenshots."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    opened = context.new_page()
    try:
        yield opened
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            # The test's own failure is the one to report, not a page that cannot be captured.
            with contextlib.suppress(Exception):
                screenshot(opened, f"{request.node.name}-failure")
        context.close()
