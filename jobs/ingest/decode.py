"""Delivery files → one record per row, with the raw line, its line number and structural errors.

This is the one step in Python (run on the executors through ``mapInPandas``): Spark's own readers
cannot tell a UTF-8 file from an undeclared GBK one, keep the raw line of a broken row with its line
number, or say *why* a row is broken. Everything after this (required fields, times, codes) is
Spark column logic.

Encoding rule (landing contract): a file that is valid UTF-8 is UTF-8; otherwise the encoding that
decodes most of its lines (UTF-8 or GBK) is the file's, and a line that does not decode in it is
``bad_encoding``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pandas as pd

from jobs.ingest.channels import Channel

#: What every decoded row carries before the channel's own columns (its provenance, its structural
#: error if any, and the rescued extra fields as JSON).
_PROVENANCE = (("source_file", "string"), ("file_hash", "string"), ("line_no", "int"), ("raw_line", "string"),
               ("encoding", "string"), ("error", "string"), ("error_detail", "string"), ("rescued", "string"))


def decoded_columns(ch: Channel) -> list[str]:
    """Column names of what ``decode_files`` yields for ``ch``: provenance, then one per contract column."""
    names = [n for n, _ in _PROVENANCE]
    clash = sorted(set(names) & set(ch.columns))
    if clash:
        raise ValueError(f"channel {ch.name}: contract columns {clash} clash with the decoder's own columns")
    return names + ch.columns


def decoded_schema(ch: Channel) -> str:
    """Spark DDL of what ``decode_files`` yields for ``ch`` (every contract column a string, as received)."""
    types = dict(_PROVENANCE)
    return ", ".join(f"`{c}` {types.get(c, 'string')}" for c in decoded_columns(ch))


def _decodes(data: bytes, enc: str) -> bool:
    try:
        data.decode(enc)
        return True
    except UnicodeDecodeError:
        return False


def detect_encoding(lines: list[bytes]) -> str:
    """'utf-8' or 'gbk' for a file given its physical lines."""
    if all(_decodes(b, "utf-8") for b in lines):
        return "utf-8"
    utf8 = sum(_decodes(b, "utf-8") for b in lines if not b.isascii())
    gbk = sum(_decodes(b, "gbk") for b in lines if not b.isascii())
    return "utf-8" if utf8 >= gbk else "gbk"


def _split_lines(content: bytes) -> list[bytes]:
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


def _strval(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return json.dumps(v, ensure_ascii=False)


def _flatten(obj: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            nested = _flatten(v, key + ".")
            out.update(nested if nested else {key: None})
        else:
            out[key] = v
    return out


def _rejected(ch: Channel, path, fhash, line_no, raw, enc, error: str, detail: str) -> tuple:
    """A row the decoder could not read into fields: its contract columns are all null."""
    return (path, fhash, line_no, raw, enc, error, detail, None, *([None] * len(ch.fields)))


def _read(path, fhash, line_no, raw, enc, values: list, extra: dict) -> tuple:
    """A row read into its contract columns (``values``, in contract order) and rescued extras."""
    rescued = json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None
    return (path, fhash, line_no, raw, enc, None, None, rescued, *values)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    """``json.loads`` hook: an object naming a key twice is refused (which value was meant is unknown)."""
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(f"key {k!r} appears twice")
        out[k] = v
    return out


def _has_surrogate(v: object) -> bool:
    """A lone UTF-16 surrogate (JSON ``\\ud800``): valid JSON, but no character, and unwritable downstream."""
    if isinstance(v, str):
        return any("\ud800" <= c <= "\udfff" for c in v)
    if isinstance(v, dict):
        return any(_has_surrogate(k) or _has_surrogate(x) for k, x in v.items())
    if isinstance(v, list):
        return any(_has_surrogate(x) for x in v)
    return False


def _decode_jsonl(ch: Channel, path: str, fhash: str, content: bytes) -> Iterator[tuple]:
    lines = _split_lines(content)
    enc = detect_encoding(lines)
    # a nested object the contract knows (user, location) is not "extra" when present
    known_prefixes = {s.split(".")[0] for s in ch.fields if "." in s}
    for i, b in enumerate(lines, start=1):
        if not b.strip():
            continue
        try:
            text = b.decode(enc)
        except UnicodeDecodeError as exc:
            yield _rejected(ch, path, fhash, i, b.decode(enc, errors="replace"), enc, "bad_encoding", str(exc))
            continue
        if i == 1:
            text = text.lstrip("\ufeff")  # a byte-order mark starts the file, not the record
        try:
            obj = json.loads(text, object_pairs_hook=_no_duplicates)
            if not isinstance(obj, dict):
                raise ValueError(f"a JSON {type(obj).__name__}, not an object")
        except _DuplicateKey as exc:
            yield _rejected(ch, path, fhash, i, text, enc, "malformed_row", str(exc))
            continue
        except (ValueError, RecursionError) as exc:  # RecursionError: nested beyond what the parser follows
            detail = exc if isinstance(exc, ValueError) else "nested too deep"
            yield _rejected(ch, path, fhash, i, text, enc, "truncated_line", f"not a complete JSON object: {detail}")
            continue
        if _has_surrogate(obj):
            yield _rejected(ch, path, fhash, i, text, enc, "bad_encoding",
                            "a lone UTF-16 surrogate escape (\\ud800-\\udfff) is no character")
            continue
        flat = _flatten(obj)
        # a known nested object that came as something else ("user": "abc") is kept as an extra, not lost
        extra = {k: v for k, v in flat.items()
                 if k not in ch.fields and not (k in known_prefixes and (v is None or v == {}))}
        yield _read(path, fhash, i, text, enc, [_strval(flat.get(src)) for src in ch.fields], extra)


def _csv_fields(text: str) -> list[str] | None:
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    return rows[0] if len(rows) == 1 else None


def _decode_csv(ch: Channel, path: str, fhash: str, content: bytes) -> Iterator[tuple]:
    lines = _split_lines(content)
    enc = detect_encoding(lines)
    if not lines:
        return
    try:
        header = next(csv.reader([lines[0].decode(enc).lstrip("\ufeff")]))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: the header row cannot be read ({exc})") from exc
    missing = [h for h in ch.fields if h not in header]
    if missing:
        raise ValueError(f"{path}: header lacks the contract columns {missing}; got {header}")
    # a column named twice: the first is the contract's, a later one is an extra (rescued as "name#2"),
    # not a silent overwrite of the first
    seen: dict[str, int] = {}
    for k, h in enumerate(header):
        seen[h] = seen.get(h, 0) + 1
        if seen[h] > 1:
            header[k] = f"{h}#{seen[h]}"
    n = len(header)
    i = 1
    while i < len(lines):
        b = lines[i]
        line_no = i + 1
        if not b.strip():
            i += 1
            continue
        consumed = 1
        if b.count(b'"') % 2 == 1:  # a quoted field may span any number of lines: up to where quotes balance
            odd, j = True, i + 1
            while j < len(lines) and odd:
                odd = (lines[j].count(b'"') % 2 == 1) != odd
                j += 1
            if not odd:  # the record is lines i..j-1 if it reads as one record of n fields
                joined = b"\n".join(lines[i:j])
                try:
                    f = _csv_fields(joined.decode(enc))
                except (UnicodeDecodeError, csv.Error):
                    f = None
                if f is not None and len(f) >= n:
                    b, consumed = joined, j - i
        i += consumed
        try:
            text = b.decode(enc)
        except UnicodeDecodeError as exc:
            yield _rejected(ch, path, fhash, line_no, b.decode(enc, errors="replace"), enc, "bad_encoding", str(exc))
            continue
        try:
            fields = _csv_fields(text)
        except csv.Error as exc:
            fields, err = None, str(exc)
        else:
            err = "not one CSV record"
        if fields is None or len(fields) < n:
            got = "unparsable" if fields is None else f"{len(fields)} of {n} fields"
            yield _rejected(ch, path, fhash, line_no, text, enc, "truncated_line",
                            f"{got}: {err if fields is None else ''}".strip())
            continue
        if len(fields) > n:
            yield _rejected(ch, path, fhash, line_no, text, enc, "malformed_row", f"{len(fields)} fields, header has {n}")
            continue
        values = dict(zip(header, fields, strict=True))
        extra = {k: v for k, v in values.items() if k not in ch.fields}
        yield _read(path, fhash, line_no, text, enc, [values.get(src) or None for src in ch.fields], extra)


def decode_file(ch: Channel, path: str, fhash: str, content: bytes) -> list[tuple]:
    """All rows of one delivery file, as tuples in :func:`decoded_columns` order (pure)."""
    gen = _decode_csv if ch.fmt == "csv" else _decode_jsonl
    return list(gen(ch, path, fhash, content))


def decode_files(ch: Channel):
    """A ``mapInPandas`` function: (path, file_hash, content) batches → decoded rows
    (:func:`decoded_schema`). The fields go out as columns: serialising each record to JSON here and
    parsing it again in the JVM cost about a third of the decoder's time."""
    columns = decoded_columns(ch)

    def fn(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            rows: list[tuple] = []
            for path, fhash, content in zip(pdf["path"], pdf["file_hash"], pdf["content"], strict=True):
                rows.extend(decode_file(ch, path, fhash, bytes(content)))
            out = pd.DataFrame.from_records(rows, columns=columns)
            out["line_no"] = out["line_no"].astype("int32")
            yield out

    return fn
