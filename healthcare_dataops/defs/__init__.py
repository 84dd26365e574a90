"""Dagster definitions, one folder per source or stage, one short module per kind."""
