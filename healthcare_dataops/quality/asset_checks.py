"""Great Expectations suites declared as Dagster asset checks, beside the asset they check.

``gx_asset_checks`` turns one table's two suites into two ``@dg.asset_check``s:

* ``critical_expectations``: blocking, ERROR on failure. Dagster then fails the check
  step and does not materialize assets downstream of the table in the same run.
* ``quality_warnings``: not blocking, WARN on failure; the run goes on.

Check names are scoped to their asset (``patients:critical_expectations``), so they do not
repeat the table's name.

Resources: ``load_batch``, ``critical`` and ``warnings`` take the check context first; every
further parameter names a resource, the way Dagster's own typed resource parameters do::

    def load_patients(context, lakehouse: LakehouseResource) -> pandas.DataFrame: ...
    def patient_rules(context) -> list[gxe.Expectation]: ...

The factory declares the union of those names as the checks' ``required_resource_keys`` and
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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg
import pandas

from healthcare_dataops.quality.check_report import check_metadata
from healthcare_dataops.quality.gx_runner import validate

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

    ExpectationsFor = Callable[..., Sequence[Expectation]]

BatchLoader = Callable[..., pandas.DataFrame]
CheckableAsset = dg.AssetKey | str | dg.AssetsDefinition
AssetDependency = dg.AssetKey | str | dg.AssetsDefinition | dg.AssetSpec | dg.AssetDep


def gx_asset_checks(
    *,
    asset: CheckableAsset,
    table_name: str,
    load_batch: BatchLoader,
    critical: ExpectationsFor,
    warnings: ExpectationsFor,
    additional_deps: Sequence[AssetDependency] = (),
    example_columns_allowed: set[str] | None = None,
) -> list[dg.AssetChecksDefinition]:
    """The blocking critical check and the non-blocking warning check for one table.

    ``example_columns_allowed``: columns whose offending values may appear in check metadata;
    every other column shows counts only (None: counts only everywhere).
    """
    resource_keys = {
        name for function in (load_batch, critical, warnings) for name in _resource_names(function)
    }

    def suite_check(
        suffix: str, expectations_for: ExpectationsFor, severity: dg.AssetCheckSeverity
    ) -> dg.AssetChecksDefinition:
        check_name = suffix
        suite_name = f"{table_name}_{suffix}"
        blocking = severity == dg.AssetCheckSeverity.ERROR

        @dg.asset_check(
            asset=asset,
            name=check_name,
            description=f"Great Expectations suite {suite_name} on {table_name}: "
            + ("failure blocks downstream assets in the run." if blocking else "failure warns."),
            blocking=blocking,
            additional_deps=list(additional_deps) or None,
            required_resource_keys=resource_keys or None,
        )
        # `context` unannotated: with postponed annotations Dagster sees the string
        # "dg.AssetCheckExecutionContext" and rejects it as a context type.
        def _check(context) -> dg.AssetCheckResult:
            frame = _call_with_resources(load_batch, context)
            if not isinstance(frame, pandas.DataFrame):
                raise TypeError(f"{suite_name}: load_batch returned {type(frame).__name__}, "
                                "not a pandas DataFrame")
            result = validate(frame, suite_name, list(_call_with_resources(expectations_for, context)))
            # Counts only in the log: the metadata table is where allowed examples go.
            context.log.info(
                f"{suite_name}: {len(result.failures)} of {len(result.outcomes)} expectations "
                f"failed on {result.evaluated_rows} rows"
            )
            return dg.AssetCheckResult(
                passed=result.success,
                severity=severity,
                metadata=check_metadata(result, example_columns_allowed, run_partition_keys(context)),
            )

        return _check

    return [
        suite_check("critical_expectations", critical, dg.AssetCheckSeverity.ERROR),
        suite_check("quality_warnings", warnings, dg.AssetCheckSeverity.WARN),
    ]


def run_partition_keys(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """The partition keys of the checked asset that this run covers, in order.

    None when the checked asset is unpartitioned, even inside a partitioned run (the run's
    keys then belong to other assets), and when the run targets no partitions.
    """
    if not context.op_execution_context.has_partitions:
        return None
    partitions_def = _checked_asset_partitions_def(context)
    if partitions_def is None:
        return None
    try:
        # Public and aware of dynamic partitions, but it needs the run's partitions definition.
        return list(context.partition_keys)
    except dg.DagsterInvariantViolationError:
        return list(partitions_def.get_partition_keys_in_range(context.partition_key_range))


def _checked_asset_partitions_def(
    context: dg.AssetCheckExecutionContext,
) -> dg.PartitionsDefinition | None:
    asset_key = context.check_specs[0].asset_key
    asset_layer = context.job_def.asset_layer
    return asset_layer.get(asset_key).partitions_def if asset_layer.has(asset_key) else None


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
