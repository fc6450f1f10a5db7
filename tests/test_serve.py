"""A real Prefect server: `oneperson serve` deploys the flows, a parameterised run triggered from the
Prefect CLI completes and publishes, and stopping the service stops every process it started."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warehouses import SAMPLE

from oneperson.serving import free_port

BIN = Path(sys.executable).parent


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def prefect(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "prefect"), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def service(tmp_path: Path):
    port = free_port()
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        "PREFECT_HOME": str(home),
        "ONEPERSON_PSEUDONYM_KEY": "test-key",
    }
    store = tmp_path / "store"
    process = subprocess.Popen(
        [
            str(BIN / "oneperson"),
            "serve",
            "--port",
            str(port),
            "--store",
            str(store),
            "--landing",
            str(SAMPLE / "landing"),
        ],
        env=env,
        stdout=(tmp_path / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    yield process, port, store, client, tmp_path / "serve.log"
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def wait_for_deployments(client: dict, process: subprocess.Popen, log: Path, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        listed = prefect(client, "deployment", "ls")
        if "nightly/nightly" in listed.stdout and "backfill/backfill" in listed.stdout:
            return listed.stdout
        time.sleep(2)
    raise AssertionError("deployments not registered in time:\n" + log.read_text(errors="replace")[-3000:])


def test_serve_deploy_trigger_and_stop(service) -> None:
    process, port, store, client, log = service
    wait_for_deployments(client, process, log)
    assert port_open(port)  # the server (and its UI) on loopback
    inspected = prefect(client, "deployment", "inspect", "nightly/nightly").stdout
    assert "'cron': '0 2 * * *'" in inspected and "'timezone': 'Asia/Shanghai'" in inspected

    run = prefect(
        client,
        "deployment",
        "run",
        "nightly/nightly",
        "--param",
        "as_of=2026-10-15",
        "--watch",
        "--watch-timeout",
        "300",
        timeout=330,
    )
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    assert (store / "CURRENT").read_text().strip() == "20261015-001"  # as of 15 October: 20261101 not due
    manifest = json.loads((store / "snapshots" / "20261015-001" / "manifest.json").read_text())
    assert set(manifest["input_batches"]["tax"]) == {"20261001", "20261015"}

    os.kill(process.pid, signal.SIGTERM)
    process.wait(60)
    deadline = time.monotonic() + 30
    while port_open(port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not port_open(port), "the Prefect server outlived oneperson serve"
    leftovers = subprocess.run(["pgrep", "-f", f"--port {port}"], capture_output=True, text=True).stdout
    assert not leftovers.strip(), leftovers
