"""The `oneperson` command."""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="One person, one file: link department extracts into persons and flag enrollment problems.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(width=None if sys.stdout.isatty() else 150)  # logs and pipes get full tables

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
# Splink warns on every predict that levels a world never showed keep their priors (by design,
# see matching/model.py); operators need errors only.
logging.getLogger("splink").setLevel(logging.ERROR)


@atexit.register  # registered first, so it runs last: after every other exit handler has reported
def _quiet_interpreter_shutdown() -> None:
    """duckdb 2.0's nanobind bindings print dozens of "leaked type ..." lines while the interpreter
    shuts down (benign: see nanobind's refleaks page). The command's own output and any error are
    written by now, so only that shutdown chatter goes to /dev/null."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


@app.callback()
def main(
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show Prefect's full traceback when a run fails.")
    ] = False,
) -> None:
    """One person, one file: link department extracts into persons and flag enrollment problems."""
    global SHOW_TRACEBACKS
    SHOW_TRACEBACKS = traceback


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write landing/ and truth/ into.")],
    persons: Annotated[int, typer.Option(help="Number of true persons.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical output.")] = 1,
    config: Annotated[Path | None, typer.Option(help="JSON file overriding WorldConfig fields.")] = None,
    show_config: Annotated[bool, typer.Option(help="Print the effective configuration and exit.")] = False,
) -> None:
    """Generate a synthetic world: a landing zone of the five extracts, and its truth."""
    from generator.config import WorldConfig
    from generator.world import STEPS
    from generator.world import generate as run

    overrides = json.loads(config.read_text(encoding="utf-8")) if config else {}
    cfg = WorldConfig(**{**overrides, "persons": persons, "seed": seed})
    if show_config:
        console.print_json(cfg.model_dump_json())
        return
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("generating", total=len(STEPS))

        def step(name: str) -> None:
            if progress.tasks[task].description != "generating":
                progress.advance(task)
            progress.update(task, description=name)

        counts = run(cfg, out, step)
        progress.update(task, completed=len(STEPS), description="done")
    table = Table("output", "rows", title=f"world of {persons:,} persons, seed {seed} -> {out}")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"generated in {time.perf_counter() - started:.1f} s")


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


class _WithoutTraceback(logging.Formatter):
    """Formats a log record as its wrapped formatter does, minus the traceback: Prefect logs a
    failed run's traceback at ERROR, above the CLI's own plain line. The Prefect UI keeps it, and
    `oneperson --traceback` shows it."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None  # the record is shared with other handlers
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text = saved


SHOW_TRACEBACKS = False


def _quiet_prefect_tracebacks() -> None:
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not isinstance(
            handler.formatter, _WithoutTraceback
        ):
            handler.setFormatter(_WithoutTraceback(handler.formatter))


def _run_flow(what: str, call: Callable[[], dict], runs: int = 1) -> dict:
    """Run a flow under a progress bar of its steps; a busy store, a full disk or a permission
    problem ends in one plain line."""
    from flows.nightly import STEPS
    from oneperson import progress
    from oneperson.runlock import StoreBusy
    from oneperson.runlog import plain_reason

    if not SHOW_TRACEBACKS:
        _quiet_prefect_tracebacks()
    bar = Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        console=console,
    )
    day = ""

    def show(event: str, name: str) -> None:
        nonlocal day
        if event == "day":
            day = f"{name}: "
        elif event == "started":
            bar.update(task, description=f"{day}{name}")
        else:
            bar.advance(task)

    try:
        with bar, progress.watching(show):
            task = bar.add_task(f"{what}: starting Prefect", total=runs * len(STEPS))
            result = call()
            bar.update(task, description=f"{what}: done")
            return result
    except StoreBusy as exc:
        console.print(f"[yellow]{exc}[/yellow]", highlight=False)
        raise typer.Exit(75) from exc  # EX_TEMPFAIL: try again later
    except Exception as exc:
        console.print(f"[red]{what} failed: {plain_reason(exc)}[/red]", highlight=False)
        console.print("CURRENT and the published snapshots are unchanged; `oneperson status` shows the runs.")
        raise typer.Exit(1) from exc


DATE = {"formats": ["%Y-%m-%d", "%Y%m%d"], "metavar": "YYYY-MM-DD"}


@app.command()
def run(
    landing: Annotated[Path, typer.Option(help="The landing zone.")] = SAMPLE / "landing",
    store: Annotated[Path, typer.Option(help="The store: snapshots/, CURRENT, and the warehouse.")] = Path(
        "store"
    ),
    retention: Annotated[int, typer.Option(help="Snapshots to keep.")] = 7,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="Apply only batches extracted by this date.", **DATE)
    ] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait if another run holds the store.")] = 0.0,
) -> None:
    """The nightly job: ingest -> standardise -> link -> findings -> publish a snapshot (one Prefect flow)."""
    from flows.nightly import nightly

    started = time.perf_counter()
    result = _run_flow(
        "the nightly run",
        lambda: nightly(
            landing=landing, store=store, retention=retention, as_of=_as_date(as_of), wait_seconds=wait
        ),
    )
    table = Table(
        "finding type",
        "findings",
        "new",
        "resolved",
        title=f"snapshot {result['snapshot_id']} -> {result['snapshot']}",
    )
    for row in result["findings_by_type"]:
        table.add_row(row["finding_type"], *(f"{row[k]:,}" for k in ("findings", "new", "resolved")))
    console.print(table)
    steps = Table("step", "seconds", title="steps")
    for name, seconds in result["seconds"].items():
        steps.add_row(name, f"{seconds:.1f}")
    console.print(steps)
    p = result["persons"]
    read = sum(r["rows_read"] for r in result["sources"])
    quarantined = sum(r["rows_quarantined"] for r in result["sources"])
    console.print(
        f"{read:,} rows read, {quarantined:,} quarantined; {p['persons']:,} persons ({p['mode']} link, "
        f"{p['ids_new']:,} new ids, {p['merges']:,} merges); CURRENT = {result['snapshot_id']}; "
        f"{time.perf_counter() - started:.1f} s"
    )
    _not_applied(result["batches"])
    console.print(f"run report: {result['report']} (open it in a browser; works offline)")


def _not_applied(batches: list[dict]) -> None:
    """Batches this run read but did not apply, and why: the next run tries them again."""
    for b in batches:
        if b["status"] != "applied":
            said = f"{b['source']}/{b['batch']} {b['status'].replace('_', ' ')}: {b['message']}"
            console.print(f"[yellow]{said}[/yellow]", highlight=False)


@app.command()
def backfill(
    start: Annotated[datetime, typer.Option("--from", help="First day to rebuild.", **DATE)],
    end: Annotated[datetime, typer.Option("--to", help="Last day to rebuild.", **DATE)],
    landing: Annotated[Path, typer.Option(help="The landing zone.")] = SAMPLE / "landing",
    store: Annotated[Path, typer.Option(help="The store the backfill belongs to.")] = Path("store"),
    make_current: Annotated[
        bool,
        typer.Option(
            "--make-current",
            help="Then make the rebuilt state the store's: its warehouse replaces the store's (kept "
            "aside), and a nightly run publishes from it as the store's next snapshot.",
        ),
    ] = False,
) -> None:
    """Rebuild the snapshot of each day from the batches extracted by it, in order, in
    <store>/backfills/<from>-<to>/; the store's own CURRENT is left alone unless --make-current."""
    from flows.backfill import backfill as backfill_flow

    started = time.perf_counter()
    result = _run_flow(
        f"the backfill {start:%Y-%m-%d} to {end:%Y-%m-%d}",
        lambda: backfill_flow(
            landing=landing, store=store, start=start.date(), end=end.date(), make_current=make_current
        ),
        runs=(end - start).days + 1 + make_current,
    )
    table = Table("as of", "snapshot", "findings", title=f"backfill -> {result['workspace']}")
    for row in result["snapshots"]:
        table.add_row(str(row["as_of"]), row["snapshot_id"], f"{row['findings']:,}")
    console.print(table)
    console.print(
        f"{len(result['snapshots'])} snapshots in {time.perf_counter() - started:.1f} s; query them with "
        f"`oneperson sql --store {result['workspace']}`"
    )
    if make_current:
        kept = result["replaced_warehouse_kept_in"]
        console.print(
            f"the rebuilt state is now the store's: CURRENT = {result['current']}"
            + (f"; the replaced warehouse is kept in {kept} (delete it when satisfied)" if kept else "")
        )


@app.command()
def serve(
    landing: Annotated[Path, typer.Option(help="The landing zone the deployments read.")] = SAMPLE
    / "landing",
    store: Annotated[Path, typer.Option(help="The store the deployments publish to.")] = Path("store"),
    port: Annotated[int, typer.Option(help="Port of the local Prefect server (127.0.0.1 only).")] = 4200,
    retention: Annotated[int, typer.Option(help="Snapshots to keep.")] = 7,
    server: Annotated[
        bool, typer.Option(help="Start a Prefect server; --no-server uses $PREFECT_API_URL's.")
    ] = True,
) -> None:
    """A local Prefect server and the deployments nightly/nightly (02:00 Asia/Shanghai) and
    backfill/backfill, served until Ctrl-C; the UI is at http://127.0.0.1:PORT."""
    import os
    import signal
    import warnings

    from oneperson.prefect_env import configure
    from oneperson.serving import (
        NIGHTLY_CRON,
        TIMEZONE,
        api_url,
        serve_deployments,
        start_server,
        stop,
        wait_healthy,
    )

    configure()
    process = None
    if server:
        log = Path(os.environ["PREFECT_HOME"]) / f"server-{port}.log"
        process = start_server(port, log)
        os.environ["PREFECT_API_URL"] = api_url(port)
        with console.status(f"starting the Prefect server on 127.0.0.1:{port} (log: {log})"):
            try:
                wait_healthy(api_url(port), process=process)
            except (RuntimeError, TimeoutError) as exc:
                stop(process)
                console.print(f"[red]{exc}; see {log}[/red]", highlight=False)
                raise typer.Exit(1) from exc
        console.print(f"Prefect UI: http://127.0.0.1:{port}")
    elif not os.environ.get("PREFECT_API_URL"):
        console.print("[red]--no-server needs PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)[/red]")
        raise typer.Exit(2)
    console.print(
        f"serving nightly/nightly (cron {NIGHTLY_CRON}, {TIMEZONE}) and backfill/backfill for store {store}; "
        "trigger one with: prefect deployment run 'nightly/nightly' --param as_of=YYYY-MM-DD; Ctrl-C stops"
    )

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Stop on SIGTERM (a service manager) and on SIGINT even where the shell started us with SIGINT
    # ignored (background jobs of a script): Python installs no Ctrl-C handler then.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Prefect's runner schedules its own stop on interrupt and then exits without awaiting it.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    try:
        serve_deployments(landing, store, retention)
    except KeyboardInterrupt:
        pass
    finally:
        if process is not None:
            stop(process)


@app.command()
def status(
    store: Annotated[Path, typer.Option(help="The store to report on.")] = Path("store"),
    landing: Annotated[
        Path | None, typer.Option(help="The landing zone, to list batches no run has seen yet.")
    ] = None,
    last: Annotated[int, typer.Option(help="How many of the latest runs to show.")] = 10,
) -> None:
    """The last runs, batches not applied (new, held back, failed, waiting) and quarantine counts."""
    from oneperson.status import store_status

    st = store_status(store, landing, last)
    console.print(f"store {store}: CURRENT = {st.current or '(nothing published)'}")
    if st.running is not None:
        console.print(
            f"[yellow]running now: run {st.running.get('run_id', '?')} (pid "
            f"{st.running.get('pid', '?')}, started {st.running.get('started_at', '?')})[/yellow]"
        )
    runs = Table(
        "finished",
        "run",
        "as of",
        "status",
        "snapshot",
        "rows read",
        "quarantined",
        "seconds / reason",
        title="last runs",
    )
    for r in st.runs:
        detail = r.get("reason") or f"{sum(r.get('seconds', {}).values()):.1f}"
        runs.add_row(
            r.get("logged_at", "")[:19],
            r.get("run_id", "")[:12],
            str(r.get("as_of") or ""),
            r.get("status", ""),
            r.get("snapshot_id", ""),
            f"{r.get('rows_read', '')}",
            f"{r.get('rows_quarantined', '')}",
            detail,
        )
    console.print(runs)
    if st.warehouse_note:
        console.print(st.warehouse_note)
        return
    batches = Table("source", "batch", "status", "why", title="batches not applied")
    for b in st.batches:
        batches.add_row(b["source"], b["batch"], b["status"], b["message"])
    console.print(batches if st.batches else "every batch is applied")
    quarantine = Table(
        "source", "batch", "rows", title="quarantined rows (oneperson sql --restricted for them)"
    )
    for q in st.quarantine:
        quarantine.add_row(q["source"], q["batch"], f"{q['rows']:,}")
    console.print(quarantine if st.quarantine else "no quarantined rows")


@app.command()
def sql(
    query: Annotated[
        str | None, typer.Argument(help="A SQL query; without one, an interactive prompt.")
    ] = None,
    store: Annotated[Path, typer.Option(help="The store whose CURRENT snapshot to query.")] = Path("store"),
    restricted: Annotated[
        bool, typer.Option(help="Also open identities and quarantine (authorised staff).")
    ] = False,
) -> None:
    """Query the current snapshot with DuckDB: a view per analytics table (persons, findings ...)."""
    import duckdb

    from oneperson.analytics import NoSnapshot, open_current

    try:
        con = open_current(store, restricted=restricted)
    except NoSnapshot as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if query:
        try:
            con.sql(query).show(max_rows=100, max_width=200)
        except duckdb.Error as exc:
            console.print(f"[red]{exc}[/red]", highlight=False)
            raise typer.Exit(1) from exc
        return
    console.print("views: " + ", ".join(r[0] for r in con.execute("SHOW TABLES").fetchall()) + "; end with ;")
    buffer = ""
    while True:
        try:
            line = input("oneperson> " if not buffer else "       ...> ")
        except EOFError:
            break
        buffer += line + "\n"
        if buffer.strip().endswith(";"):
            try:
                con.sql(buffer).show(max_rows=100, max_width=200)
            except duckdb.Error as exc:
                console.print(f"[red]{exc}[/red]")
            buffer = ""


@app.command()
def ingest(
    landing: Annotated[
        Path, typer.Option(help="The landing zone: <landing>/<source>/<batch>/<file>.")
    ] = SAMPLE / "landing",
    warehouse: Annotated[Path, typer.Option(help="The warehouse DuckDB file (created if missing).")] = Path(
        "warehouse", "oneperson.duckdb"
    ),
) -> None:
    """Apply new landing batches, standardise them and rebuild identity profiles (a Prefect flow)."""
    from flows.ingest import ingest as ingest_flow

    started = time.perf_counter()
    with console.status("ingesting (starting Prefect on first use takes a few seconds)"):
        result = ingest_flow(landing=landing, warehouse=warehouse)
    table = Table(
        "source",
        "applied",
        "held back",
        "failed",
        "waiting",
        "dup files",
        "rows read",
        "applied rows",
        "quarantined",
        "current",
        title=f"ingest {landing} -> {warehouse}",
    )
    for r in result["sources"]:
        table.add_row(
            r["source"],
            str(r["batches_applied"]),
            str(r["batches_held_back"]),
            str(r["batches_failed"]),
            str(r["batches_waiting"]),
            str(r["files_skipped_as_duplicate"]),
            f"{r['rows_read']:,}",
            f"{r['rows_applied']:,}",
            f"{r['rows_quarantined']:,}",
            f"{r['current_records']:,}",
        )
    console.print(table)
    for r in result["sources"]:
        if r["problems"]:
            console.print(f"[yellow]{r['source']}[/yellow]: {r['problems']}")
    console.print(
        f"{result['standardised']:,} records standardised, {result['profiles']:,} identity profiles; "
        f"{time.perf_counter() - started:.1f} s"
    )


WAREHOUSE = Path("warehouse") / "oneperson.duckdb"


@app.command()
def train(
    warehouse: Annotated[
        Path, typer.Option(help="An ingested warehouse whose profiles to train on.")
    ] = WAREHOUSE,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the model JSON (default: the repo's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of u's random sampling.")] = 1,
) -> None:
    """Retrain the linkage model on a warehouse's identity profiles (not part of the nightly run)."""
    import duckdb

    from matching.training import DEFAULT_MODEL, save
    from matching.training import train as train_model

    con = duckdb.connect(str(warehouse))
    with console.status("training (u by random sampling, m by EM)"):
        path = save(train_model(con, seed=seed), out or DEFAULT_MODEL)
    console.print(f"model written to {path}")


@app.command()
def link(
    warehouse: Annotated[Path, typer.Option(help="An ingested warehouse.")] = WAREHOUSE,
    model: Annotated[Path | None, typer.Option(help="Model JSON (default: the repo's).")] = None,
    full: Annotated[bool, typer.Option(help="Re-score every profile pair, not only new profiles.")] = False,
    decisions: Annotated[Path | None, typer.Option(help="Reviewers' decisions CSV to apply first.")] = None,
) -> None:
    """Link profiles into persons: only new profiles are scored unless --full; person ids carry over."""
    import uuid

    import duckdb

    from matching.linkage import link_full, link_incremental, load_decisions
    from matching.person_ids import assign_person_ids
    from matching.training import DEFAULT_MODEL, load
    from oneperson.warehouse import transaction

    run_id = uuid.uuid4().hex
    con = duckdb.connect(str(warehouse))
    if decisions:
        console.print(f"{load_decisions(con, decisions, run_id):,} new decisions from {decisions}")
    with console.status("linking"), transaction(con):  # links, clusters and ids together or not at all
        result = (link_full if full else link_incremental)(con, load(model or DEFAULT_MODEL))
        ids = assign_person_ids(con, run_id)
    queued = con.execute("SELECT count(*) FROM review_queue").fetchall()[0][0]
    console.print(
        f"{result.mode} link: {result.profiles:,} profiles ({result.profiles_scored:,} scored), "
        f"{result.links_kept:,} links kept, {result.links_used:,} at or above the clustering threshold, "
        f"{ids.persons:,} persons; {queued:,} pairs to review"
    )
    console.print(
        f"person ids: {ids.kept:,} kept, {ids.new:,} new, {ids.merges:,} merges, {ids.splits:,} splits"
    )


@app.command()
def explain(
    person_id: Annotated[str, typer.Argument(help="A person id (P...) from the store or `record_persons`.")],
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: explain-<id>.html).")] = None,
    warehouse: Annotated[Path, typer.Option(help="A linked warehouse.")] = WAREHOUSE,
    model: Annotated[Path | None, typer.Option(help="Model JSON (default: the repo's).")] = None,
) -> None:
    """Write an offline HTML page of why a person's records are one person (Splink waterfall charts)."""
    import duckdb

    from matching.explain import explain_person
    from matching.training import DEFAULT_MODEL, load

    con = duckdb.connect(str(warehouse))
    found = con.execute(
        """SELECT DISTINCT c.cluster_id FROM person_registry AS r
           JOIN profile_clusters AS c USING (profile_id) WHERE r.person_id = ?""",
        [person_id],
    ).fetchall()
    if not found:
        console.print(f"[red]no person {person_id} in {warehouse}[/red]")
        raise typer.Exit(1)
    path = explain_person(
        con,
        found[0][0],
        load(model or DEFAULT_MODEL),
        out or Path(f"explain-{person_id}.html"),
        title=person_id,
    )
    console.print(f"written {path}: open it in a browser (works offline)")


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option(help="The world's truth folder.")] = SAMPLE / "truth",
    store: Annotated[
        Path | None, typer.Option(help="A store: score its CURRENT snapshot's persons and findings.")
    ] = None,
    warehouse: Annotated[
        Path | None, typer.Option(help="Or a linked warehouse: score its persons only.")
    ] = None,
) -> None:
    """Score persons (pairwise P/R/F1, twins, error kinds) and findings (P/R per type) against a truth."""
    import duckdb

    from matching.evaluation import evaluate as score_persons
    from oneperson.analytics import NoSnapshot, open_current
    from oneperson.finding_evaluation import score_findings

    if (store is None) == (warehouse is None):
        console.print("[red]give exactly one of --store or --warehouse[/red]")
        raise typer.Exit(2)
    if warehouse is not None:
        con = duckdb.connect(str(warehouse), read_only=True)
        console.print(str(score_persons(con.sql("SELECT * FROM record_persons").pl(), truth)))
        return
    try:
        con = open_current(store)
    except NoSnapshot as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(str(score_persons(con.sql("SELECT * FROM person_records").pl(), truth)))
    rows = score_findings(con.sql("SELECT * FROM findings").pl(), truth).as_rows()
    table = Table(*rows[0], title=f"findings of {store} against {truth}")
    for row in rows:
        table.add_row(*row.values())
    console.print(table)


@app.command()
def review(
    out: Annotated[Path, typer.Option(help="CSV to write the review queue to (fill in decision, reviewer).")],
    warehouse: Annotated[Path, typer.Option(help="A linked warehouse.")] = WAREHOUSE,
) -> None:
    """Export the review queue: uncertain links between two persons, as a decisions file to fill in."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    queue = con.sql("""SELECT source_l, record_key_l, source_r, record_key_r, round(match_probability, 4) AS
        match_probability, NULL AS decision, NULL AS reviewer, NULL AS decided_at FROM review_queue""").pl()
    queue.write_csv(out)
    console.print(
        f"{queue.height:,} pairs to review written to {out}; put match or non_match in `decision`, "
        f"then run `oneperson link --decisions {out}`"
    )


@app.command("check-world")
def check_world(
    world: Annotated[Path, typer.Argument(help="A folder written by `oneperson generate`.")] = SAMPLE,
) -> None:
    """Validate a generated world against schemas/: every row readable except the recorded malformed ones."""
    from generator.check import check_world as run

    report = run(world)
    table = Table("source", "files", "rows", "valid", "malformed (found/expected)", title=f"check of {world}")
    for row in report.sources:
        table.add_row(
            row.source,
            str(row.files),
            f"{row.rows:,}",
            f"{row.valid:,}",
            f"{row.malformed_found}/{row.malformed_expected}",
        )
    console.print(table)
    for problem in report.problems:
        console.print(f"[red]problem:[/red] {problem}")
    if report.problems:
        raise typer.Exit(1)
    console.print(
        f"[green]ok[/green]: {sum(r.rows for r in report.sources):,} rows, truth tables conform, "
        f"{report.finding_types} finding types present"
    )


if __name__ == "__main__":
    app()
