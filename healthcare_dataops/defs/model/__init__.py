"""The readmission model: training, gating, registration, and the job that retrains it."""
