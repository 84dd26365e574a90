"""Broker topics: the sensors that turn new messages into micro-batch runs, and their jobs."""
