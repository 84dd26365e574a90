"""The worklist in the system's headless Chromium, served by ``healthcare-dataops worklist`` on
the scored lakehouse: the stays in risk order, a stay's reasons, the filters and the CSV, the
status panel against the instance and MLflow, no PHI on any page, and with re-identification
on, an MRN shown only to an allowed role and every lookup audited.

One browser for the file; screenshots in ``build/test-artifacts/webui/`` (or under
``$HEALTHCARE_DATAOPS_TEST_ARTIFACTS``)."""

from __future__ import annotations

import io
import re
import shutil
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from deltalake import DeltaTable

from healthcare_dataops import settings
from healthcare_dataops.pipeline_status import catalog, feeds, model
from healthcare_dataops.privacy import keys, pseudonym_of
from healthcare_dataops.worklist import inpatients
from healthcare_dataops.worklist.worklist_command import audit_uri
from healthcare_dataops_tests.dagster_helpers import mlflow_resource
from healthcare_dataops_tests.loopback import free_port
from healthcare_dataops_tests.servers import Processes, http_get, wait_for
from healthcare_dataops_tests.webui.browser import screenshot

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 120
# Bronze columns that hold PHI in a Synthea export: none may reach a page without re-identification.
PHI_COLUMNS = ("id", "ssn", "drivers", "passport", "first", "last", "maiden", "address", "phone", "birthdate")
NURSE = {"X-Forwarded-Email": "nurse@hospital.example", "X-Forwarded-Groups": "staff,care-team"}
CLERK = {"X-Forwarded-Email": "clerk@hospital.example", "X-Forwarded-Groups": "staff"}


def _serve(processes: Processes, name: str, env: dict[str, str], cwd: Path) -> str:
    port = free_port()
    command = [str(Path(sys.executable).parent / "healthcare-dataops"), "worklist", "--port", str(port),
               "--workers", "1"]
    processes.start(name, command, env, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"the {name} answering", lambda: http_get(url) is not None, START_TIMEOUT_S, processes)
    return url


@pytest.fixture(scope="module")
def servers(browser, scored_lakehouse, tmp_path_factory):
    """The worklist as installed (re-identification off), and one with it on over a copy of the
    lakehouse (its lookups write the audit table)."""
    root = tmp_path_factory.mktemp("worklist")
    processes = Processes(root)
    copy = root / "lakehouse"
    shutil.copytree(scored_lakehouse.lakehouse, copy)
    reidentifying = {**scored_lakehouse.env, settings.LAKEHOUSE_ROOT: str(copy), settings.REIDENTIFICATION: "on"}
    try:
        yield {"plain": _serve(processes, "worklist", scored_lakehouse.env, scored_lakehouse.root),
               "reidentifying": _serve(processes, "reidentifying-worklist", reidentifying, root),
               "audit": audit_uri(str(copy))}
    finally:
        processes.stop_all()


@pytest.fixture(scope="module")
def expected(scored_lakehouse) -> pd.DataFrame:
    """The newest day's stays as patient_risk_scores holds them, highest risk first."""
    scores = DeltaTable(str(scored_lakehouse.lakehouse / "gold" / "patient_risk_scores")).to_pandas()
    newest = scores[scores["delivery_date"].astype(str) == scored_lakehouse.last_day]
    return newest.sort_values(["risk", "encounter_id"], ascending=[False, True]).reset_index(drop=True)


@pytest.fixture(scope="module")
def phi(scored_lakehouse) -> set[str]:
    patients = DeltaTable(str(scored_lakehouse.lakehouse / "bronze" / "ehr_patients")).to_pandas()
    values = {str(v) for c in PHI_COLUMNS for v in patients[c].dropna() if len(str(v)) >= 4}
    assert len(values) > 1000
    return values


def _open(page, url: str):
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#stays tbody tr").first).to_be_visible()


def _listed(page) -> list[str]:
    return page.locator("#stays tbody tr").evaluate_all("rows => rows.map(r => r.dataset.encounter)")


def _assert_no_phi(text: str, phi: set[str]) -> None:
    """No PHI value in ``text``: names as whole words ("Mark" is not in "Markdown"), the rest anywhere."""
    words = set(re.findall(r"[^\W\d_]+", text))
    found = sorted(v for v in phi if (v in words if v.isalpha() else v in text))
    assert not found, f"PHI on the page: {found[:5]}"


def _app_html(page) -> str:
    """What the app rendered (text and attributes), without the framework's scripts."""
    return page.locator("#react-entry-point").inner_html()


def test_the_list_shows_the_scored_stays_in_risk_order(servers, expected, page):
    _open(page, servers["plain"])
    assert expected["risk"].nunique() > 1, "the fixture's champion should tell stays apart"
    assert _listed(page) == list(expected["encounter_id"])
    first = page.locator("#stays tbody tr").first.locator("td")
    assert first.nth(3).inner_text() == f"{expected['risk'].iloc[0]:.1%}"
    screenshot(page, "worklist-list")


def test_an_explanation_opens_for_a_stay(servers, expected, page, phi):
    from playwright.sync_api import expect

    _open(page, servers["plain"])
    stay = expected.iloc[0]
    page.locator(f"tr[data-encounter='{stay['encounter_id']}'] button.why").click()
    expect(page.locator("#reasons h3")).to_contain_text(f"{stay['risk']:.1%}")
    shown = page.locator("#reasons li.reason-up, #reasons li.reason-down").all_inner_texts()
    assert shown == [r["text"] for r in stay["explanation"]] and shown
    screenshot(page, "worklist-explanation")
    assert page.get_by_role("button", name="Show MRN").count() == 0
    _assert_no_phi(_app_html(page), phi)


def test_filters_narrow_the_list_and_the_csv_holds_what_is_listed(servers, expected, page, phi):
    from playwright.sync_api import expect

    _open(page, servers["plain"])
    stays = inpatients.load(str(Path(servers["audit"]).parents[2] / "nothing"), {}).stays  # no table: empty
    assert stays.empty
    days = (expected["as_of"] - expected["admitted_at"]).dt.total_seconds() / 86400
    floor = round(float(days.median()), 1)
    page.locator("#min-days").fill(str(floor))
    page.locator("#min-days").press("Enter")
    wanted = list(expected.loc[days >= floor, "encounter_id"])
    expect(page.locator("#stays tbody tr")).to_have_count(len(wanted))
    assert _listed(page) == wanted
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text()
    assert list(pd.read_csv(io.StringIO(text))["encounter_id"]) == wanted
    _assert_no_phi(text, phi)


def test_the_status_panel_matches_the_instance_and_mlflow(servers, scored_lakehouse, page):
    from playwright.sync_api import expect

    _open(page, servers["plain"])
    champion = model.champion_status(mlflow_resource(scored_lakehouse.lakehouse).activate())
    with dg.DagsterInstance.from_config(str(scored_lakehouse.dagster_home)) as instance:
        drift = model.drift_status(instance)
        scores = model.scores_status(instance)
        summary = feeds.feed_statuses(feeds.table_statuses(instance, catalog.project_catalog()))
    expect(page.locator("#champion")).to_contain_text(
        f"v{champion.version}: holdout AUROC {champion.holdout_auroc:.3f} (95% interval "
        f"{champion.holdout_auroc_ci_low:.3f}–{champion.holdout_auroc_ci_high:.3f}), on patients never seen in "
        f"training {champion.unseen_patients_auroc:.3f}, calibration error (ECE) "
        f"{champion.holdout_calibration_error:.3f}")
    assert page.locator("#champion a").get_attribute("href") == champion.mlflow_url
    lace = next(b for b in champion.baselines if b.name == "LACE")
    expect(page.locator("#baselines")).to_contain_text(f"LACE AUROC {lace.auroc:.3f}, the model {lace.margin:+.3f}")
    # The model card opens on the cohort rules and ends on the last drift decision's reasons.
    page.locator("#model-card summary").click()
    card = page.locator("#model-card")
    expect(card.get_by_role("heading", name="Cohort and label")).to_be_visible()
    expect(card.get_by_role("heading", name="Last drift decision")).to_be_visible()
    expect(page.locator("#drift summary")).to_contain_text(drift.status)
    assert page.locator("#drift summary a").get_attribute("href") == drift.dagster_url
    page.locator("#drift summary").click()
    first_reason = drift.decision.split("\n- ")[1].split(":")[0]
    expect(page.locator("#drift li").first).to_contain_text(first_reason)
    expect(page.locator("#scored")).to_have_text(
        f"Scored {scores.stays} stays for {scored_lakehouse.last_day} with v{champion.version}.")
    delivered = {"ehr", "labs", "wearables"}  # the test feeds are CSV, HL7 and Open mHealth: no FHIR
    assert {feed.source for feed in summary} == delivered | {"fhir"}
    for feed in summary:
        row = page.locator(f"#feeds tr[data-source='{feed.source}'] td")
        assert row.nth(2).inner_text() == (feed.newest_day or "–")
        assert feed.source not in delivered or feed.newest_day == scored_lakehouse.last_day
        assert row.nth(3).inner_text() == ("–" if feed.quarantine_rate is None else f"{feed.quarantine_rate:.2%}")
        assert row.nth(4).locator("a").get_attribute("href") == feed.dagster_url
    page.locator("#status").scroll_into_view_if_needed()
    screenshot(page, "worklist-status")


def test_reidentification_shows_an_mrn_to_an_allowed_role_and_audits_every_lookup(servers, expected, browser):
    from playwright.sync_api import expect

    patient = expected["patient_id"].iloc[0]
    answers = {}
    for who, headers in (("nurse", NURSE), ("clerk", CLERK)):
        context = browser.new_context(extra_http_headers=headers)
        try:
            page = context.new_page()
            _open(page, servers["reidentifying"])
            page.locator(f"tr[data-patient='{patient}'] button.mrn").first.click()
            expect(page.locator("#mrn-answer")).not_to_be_empty()
            answers[who] = page.locator("#mrn-answer").inner_text()
            screenshot(page, f"worklist-reidentification-{who}")
        finally:
            context.close()
    mrn = answers["nurse"].split("MRN ")[1].split(" ")[0]
    assert pseudonym_of(mrn, keys.key_bytes(keys.DEVELOPMENT_KEY), "patient") == patient
    assert "Not shown: role not allowed" in answers["clerk"] and mrn not in answers["clerk"]
    audit = DeltaTable(servers["audit"]).to_pandas().sort_values("looked_up_at")
    assert list(zip(audit["user"], audit["patient_pseudonym"], audit["outcome"], strict=True)) == [
        ("nurse@hospital.example", patient, "found"), ("clerk@hospital.example", patient, "refused: role not allowed")]
    assert mrn not in audit.to_csv()
