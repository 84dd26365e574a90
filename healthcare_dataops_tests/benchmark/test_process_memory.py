"""Peak memory counts a process and every process it starts, while they run."""

import subprocess
import sys

from healthcare_dataops.benchmark.process_memory import PeakMemory

MIB = 2**20
# A child that holds 300 MiB for a second, started by a parent that holds 100 MiB.
GRANDCHILD = "import time; block = bytearray(300 * 2**20); time.sleep(1.0)"
PARENT = (
    "import subprocess, sys; block = bytearray(100 * 2**20); "
    f"subprocess.run([sys.executable, '-c', {GRANDCHILD!r}], check=True)"
)


def test_peak_is_the_largest_sum_over_the_process_tree():
    process = subprocess.Popen([sys.executable, "-c", PARENT])
    with PeakMemory(process.pid) as memory:
        assert process.wait(timeout=60) == 0

    assert memory.peak_bytes >= 400 * MIB
    # Two interpreters and the two blocks; not every sample added up twice.
    assert memory.peak_bytes < 600 * MIB


def test_a_process_that_is_gone_reads_as_nothing():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=60)
    with PeakMemory(process.pid) as memory:
        pass
    assert memory.peak_bytes == 0
