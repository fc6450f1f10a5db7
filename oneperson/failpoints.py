"""Named points where a test can kill the run outright, to prove that a crash anywhere is harmless.

`ONEPERSON_KILL_AT=<point>` makes the process SIGKILL itself when it reaches that point: no
`finally`, no `except`, no flushing, exactly as the kernel's OOM killer or a pulled plug would
end it. `ONEPERSON_HOLD_AT=<point>` with `ONEPERSON_HOLD_FILE=<path>` instead stops the run there:
it creates the file and waits until someone deletes it, so a test can act while a run is mid-way
(start a second run against the same store, say). Unset (always, outside tests), a point costs
two dictionary lookups. The points are listed here so that a test can walk all of them
(tests/test_bad_nights.py).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

POINTS = (
    "ingest:batch-written",  # rows of a batch inserted, its transaction not committed
    "standardise:start",
    "profiles:start",
    "link:scored",  # links predicted and clustered, person ids not yet assigned
    "findings:built",  # findings and their history computed, nothing written to the store
    "publish:tables-written",  # the snapshot's files written and verified in a temp folder
    "publish:committed",  # the warehouse committed the publication, the folder not renamed
    "publish:renamed",  # the snapshot folder in place, CURRENT not yet replaced
    "publish:current-replaced",  # CURRENT names the new snapshot, old ones not pruned
)
ENV = "ONEPERSON_KILL_AT"
HOLD_ENV, HOLD_FILE_ENV = "ONEPERSON_HOLD_AT", "ONEPERSON_HOLD_FILE"
HOLD_LIMIT_SECONDS = 600  # a forgotten hold file never keeps a run (and its lock) forever


def reached(point: str) -> None:
    """Die here, or wait here, if the environment asks for it."""
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(HOLD_ENV) == point:
        hold = Path(os.environ[HOLD_FILE_ENV])
        hold.write_text(str(os.getpid()))
        deadline = time.monotonic() + HOLD_LIMIT_SECONDS
        while hold.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
