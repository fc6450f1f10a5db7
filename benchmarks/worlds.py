"""Generated worlds for the benchmark scripts: the real `oneperson generate`, in a child process
(so that a script's peak memory is its own work and the generator's is measured on its own)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def generate_world(persons: int, seed: int, out: Path, config: dict | None = None) -> Path:
    """`config`: WorldConfig fields to override (oneperson generate --config)."""
    overrides = Path(out).with_name(Path(out).name + ".config.json")  # kept: how the world was made
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps(config or {}), encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "oneperson.cli",
            "generate",
            "--persons",
            str(persons),
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--config",
            str(overrides),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out
