"""Generator throughput: wall time, records per second and peak memory of `oneperson generate`.

Runs the real command in a child process so that peak RSS is the whole job's.
    python benchmarks/generate_throughput.py --persons 1000000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import polars as pl
from worlds import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the world here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oneperson-gen-") as tmp:
        out = args.out or Path(tmp) / "world"
        started = time.perf_counter()
        generate_world(args.persons, args.seed, out)
        wall = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        records = pl.read_parquet(out / "truth" / "records.parquet").height
        size = sum(p.stat().st_size for p in (out / "landing").rglob("*") if p.is_file())
    print(f"persons            {args.persons:>14,}")
    print(f"source records     {records:>14,}")
    print(f"wall time          {wall:>14.1f} s")
    print(f"persons per second {args.persons / wall:>14,.0f}")
    print(f"records per second {records / wall:>14,.0f}")
    print(f"peak memory (RSS)  {peak_kib / 1024 / 1024:>14.2f} GiB")
    print(f"landing zone size  {size / 1024 / 1024:>14.1f} MiB")


if __name__ == "__main__":
    main()
