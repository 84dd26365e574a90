"""Watching the champion in use: feature drift against its training rows, live AUROC.

Pure pandas/Evidently code, no Dagster; ``defs/monitoring`` turns it into an asset and a sensor.
"""
