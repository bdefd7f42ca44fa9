"""Write rendered lines into landing files, in parallel on the executors (``mapInArrow``).

Rows arrive grouped by file and in line order; each file is written to a temporary name and renamed
when complete (a retried task rewrites the same bytes). The writer returns what the ground truth
needs: every dirty line with its physical line number, every planted re-delivery and extra-column
file, and one ``_file`` row per file written (lines, bytes) for the run statistics.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jobs.generate.render import EXTRA_HEADER, PHONE_HEADER

OUT_SCHEMA = ("kind string, channel string, dt string, file string, line_no int, record_id string, "
              "expected string, gen_dt string, lines long, bytes long")
EXPECTED = {"truncated_line": "quarantine", "bad_encoding": "quarantine", "missing_field": "quarantine",
            "bad_time": "quarantine", "unknown_code": "quarantine", "duplicate_file": "skipped",
            "renamed_redelivery": "skipped", "extra_column": "accepted_rescued"}


#: How much later than the original a re-delivered file is stamped.
REDELIVERY_DELAY_NS = 3600 * 10**9


def _header(channel: str, extra: bool, encoding: str) -> bytes:
    if channel != "phone":
        return b""
    cols = PHONE_HEADER + ([EXTRA_HEADER] if extra else [])
    return (",".join(cols) + "\n").encode("gbk" if encoding == "GBK" else "utf-8")


def _renamed(name: str) -> str:
    stem, ext = os.path.splitext(name)
    return f"{stem}(1){ext}"


class _FileState:
    def __init__(self, root: str, meta: dict):
        self.meta = meta
        self.final = os.path.join(root, meta["path"])
        os.makedirs(os.path.dirname(self.final), exist_ok=True)
        self.tmp = f"{self.final}.tmp-{os.getpid()}"
        self.fh = open(self.tmp, "wb")  # noqa: SIM115 - closed in close()
        header = _header(meta["channel"], meta["extra_col"], meta["encoding"])
        self.fh.write(header)
        self.offset = 1 if header else 0
        self.lines = 0
        self.bytes = len(header)

    def close(self, out: list[dict]) -> None:
        self.fh.close()
        os.replace(self.tmp, self.final)
        m = self.meta
        base = {"channel": m["channel"], "line_no": None, "record_id": None, "gen_dt": m["gen_dt"],
                "lines": None, "bytes": None}
        out.append({**base, "kind": "_file", "dt": m["dt"], "file": m["file"], "lines": self.lines,
                    "bytes": self.bytes})
        if m["extra_col"]:
            out.append({**base, "kind": "extra_column", "dt": m["dt"], "file": m["file"],
                        "expected": EXPECTED["extra_column"]})
        kind = m["redeliver"]
        if kind:
            folder = os.path.dirname(os.path.dirname(self.final))
            if kind == "duplicate_file":
                later = (dt.date.fromisoformat(m["dt"]) + dt.timedelta(days=1)).isoformat()
                target_dt, name = later, m["file"]
            else:
                target_dt, name = m["dt"], _renamed(m["file"])
            target = os.path.join(folder, f"dt={target_dt}", name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(self.final, target + ".tmp")
            os.replace(target + ".tmp", target)
            # a re-delivery arrives after the original (ingest keeps the first delivered of identical
            # files): an hour later by the file clock, not within the same millisecond
            st = os.stat(self.final)
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + REDELIVERY_DELAY_NS))
            out.append({**base, "kind": kind, "dt": target_dt, "file": name, "expected": EXPECTED[kind]})


def _binary_slice(col: pa.Array, i: int, j: int) -> memoryview:
    """The concatenated bytes of col[i:j] straight from the Arrow buffers (no per-row Python)."""
    width = np.int64 if pa.types.is_large_binary(col.type) else np.int32
    offsets = np.frombuffer(col.buffers()[1], dtype=width)[col.offset: col.offset + len(col) + 1]
    data = col.buffers()[2]
    return memoryview(data)[int(offsets[i]): int(offsets[j])]


def make_writer(root: str):
    """The ``mapInArrow`` function writing files under the landing root ``root`` (a local folder)."""

    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        state: _FileState | None = None
        out: list[dict] = []
        for batch in batches:
            n = batch.num_rows
            if n == 0:
                continue
            paths = batch.column("path")
            if n > 1:
                change = pc.not_equal(paths.slice(1), paths.slice(0, n - 1))
                starts = [0] + [int(x) + 1 for x in np.flatnonzero(change.to_numpy(zero_copy_only=False))]
            else:
                starts = [0]
            ends = starts[1:] + [n]
            lines = batch.column("line")
            dirty = batch.column("dirty_kind")
            dirty_idx = set(np.flatnonzero(pc.is_valid(dirty).to_numpy(zero_copy_only=False)).tolist())
            for i, j in zip(starts, ends, strict=True):
                p = paths[i].as_py()
                if state is None or state.meta["path"] != p:
                    if state is not None:
                        state.close(out)
                    meta = {c: batch.column(c)[i].as_py() for c in
                            ("path", "channel", "dt", "file", "gen_dt", "encoding", "extra_col", "redeliver")}
                    state = _FileState(root, meta)
                chunk = _binary_slice(lines, i, j)
                state.fh.write(chunk)
                for r in sorted(x for x in dirty_idx if i <= x < j):
                    kind = dirty[r].as_py()
                    out.append({"kind": kind, "channel": state.meta["channel"], "dt": state.meta["dt"],
                                "file": state.meta["file"], "line_no": state.offset + state.lines + (r - i) + 1,
                                "record_id": batch.column("record_id")[r].as_py(), "expected": EXPECTED[kind],
                                "gen_dt": state.meta["gen_dt"], "lines": None, "bytes": None})
                state.lines += j - i
                state.bytes += len(chunk)
            if len(out) > 5000:
                yield pa.RecordBatch.from_pylist(out, schema=_schema())
                out = []
        if state is not None:
            state.close(out)
        if out:
            yield pa.RecordBatch.from_pylist(out, schema=_schema())

    return write


def _schema() -> pa.Schema:
    return pa.schema([("kind", pa.string()), ("channel", pa.string()), ("dt", pa.string()), ("file", pa.string()),
                      ("line_no", pa.int32()), ("record_id", pa.string()), ("expected", pa.string()),
                      ("gen_dt", pa.string()), ("lines", pa.int64()), ("bytes", pa.int64())])
