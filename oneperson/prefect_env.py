"""Prefect settings that keep runs local, quiet and offline; must run before `import prefect`.

See shared/notes/prefect3.md: without these Prefect tries a telemetry host at every start and the
temporary server's default start-up timeout is too short for a cold 2-core machine.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def configure(home: Path | None = None) -> None:
    """Set Prefect's environment unless the user already did (their settings win)."""
    os.environ.setdefault("PREFECT_HOME", str(home or Path.home() / ".oneperson" / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)  # Prefect does not create parents
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
