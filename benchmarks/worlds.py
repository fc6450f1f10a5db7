"""Generated worlds for the benchmark scripts: the real `oneperson generate`, in a child process
(so that a script's peak memory is its own work and the generator's is measured on its own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def generate_world(persons: int, seed: int, out: Path) -> Path:
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
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out
