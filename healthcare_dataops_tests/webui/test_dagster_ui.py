"""The web UI in a real browser: ``dagster dev`` on an instance and landing zone of the test's
own, driven by the system's headless Chromium. The asset graph shows every asset, an asset's
page its checks and metadata, and a materialization launched from the UI runs to success.

The tests share one ``dagster dev`` and run in file order: the materialization the UI launches
is the one whose page the last test reads (it makes its own through the CLI when run alone).
Screenshots: ``build/test-artifacts/webui/`` or ``$HEALTHCARE_DATAOPS_TEST_ARTIFACTS/webui/``."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcare_dataops import settings
from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.loopback import free_port
from healthcare_dataops_tests.project_env import project_environment
from healthcare_dataops_tests.servers import Processes, graphql, http_get, wait_for
from healthcare_dataops_tests.webui.browser import screenshot

pytestmark = pytest.mark.slow

DAY = "2026-01-01"
# A silver asset with checks, cheap on one day of 50 patients; its upstream is made by the CLI.
ASSET = "lab_results"
SERVER_READY_TIMEOUT_S = 240
CLI_TIMEOUT_S = 420
RUN_TIMEOUT_S = 240
# The zoom the whole asset graph is shown at: above 0.15, below which Dagster draws only the
# groups (GROUPS_ONLY_SCALE in its asset graph), and large enough to read the names.
GRAPH_SCALE = 0.22
TOOLTIP_ATTEMPTS = 3


@dataclasses.dataclass(frozen=True)
class DagsterUI:
    url: str
    home: Path
    env: dict[str, str]
    processes: Processes

    def query(self, text: str) -> dict:
        return graphql(self.url, text)

    def materialize(self, keys: list[str]) -> None:
        """``dagster asset materialize`` of ``keys`` for DAY, on the UI's instance."""
        done = subprocess.run(
            [_bin("dagster"), "asset", "materialize", "-m", "healthcare_dataops.definitions",
             "--select", ",".join(keys), "--partition", DAY],
            env=self.env, cwd=self.home, check=False, capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
        )
        assert done.returncode == 0, f"materializing {keys}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"


def _bin(name: str) -> str:
    """The virtual environment's script beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


@pytest.fixture(scope="module")
def asset_graph():
    from healthcare_dataops.definitions import defs

    return defs.resolve_asset_graph()


def multi_asset_keys(asset_graph, keys: set) -> list[str]:
    """``keys`` widened to whole multi-assets: the project's bronze and silver steps cannot be
    subset, so the CLI refuses a selection of part of one."""
    selected = set(keys)
    for key in keys:
        selected |= set(asset_graph.get(key).execution_set_asset_keys)
    return sorted(k.to_user_string() for k in selected)


@pytest.fixture(scope="module")
def dagster_ui(browser, tmp_path_factory, asset_graph) -> Iterator[DagsterUI]:
    """``dagster dev`` on an instance, landing zone and lakehouse of its own, with DAY's bronze and
    silver tables upstream of ASSET materialized; after the browser, so that a missing one skips
    before any server starts."""
    import dagster as dg

    from healthcare_dataops.cli import main

    root = tmp_path_factory.mktemp("webui")
    landing, data = root / "landing", root / "data"
    assert main(["generate", "--landing", str(landing), "--side", str(root / "side"), "--patients", "50",
                 "--days", "1", "--start-date", DAY, "--quiet"]) in (0, None)
    # As scripts/setup.sh makes the local instance; dagster dev starts from it (scripts/ui.sh).
    home = root / "dagster_home"
    env = project_environment(home, landing, data)
    # Daily partitions from the generated day only: a short partition list in the UI.
    env[settings.FIRST_DELIVERY_DAY] = DAY
    # The storage first: dagster dev and the CLI creating it at once on a new instance would race.
    with dg.DagsterInstance.from_config(str(home)):
        pass
    port = free_port()
    ui = DagsterUI(url=f"http://127.0.0.1:{port}", home=home, env=env, processes=Processes(root))
    try:
        ui.processes.start("dagster-dev", [_bin("dagster"), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
                                           "-h", "127.0.0.1", "-p", str(port)], env, cwd=home)
        # While the UI starts: the bronze and silver tables ASSET reads, through the CLI.
        upstream = asset_graph.get_ancestor_asset_keys(dg.AssetKey(ASSET))
        ui.materialize(multi_asset_keys(asset_graph, upstream))
        wait_for("the webserver answering /server_info", lambda: http_get(f"{ui.url}/server_info") is not None,
                 SERVER_READY_TIMEOUT_S, ui.processes)
        wait_for("the code location loaded", lambda: _location_loaded(ui), SERVER_READY_TIMEOUT_S, ui.processes,
                 every_s=2)
        yield ui
    finally:
        ui.processes.stop_all()


def _location_loaded(ui: DagsterUI) -> bool:
    try:
        data = ui.query("{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                        "locationOrLoadError { __typename ... on PythonError { message } } } } } }")
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return False
    entries = data["workspaceOrError"]["locationEntries"]
    for entry in entries:
        error = entry["locationOrLoadError"] or {}
        if error.get("__typename") == "PythonError":
            pytest.fail(f"code location {entry['name']} failed to load: {error['message']}\n{ui.processes.logs()}")
    return bool(entries) and all(e["loadStatus"] == "LOADED" and e["locationOrLoadError"] for e in entries)


def materialization_of(ui: DagsterUI, asset: str) -> dict | None:
    """The newest materialization of ``asset`` for DAY: its run and metadata, as the UI reads it."""
    data = ui.query(
        f'{{ assetOrError(assetKey: {{path: ["{asset}"]}}) {{ ... on Asset {{ '
        f'assetMaterializations(partitions: ["{DAY}"], limit: 1) {{ runId partition metadataEntries {{ '
        "__typename label ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text } "
        "... on MarkdownMetadataEntry { mdStr } } } } } }")
    events = data["assetOrError"].get("assetMaterializations") or []
    return events[0] if events else None


def visit(page, ui: DagsterUI, path: str) -> None:
    """``path`` of the UI. A new instance greets its first visitor with a "Join the Dagster
    community" dialog over the page (remembered in DAGSTER_HOME/.nux): skipped where it shows."""
    from playwright.sync_api import expect

    page.goto(f"{ui.url}{path}")
    if ui.query("{ shouldShowNux }")["shouldShowNux"]:
        welcome = page.get_by_text("Join the Dagster community")
        expect(welcome).to_be_visible()
        page.get_by_role("button", name="Skip").click()
        expect(welcome).to_be_hidden()


def test_the_asset_graph_shows_every_asset(dagster_ui: DagsterUI, asset_graph, page):
    from playwright.sync_api import expect

    expected = sorted(k.to_user_string() for k in asset_graph.get_all_asset_keys())
    visit(page, dagster_ui, "/asset-groups")
    expect(page.get_by_text("Global asset lineage")).to_be_visible()
    controls = page.locator("#zoom-slider-container")
    viewport = controls.locator("xpath=..")
    # Groups start collapsed: open them all, as the graph's settings menu offers.
    controls.get_by_role("button", name="settings").click()
    page.get_by_role("menuitem", name="Expand all groups").click()
    page.keyboard.press("Escape")
    expect(page.locator("foreignObject [class*='AssetNode_assetName']").first).to_be_visible()

    # Dagster fits the graph to the view's width; the whole of it must fit at a zoom where the
    # nodes are still drawn, so the page is made tall enough for the graph, then fitted to it.
    graph = viewport.locator("svg").first
    graph_height = float(graph.get_attribute("height"))
    chrome = page.viewport_size["height"] - viewport.bounding_box()["height"]
    page.set_viewport_size({"width": 1600, "height": max(1000, int(graph_height * GRAPH_SCALE * 1.05 + chrome))})
    _double_click_background(page, viewport)  # Dagster re-centres the graph on a double click
    _zoom_out_until_inside(page, viewport, graph)

    nodes = page.locator("foreignObject [class*='AssetNode_assetName']")
    labels = nodes.all_inner_texts()
    assert len(labels) == len(expected), f"{len(labels)} nodes drawn, {len(expected)} assets: {labels}"
    # No node's tooltip over the picture: the pointer off the graph, and Escape closes one open.
    page.mouse.move(5, 5, steps=5)
    page.keyboard.press("Escape")
    expect(page.get_by_role("tooltip")).to_have_count(0)
    screenshot(page, "asset-graph")
    # Long names are shortened in the middle on the node ("lab_re…_quarantine"); the node's
    # tooltip gives the name in full.
    shown = [_full_name(page, nodes.nth(index), label) if "…" in label else label for index, label in enumerate(labels)]
    assert sorted(shown) == expected


ASSET_POLICIES = """{ assetNodes { assetKey { path } groupName pools automationCondition { label }
  internalFreshnessPolicy { __typename } assetChecksOrError { ... on AssetChecks { checks { name } } } } }"""


def test_the_ui_shows_each_assets_pool_automation_freshness_and_the_drift_check(dagster_ui: DagsterUI):
    """What the webserver serves the asset pages from (its GraphQL), for every asset."""
    nodes = {"/".join(n["assetKey"]["path"]): n for n in dagster_ui.query(ASSET_POLICIES)["assetNodes"]}
    for name, node in nodes.items():
        group = node["groupName"]
        if group in ("bronze", "silver"):
            [pool] = node["pools"]
            assert pool.startswith(f"{group}_") and pool.endswith("_tables"), name
        assert (node["internalFreshnessPolicy"] or {}).get("__typename") == (
            "TimeWindowFreshnessPolicy" if group == "bronze" else None), name
    assert nodes["patients"]["pools"] == ["silver_ehr_tables"]
    assert nodes["ehr_patients"]["pools"] == ["bronze_ehr_tables"]
    assert nodes["risk_model"]["pools"] == ["model_registry"]
    assert nodes["patients"]["automationCondition"]["label"] == "every updated day"
    assert nodes["patient_features"]["automationCondition"]["label"] == "whole history"
    assert nodes["ehr_patients"]["automationCondition"] is None, "bronze starts from the landing zone sensor"
    drift_checks = [c["name"] for c in nodes["feature_drift_report"]["assetChecksOrError"]["checks"]]
    assert sorted(drift_checks) == ["features_have_not_drifted", "live_auroc_holds", "scored_stays_are_steady"]


def _full_name(page, node, label: str) -> str:
    """The name in a shortened node's tooltip. The tooltip opens after a hover delay, and on a
    busy 2-core CI machine a hover has passed without one, so a hover is tried again, each try
    from the pointer off the graph with no tooltip open."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    start, end = label.split("…")
    tooltips = page.get_by_role("tooltip")
    named = tooltips.filter(has_text=re.compile(f"^{re.escape(start)}.+{re.escape(end)}$"))
    for _ in range(TOOLTIP_ATTEMPTS):
        page.mouse.move(5, 5)
        page.keyboard.press("Escape")
        tooltips.first.wait_for(state="detached", timeout=5000)
        node.hover()
        try:
            named.first.wait_for(state="visible", timeout=5000)
            return named.first.inner_text().strip()
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"no tooltip naming {label!r} after {TOOLTIP_ATTEMPTS} hovers")


def _double_click_background(page, viewport) -> None:
    """A double click on an empty part of the graph: the first point of a grid with no node,
    group or overlaid control under it."""
    box = viewport.bounding_box()
    spot = page.evaluate(
        """([container, box]) => {
          for (const fy of [0.98, 0.02, 0.5, 0.25, 0.75]) for (const fx of [0.02, 0.98, 0.5, 0.25, 0.75]) {
            const x = box.x + box.width * fx, y = box.y + box.height * fy;
            const el = document.elementFromPoint(x, y);
            if (el && (el === container || (el.tagName.toLowerCase() === 'svg' && container.contains(el))))
              return {x, y};
          }
          return null;
        }""",
        [viewport.element_handle(), box],
    )
    assert spot, "no empty background in the graph to double-click"
    page.mouse.dblclick(spot["x"], spot["y"])
    page.wait_for_timeout(1500)  # Dagster animates the re-centring


def _zoom_out_until_inside(page, viewport, graph) -> None:
    """Ctrl + mouse wheel over the graph's centre, as a user zooms out, until the graph lies
    inside the view."""
    box = viewport.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(30):
        drawn = _settled_box(page, graph)
        if (drawn["y"] >= box["y"] - 1 and drawn["y"] + drawn["height"] <= box["y"] + box["height"] + 1
                and drawn["x"] >= box["x"] - 1 and drawn["x"] + drawn["width"] <= box["x"] + box["width"] + 1):
            page.wait_for_timeout(500)
            return
        page.keyboard.down("Control")
        page.mouse.wheel(0, 60)
        page.keyboard.up("Control")
    pytest.fail(f"the asset graph does not fit the page: drawn at {graph.bounding_box()} in {box}")


def _settled_box(page, element, polls: int = 20) -> dict:
    """The element's box once the graph's zoom animation has stopped moving it: on a busy
    machine one animation frame can take longer than any fixed wait."""
    last = element.bounding_box()
    for _ in range(polls):
        page.wait_for_timeout(150)
        now = element.bounding_box()
        if now == last:
            return now
        last = now
    return last


def test_a_materialization_launched_from_the_ui_succeeds(dagster_ui: DagsterUI, page):
    from playwright.sync_api import expect

    visit(page, dagster_ui, f"/assets/{ASSET}")
    page.get_by_role("button", name="Materialize…").click()
    # ASSET shares its step with its quarantine table: the UI says both will be materialized.
    confirm = page.get_by_role("dialog").filter(has_text="Additional assets will be materialized")
    expect(confirm).to_contain_text(f"{ASSET}_quarantine")
    confirm.get_by_role("button", name="Confirm").click()

    launch = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    partitions = launch.get_by_role("textbox")
    expect(partitions).to_be_visible()
    if launch.get_by_text("Show all partitions").is_visible():  # the dialog offers the last 90 days
        launch.get_by_text("Show all partitions").click()
    partitions.fill(DAY)
    partitions.press("Enter")
    expect(launch).to_contain_text("1 partition")
    launch.get_by_role("button", name="Launch 1 run").click()

    toast = page.get_by_text(re.compile(r"Launched run \w+"))
    expect(toast).to_be_visible()
    page.get_by_role("link", name="View", exact=True).click()  # the toast's link to the run
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    run_id = re.search(r"/runs/([0-9a-f-]{36})", page.url).group(1)

    outcome = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    expect(outcome).to_be_visible(timeout=RUN_TIMEOUT_S * 1000)
    screenshot(page, "run-launched-from-ui")
    run = dagster_ui.query(f'{{ runOrError(runId: "{run_id}") {{ ... on Run {{ status '
                           "tags { key value } assetSelection { path } } } }")["runOrError"]
    assert outcome.inner_text() == "Success", f"{run}\n{dagster_ui.processes.logs()}"
    assert run["status"] == "SUCCESS"
    assert {"key": "dagster/partition", "value": DAY} in run["tags"]
    assert ["lab_results"] in [a["path"] for a in run["assetSelection"]]
    # The asset's newest materialization of the day is this run's.
    assert materialization_of(dagster_ui, ASSET)["runId"] == run_id


@pytest.fixture
def asset_materialized(dagster_ui: DagsterUI, asset_graph) -> dict:
    """ASSET's materialization for DAY: the UI's from the test above, else one through the CLI."""
    import dagster as dg

    if materialization_of(dagster_ui, ASSET) is None:
        dagster_ui.materialize(multi_asset_keys(asset_graph, {dg.AssetKey(ASSET)}))
    event = materialization_of(dagster_ui, ASSET)
    assert event is not None
    return event


def test_an_assets_page_shows_its_checks_and_metadata(dagster_ui: DagsterUI, asset_graph, asset_materialized, page):
    from playwright.sync_api import expect

    visit(page, dagster_ui, f"/assets/{ASSET}")
    expect(page.get_by_text("Latest materialization")).to_be_visible()
    expect(page.get_by_text(DAY, exact=True).first).to_be_visible()
    # Every number and text the materialization recorded, in the metadata table with its value.
    values = {"IntMetadataEntry": "intValue", "TextMetadataEntry": "text", "MarkdownMetadataEntry": "mdStr"}
    entries = {e["label"]: str(e[values[e["__typename"]]]) for e in asset_materialized["metadataEntries"]
               if e["__typename"] in values and not e["label"].startswith("dagster/")}
    assert {"rows_in", "conservation"} <= entries.keys(), entries
    for label, value in entries.items():
        row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=label, exact=True))
        expect(row).to_contain_text(value)
    screenshot(page, "asset-overview-metadata")

    checks = sorted(key.name for key in asset_graph.asset_check_keys if key.asset_key.to_user_string() == ASSET)
    assert {"critical_expectations", "quality_warnings", "conservation"} <= set(checks)
    page.get_by_role("tab", name="Checks").click()
    expect(page.get_by_text(f"Checks ({len(checks)})")).to_be_visible()
    for name in checks:
        # Each check's row: its name (the title) and the latest execution's outcome.
        expect(page.get_by_title(name, exact=True).locator("xpath=..")).to_contain_text("Succeeded")
    screenshot(page, "asset-checks")
