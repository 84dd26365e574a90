"""The readmission model and the scores it gives."""
