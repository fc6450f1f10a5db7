"""The full link on DuckDB and on Spark (local[N] here, or a cluster's master), same world, same
model: seconds for the pairwise scoring and for the whole link, and whether the persons agree.

    python benchmarks/spark_linkage.py --world DIR [--master local[2]]

The world is ingested once (no Prefect); each backend then links a copy of that warehouse. The
figures are the per-record costs docs/scale.md sizes a province from.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from matching import linkage, spark
from matching.training import load
from oneperson.ingest import apply_pending
from oneperson.standardise import build_profiles, standardise
from oneperson.warehouse import connect


def timed_link(warehouse: Path) -> dict:
    """link_full on the warehouse: its seconds, those of the pairwise scoring, and its persons."""
    con = connect(warehouse)
    started = time.perf_counter()
    result = linkage.link_full(con, load())
    seconds = time.perf_counter() - started
    persons = set(con.execute("SELECT source, record_key, cluster_id FROM record_clusters").fetchall())
    links = con.execute("SELECT count(*) FROM profile_links").fetchall()[0][0]
    con.close()
    return {
        "seconds": seconds,
        "scoring": result.scoring_seconds,
        "persons": persons,
        "links": links,
        "profiles": result.profiles,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    print("command: python " + shlex.join(sys.argv))
    with tempfile.TemporaryDirectory(prefix="oneperson-spark-bench-") as tmp:
        base = Path(tmp) / "base.duckdb"
        con = connect(base)
        apply_pending(con, args.world / "landing", uuid.uuid4().hex)
        records = standardise(con)
        build_profiles(con)
        con.close()
        results = {}
        for name in ("duckdb", "spark"):
            copy = Path(tmp) / f"{name}.duckdb"
            shutil.copy(base, copy)
            os.environ[spark.BACKEND_ENV] = name
            os.environ[spark.MASTER_ENV] = args.master
            if name == "spark":  # start the session first: its start-up is not linkage work
                t = time.perf_counter()
                spark.session()
                print(f"spark session ({args.master}) started in {time.perf_counter() - t:.1f} s")
            results[name] = timed_link(copy)
    duck, sp = results["duckdb"], results["spark"]
    print(f"records {records:,}; identity profiles {duck['profiles']:,}; links kept {duck['links']:,}")
    print(f"DuckDB full link: {duck['seconds']:.1f} s, of which scoring {duck['scoring']:.1f} s")
    print(
        f"Spark  full link: {sp['seconds']:.1f} s, of which scoring on Spark {sp['scoring']:.1f} s "
        f"({sp['scoring'] / records * 1e6:.1f} s per million records)"
    )
    print(
        f"the same persons on both: {duck['persons'] == sp['persons']}; links kept on Spark {sp['links']:,}"
    )


if __name__ == "__main__":
    main()
