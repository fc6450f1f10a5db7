"""Step events of a run, for whoever watches it (the CLI's progress bar).

The flows call `started` and `finished` around each named step; with nobody watching, that costs
a look at an empty list. Listeners run in the flow's own thread, so they must be quick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str, str], None]  # (event, name): event is "day", "started" or "finished"
_listeners: list[Listener] = []


@contextmanager
def watching(listener: Listener) -> Iterator[None]:
    """Send the step events of the runs started inside the block to `listener`."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def _tell(event: str, name: str) -> None:
    for listener in list(_listeners):
        listener(event, name)


def day(name: str) -> None:
    """A backfill starts the run of another day."""
    _tell("day", name)


def started(step: str) -> None:
    _tell("started", step)


def finished(step: str) -> None:
    _tell("finished", step)
