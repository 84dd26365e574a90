"""The readmission model's library: dataset, training, evaluation, plots, gating, scoring.

Plain pandas/XGBoost/MLflow code with no Dagster in it; ``defs/ml`` wires it into assets.
"""
