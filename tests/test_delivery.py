"""generator.delivery: a messy but contract-valid landing zone, and the truth of what it contains."""

from __future__ import annotations

import csv
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from generator.config import WorldConfig
from generator.delivery import DELIVERIES_FILE, MALFORMED_KINDS, write_landing
from schemas.derive import column_names, header_aliases, polars_schema
from schemas.sources import SOURCES
from schemas.truth import TruthMalformed

BATCHES = ("20260101", "20260115", "20260201")
N = 15  # records per source
CONFIG = WorldConfig(persons=10, batches=BATCHES, stale_share=0.25, malformed_rows=20)
SEED = 7

# Clerk spellings, cycled over the rows: every one of them is accepted by the models.
DATES = ("1990-01-02", "19850512", "2001/03/04", "1978/7/9", " 1966-12-31")
SEXES = ("1", "2", "男", "女", "M", "F")
SCHEMES = ("310", "390", "居民", "employee", "职工")
YEARS = ("2025", "2026", " 2025")
PROVINCES = ("44", "51", "41", "32")  # config.provinces indices 0-3: four different deliveries
NAMES = ("张伟", "王 芳", "阿依古丽·买买提", "李\u3000娜", '刘"强"', "陈静")


def _pick(values: tuple[str, ...], i: int) -> str:
    return values[i % len(values)]


def _id(i: int) -> str:
    return f"44010619900101{i:03d}X" if i % 4 else f"4401061990010{i:04d}"


def _typed_frame(source: str, rows: list[dict[str, str | None]]) -> pl.DataFrame:
    model = SOURCES[source]
    frame = pl.DataFrame(rows, schema={n: pl.String for n in column_names(model)}, orient="row")
    keys = [model.model_validate(r).record_key() for r in rows]  # type: ignore[attr-defined]
    return frame.with_columns(
        record_key=pl.Series(keys),
        person_key=pl.Series([f"K{i:03d}" for i in range(len(rows))]),
        batch_index=pl.Series(
            [0 if i % 5 < 2 else 1 if i % 5 < 4 else 2 for i in range(len(rows))], dtype=pl.Int32
        ),
    )


def make_frames() -> dict[str, pl.DataFrame]:
    enrollment = [
        {
            "person_no": f"P{i:05d}",
            "id_type": "01" if i % 3 else None,
            "id_number": _id(i) if i % 6 else None,
            "name": _pick(NAMES, i),
            "sex": _pick(SEXES, i) if i % 7 else None,
            "birth_date": _pick(DATES, i),
            "scheme": _pick(SCHEMES, i),
            "coverage_year": _pick(YEARS, i),
            "insured_region_code": _pick(PROVINCES, i) + "0106",
            "status": ("active", "正常参保", "terminated", "暂停")[i % 4],
            "enrolled_on": _pick(DATES, i + 1),
            "terminated_on": "2026-06-30" if i % 4 == 2 else None,
            "person_category": ("在职", "退休,返聘", None)[i % 3],
            "phone": f"1380000{i:04d}",
        }
        for i in range(N)
    ]
    tax = [
        {
            "receipt_no": f"3{i:019d}",
            "id_number": _id(i) if i % 5 else " ",
            "name": _pick(NAMES, i + 1),
            "scheme": _pick(SCHEMES, i),
            "coverage_year": _pick(YEARS, i),
            "amount": ("380", "380.00", " 1200.5", "0")[i % 4],
            "paid_on": _pick(DATES, i),
            "region_code": "440106",
            "payer_type": ("self", "政府资助代缴", None)[i % 3],
        }
        for i in range(N)
    ]
    public_security = [
        {
            "resident_no": f"R{i:06d}",
            "id_number": _id(i),
            "name": _pick(NAMES, i + 2),
            "sex": _pick(SEXES, i),
            "birth_date": _pick(DATES, i),
            "hukou_region_code": "510104",
            "address": f"广东省广州市天河区,体育西路{i}号" if i % 2 else "四川省成都市锦江区",
            "status": ("normal", "迁出", "deceased", "注销")[i % 4],
            "status_date": "2025-05-01" if i % 4 else None,
            "moved_to_region_code": "440106" if i % 4 == 1 else None,
        }
        for i in range(N)
    ]
    education = [
        {
            "student_no": f"G{i:08d}",
            "id_number": _id(i) if i % 4 else None,
            "name": _pick(NAMES, i + 3),
            "sex": _pick(SEXES, i),
            "birth_date": _pick(DATES, i),
            "school_name": ("广州市第一中学", "成都七中, 高新校区")[i % 2],
            "school_region_code": "440106",
            "stage": ("primary", "junior", "senior", "higher")[i % 4],
            "academic_year": _pick(YEARS, i),
            "status": ("enrolled", "在读", "毕业", "transferred")[i % 4],
        }
        for i in range(N)
    ]
    civil_affairs = [
        {
            "case_no": f"MZ{i:06d}",
            "id_number": _id(i),
            "name": _pick(NAMES, i + 4),
            "sex": _pick(SEXES, i) if i % 3 else None,
            "birth_date": _pick(DATES, i),
            "region_code": "410102",
            "assistance_type": ("dibao", "特困", "orphan", "低保边缘")[i % 4],
            "status": ("active", "退出")[i % 2],
            "effective_from": _pick(DATES, i + 2),
            "effective_to": "2026-12-31" if i % 2 else None,
        }
        for i in range(N)
    ]
    rows = {
        "enrollment": enrollment,
        "tax": tax,
        "public_security": public_security,
        "education": education,
        "civil_affairs": civil_affairs,
    }
    return {source: _typed_frame(source, r) for source, r in rows.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame, dict[str, pl.DataFrame]]:
    out = tmp_path_factory.mktemp("world")
    frames = make_frames()
    malformed = write_landing(frames, CONFIG, out, SEED)
    return out, malformed, frames


# ------------------------------------------------------------------------------------------ reading


def read_rows(path: Path, delivery: dict) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """(header, [(line, values)]) of a delivered file, exactly as a reader of the contract sees it."""
    if delivery["fmt"] == "parquet":
        table = pq.read_table(path)
        values = [list(r.values()) for r in table.to_pylist()]
        return table.column_names, [(i + 2, v) for i, v in enumerate(values)]
    data = path.read_bytes()
    if delivery["fmt"] == "csv.gz":
        data = gzip.decompress(data)
    if delivery["encoding"] == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    else:
        assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode(delivery["encoding"])  # strict: GB18030 and BOM files must decode
    eol = "\r\n" if delivery["crlf"] else "\n"
    assert text.endswith(eol) and text.count("\n") == text.count(eol)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = []
    for values in reader:
        rows.append((reader.line_num, list(values)))
    if all(len(v) == len(header) for _, v in rows):  # polars reads the same (it rejects ragged rows)
        frame = pl.read_csv(text.lstrip("\ufeff").encode("utf-8"), infer_schema=False)
        assert frame.columns == header
        assert [list(r) for r in frame.iter_rows()] == [[x or None for x in v] for _, v in rows]
    return header, rows


def as_record(source: str, header: list[str], values: list[object]) -> dict[str, object]:
    aliases = header_aliases(SOURCES[source])
    return {aliases[h]: v for h, v in zip(header, values, strict=True) if h in aliases}


def same_value(read: object, typed: str | None) -> bool:
    """A read value against the clerk-typed input (typed Parquet columns carry the trimmed value)."""
    if isinstance(read, int):
        return typed is not None and str(read) == typed.strip()
    if isinstance(read, Decimal):
        return typed is not None and read == Decimal(typed.strip())
    return (read or None) == (typed or None)


def deliveries(out: Path) -> list[dict]:
    return pl.read_parquet(out / "truth" / DELIVERIES_FILE).to_dicts()


def read_all(out: Path, malformed: pl.DataFrame):
    """Every well-formed row: (source, batch, file, line, record as read, validated model)."""
    bad = {(r["source"], r["batch"], r["file_name"], r["line"]) for r in malformed.to_dicts()}
    result = []
    for d in deliveries(out):
        header, rows = read_rows(out / "landing" / d["source"] / d["batch"] / d["file_name"], d)
        for line, values in rows:
            if (d["source"], d["batch"], d["file_name"], line) in bad:
                continue
            assert len(values) == len(header)
            record = as_record(d["source"], header, values)
            model = SOURCES[d["source"]].model_validate(record)
            result.append((d["source"], d["batch"], d["file_name"], line, record, model))
    return result


# -------------------------------------------------------------------------------------------- tests


def test_files_per_batch_and_format(world) -> None:
    out, _, frames = world
    files = deliveries(out)
    on_disk = {p.relative_to(out / "landing").as_posix() for p in (out / "landing").rglob("*") if p.is_file()}
    assert {f"{d['source']}/{d['batch']}/{d['file_name']}" for d in files} == {
        p for p in on_disk if not p.endswith("manifest.json")
    }
    for d in files:
        wanted = CONFIG.delivery[d["source"]]
        if d["source"] == "enrollment":
            province = d["file_name"].split("_")[1].split(".")[0]
            index = list(CONFIG.provinces).index(province)
            wanted = CONFIG.enrollment_delivery_by_province.get(index, wanted)
            assert d["file_name"] == f"enrollment_{province}.{wanted.fmt}"
        else:
            batch = d["redelivered_of"] or d["batch"]
            assert d["file_name"] == f"{d['source']}_{batch}.{wanted.fmt}"
        assert (d["fmt"], d["headers"]) == (wanted.fmt, wanted.headers)
        if d["fmt"] != "parquet":
            assert (d["encoding"], d["crlf"]) == (wanted.encoding, wanted.crlf)
    # Every source delivers in every batch here; enrollment one file per province and batch.
    for source in frames:
        assert {d["batch"] for d in files if d["source"] == source and not d["redelivered_of"]} == set(
            BATCHES
        )
    provinces = {d["file_name"] for d in files if d["source"] == "enrollment"}
    assert provinces == {
        f"enrollment_{p}.{CONFIG.enrollment_delivery_by_province.get(i, CONFIG.delivery['enrollment']).fmt}"
        for i, p in enumerate(PROVINCES)
    }
    # Some files carry the unknown extra column, some have their columns shuffled.
    assert any(d["extra_column"] for d in files) and any(d["columns_shuffled"] for d in files)
    assert {d["fmt"] for d in files} == {"csv", "csv.gz", "parquet"}


def test_headers_extra_column_and_typed_parquet(world) -> None:
    out, _, _ = world
    for d in deliveries(out):
        model = SOURCES[d["source"]]
        header, _ = read_rows(out / "landing" / d["source"] / d["batch"] / d["file_name"], d)
        known = [h for h in header if h in header_aliases(model)]
        assert sorted(header_aliases(model)[h] for h in known) == sorted(column_names(model))
        assert set(header) - set(known) == ({d["extra_column"]} if d["extra_column"] else set())
        names = set(column_names(model))
        assert all((h in names) == (d["headers"] == "en") for h in known)
    schema = pq.read_schema(
        out / "landing" / "civil_affairs" / BATCHES[0] / f"civil_affairs_{BATCHES[0]}.parquet"
    )
    assert {str(t) for t in schema.types} == {"string"}  # civil affairs has no year or amount column
    typed = [
        str(
            pq.read_schema(out / "landing" / d["source"] / d["batch"] / d["file_name"]).field("参保年度").type
        )
        if d["headers"] == "zh"
        else str(
            pq.read_schema(out / "landing" / d["source"] / d["batch"] / d["file_name"])
            .field("coverage_year")
            .type
        )
        for d in deliveries(out)
        if d["source"] == "enrollment" and d["fmt"] == "parquet"
    ]
    assert "int32" in typed  # clean year columns of Parquet files are typed


def test_rows_read_back_to_input(world) -> None:
    out, malformed, frames = world
    inputs = {s: {r["record_key"]: r for r in f.to_dicts()} for s, f in frames.items()}
    stale_seen = 0
    for source, _, _, _, record, model in read_all(out, malformed):
        typed = inputs[source][model.record_key()]
        differ = {n for n in column_names(SOURCES[source]) if not same_value(record[n], typed[n])}
        if differ:  # a stale version: only the status (or tax amount), to a valid other value
            stale_seen += 1
            assert differ == ({"amount"} if source == "tax" else {"status"})
    assert stale_seen > 0


def test_final_state_equals_input(world) -> None:
    out, malformed, frames = world
    redelivered = {d["batch"] for d in deliveries(out) if d["redelivered_of"]}
    latest: dict[tuple[str, str], tuple[str, dict]] = {}
    for source, batch, _, _, record, model in read_all(out, malformed):
        if batch in redelivered:
            continue
        key = (source, model.record_key())
        assert key not in latest or latest[key][0] != batch  # one version per batch
        if key not in latest or batch > latest[key][0]:
            latest[key] = (batch, record)
    for source, frame in frames.items():
        for typed in frame.to_dicts():
            batch, record = latest.pop((source, typed["record_key"]))
            assert batch >= BATCHES[typed["batch_index"]]
            assert all(same_value(record[n], typed[n]) for n in column_names(SOURCES[source])), typed
    assert not latest


def test_first_delivery_is_batch_index(world) -> None:
    """A record's first row (stale or damaged or final) is in its batch_index; malformed keys aside."""
    out, malformed, frames = world
    first: dict[tuple[str, str], str] = {}
    for source, batch, _, _, _, model in read_all(out, malformed):
        key = (source, model.record_key())
        first[key] = min(first.get(key, batch), batch)
    damaged = len(malformed)
    mismatched = 0
    for source, frame in frames.items():
        for r in frame.to_dicts():
            mismatched += first[(source, r["record_key"])] != BATCHES[r["batch_index"]]
    assert mismatched == damaged  # a damaged first delivery is not readable: the clean one comes later


def test_malformed_rows_at_reported_lines(world) -> None:
    out, malformed, _ = world
    assert malformed.schema == polars_schema(TruthMalformed)
    assert malformed.height == CONFIG.malformed_rows
    assert set(malformed["kind"]) == set(MALFORMED_KINDS)
    assert BATCHES[-1] not in set(malformed["batch"])
    assert malformed["source"].n_unique() == len(SOURCES)
    by_file = {(d["source"], d["batch"], d["file_name"]): d for d in deliveries(out)}
    for m in malformed.to_dicts():
        d = by_file[(m["source"], m["batch"], m["file_name"])]
        assert not d["redelivered_of"]
        header, rows = read_rows(out / "landing" / m["source"] / m["batch"] / m["file_name"], d)
        values = dict(rows)[m["line"]]
        if m["kind"] == "wrong_field_count":
            assert d["fmt"] != "parquet"
            assert abs(len(values) - len(header)) == 1
            continue
        assert len(values) == len(header)
        with pytest.raises(ValidationError):
            SOURCES[m["source"]].model_validate(as_record(m["source"], header, values))


def test_manifests_count_data_rows(world) -> None:
    out, _, _ = world
    files = deliveries(out)
    for folder in {(d["source"], d["batch"]) for d in files}:
        in_folder = [d for d in files if (d["source"], d["batch"]) == folder]
        path = out / "landing" / folder[0] / folder[1] / "manifest.json"
        assert path.exists() == CONFIG.delivery[folder[0]].manifest
        if not path.exists():
            continue
        listed = {f["name"]: f["rows"] for f in json.loads(path.read_text("utf-8"))["files"]}
        assert listed == {d["file_name"]: d["rows"] for d in in_folder}
        for d in in_folder:
            _, rows = read_rows(out / "landing" / folder[0] / folder[1] / d["file_name"], d)
            assert listed[d["file_name"]] == len(rows)


def test_redelivered_file_is_byte_identical(world) -> None:
    out, _, _ = world
    files = deliveries(out)
    again = [d for d in files if d["redelivered_of"]]
    assert len(again) == 1
    (d,) = again
    assert d["source"] == "tax" and d["batch"] == f"{BATCHES[-1]}-2" and d["redelivered_of"] < BATCHES[-1]
    original = out / "landing" / "tax" / d["redelivered_of"] / d["file_name"]
    copy = out / "landing" / "tax" / d["batch"] / d["file_name"]
    assert original.read_bytes() == copy.read_bytes()
    assert (copy.parent / "manifest.json").exists() == CONFIG.delivery["tax"].manifest
    assert sorted(p.name for p in copy.parent.iterdir()) == sorted([d["file_name"], "manifest.json"])


def test_encodings_decode(world) -> None:
    out, _, _ = world
    files = deliveries(out)
    assert {"utf-8", "utf-8-sig", "gb18030"} <= {d["encoding"] for d in files if d["encoding"]}
    for d in files:
        if d["encoding"] == "gb18030":
            data = (out / "landing" / d["source"] / d["batch"] / d["file_name"]).read_bytes()
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")  # really GB18030, not UTF-8 under another name
            header = data.decode("gb18030").split("\r\n" if d["crlf"] else "\n")[0]
            assert "姓名" in header


def test_gzip_and_tree_are_deterministic(world, tmp_path: Path) -> None:
    out, malformed, frames = world
    again = write_landing(frames, CONFIG, tmp_path, SEED)
    assert again.equals(malformed)

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
        }

    assert tree(out) == tree(tmp_path)
    for name, data in tree(out).items():
        if name.endswith(".gz"):
            assert data[:4] == b"\x1f\x8b\x08\x00"  # no FNAME flag: no file name in the header
            assert data[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    other = write_landing(frames, CONFIG, tmp_path / "other", SEED + 1)
    assert tree(tmp_path / "other" / "landing") != tree(tmp_path / "landing")
    assert other.height == malformed.height


def test_refuses_to_overwrite(world) -> None:
    out, _, frames = world
    with pytest.raises(FileExistsError):
        write_landing(frames, CONFIG, out, SEED)


def test_single_batch_world_has_nothing_to_correct(tmp_path: Path) -> None:
    config = WorldConfig(persons=10, batches=("20260101",), stale_share=0.5, malformed_rows=5)
    frames = {s: f.with_columns(batch_index=pl.lit(0, pl.Int32)) for s, f in make_frames().items()}
    malformed = write_landing(frames, config, tmp_path, SEED)
    assert malformed.height == 0 and malformed.schema == polars_schema(TruthMalformed)
    files = deliveries(tmp_path)
    assert not any(d["redelivered_of"] for d in files)
    assert sum(d["rows"] for d in files) == sum(f.height for f in frames.values())
