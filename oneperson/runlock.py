"""One run per store at a time: a second run waits for the first, or gives up with a message naming it.

The store publisher has its own lock for the publish step; this one covers the whole run (ingest
to publish), so that two runs never interleave their batches in one warehouse. It is an advisory
`flock` on `<store>/.run.lock`: the kernel releases it when the holder dies, even by SIGKILL, so a
crashed run never leaves the store locked.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILE = ".run.lock"
log = logging.getLogger(__name__)


class StoreBusy(Exception):
    """Another run holds the store."""


def holder(store: Path) -> dict | None:
    """What the run holding (or last holding) the lock wrote about itself, if anything."""
    try:
        text = (Path(store) / LOCK_FILE).read_text(encoding="utf-8").strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


@contextmanager
def run_lock(store: Path, run_id: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the store's run lock for the body; wait up to `wait_seconds` for it, then StoreBusy."""
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    fd = os.open(store / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                other = holder(store) or {}
                who = (
                    f"run {other.get('run_id', '?')} (pid {other.get('pid', '?')}, "
                    f"started {other.get('started_at', '?')})"
                )
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"{store} is in use by {who}; waited {wait_seconds:g} s. "
                        "Try again when it has finished, or pass --wait SECONDS."
                    ) from None
                if not said:
                    log.warning("%s is in use by %s: waiting up to %g s", store, who, wait_seconds)
                    said = True
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        info = {"run_id": run_id, "pid": os.getpid(), "started_at": datetime.now(UTC).isoformat()}
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
