"""Ingest: landing deliveries → bronze Delta tables, incremental and idempotent by content hash.

For each channel and each delivery day of the range (all in one Spark job per channel):

1. list the day folders' files and hash their bytes (SHA-256);
2. skip files already in the registry by path; a new path whose content was already ingested (under
   any name, in any folder) is recorded as a skipped re-delivery;
3. decode the new files (encoding detection, raw lines with line numbers, rescued extra fields) and
   check each row (structure, required fields, times, codes);
4. MERGE accepted rows into ``bronze_<channel>`` (free text into the restricted ``bronze_raw_text``)
   and rejected rows into ``quarantine`` — keyed by (file hash, line), so a crashed run can simply be
   repeated;
5. read back the counts per batch and fail loudly unless rows read = accepted + quarantined;
6. only then record the batches in ``ops_ingest_log`` and the files in ``ops_ingested_file``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common import delta
from jobs.common.catalogue import Catalogue
from jobs.common.config import Settings
from jobs.common.session import get_spark
from jobs.ingest import transform as T
from jobs.ingest.channels import CHANNELS, Channel, get
from jobs.ingest.decode import decode_files, decoded_schema

log = logging.getLogger(__name__)

LOG_COLUMNS = ["batch_id", "channel", "dt", "source_file", "file_hash", "status", "duplicate_of",
               "rows_read", "rows_accepted", "rows_quarantined", "rows_rescued", "encoding", "ingest_time"]
_DT_RE = re.compile(r"dt=(\d{4}-\d{2}-\d{2})")


class IngestCountError(RuntimeError):
    """Rows read != rows accepted + rows quarantined for a batch."""


@dataclass(frozen=True)
class LandingFile:
    path: str
    file_hash: str
    dt: dt.date
    #: when the file was delivered (its modification time), if known
    delivered_at: dt.datetime | None = None


def _path_id(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:8]


def days(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    if date_to < date_from:
        raise ValueError(f"--to {date_to} is before --from {date_from}")
    return [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def _exists(spark: SparkSession, path: str) -> bool:
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(p)


def list_landing(spark: SparkSession, cat: Catalogue, ch: Channel, dates: list[dt.date]) -> list[LandingFile]:
    """Every delivery file of the channel in the given day folders, with its content hash."""
    root = cat.location(ch.landing)
    folders = [f"{root}/dt={d.isoformat()}" for d in dates]
    folders = [f for f in folders if _exists(spark, f)]
    if not folders:
        return []
    ext = "*.csv" if ch.fmt == "csv" else "*.jsonl"
    rows = (spark.read.format("binaryFile").option("pathGlobFilter", ext).load(folders)
            .select("path", "modificationTime", F.sha2("content", 256).alias("file_hash")).collect())
    out = []
    for r in rows:
        m = _DT_RE.search(r["path"])
        if not m:
            raise ValueError(f"{r['path']}: landing file outside a dt=YYYY-MM-DD folder")
        out.append(LandingFile(r["path"], r["file_hash"], dt.date.fromisoformat(m.group(1)), r["modificationTime"]))
    return in_delivery_order(out)


def in_delivery_order(files: list[LandingFile]) -> list[LandingFile]:
    """By day folder, then delivery time, then path: of identical files the first delivered is the
    original and the later ones re-deliveries (by name alone "x(1).jsonl" would come before "x.jsonl")."""
    return sorted(files, key=lambda f: (f.dt, f.delivered_at or dt.datetime.min, f.path))


def classify(files: list[LandingFile], known_paths: set[str], known_hashes: dict[str, str]
             ) -> tuple[list[LandingFile], list[tuple[LandingFile, str]]]:
    """Split new files into (to ingest, skipped re-deliveries with the path they duplicate)."""
    to_ingest: list[LandingFile] = []
    skipped: list[tuple[LandingFile, str]] = []
    seen = dict(known_hashes)
    for f in files:
        if f.path in known_paths:
            continue
        if f.file_hash in seen:
            skipped.append((f, seen[f.file_hash]))
        else:
            seen[f.file_hash] = f.path
            to_ingest.append(f)
    return to_ingest, skipped


def read_decoded(spark: SparkSession, ch: Channel, files: list[LandingFile]) -> DataFrame:
    """Decoded records of the files (one row per landing row), with their delivery day."""
    dts = spark.createDataFrame([(f.path, f.dt) for f in files], "path string, dt date")
    raw = (spark.read.format("binaryFile").load([f.path for f in files])
           .select("path", F.sha2("content", 256).alias("file_hash"), "content"))
    decoded = raw.mapInPandas(decode_files(ch), decoded_schema(ch))
    return decoded.join(F.broadcast(dts.withColumnRenamed("path", "source_file")), "source_file")


def _ref_domains(spark: SparkSession, cat: Catalogue) -> dict[str, list[str]]:
    return T.code_domains(cat.read(spark, "ref_codelist"), cat.read(spark, "ref_category"),
                          cat.read(spark, "ref_district"), cat.read(spark, "ref_street"),
                          cat.read(spark, "ref_community"), cat.read(spark, "ref_department"))


def append_once(df: DataFrame, cat: Catalogue, name: str, txn_id: str) -> None:
    """Append with Delta's idempotent-write marker: repeating the same transaction id writes nothing.

    A run that crashed after some appends is simply run again: the appends that were committed are
    recognised by (txnAppId, txnVersion) and skipped, the others happen.
    """
    spark = df.sparkSession
    conformed = delta._conform(df, spark, cat, name)
    (conformed.write.format("delta").mode("append").option("txnAppId", f"minsheng-ingest-{name}-{txn_id}")
     .option("txnVersion", 0).save(cat.location(name)))


def batch_counts(spark: SparkSession, cat: Catalogue, name: str, days: set[dt.date], batches: set[str]) -> dict[str, int]:
    """Rows per batch id now in a ``dt``-partitioned table, for the given batches of the given days.

    The filter is on the partition column (pruned from the Delta log, never evaluated per row) and the
    batch ids are picked out on the driver: a year's backfill has ~13,000 event batches, and an ``IN``
    list of that size in every task made the read-back slower than the write.
    """
    if not days:
        return {}
    rows = (cat.read(spark, name).filter(F.col("dt").isin(sorted(days))).groupBy("batch_id").count().collect())
    return {r[0]: r[1] for r in rows if r[0] in batches}


def _txn_id(files: list[LandingFile]) -> str:
    return hashlib.sha256("|".join(sorted(f.file_hash + f.path for f in files)).encode()).hexdigest()[:24]


def _known_files(spark: SparkSession, cat: Catalogue) -> dict[str, tuple[set[str], dict[str, str]]]:
    known: dict[str, tuple[set[str], dict[str, str]]] = {c: (set(), {}) for c in CHANNELS}
    if cat.exists(spark, "ops_ingested_file"):
        for r in cat.read(spark, "ops_ingested_file").select("channel", "source_file", "file_hash", "status").collect():
            paths, hashes = known.setdefault(r["channel"], (set(), {}))
            paths.add(r["source_file"])
            if r["status"] == "ingested":
                hashes[r["file_hash"]] = r["source_file"]
    return known


def _log_row(ch: Channel, f: LandingFile, now: dt.datetime, **kw) -> dict:
    row = {"batch_id": T.batch_id(ch.name, f.dt, f.file_hash), "channel": ch.name, "dt": f.dt,
           "source_file": f.path, "file_hash": f.file_hash, "status": "ingested", "duplicate_of": None,
           "rows_read": 0, "rows_accepted": 0, "rows_quarantined": 0, "rows_rescued": 0, "encoding": None,
           "ingest_time": now}
    row.update(kw)
    return row


def ingest_channel(spark: SparkSession, cat: Catalogue, ch: Channel, dates: list[dt.date],
                   domains: dict[str, list[str]], now: dt.datetime,
                   known: tuple[set[str], dict[str, str]]) -> tuple[dict, list[dict], DataFrame | None]:
    """Ingest one channel's new files; returns (summary, log rows, quarantine rows still to write)."""
    files = list_landing(spark, cat, ch, dates)
    to_ingest, skipped = classify(files, *known)
    summary = {"files_seen": len(files), "files_ingested": len(to_ingest), "files_skipped": len(skipped),
               "rows_read": 0, "rows_accepted": 0, "rows_quarantined": 0}
    log_rows: list[dict] = []
    for f, dup in skipped:
        kind = "duplicate_file" if f.path.rsplit("/", 1)[-1] == dup.rsplit("/", 1)[-1] else "renamed_redelivery"
        log_rows.append(_log_row(ch, f, now, batch_id=f"{T.batch_id(ch.name, f.dt, f.file_hash)}-skip-{_path_id(f.path)}",
                                 status=f"skipped_{kind}", duplicate_of=dup))
    if not to_ingest:
        return summary, log_rows, None
    validated = T.with_lineage(T.validate(read_decoded(spark, ch, to_ingest), ch, domains), ch.name,
                               F.lit(now).cast("timestamp"))
    # Decode once (the writes and counts reuse it), laid out one delivery day per partition: Spark
    # packs the landing files into read partitions by size, not by day, so without this every task of a
    # year's backfill wrote a file into almost every dt= folder — 12,700 files for a year of events
    # (each file creation forks a `chmod` on a local lake), and every later read of bronze paid for them.
    validated = validated.repartition("dt").localCheckpoint(eager=True)
    counts = {r["source_file"]: r for r in validated.groupBy("source_file").agg(
        F.count("*").alias("n"), F.count("rescued").alias("rescued"),
        F.sum(F.col(T.REJECT_CODE).isNotNull().cast("int")).alias("q"),
        F.first("encoding", ignorenulls=True).alias("encoding")).collect()}
    txn = _txn_id(to_ingest)
    append_once(T.bronze_rows(validated, ch), cat, ch.bronze, txn)
    if ch.text_fields:
        append_once(T.raw_text_rows(validated, ch), cat, "bronze_raw_text", f"{ch.name}-{txn}")
    batches = {T.batch_id(ch.name, f.dt, f.file_hash): f for f in to_ingest}
    accepted = batch_counts(spark, cat, ch.bronze, {f.dt for f in to_ingest}, set(batches))
    for b, f in batches.items():
        c = counts.get(f.path)
        n, q = (c["n"], c["q"] or 0) if c else (0, 0)
        if n != accepted.get(b, 0) + q:
            raise IngestCountError(f"ingest of {ch.name} batch {b} ({f.path}): rows read {n} != accepted "
                                   f"{accepted.get(b, 0)} + quarantined {q}")
        log_rows.append(_log_row(ch, f, now, rows_read=n, rows_accepted=accepted.get(b, 0), rows_quarantined=q,
                                 rows_rescued=c["rescued"] if c else 0, encoding=c["encoding"] if c else None))
        summary["rows_read"] += n
        summary["rows_accepted"] += accepted.get(b, 0)
        summary["rows_quarantined"] += q
    log.info("ingest %s: %s", ch.name, summary)
    return summary, log_rows, T.quarantine_rows(validated, ch)


LOG_DDL = ("batch_id string, channel string, dt date, source_file string, file_hash string, status string, "
           "duplicate_of string, rows_read long, rows_accepted long, rows_quarantined long, rows_rescued long, "
           "encoding string, ingest_time timestamp")


def _finish(spark: SparkSession, cat: Catalogue, log_rows: list[dict], quarantine: list[DataFrame]) -> None:
    """Quarantine, then the log, then the registry: the registry is the commit point of a file."""
    txn = hashlib.sha256("|".join(sorted(r["batch_id"] for r in log_rows)).encode()).hexdigest()[:24]
    batches = [r["batch_id"] for r in log_rows if r["status"] == "ingested"]
    if quarantine:
        q = quarantine[0]
        for other in quarantine[1:]:
            q = q.unionByName(other)
        append_once(q, cat, "quarantine", txn)
        written = batch_counts(spark, cat, "quarantine", {r["dt"] for r in log_rows if r["status"] == "ingested"},
                               set(batches))
        bad = [f"{r['batch_id']}: expected {r['rows_quarantined']} quarantined, table has {written.get(r['batch_id'], 0)}"
               for r in log_rows if r["status"] == "ingested" and r["rows_quarantined"] != written.get(r["batch_id"], 0)]
        if bad:
            raise IngestCountError("quarantine does not hold the rejected rows: " + "; ".join(bad))
    df = spark.createDataFrame([tuple(r[c] for c in LOG_COLUMNS) for r in log_rows], LOG_DDL)
    append_once(df, cat, "ops_ingest_log", txn)
    reg = df.select("source_file", "file_hash", "channel", "dt", "status", "duplicate_of", "batch_id", "ingest_time")
    append_once(reg, cat, "ops_ingested_file", txn)


def run(date_from: dt.date, date_to: dt.date, channel: str | None = None,
        settings: Settings | None = None) -> dict:
    """Ingest the delivery days ``date_from``..``date_to`` of one channel or of all channels."""
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-ingest")
    dates = days(date_from, date_to)
    chans = [get(channel)] if channel else list(CHANNELS.values())
    domains = _ref_domains(spark, cat)
    now = dt.datetime.now().replace(microsecond=0)
    out = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "channels": {}}
    known = _known_files(spark, cat)
    log_rows: list[dict] = []
    quarantine: list[DataFrame] = []
    for ch in chans:
        summary, rows, q = ingest_channel(spark, cat, ch, dates, domains, now, known[ch.name])
        out["channels"][ch.name] = summary
        log_rows += rows
        if q is not None:
            quarantine.append(q)
    if log_rows:
        _finish(spark, cat, log_rows, quarantine)
    for name in [c.bronze for c in chans] + ["quarantine", "ops_ingest_log"]:
        if cat.exists(spark, name):
            out.setdefault("versions", {})[name] = delta.current_version(spark, cat, name)
    log.info("ingest summary: %s", out)
    return out
