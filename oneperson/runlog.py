"""The store's run log: one JSON line per finished run, succeeded or failed, so that a data engineer
sees what happened on a night without the Prefect server (`oneperson status` reads it).

A line is appended with one `write` of an O_APPEND file and fsynced: a crash leaves either the whole
line or none. A run killed outright (SIGKILL, power loss) writes nothing; its absence, next to the
Prefect run's state, is the record.
"""

from __future__ import annotations

import errno as codes
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from oneperson.retrying import os_error_in

RUN_LOG = "run_log.jsonl"


def append(store: Path, record: dict) -> None:
    """Append one run's record (no personal data: ids, counts, paths and messages only)."""
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"logged_at": datetime.now(UTC).isoformat(), **record}, default=str) + "\n"
    fd = os.open(store / RUN_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read(store: Path, last: int | None = None) -> list[dict]:
    """The run records, oldest first (a torn last line, if any, is skipped)."""
    path = Path(store) / RUN_LOG
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records[-last:] if last else records


def plain_reason(exc: BaseException) -> str:
    """An error as an operator reads it: disk full and permission problems said in words."""
    found = os_error_in(exc)
    errno = found.errno if found is not None else None
    text = str(exc)  # DuckDB's own I/O errors carry no errno, only the system's words
    if errno == codes.ENOSPC or "No space left" in text:
        return f"disk full: {exc} (free space where the store and warehouse live, then run again)"
    if errno in (codes.EACCES, codes.EPERM, codes.EROFS) or any(
        words in text for words in ("Permission denied", "Read-only file system")
    ):
        return f"permission denied: {exc} (the store must be writable by the user running oneperson)"
    return f"{type(exc).__name__}: {exc}"
