"""Synthetic source feeds for the lakehouse: a simulated hospital panel delivered as the EHR's
Synthea CSV export, HL7 v2 lab results and Open mHealth wearable data, with known drift,
injected faults and a readmission label drawn from a known risk function.

Entry points: ``healthcare-dataops generate`` (``cli.py``) and ``runner.generate``.
"""

from .runner import Options, Summary, generate

__all__ = ["Options", "Summary", "generate"]
