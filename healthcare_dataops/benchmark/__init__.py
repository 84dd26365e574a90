"""Benchmarks: the pipeline's throughput, memory and incremental cost beside single-process baselines."""
