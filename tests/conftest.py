"""Test session set-up: Prefect gets a throw-away home and stays quiet and offline."""

import tempfile
from pathlib import Path

from oneperson.prefect_env import configure

configure(home=Path(tempfile.mkdtemp(prefix="prefect-test-home-")))
