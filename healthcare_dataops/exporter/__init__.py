"""The Prometheus exporter for operations (``healthcare-dataops metrics``): the pipeline's
figures (``pipeline_status``) as metrics, read afresh at every scrape."""
