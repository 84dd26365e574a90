"""Data quality: the one Great Expectations runner, and the Dagster asset checks built on it.

Importing this package does not import Great Expectations (about 3 s); checks import it when
they first run.
"""

from healthcare_dataops.quality.asset_checks import TableCheck, gx_table_checks, run_partition_keys
from healthcare_dataops.quality.check_report import check_metadata, values_may_be_shown
from healthcare_dataops.quality.gx_runner import flag_unknown_values, validate
from healthcare_dataops.quality.suite_result import ExpectationOutcome, SuiteResult

__all__ = [
    "ExpectationOutcome",
    "SuiteResult",
    "TableCheck",
    "check_metadata",
    "flag_unknown_values",
    "gx_table_checks",
    "run_partition_keys",
    "validate",
    "values_may_be_shown",
]
