"""When a failed step is worth retrying: transient I/O (a network file system hiccup, a busy
device, a timeout), never a full disk, a permission problem, a bad file or a bug — retrying those
only delays the failure record by minutes."""

from __future__ import annotations

import errno

TRANSIENT = frozenset({errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ETIMEDOUT, errno.ESTALE, errno.EINTR})
BACKOFF_SECONDS = [2, 10, 30]


def os_error_in(exc: BaseException) -> OSError | None:
    """The first OSError among the exception and its causes (a PublishError wraps the real one)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def is_transient(exc: BaseException) -> bool:
    """An OSError of a transient kind, here or anywhere down the exception's causes."""
    found = os_error_in(exc)
    return found is not None and found.errno in TRANSIENT


def retry_transient_io(task, task_run, state) -> bool:
    """Prefect's retry_condition_fn: go on to the retry policy only for transient I/O errors (and never
    for a publish interrupted after its commit: the next run completes that one)."""
    from oneperson.store import PublishInterrupted

    exc = state.result(raise_on_failure=False)
    return isinstance(exc, BaseException) and not isinstance(exc, PublishInterrupted) and is_transient(exc)
