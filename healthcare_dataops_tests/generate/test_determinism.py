"""Same options and seed, same bytes; and a run continued later writes what one run would."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcare_dataops.cli import main


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_runs_are_byte_identical(generated, small, tmp_path):
    again = generated("--patients", "50", "--days", "3", folder=tmp_path)
    assert tree(small[0]) == tree(again[0])
    assert tree(small[1]) == tree(again[1])


def test_a_different_seed_gives_different_data(generated, small):
    other, _ = generated("--patients", "50", "--days", "3", "--seed", "8")
    assert tree(small[0])["ehr/2026-01-01/patients.csv"] != tree(other)["ehr/2026-01-01/patients.csv"]


def test_days_written_in_two_runs_equal_one_run(generated, tmp_path):
    whole, whole_side = generated("--patients", "50", "--days", "5")
    landing, side = tmp_path / "landing", tmp_path / "side"
    base = ["generate", "--landing", str(landing), "--side", str(side), "--patients", "50", "--quiet"]
    assert main([*base, "--days", "3"]) == 0
    assert main([*base, "--days", "2", "--start-date", "2026-01-04"]) == 0
    assert tree(landing) == tree(whole)
    for name in ("readmission_truth.csv", "readmission_risk_inputs.csv"):
        assert (side / name).read_bytes() == (whole_side / name).read_bytes()


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = capsys.readouterr().out
    for option in ("--landing", "--side", "--patients", "--days", "--start-date", "--epoch", "--seed", "--drift",
                   "--faults", "--faults-per-kind", "--heart-rate-every-minutes", "--device-share", "--sources",
                   "--clean"):
        assert option in text
    assert "heart-rate-firmware" in text and "csv_missing_required_column" in text


@pytest.mark.parametrize("args", [["--patients", "20"], ["--drift", "warmer-weather"], ["--faults", "nonsense"],
                                  ["--start-date", "2025-12-01", "--epoch", "2026-01-01"]])
def test_bad_options_are_refused(args, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["generate", "--landing", str(tmp_path / "l"), "--side", str(tmp_path / "s"), *args])
    assert stopped.value.code == 2
    assert "error" in capsys.readouterr().err
