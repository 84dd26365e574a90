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


def test_a_tree_past_the_limit_is_killed_before_it_takes_the_machine():
    grows = "import time; blocks = [bytearray(50 * 2**20) for _ in range(12)]; time.sleep(30)"
    process = subprocess.Popen([sys.executable, "-c", grows])
    with PeakMemory(process.pid, limit_bytes=300 * MIB) as memory:
        code = process.wait(timeout=60)
    assert memory.killed_at_limit
    assert code == -9
    assert 300 * MIB < memory.peak_bytes < 700 * MIB
