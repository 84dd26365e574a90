"""The latest result of every asset check: which failed, and whether the failure blocks."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from healthcare_dataops.pipeline_status.catalog import Catalog


@dataclass(frozen=True)
class CheckStatus:
    key: dg.AssetCheckKey
    blocking: bool
    # None: never evaluated (or only planned so far).
    passed: bool | None

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def asset(self) -> str:
        return self.key.asset_key.to_user_string()


def check_statuses(instance: dg.DagsterInstance, catalog: Catalog) -> list[CheckStatus]:
    blocking = dict(catalog.checks)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(blocking))
    statuses = []
    for key, blocks in catalog.checks:
        record = latest.get(key)
        status = record.status if record else None
        passed = {AssetCheckExecutionRecordStatus.SUCCEEDED: True,
                  AssetCheckExecutionRecordStatus.FAILED: False}.get(status)
        statuses.append(CheckStatus(key, blocks, passed))
    return statuses
