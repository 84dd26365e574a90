"""``lab_stream_sensor``: lab messages on the labs topic → a micro-batch run (``lab_stream_job``)."""

import dagster as dg

from healthcare_dataops import settings
from healthcare_dataops.defs.bronze.labs import LAB_QUARANTINE, LAB_RESULTS_RAW
from healthcare_dataops.defs.streams.jobs import lab_stream_job
from healthcare_dataops.lib.stream_micro_batch import stream_target
from healthcare_dataops.lib.stream_sensor import stream_requests
from healthcare_dataops.resources import LakehouseResource
from healthcare_dataops.resources.kafka import KafkaResource
from healthcare_dataops.streaming.topics import LABS_TOPIC


@dg.sensor(
    job=lab_stream_job,
    minimum_interval_seconds=settings.stream_sensor_interval_seconds(),
    # Off until a deployment has a broker and the MLLP listener: a tick would fail every time.
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=f"Requests a micro-batch of {LABS_TOPIC} into bronze and silver whenever it holds "
    "messages bronze lacks.",
)
def lab_stream_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource, lakehouse: LakehouseResource):
    return stream_requests(context, kafka, stream_target(lakehouse, LAB_RESULTS_RAW, LAB_QUARANTINE),
                           topic=LABS_TOPIC, job_name=lab_stream_job.name)
