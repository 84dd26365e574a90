"""The real broker the exporter asks for the real-time feeds' end offsets."""

from healthcare_dataops_tests.streaming.broker_fixtures import broker  # noqa: F401 - fixture
