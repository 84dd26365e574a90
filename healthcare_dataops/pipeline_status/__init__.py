"""What the worklist's "Can I trust it today" panel and the Prometheus exporter report, each
figure read from the one place it lives. Nothing else in the project looks these up, so a new
figure (a model card's intervals, a baseline, a drift decision's reasons) reaches both by a
change here.

- ``model``: the champion's version, holdout AUROC and calibration error and when it was
  trained, from MLflow (the version holding the alias ``champion``, its training run's
  metrics); the drift status, drifted share and live AUROC, from the newest
  ``feature_drift_report`` materialization's metadata; the scored stays, from the newest scored
  day's ``patient_risk_scores`` materialization.
- ``feeds``: each bronze and silver table's rows written and quarantined per delivery day
  (``dagster/row_count``, ``rows_quarantined`` of that day's materialization), the quarantine
  rate's usual band, and the time since its last materialization (freshness).
- ``checks``: the latest execution of every asset check, and whether it blocks.
- ``runs``: successes, failures and the last duration of each job, from the run records.
- ``catalog``: which tables, checks and jobs exist, from the definitions themselves.
- ``links``: the Dagster UI and MLflow UI pages behind each figure.

Everything is read from the Dagster instance (``DAGSTER_HOME``), MLflow's tracking store and
the definitions: counts and model figures only, never PHI.
"""
