"""Rendering an offline HTML page in headless Chromium, when the machine has it."""

import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def render(page: Path, png: Path, size: str = "1300,1600") -> str:
    """Screenshot `page` into `png` and return the DOM after its scripts ran (charts drawn)."""
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--window-size={size}",
        "--virtual-time-budget=5000",
    ]
    subprocess.run(
        [*common, f"--screenshot={png}", page.as_uri()], check=True, capture_output=True, timeout=90
    )
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], check=True, capture_output=True, timeout=90)
    return dom.stdout.decode("utf-8")
