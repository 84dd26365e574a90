"""Concurrency pools: runs that must never write the same thing at once.

Every asset that writes a shared Delta table names the pool of its table family, and the
step that trains and registers a model names the registry's. Both instance files
(``dagster.yaml``, ``deploy/dagster.yaml``) give every pool one run at a time
(``granularity: run``): the queue holds a run while another run holding one of its pools is
in progress, so two MERGEs into the same silver table, or two retrains setting the champion
alias, never meet, whichever job, backfill, sensor or UI launched them. Families rather than
one pool per table: a source's tables are written by one step and read together by the next.
"""

MODEL_REGISTRY = "model_registry"
GOLD_TABLES = "gold_tables"


def table_family(layer: str, source: str) -> str:
    """The pool of a source's tables in a layer, e.g. ``silver_ehr_tables``."""
    return f"{layer}_{source}_tables"
