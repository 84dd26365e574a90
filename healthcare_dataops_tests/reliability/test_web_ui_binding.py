"""The web UI binds to 127.0.0.1 unless told otherwise: `scripts/ui.sh` (what the README says
to run) answers on the loopback address and refuses connections on the machine's others."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.loopback import free_port
from healthcare_dataops_tests.servers import http_get, wait_for

pytestmark = pytest.mark.slow


def _other_addresses() -> list[str]:
    """The machine's IPv4 addresses other than loopback ones."""
    found = set()
    try:
        listing = subprocess.run(["ip", "-4", "-o", "addr", "show"], check=False, capture_output=True, text=True,
                                 timeout=10)
        for line in listing.stdout.splitlines():
            parts = line.split()
            if "inet" in parts:
                found.add(parts[parts.index("inet") + 1].split("/")[0])
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        found |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


def _connects(address: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((address, port)) == 0


def test_ui_sh_listens_on_loopback_only(tmp_path, processes):
    others = _other_addresses()
    if not others:
        pytest.skip("this machine has no IPv4 address besides loopback: nothing to prove unreachable")
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_UI_HOST"}
    env.update(DAGSTER_UI_PORT=str(port), DAGSTER_HOME=str(home), DO_NOT_TRACK="true",
               HEALTHCARE_DATAOPS_DATA_DIR=str(tmp_path / "data"))
    processes.start("ui", ["bash", "scripts/ui.sh"], env=env, cwd=REPO_ROOT)

    wait_for("the UI answers on 127.0.0.1", lambda: http_get(f"http://127.0.0.1:{port}/server_info") is not None,
             300, processes)
    assert b"dagster_webserver_version" in http_get(f"http://127.0.0.1:{port}/server_info")
    reachable = [address for address in others if _connects(address, port)]
    assert reachable == [], f"the UI also answers on {reachable}"
    # The same addresses do reach a server bound to all of them, so "refused" above means
    # the UI's binding, not a firewall or an address that cannot be reached at all.
    with socket.socket() as everywhere:
        everywhere.bind(("0.0.0.0", 0))
        everywhere.listen()
        assert all(_connects(address, everywhere.getsockname()[1]) for address in others)
