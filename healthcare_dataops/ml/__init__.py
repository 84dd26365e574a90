"""The readmission model's library: dataset, training, evaluation, plots, gating, scoring.

Plain pandas/XGBoost/MLflow code with no Dagster in it; ``defs/model`` and ``defs/scores`` wire it into assets.

XGBoost, MLflow, scikit-learn and matplotlib are imported inside the functions that use them
(annotations name them under ``TYPE_CHECKING``): together they take seconds to import, and
loading the definitions must not pay for them, only the steps that train, score or track.
"""
