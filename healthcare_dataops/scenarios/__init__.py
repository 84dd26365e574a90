"""Runnable stories that prove the product end to end on generated feeds."""
