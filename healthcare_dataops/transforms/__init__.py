"""Silver and gold transforms: pure Spark Connect DataFrame code, engine-agnostic.

No RDDs, JVM access or Python UDFs: the same functions run on the embedded Sail engine, on a
Spark 4 cluster, and on pyspark's JVM engine in the parity tests.
"""
