"""Named points where a test can kill the run outright, to prove that a crash anywhere is harmless.

`ONEPERSON_KILL_AT=<point>` makes the process SIGKILL itself when it reaches that point: no
`finally`, no `except`, no flushing, exactly as the kernel's OOM killer or a pulled plug would
end it. Unset (always, outside tests), a point costs one dictionary lookup. The points are listed
here so that a test can walk all of them (tests/test_crash_safety.py).
"""

from __future__ import annotations

import os
import signal

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


def reached(point: str) -> None:
    """Die here if the environment asks for it."""
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
