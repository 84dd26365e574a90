"""Gold: patient_features, one row per index admission, and its checks."""
