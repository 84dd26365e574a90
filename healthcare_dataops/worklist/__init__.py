"""The clinician worklist: current inpatients ranked by readmission risk, why, and whether the
figures behind them can be trusted today (a Dash app; ``healthcare-dataops worklist``)."""
