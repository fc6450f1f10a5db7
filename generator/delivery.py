"""Write a generated world's records as a landing zone (CONTRACT §1): messy, but contract-valid.

Input: one *typed frame* per source, one row per record in its FINAL state. Every field of the
source's model is a ``pl.String`` exactly as a clerk typed it (null = empty), plus ``record_key``,
``person_key`` and ``batch_index`` (Int32, index into ``config.batches`` of the batch that first
delivers the record).

Output tree::

    <out>/landing/<source>/<batch>/<file>          enrollment_<province>.<ext> (one per province and batch)
                                                   <source>_<batch>.<ext>      (other sources)
    <out>/landing/<source>/<batch>/manifest.json   when the source's Delivery has manifest=True
    <out>/truth/deliveries.parquet                 one row per written data file (schemas.truth.TruthDelivery)

What makes it messy (all deterministic in ``seed``; the same seed gives a byte-identical tree):

* Formats per ``Delivery``: csv / csv.gz (gzip with mtime 0 and no file name) / parquet; CSV in
  utf-8, utf-8 with BOM or gb18030, LF or CRLF, RFC 4180 quoting; English or Chinese headers.
  Some files carry an unknown extra column (``remark`` / ``备注``) and some have their columns in
  a shuffled order. Data rows are shuffled inside each file. Parquet columns are strings, except
  YEAR columns (int32) and AMOUNT columns (decimal(14,2)) of a file in which every value parses.
* Stale rows: ``config.stale_share`` of the records first delivered before the last batch are
  delivered first with a stale value (another canonical status code; for tax, another amount)
  and their final version in a random later batch. Key fields are never changed.
* Malformed rows: ``config.malformed_rows`` damaged copies of real records, spread over sources
  and over every batch but the last. The damaged copy replaces the record's first delivery and
  its clean version moves to a random later batch, so the final state is unaffected. Kinds:
  ``wrong_field_count`` (CSV only: one field more or one fewer), ``missing_required``,
  ``bad_date``, ``bad_code``, ``bad_year``. Each is unreadable by the contract.
* Re-delivery: with ``config.redelivered_file``, one file from a batch before the last (tax when
  it has one) is delivered again, byte-identical, in a new batch ``<last batch>-2``. That file is
  chosen first and kept free of stale and malformed rows, so applying it again or skipping it
  leaves the final state unchanged.

Line numbers of malformed rows (``TruthMalformed.line``): the 1-based physical line in the file
with the header on line 1, so the first data row is line 2 (no value contains a line break, so a
row is one line). For Parquet files the same numbering is used: line = 0-based row index + 2.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import shutil
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from generator.config import Delivery, WorldConfig
from schemas.codes import spellings
from schemas.derive import Column, columns, polars_schema
from schemas.fields import Kind
from schemas.sources import SOURCES
from schemas.truth import TruthDelivery, TruthMalformed

MALFORMED_KINDS = ("wrong_field_count", "missing_required", "bad_date", "bad_code", "bad_year")
EXTRA_COLUMN = {"en": "remark", "zh": "备注"}  # an unknown column the contract says to tolerate
EXTRA_VALUES = ("已核对", "补录", "待核实,暂缓", '系统迁移"批量"', "窗口办理", "tel 转 2")
BAD_DATES = ("2025-13-45", "unknown", "2025-02-30", "20251345", "00/00/0000", "未知")
BAD_CODES = ("unknown", "待定", "N/A", "其他", "??")
EXTRA_COLUMN_SHARE = 0.3  # of files: carry the extra column (at least one file in a world does)
SHUFFLED_COLUMNS_SHARE = 0.3  # of files: columns in a shuffled order (idem)
GZIP_LEVEL = 6

DELIVERIES_FILE = TruthDelivery.file

_EXT = {"csv": "csv", "csv.gz": "csv.gz", "parquet": "parquet"}
_CSV_FORMATS = ("csv", "csv.gz")
_YEAR_RE = r"^\d{4}$"
_AMOUNT_RE = r"^\d{1,12}(\.\d{1,2})?$"


# --------------------------------------------------------------------------------------------- helpers


def _rng(seed: int, *keys: object) -> np.random.Generator:
    """An independent random stream per purpose, so that one choice never shifts another."""
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF] + [zlib.crc32(str(k).encode()) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(words))


def _delivery_for(config: WorldConfig, source: str, file_key: str) -> Delivery:
    default = config.delivery.get(source, Delivery())
    if source != "enrollment":
        return default
    provinces = list(config.provinces)
    if file_key in provinces:
        return config.enrollment_delivery_by_province.get(provinces.index(file_key), default)
    return default


def _file_name(source: str, batch: str, file_key: str, delivery: Delivery) -> str:
    ext = _EXT[delivery.fmt]
    if source == "enrollment":
        return f"enrollment_{file_key}.{ext}"
    if file_key:
        return f"{source}_{batch}_{file_key}.{ext}"
    return f"{source}_{batch}.{ext}"


def _redelivery_batch(batches: list[str]) -> str:
    n = 2
    while f"{batches[-1]}-{n}" in batches:
        n += 1
    return f"{batches[-1]}-{n}"


@dataclass
class _Source:
    name: str
    model: type[BaseModel]
    cols: tuple[Column, ...]
    frame: pl.DataFrame  # fields (String) + _bi (Int32) + _file (String)
    final_batch: np.ndarray  # batch index of each record's final version
    stale: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # row indices
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (row index, kind)

    @property
    def fields(self) -> list[str]:
        return [c.name for c in self.cols]


@dataclass
class _FileSpec:
    source: str
    batch_index: int
    file_key: str
    delivery: Delivery
    name: str
    extra_column: bool = False
    shuffled: bool = False


# ----------------------------------------------------------------------------------------- planning


def _prepare(source: str, frame: pl.DataFrame, config: WorldConfig, seed: int) -> _Source:
    model = SOURCES[source]
    cols = columns(model)
    names = [c.name for c in cols]
    missing = [n for n in [*names, "record_key", "batch_index"] if n not in frame.columns]
    if missing:
        raise ValueError(f"{source}: typed frame lacks columns {missing}")
    bi = frame["batch_index"].cast(pl.Int32)
    if len(bi) and (bi.null_count() or bi.min() < 0 or bi.max() >= len(config.batches)):  # type: ignore[operator]
        raise ValueError(f"{source}: batch_index outside 0..{len(config.batches) - 1}")
    if source == "enrollment":
        file_key = pl.col("insured_region_code").str.strip_chars().str.slice(0, 2).fill_null("00")
    else:
        parts = config.delivery.get(source, Delivery()).files_per_batch
        if parts > 1:
            draw = _rng(seed, "part", source).integers(0, parts, frame.height)
            file_key = pl.Series(draw + 1).cast(pl.String)
        else:
            file_key = pl.lit("")
    prepared = frame.select(
        *[pl.col(n).cast(pl.String) for n in names],
        pl.col("record_key").cast(pl.String),
        bi.alias("_bi"),
        file_key.alias("_file"),
    )
    return _Source(source, model, cols, prepared, prepared["_bi"].to_numpy().astype(np.int64))


def _pick_redelivery(srcs: dict[str, _Source], last: int, seed: int) -> tuple[str, int, str] | None:
    """(source, batch index, file key) of the file delivered twice; tax preferred."""
    order = sorted(srcs, key=lambda s: (s != "tax", list(SOURCES).index(s)))
    for name in order:
        groups = (
            srcs[name].frame.filter(pl.col("_bi") < last).select("_bi", "_file").unique().sort("_bi", "_file")
        )
        if groups.height:
            i = int(_rng(seed, "redelivery", name).integers(groups.height))
            return name, int(groups["_bi"][i]), str(groups["_file"][i])
    return None


def _in_file(src: _Source, target: tuple[str, int, str] | None) -> np.ndarray:
    if target is None or target[0] != src.name:
        return np.zeros(src.frame.height, bool)
    return ((src.frame["_bi"] == target[1]) & (src.frame["_file"] == target[2])).to_numpy()


def _plan_stale(src: _Source, config: WorldConfig, last: int, seed: int, blocked: np.ndarray) -> None:
    eligible = np.flatnonzero((src.final_batch < last) & ~blocked)
    n = round(config.stale_share * len(eligible))
    if n == 0:
        return
    rng = _rng(seed, "stale", src.name)
    chosen = np.sort(rng.choice(eligible, n, replace=False))
    src.stale = chosen
    src.final_batch[chosen] = rng.integers(src.final_batch[chosen] + 1, last + 1)


def _kinds_for(src: _Source, delivery: Delivery) -> list[str]:
    required = [c for c in src.cols if c.required]
    usable = {
        "wrong_field_count": delivery.fmt in _CSV_FORMATS,
        "missing_required": bool(required),
        "bad_date": any(c.kind is Kind.DATE for c in required),
        "bad_code": any(c.enum is not None for c in required),
        "bad_year": any(c.kind is Kind.YEAR for c in required),
    }
    return [k for k in MALFORMED_KINDS if usable[k]]


def _plan_malformed(
    srcs: dict[str, _Source], config: WorldConfig, last: int, seed: int, blocked: dict[str, np.ndarray]
) -> None:
    """Spread config.malformed_rows evenly over (source, batch before the last)."""
    rng = _rng(seed, "malformed")
    pools: list[tuple[str, int, np.ndarray]] = []
    for name, src in srcs.items():
        taken = blocked[name].copy()
        taken[src.stale] = True
        for b in range(last):
            rows = np.flatnonzero((src.final_batch == b) & ~taken)
            if len(rows):
                pools.append((name, b, rng.permutation(rows)))
    if not pools:
        return
    order = rng.permutation(len(pools))
    used = [0] * len(pools)
    picks: dict[str, list[int]] = {name: [] for name in srcs}
    for _ in range(config.malformed_rows):
        open_pools = [i for i in order if used[i] < len(pools[i][2])]
        if not open_pools:
            break
        i = min(open_pools, key=lambda j: used[j])  # fewest so far; ties in the shuffled order
        picks[pools[i][0]].append(int(pools[i][2][used[i]]))
        used[i] += 1
    for name, rows in picks.items():
        src = srcs[name]
        cycle = [str(k) for k in _rng(seed, "kinds", name).permutation(MALFORMED_KINDS)]
        file_keys = src.frame["_file"]
        for n, row in enumerate(sorted(rows)):
            delivery = _delivery_for(config, name, str(file_keys[row]))
            usable = _kinds_for(src, delivery)
            kind = next(k for k in cycle[n % len(cycle) :] + cycle if k in usable)
            src.malformed.append((row, kind))
            src.final_batch[row] = rng.integers(src.final_batch[row] + 1, last + 1)


# ------------------------------------------------------------------------------------- row building


def _stale_rows(src: _Source, seed: int) -> pl.DataFrame:
    rows = src.frame[src.stale]
    rng = _rng(seed, "stale-values", src.name)
    status = next((c for c in src.cols if c.name == "status" and c.enum is not None), None)
    if status is not None:
        members = [m.value for m in status.enum]  # type: ignore[union-attr]
        index = {spelling: members.index(m.value) for spelling, m in spellings(status.enum).items() if m}  # type: ignore[arg-type]
        current = (
            rows["status"]
            .str.strip_chars()
            .str.to_lowercase()
            .replace_strict(index, default=-1, return_dtype=pl.Int64)
        ).to_numpy()
        k = len(members)
        new = np.where(current >= 0, current, 0) + rng.integers(1, k, len(rows))
        return rows.with_columns(status=pl.Series(members).gather(new % k))
    if "amount" in rows.columns:  # tax: the payment was corrected
        cents = (rows["amount"].str.strip_chars().cast(pl.Float64, strict=False).fill_null(0) * 100).round()
        new = cents.cast(pl.Int64) + pl.Series(rng.integers(1, 20, len(rows)) * 1000)
        return rows.with_columns(
            amount=(new // 100).cast(pl.String) + "." + (new % 100).cast(pl.String).str.zfill(2)
        )
    # No status and no amount: change an optional text field that is not part of the key.
    key_fields = {f for f, _ in getattr(src.model, "KEY_PARTS", ())}
    text = [c.name for c in src.cols if not c.required and c.kind is Kind.TEXT and c.name not in key_fields]
    if not text:
        raise ValueError(f"{src.name}: no field to make stale")
    return rows.with_columns(pl.concat_str(pl.col(text[0]).fill_null(""), pl.lit("(旧)")).alias(text[0]))


def _damage(src: _Source, row: dict[str, str | None], kind: str, rng: np.random.Generator) -> int:
    """Damage one row in place; returns +1/-1 (an extra/missing CSV field) or 0."""
    required = [c for c in src.cols if c.required]
    if kind == "wrong_field_count":
        return int(rng.choice([1, -1]))
    if kind == "missing_required":
        target = required[rng.integers(len(required))]
        row[target.name] = None
    elif kind == "bad_date":
        dates = [c for c in required if c.kind is Kind.DATE]
        row[dates[rng.integers(len(dates))].name] = str(rng.choice(BAD_DATES))
    elif kind == "bad_code":
        codes = [c for c in required if c.enum is not None]
        row[codes[rng.integers(len(codes))].name] = str(rng.choice(BAD_CODES))
    elif kind == "bad_year":
        years = [c for c in required if c.kind is Kind.YEAR]
        target = years[rng.integers(len(years))].name
        text = (row[target] or "").strip()
        row[target] = text[:2] + "x" + text[3:] if len(text) == 4 else "20x5"
    return 0


def _malformed_rows(src: _Source, seed: int) -> pl.DataFrame:
    rng = _rng(seed, "damage", src.name)
    schema = {**{n: pl.String for n in src.fields}, "_bi": pl.Int32, "_file": pl.String}
    out = []
    for row_index, kind in src.malformed:
        row = src.frame.row(row_index, named=True)
        row = {k: row[k] for k in schema}
        wfc = _damage(src, row, kind, rng)
        out.append({**row, "_kind": kind, "_wfc": wfc})
    return pl.DataFrame(out, schema={**schema, "_kind": pl.String, "_wfc": pl.Int8}, orient="row")


def _all_rows(src: _Source, seed: int) -> pl.DataFrame:
    """Every row to deliver: final versions, stale versions, damaged copies; _batch says where."""
    base = src.frame.drop("record_key")
    final = base.with_columns(
        _batch=pl.Series(src.final_batch, dtype=pl.Int32),
        _kind=pl.lit(None, pl.String),
        _wfc=pl.lit(0, pl.Int8),
    )
    parts = [final]
    if len(src.stale):
        stale = _stale_rows(src, seed).drop("record_key")
        parts.append(
            stale.with_columns(_batch=pl.col("_bi"), _kind=pl.lit(None, pl.String), _wfc=pl.lit(0, pl.Int8))
        )
    if src.malformed:
        parts.append(_malformed_rows(src, seed).with_columns(_batch=pl.col("_bi")))
    return pl.concat([p.select(final.columns) for p in parts])


# ------------------------------------------------------------------------------------------ writing


def _file_frame(src: _Source, part: pl.DataFrame, spec: _FileSpec, rng: np.random.Generator) -> pl.DataFrame:
    """The file's rows in delivery order, with the file's columns (+ _kind/_wfc markers)."""
    part = part[rng.permutation(part.height)]
    names = list(src.fields)
    if spec.extra_column:
        pick = rng.integers(0, len(EXTRA_VALUES), part.height)
        keep = pl.Series(rng.random(part.height) < 0.08)
        values = pl.Series(EXTRA_VALUES, dtype=pl.String).gather(pick)
        part = part.with_columns(pl.when(keep).then(values).otherwise(None).alias("_extra"))
        names.append("_extra")
    if spec.shuffled:
        names = [names[i] for i in rng.permutation(len(names))]
    zh = {c.name: c.zh or c.name for c in src.cols}
    header = EXTRA_COLUMN[spec.delivery.headers if spec.delivery.headers in EXTRA_COLUMN else "en"]
    rename = {n: (header if n == "_extra" else zh[n] if spec.delivery.headers == "zh" else n) for n in names}
    return part.select([pl.col(n).alias(rename[n]) for n in names] + [pl.col("_kind"), pl.col("_wfc")])


def _csv_bytes(frame: pl.DataFrame, delivery: Delivery, rng: np.random.Generator) -> bytes:
    eol = "\r\n" if delivery.crlf else "\n"
    data_cols = frame.drop("_kind", "_wfc")
    buf = io.BytesIO()
    data_cols.write_csv(buf, line_terminator=eol, quote_style="necessary", null_value="")
    data = buf.getvalue()
    if data.count(b"\n") != frame.height + 1:
        raise ValueError("a value contains a line break; line numbers would be wrong")
    ragged = np.flatnonzero(frame["_wfc"].to_numpy() != 0)
    if len(ragged):  # rewrite those few lines with one field more or fewer
        newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
        pieces, start = [], 0
        for pos in ragged:
            values = ["" if v is None else v for v in data_cols.row(int(pos))]
            if frame["_wfc"][int(pos)] > 0:
                values.append(values[int(rng.integers(len(values)))] or "1")
            else:
                del values[int(rng.integers(len(values)))]
            line = io.StringIO()
            csv.writer(line, lineterminator=eol, quoting=csv.QUOTE_MINIMAL).writerow(values)
            begin, end = int(newlines[pos]) + 1, int(newlines[pos + 1]) + 1  # data row pos = line pos + 2
            pieces += [data[start:begin], line.getvalue().encode("utf-8")]
            start = end
        data = b"".join([*pieces, data[start:]])
    encoding = delivery.encoding.lower().replace("_", "-")
    if encoding in ("utf-8", "utf8"):
        pass
    elif encoding in ("utf-8-sig", "utf8-sig"):
        data = b"\xef\xbb\xbf" + data
    else:
        data = data.decode("utf-8").encode(delivery.encoding)
    if delivery.fmt == "csv.gz":
        data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)  # no name, mtime 0: deterministic
    return data


def _parquet_bytes(frame: pl.DataFrame, src: _Source) -> bytes:
    data_cols = frame.drop("_kind", "_wfc")
    kind_of = {name: c.kind for c in src.cols for name in (c.name, c.zh)}
    arrays, fields = [], []
    for name in data_cols.columns:
        col = data_cols[name]
        kind = kind_of.get(name)
        stripped = col.str.strip_chars()
        array: pa.Array | pa.ChunkedArray
        if kind is Kind.YEAR and stripped.drop_nulls().str.contains(_YEAR_RE).all():
            array = stripped.cast(pl.Int32).to_arrow()
        elif kind is Kind.AMOUNT and stripped.drop_nulls().str.contains(_AMOUNT_RE).all():
            array = stripped.cast(pl.Decimal(14, 2)).to_arrow()
        else:
            array = col.to_arrow().cast(pa.string())
        arrays.append(array)
        fields.append(pa.field(name, array.type))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _write_manifest(folder: Path, files: list[tuple[str, int]]) -> None:
    body = {"files": [{"name": n, "rows": r} for n, r in sorted(files)]}
    _write(folder / "manifest.json", (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def _choose_quirks(specs: list[_FileSpec], seed: int) -> None:
    rng = _rng(seed, "quirks")
    for spec in specs:
        spec.extra_column = bool(rng.random() < EXTRA_COLUMN_SHARE)
        spec.shuffled = bool(rng.random() < SHUFFLED_COLUMNS_SHARE)
    if specs and not any(s.extra_column for s in specs):
        specs[int(rng.integers(len(specs)))].extra_column = True
    if specs and not any(s.shuffled for s in specs):
        specs[int(rng.integers(len(specs)))].shuffled = True


# --------------------------------------------------------------------------------------------- entry


def write_landing(
    frames: Mapping[str, pl.DataFrame], config: WorldConfig, out: Path, seed: int, *, overwrite: bool = False
) -> pl.DataFrame:
    """Write `out/landing/**` and `out/truth/deliveries.parquet`; return the malformed rows.

    The returned frame has the columns of `schemas.truth.TruthMalformed` (source, batch,
    file_name, line, kind), one row per row made unreadable on purpose. `line` is the 1-based
    physical line with the header as line 1 (first data row = 2); for Parquet files it is the
    0-based row index + 2, numbered as if the file had a header line.

    An existing non-empty `out/landing` is refused unless `overwrite=True` (then it is replaced).
    """
    out = Path(out)
    landing = out / "landing"
    if landing.exists() and any(landing.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{landing} is not empty (pass overwrite=True to replace it)")
        shutil.rmtree(landing)
    batches = list(config.batches)
    last = len(batches) - 1
    srcs = {name: _prepare(name, frames[name], config, seed) for name in SOURCES if name in frames}

    # 1. Plan: which file is delivered twice, which records go stale, which rows are damaged.
    redelivered = _pick_redelivery(srcs, last, seed) if config.redelivered_file and last > 0 else None
    blocked = {name: _in_file(src, redelivered) for name, src in srcs.items()}
    for name, src in srcs.items():
        _plan_stale(src, config, last, seed, blocked[name])
    _plan_malformed(srcs, config, last, seed, blocked)

    # 2. Rows per file.
    rows = {name: _all_rows(src, seed) for name, src in srcs.items()}
    parts: dict[tuple[str, int, str], pl.DataFrame] = {}
    for name, frame in rows.items():
        for key, part in frame.partition_by(["_batch", "_file"], as_dict=True, maintain_order=True).items():
            parts[(name, int(key[0]), str(key[1]))] = part.drop("_batch", "_bi", "_file")  # type: ignore[arg-type]
    specs = []
    for source, b, file_key in sorted(parts, key=lambda k: (list(SOURCES).index(k[0]), k[1], k[2])):
        delivery = _delivery_for(config, source, file_key)
        name = _file_name(source, batches[b], file_key, delivery)
        specs.append(_FileSpec(source, b, file_key, delivery, name))
    _choose_quirks(specs, seed)

    # 3. Write files, manifests and the record of what was delivered.
    malformed: list[dict[str, object]] = []
    delivered: list[dict[str, object]] = []
    manifests: dict[tuple[str, str], list[tuple[str, int]]] = {}
    manifest_wanted: dict[tuple[str, str], bool] = {}
    redelivery_batch = _redelivery_batch(batches)
    for spec in specs:
        src, batch = srcs[spec.source], batches[spec.batch_index]
        if spec.delivery.fmt not in _EXT:
            raise ValueError(f"{spec.source}: unknown format {spec.delivery.fmt!r}")
        rng = _rng(seed, "file", spec.source, batch, spec.file_key)
        frame = _file_frame(src, parts[(spec.source, spec.batch_index, spec.file_key)], spec, rng)
        is_csv = spec.delivery.fmt in _CSV_FORMATS
        data = _csv_bytes(frame, spec.delivery, rng) if is_csv else _parquet_bytes(frame, src)
        bad = frame.with_row_index("_pos").filter(pl.col("_kind").is_not_null())
        for pos, kind in zip(bad["_pos"].to_list(), bad["_kind"].to_list(), strict=True):
            malformed.append(
                {"source": spec.source, "batch": batch, "file_name": spec.name, "line": pos + 2, "kind": kind}
            )
        copies = [(batch, None)]
        if redelivered == (spec.source, spec.batch_index, spec.file_key):
            copies.append((redelivery_batch, batch))
        for into, of in copies:
            digest = _write(landing / spec.source / into / spec.name, data)
            manifests.setdefault((spec.source, into), []).append((spec.name, frame.height))
            wanted = manifest_wanted.get((spec.source, into), False) or spec.delivery.manifest
            manifest_wanted[(spec.source, into)] = wanted
            delivered.append(
                {
                    "source": spec.source,
                    "batch": into,
                    "file_name": spec.name,
                    "rows": frame.height,
                    "fmt": spec.delivery.fmt,
                    "encoding": spec.delivery.encoding if is_csv else None,
                    "headers": spec.delivery.headers,
                    "crlf": spec.delivery.crlf if is_csv else None,
                    "redelivered_of": of,
                    "sha256": digest,
                    "extra_column": EXTRA_COLUMN.get(spec.delivery.headers, "remark")
                    if spec.extra_column
                    else None,
                    "columns_shuffled": spec.shuffled,
                    "manifest": False,  # set below, once the batch folder is complete
                }
            )
    # A batch folder gets a manifest listing all its files when any of its files' deliveries asks for one.
    for (source, batch), files in manifests.items():
        if manifest_wanted[(source, batch)]:
            _write_manifest(landing / source / batch, files)
    for row in delivered:
        row["manifest"] = manifest_wanted[(row["source"], row["batch"])]  # type: ignore[index]
    deliveries = pl.DataFrame(delivered, schema=polars_schema(TruthDelivery), orient="row")
    (out / "truth").mkdir(parents=True, exist_ok=True)
    TruthDelivery.write(deliveries.sort("source", "batch", "file_name"), out / "truth")
    schema = polars_schema(TruthMalformed)
    return pl.DataFrame(malformed, schema=schema, orient="row").sort("source", "batch", "file_name", "line")
