"""`oneperson serve`: a local Prefect server on 127.0.0.1 and the deployments, run until stopped.

The deployments are defined here, in code (Prefect's `serve`): `nightly/nightly` on cron
`0 2 * * *` in Asia/Shanghai, and `backfill/backfill` to be triggered with dates. This process is
also their worker, one run at a time (`limit=1`; the store's run lock guards against any other
runner). The server is a `prefect server start` child process, stopped when this one stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

NIGHTLY_CRON = "0 2 * * *"
TIMEZONE = "Asia/Shanghai"


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now (for a server started by a test or a benchmark)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def wait_healthy(url: str, timeout: float = 120.0, process: subprocess.Popen | None = None) -> None:
    """Until GET <api>/health answers, the process dies, or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with {process.returncode} before it was up")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the Prefect server at {url} did not answer within {timeout:.0f} s")


def start_server(port: int, log: Path) -> subprocess.Popen:
    """`prefect server start` on 127.0.0.1:<port>, output to `log`, in its own process group."""
    prefect = Path(sys.executable).with_name("prefect")
    handle = log.open("ab")
    return subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "PREFECT_API_URL": "", "PREFECT_UI_API_URL": api_url(port)},
    )


def stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to the process group (uvicorn needs SIGINT to shut down)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue


def serve_deployments(landing: Path, store: Path, retention: int = 7) -> None:
    """Register the deployments with the server at $PREFECT_API_URL and run them until interrupted."""
    from prefect import serve
    from prefect.schedules import Cron

    from flows.backfill import backfill
    from flows.nightly import nightly

    defaults = {"landing": str(landing.resolve()), "store": str(store.resolve())}
    serve(
        nightly.to_deployment(
            name="nightly",
            schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)],
            parameters={**defaults, "retention": retention},
            description="The nightly run: ingest, link, findings, publish a snapshot and swap CURRENT.",
        ),
        backfill.to_deployment(
            name="backfill",
            parameters=defaults,
            description="Rebuild the snapshots of a date range (--param start=... --param end=...).",
        ),
        limit=1,
        print_starting_message=False,
    )
