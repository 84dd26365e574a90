"""A table's Great Expectations suites as Dagster asset checks, run in one step per table.

``gx_table_checks`` turns one table's suites into one ``@dg.multi_asset_check`` with:

* ``critical_expectations``: blocking, ERROR on failure. Dagster then does not materialize
  assets downstream of the table in the same run.
* ``quality_warnings``: not blocking, WARN on failure; the run goes on.
* any further checks of the same table (``TableCheck``: the silver tables' conservation), so
  a table's checks cost one step, which reads its rows once, a chunk at a time
  (``chunked_validation``).

Check names are scoped to their asset (``patients:critical_expectations``), so they do not
repeat the table's name.

Resources: ``batch``, ``critical``, ``warnings`` and each ``TableCheck.evaluate`` take the
check context first; every further parameter names a resource, the way Dagster's own typed
resource parameters do::

    def patients_batch(context, lakehouse: LakehouseResource, spark: SparkResource) -> CheckBatch: ...
    def patient_rules(context) -> list[gxe.Expectation]: ...

The factory declares the union of those names as the step's ``required_resource_keys`` and
passes ``context.resources.<name>`` in by keyword. (A factory cannot give the generated check
function typed parameters without rewriting its signature; this keeps the callables typed.)

Which batch: assets are daily-partitioned with ``BackfillPolicy.single_run()``, so one run can
cover many delivery days. The checks are unpartitioned (Dagster 1.13's partitioned checks are a
preview and take one key per run) and see the run's range through ``run_partition_keys``,
which reads the run tags ``dagster/asset_partition_range_start``/``_end`` or
``dagster/partition`` via the context's public partition API.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg

from healthcare_dataops.quality.check_report import check_metadata
from healthcare_dataops.quality.chunked_validation import CheckBatch, validate_in_chunks

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

    ExpectationsFor = Callable[..., Sequence[Expectation]]

CheckableAsset = dg.AssetKey | str | dg.AssetsDefinition
AssetDependency = dg.AssetKey | str | dg.AssetsDefinition | dg.AssetSpec | dg.AssetDep
CRITICAL = "critical_expectations"
WARNINGS = "quality_warnings"


@dataclass(frozen=True)
class TableCheck:
    """A further check of the table in the same step: ``evaluate(context, **resources)``."""

    name: str
    description: str
    evaluate: Callable[..., dg.AssetCheckResult]
    blocking: bool = True
    additional_deps: tuple[AssetDependency, ...] = ()


def gx_table_checks(
    *,
    asset: CheckableAsset,
    table_name: str,
    batch: Callable[..., CheckBatch],
    critical: ExpectationsFor,
    warnings: ExpectationsFor,
    additional_deps: Sequence[AssetDependency] = (),
    example_columns_allowed: set[str] | None = None,
    also: Sequence[TableCheck] = (),
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.AssetChecksDefinition:
    """The blocking critical check, the warning check and ``also``, in one step.

    ``example_columns_allowed``: columns whose offending values may appear in check metadata;
    every other column shows counts only (None: counts only everywhere). ``partitions_def``:
    the checked asset's, so that the metadata names the days a run checked.
    """
    functions = (batch, critical, warnings, *(check.evaluate for check in also))
    resource_keys = {name for function in functions for name in _resource_names(function)}
    asset_key = asset.key if isinstance(asset, dg.AssetsDefinition) else dg.AssetKey.from_coercible(asset)
    deps = list(additional_deps)
    specs = [
        dg.AssetCheckSpec(CRITICAL, asset=asset_key, blocking=True, additional_deps=deps or None,
                          description=f"Great Expectations suite {table_name}_{CRITICAL}: failure blocks "
                          "downstream assets in the run."),
        dg.AssetCheckSpec(WARNINGS, asset=asset_key, blocking=False, additional_deps=deps or None,
                          description=f"Great Expectations suite {table_name}_{WARNINGS}: failure warns."),
        *(dg.AssetCheckSpec(check.name, asset=asset_key, blocking=check.blocking, description=check.description,
                            additional_deps=list(check.additional_deps) or None) for check in also),
    ]

    @dg.multi_asset_check(
        name=f"{table_name}_checks",
        specs=specs,
        required_resource_keys=resource_keys or None,
        can_subset=True,
        description=f"Every check of {table_name}, reading its rows of the run once, a chunk at a time.",
    )
    # `context` unannotated: with postponed annotations Dagster sees the string
    # "dg.AssetCheckExecutionContext" and rejects it as a context type.
    def _checks(context) -> Iterator[dg.AssetCheckResult]:
        selected = {key.name for key in context.selected_asset_check_keys}
        suites_for = {CRITICAL: critical, WARNINGS: warnings}
        suites = {f"{table_name}_{name}": list(_call_with_resources(suites_for[name], context))
                  for name in (CRITICAL, WARNINGS) if name in selected}
        results = validate_in_chunks(_call_with_resources(batch, context), suites) if suites else {}
        keys = run_partition_keys(context, partitions_def)
        for check_name, severity in ((CRITICAL, dg.AssetCheckSeverity.ERROR), (WARNINGS, dg.AssetCheckSeverity.WARN)):
            if check_name not in selected:
                continue
            result = results[f"{table_name}_{check_name}"]
            # Counts only in the log: the metadata table is where allowed examples go.
            context.log.info(f"{result.suite_name}: {len(result.failures)} of {len(result.outcomes)} "
                             f"expectations failed on {result.evaluated_rows} rows")
            yield dg.AssetCheckResult(
                asset_key=asset_key, check_name=check_name, passed=result.success, severity=severity,
                metadata=check_metadata(result, example_columns_allowed, keys),
            )
        for check in also:
            if check.name in selected:
                yield _call_with_resources(check.evaluate, context)

    return _checks


def run_partition_keys(
    context: dg.AssetCheckExecutionContext, partitions_def: dg.PartitionsDefinition | None
) -> list[str] | None:
    """The partition keys of the checked asset (partitioned by ``partitions_def``) that this
    run covers, in order.

    None when the checked asset is unpartitioned, even inside a partitioned run (the run's
    keys then belong to other assets), and when the run targets no partitions. The caller
    says how the asset is partitioned: a check's context has no public way to ask.
    """
    if partitions_def is None or not context.op_execution_context.has_partitions:
        return None
    try:
        # Public and aware of dynamic partitions, but it needs the run's partitions definition.
        return list(context.partition_keys)
    except dg.DagsterInvariantViolationError:
        return list(partitions_def.get_partition_keys_in_range(context.partition_key_range))


def _resource_names(function: Callable[..., Any]) -> tuple[str, ...]:
    """Every parameter after the context names a resource."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    unusable = [p.name for p in parameters if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if unusable:
        raise TypeError(f"{function!r}: parameters after the context must name resources, "
                        f"got {unusable}")
    return tuple(p.name for p in parameters)


def _call_with_resources(function: Callable[..., Any], context: dg.AssetCheckExecutionContext) -> Any:
    resources = {name: getattr(context.resources, name) for name in _resource_names(function)}
    return function(context, **resources)
