"""The broker and the MLLP listener, once per test module (``broker_fixtures``)."""

from healthcare_dataops_tests.streaming.broker_fixtures import broker, listener  # noqa: F401
