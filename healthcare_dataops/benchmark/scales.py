"""The named sizes a benchmark runs at: patients on the panel × delivery days."""

from __future__ import annotations

from dataclasses import dataclass

DAYS = 30


@dataclass(frozen=True)
class Scale:
    name: str
    patients: int
    days: int = DAYS
    # Fewer trainable admissions than the model's default floor of 100 (tiny only).
    min_labelled_rows: int = 100

    def describe(self) -> str:
        return f"{self.name}: {self.patients:,} patients × {self.days} days"

    def run_config(self) -> dict:
        """30 days of feeds label no admission of their own (a label needs 30 days after
        discharge): the model learns from the first export's history, as it would in a
        deployment's first month. Its version is made
        champion whatever its AUROC, so that scoring and the drift report run and are timed."""
        config = {"require_lab_results": False, "train_on_history": True,
                  "min_labelled_rows": self.min_labelled_rows, "force_promotion": True}
        return {"ops": {"risk_model": {"config": config}}}


# tiny keeps the command working in CI's suite; the others are the published sizes.
SCALES = {
    scale.name: scale
    for scale in (
        Scale("tiny", 60, 3, min_labelled_rows=10),
        Scale("small", 1_000),
        Scale("medium", 10_000),
        Scale("large", 100_000),
    )
}


def parse_scales(text: str) -> list[Scale]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCALES]
    if unknown or not names:
        raise ValueError(f"scales are some of {', '.join(SCALES)}, not {text!r}")
    return [SCALES[name] for name in names]


def parse_counts(text: str, option: str, example: str) -> list[int]:
    """Two or more distinct positive whole numbers, ascending (``--backfill-days 30,90``)."""
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        counts = []
    if len(counts) < 2 or counts[0] < 1:
        raise ValueError(f"{option} takes two or more counts, such as {example}; not {text!r}")
    return counts
