"""Real-time ingestion: HL7 v2 over MLLP and wearable data points through Kafka into bronze.

``mllp_listener`` acknowledges a lab's message only once the broker holds it; ``topic_reader``
reads a bounded micro-batch back from the stored offsets; ``stream_bronze`` writes it to the
same bronze tables as the daily files, its offsets in the same Delta commit as its rows.
"""
