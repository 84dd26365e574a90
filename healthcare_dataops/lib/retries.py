"""The retry policy of steps that talk to storage or services: landing zone, Delta, MLflow.

A transient failure (an S3 throttle, a locked sqlite store, a tracking server restarting) is
retried three times, 2, 4 and 8 seconds apart with jitter; anything still failing after that
fails the run, which the run-failure sensor reports.
"""

import dagster as dg

IO_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
