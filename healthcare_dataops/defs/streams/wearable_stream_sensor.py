"""``wearable_stream_sensor``: data points on the wearables topic → a micro-batch run
(``wearable_stream_job``)."""

import dagster as dg

from healthcare_dataops import settings
from healthcare_dataops.defs.bronze.wearables import WEARABLE_QUARANTINE, WEARABLE_READINGS_RAW
from healthcare_dataops.defs.streams.jobs import wearable_stream_job
from healthcare_dataops.lib.stream_micro_batch import stream_target
from healthcare_dataops.lib.stream_sensor import stream_requests
from healthcare_dataops.resources import LakehouseResource
from healthcare_dataops.resources.kafka import KafkaResource
from healthcare_dataops.streaming.topics import WEARABLES_TOPIC


@dg.sensor(
    job=wearable_stream_job,
    minimum_interval_seconds=settings.stream_sensor_interval_seconds(),
    # Off until a deployment has a broker the wearable platforms publish to.
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=f"Requests a micro-batch of {WEARABLES_TOPIC} into bronze and silver whenever it holds "
    "data points bronze lacks.",
)
def wearable_stream_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource, lakehouse: LakehouseResource):
    return stream_requests(context, kafka, stream_target(lakehouse, WEARABLE_READINGS_RAW, WEARABLE_QUARANTINE),
                           topic=WEARABLES_TOPIC, job_name=wearable_stream_job.name)
