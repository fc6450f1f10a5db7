"""Scale: a full build and a 1% nightly increment, per stage and with peak memory, beside the floor
(a DuckDB exact-ID GROUP BY) and a plain Splink model on the same records, in the same run.

    python benchmarks/scale.py --records 1000000
    python benchmarks/scale.py --records 10000000 --no-plain-splink
    python benchmarks/scale.py --world DIR --records N    # a world generated with INCREMENT below

The world has two batches: 2026-10-01, the full extract, and 2026-10-02, about 1% of the records
(half new, half corrections of earlier rows). The full build is `oneperson run --as-of 2026-10-01`
on an empty store, the increment the next `oneperson run`; each is a child process, timed from
start to exit, its peak RSS from the kernel (wait4). Step seconds come from the store's run log.
As in production (`oneperson serve`), the runs talk to a Prefect server that is already up, here
one the script starts on a free loopback port: its start-up is not a run's work.
Then, on the final records, each linker is a child process of its own that prints its F1 against
the world's truth: oneperson (the increment's published linkage), exact ID, plain Splink.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from linkage_baselines import exact_id, plain_splink
from worlds import generate_world

from matching.evaluation import evaluate
from oneperson import runlog
from oneperson.prefect_env import configure
from oneperson.serving import api_url, free_port, start_server, stop, wait_healthy

ONEPERSON = Path(sys.executable).with_name("oneperson")
RECORDS_PER_PERSON = 5.416  # measured: 1,001,951 records for 185,000 persons (seed 7)
INCREMENT = {"batches": ["20261001", "20261002"], "late_share": 0.005, "stale_share": 0.005}
INCREMENT["redelivered_file"] = False  # the increment is new and changed rows only
FULL_AS_OF = "2026-10-01"


def child(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run a child process: wall seconds, its own peak RSS in GiB, its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        err = process.stderr.read() if process.stderr else ""
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{shlex.join(command)} failed:\n{text[-3000:]}\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 2**20, text


def build(landing: Path, store: Path, *options: str) -> dict:
    run = [str(ONEPERSON), "run", "--landing", str(landing), "--store", str(store), *options]
    seconds, peak, _ = child(run)
    record = runlog.read(store)[-1]
    return {"wall": seconds, "peak_gib": peak, "steps": record["seconds"], "rows_read": record["rows_read"]}


def score(name: str, warehouse: Path, truth: Path) -> None:
    """(In a child.) Link the warehouse's current records one way and print seconds and quality."""
    con = duckdb.connect(str(warehouse), read_only=True)
    started = time.perf_counter()
    if name == "oneperson":  # what the increment published: no linking here
        assignments = con.sql(
            "SELECT source, record_key, cluster_id AS person_id FROM record_clusters"
        ).pl()
    else:
        assignments = {"exact ID": exact_id, "plain Splink": plain_splink}[name](con)
    seconds = time.perf_counter() - started
    r = evaluate(assignments, truth)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "records": assignments.height,
                "precision": r.true_positive_pairs / r.predicted_pairs if r.predicted_pairs else 0.0,
                "recall": r.true_positive_pairs / r.true_pairs if r.true_pairs else 0.0,
                "f1": 2 * r.true_positive_pairs / (r.predicted_pairs + r.true_pairs),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="source records of the world")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--world", type=Path, help="a world generated with INCREMENT (else generated)")
    parser.add_argument("--work", type=Path, help="folder for the world and store (else a temp folder)")
    parser.add_argument("--no-plain-splink", action="store_true", help="skip the plain Splink baseline")
    parser.add_argument("--score", nargs=3, metavar=("LINKER", "WAREHOUSE", "TRUTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.score:
        return score(args.score[0], Path(args.score[1]), Path(args.score[2]))
    command = "python " + shlex.join(sys.argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="oneperson-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    world = args.world
    if world is None:
        world = work / "world"
        persons = round(args.records / RECORDS_PER_PERSON)
        print(f"generating {persons:,} persons ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        generate_world(persons, args.seed, world, INCREMENT)
        print(f"generated in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    store = work / "store"
    configure()
    port = free_port()
    server = start_server(port, work / "prefect-server.log")
    try:
        wait_healthy(api_url(port), process=server)
        os.environ["PREFECT_API_URL"] = api_url(port)
        print("full build ...", file=sys.stderr, flush=True)
        full = build(world / "landing", store, "--as-of", FULL_AS_OF)
        print("increment ...", file=sys.stderr, flush=True)
        increment = build(world / "landing", store)
    finally:
        stop(server)
    warehouse = store / "warehouse" / "oneperson.duckdb"
    linkers = ["oneperson", "exact ID"] + ([] if args.no_plain_splink else ["plain Splink"])
    scored = {}
    for name in linkers:
        print(f"scoring {name} ...", file=sys.stderr, flush=True)
        _, peak, out = child(
            [sys.executable, __file__, "--score", name, str(warehouse), str(world / "truth")]
        )
        scored[name] = {**json.loads(out.strip().splitlines()[-1]), "peak_gib": peak}
    report(command, full, increment, scored)


def report(command: str, full: dict, increment: dict, scored: dict) -> None:
    print(f"command: {command}")
    print(f"machine: {os.cpu_count()} cores; records linked: {scored['oneperson']['records']:,}")
    print()
    print("| step | full build (s) | 1% increment (s) |")
    print("|---|---:|---:|")
    for step in full["steps"]:
        print(f"| {step} | {full['steps'][step]:.1f} | {increment['steps'].get(step, 0):.1f} |")
    print(f"| rows read | {full['rows_read']:,} | {increment['rows_read']:,} |")
    print(f"| **wall, process start to exit** | **{full['wall']:.1f}** | **{increment['wall']:.1f}** |")
    print(f"| peak RSS (GiB) | {full['peak_gib']:.2f} | {increment['peak_gib']:.2f} |")
    print(f"\nincrement / full build: {increment['wall'] / full['wall']:.1%} of the wall time")
    print("\n| linker | linking (s) | precision | recall | F1 | peak RSS (GiB) |")
    print("|---|---:|---:|---:|---:|---:|")
    ours_linking = sum(full["steps"][s] for s in ("standardise", "identity profiles", "link persons"))
    for name, r in scored.items():
        linking = ours_linking if name == "oneperson" else r["seconds"]
        peak = full["peak_gib"] if name == "oneperson" else r["peak_gib"]
        quality = f"{r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f}"
        print(f"| {name} | {linking:.1f} | {quality} | {peak:.2f} |")
    print(
        "\noneperson's linking = standardise + identity profiles + link persons of the full build; "
        "exact ID = one GROUP BY over the ingested records; plain Splink = training + predict + cluster."
    )
    if "plain Splink" in scored:
        ingest = full["steps"]["apply new batches"]
        plain = ingest + scored["plain Splink"]["seconds"]
        print(
            f"end to end: oneperson's whole full build {full['wall']:.1f} s (ingest, link, "
            f"findings, publish) vs plain Splink {plain:.1f} s (the same ingest + its linking): "
            f"{plain / full['wall']:.1f}x; "
            f"linking alone {scored['plain Splink']['seconds'] / ours_linking:.1f}x"
        )


if __name__ == "__main__":
    main()
