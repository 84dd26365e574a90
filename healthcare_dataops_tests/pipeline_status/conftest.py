"""The real broker for the stream position tests."""

from healthcare_dataops_tests.streaming.broker_fixtures import broker  # noqa: F401 - fixture
