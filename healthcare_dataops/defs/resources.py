"""The resources every asset, check, sensor and op asks for by name, and how runs execute."""

import dagster as dg

from healthcare_dataops.resources import build_resources


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources=build_resources(),
        # Every step of a run shares one process, and so one Spark engine session: starting an
        # engine per step would cost more than most steps do.
        executor=dg.in_process_executor,
    )
