"""Ingest + standardise throughput: rows per second per stage and peak memory.

Generates a world of about --rows source rows (or uses --world DIR), then runs the ingest steps
in this process (no Prefect, so the figures are the work's own).
    python benchmarks/ingest_throughput.py --rows 10000000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from pathlib import Path

from worlds import generate_world

from oneperson.ingest import apply_pending
from oneperson.standardise import build_profiles, standardise
from oneperson.warehouse import connect

ROWS_PER_PERSON = 5.41  # measured on generated worlds (benchmarks/generate_throughput.py)


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--world", type=Path, default=None, help="an existing generated world")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oneperson-ingest-") as tmp:
        world = args.world
        if world is None:
            world = Path(tmp) / "world"
            persons = int(args.rows / ROWS_PER_PERSON)
            print(f"generating {persons:,} persons ...", flush=True)
            generate_world(persons, args.seed, world)
        con = connect(Path(tmp) / "warehouse.duckdb")
        timings = []
        started = time.perf_counter()
        run_id = uuid.uuid4().hex
        outcomes = apply_pending(con, world / "landing", run_id)
        timings.append(("read, validate, quarantine, upsert", time.perf_counter() - started))
        rows = sum(o.rows_read for o in outcomes)
        t = time.perf_counter()
        records = standardise(con)
        timings.append(("standardise", time.perf_counter() - t))
        t = time.perf_counter()
        profiles = build_profiles(con)
        timings.append(("identity profiles", time.perf_counter() - t))
        total = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (world / "landing").rglob("*") if p.is_file())
    print(f"landing zone        {size / 2**20:>12,.1f} MiB, {rows:,} rows read, {records:,} current records")
    for name, seconds in timings:
        print(f"{name:<36} {seconds:>8.1f} s  {rows / seconds:>12,.0f} rows/s")
    print(f"{'total':<36} {total:>8.1f} s  {rows / total:>12,.0f} rows/s")
    print(f"identity profiles   {profiles:>12,}")
    print(f"peak memory (RSS)   {peak_gib():>12.2f} GiB")


if __name__ == "__main__":
    main()
