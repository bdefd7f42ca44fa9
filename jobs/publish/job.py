"""`minsheng publish`: gold indicators + 民生诉求体征 → S3 (boto3), and department share extracts.

Layout in the publish bucket (one *period* = one day / week / month):

    indicators/period=<type>/<start>/run=<run_id>/<dataset>.parquet|.json
    indicators/period=<type>/<start>/_manifest.json
    warnings/period=day/<day>/run=<run_id>/early_warnings.parquet|.json   (+ _manifest.json)
    share/dept=<code>/period=<type>/<start>/run=<run_id>/orders.parquet|.json
    share/dept=<code>/period=<type>/<start>/_manifest.json

Atomicity: a run uploads its files under a fresh ``run=<run_id>/`` prefix, then writes the
manifest LAST (one PUT replaces it atomically), then deletes the files of earlier runs. A reader
that starts from ``_manifest.json`` therefore always sees one complete, checksummed set; a period
without a manifest is not published. Re-publishing a period replaces it, and withdraws (manifest
first, then files; audited as ``withdraw``) a department extract the period no longer has.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import io
import json
import logging
import os
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.common import delta
from jobs.common import s3 as s3mod
from jobs.common.catalogue import Catalogue
from jobs.common.config import Settings
from jobs.common.session import get_spark
from jobs.indicators.config import IndicatorConfig
from jobs.indicators.transforms import PERIOD_TYPES, period_end, period_start
from jobs.publish import transforms as tx

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.0"
TZ = ZoneInfo("Asia/Shanghai")
AUDIT_TABLE = "ops_publish_audit"
WARNINGS_TABLE = "gold_early_warning"
AUDIT_SCHEMA = T.StructType([T.StructField(n, t) for n, t in [
    ("audit_id", T.StringType()), ("run_id", T.StringType()), ("action", T.StringType()),
    ("actor", T.StringType()), ("dataset", T.StringType()), ("period_type", T.StringType()),
    ("period_start", T.DateType()), ("recipient", T.StringType()), ("bucket", T.StringType()),
    ("object_key", T.StringType()), ("uri", T.StringType()), ("format", T.StringType()),
    ("rows", T.LongType()), ("bytes", T.LongType()), ("sha256", T.StringType()),
    ("data_grade", T.StringType()), ("published_at", T.TimestampType()),
]])


class PublishPiiError(RuntimeError):
    """Personal information found in something about to be published; nothing was uploaded for it."""


def _pii_scan(cat: Catalogue, tables: list[str]) -> str:
    """Run the project's PII scanner (jobs.privacy.run_scan) when it exists; its error propagates."""
    try:
        from jobs.privacy import run_scan  # type: ignore[attr-defined]
    except ImportError:
        log.warning("jobs.privacy.run_scan is not available: publishing without the table PII scan")
        return "unavailable"
    run_scan(tables=tables, settings=cat.settings)
    return "passed"


def _scan_outgoing(frames: dict[str, DataFrame]) -> str:
    """Scan every frame about to leave with the project's scanner (jobs.privacy.scan_frame).

    Raises:
        jobs.privacy.PiiLeakError: a phone / ID / bank-card number in clear in any of them.
    """
    try:
        from jobs.privacy import PiiLeakError, scan_frame  # type: ignore[attr-defined]
    except ImportError:
        return "unavailable"
    hits = {f"published:{name}": h for name, df in frames.items() if (h := scan_frame(df))}
    if hits:
        raise PiiLeakError(hits)
    return "passed"


def _json_default(value: Any) -> Any:
    """JSON for what pandas cannot encode itself (Decimal, stray objects): its string form."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def _iso_strings(col: pd.Series) -> pd.Series | None:
    """ISO 8601 text for a date or timestamp column (None for any other column).

    Timestamps are city time with the +08:00 offset (naive ones are city time already); seconds carry
    a fraction only when some value in the column has one. Arrow formats whole columns at C speed.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.is_datetime64_any_dtype(col):
        ts = col.dt.tz_convert(TZ).dt.tz_localize(None) if col.dt.tz is not None else col
    elif col.dtype == object and (first := col.dropna().head(1).tolist()):
        if isinstance(first[0], dt.datetime):  # (pd.Timestamp is one too)
            ts = pd.to_datetime(col.map(lambda v: v if v is None or not getattr(v, "tzinfo", None)
                                        else v.astimezone(TZ).replace(tzinfo=None)))
        elif isinstance(first[0], dt.date):
            return pd.Series(pa.array(col, type=pa.date32(), from_pandas=True).cast(pa.string())
                             .to_pandas(), index=col.index, dtype=object)
        else:
            return None
    else:
        return None
    arr = pa.Array.from_pandas(ts)
    present = ts.dropna()
    whole = bool((present.dt.nanosecond == 0).all() and (present.dt.microsecond == 0).all())
    arr = pc.cast(arr, pa.timestamp("s" if whole else "us"), safe=False)
    text = pc.binary_join_element_wise(pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S"), "+08:00", "")
    return pd.Series(text.to_pandas(), index=col.index, dtype=object)


def json_bytes(pdf: pd.DataFrame) -> bytes:
    """The rows as a JSON array (UTF-8): NaN/NaT → null, dates and +08:00 timestamps as ISO 8601.

    Encoded column-wise by pandas' C JSON writer (a year's backfill publishes ~10 M indicator rows;
    building a Python dict per row took most of the publish step).
    """
    out = pdf.copy(deep=False)
    for name in out.columns:
        iso = _iso_strings(out[name])
        if iso is not None:
            out[name] = iso
    text = out.to_json(orient="records", force_ascii=False, double_precision=15, default_handler=_json_default)
    # pandas escapes every "/" as "\/" (valid JSON, but noisy in URLs); an escaped slash is the only
    # place a backslash directly precedes "/" in its output, so this replacement is exact.
    return text.replace("\\/", "/").encode("utf-8")


def encode(pdf: pd.DataFrame) -> dict[str, bytes]:
    """The same rows as Parquet and as a JSON array (UTF-8)."""
    buf = io.BytesIO()
    pdf.to_parquet(buf, index=False, engine="pyarrow")
    return {"parquet": buf.getvalue(), "json": json_bytes(pdf)}


def _starts(period: str, date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    first, last = period_start(date_from, period), period_start(date_to, period)
    out, d = [], first
    while d <= last:
        out.append(d)
        d = period_end(d, period) + dt.timedelta(days=1)
    return out


class _Publisher:
    """Uploads each period's files, then its manifest, then removes earlier runs; records the audit.

    Encoding happens in the caller's thread; the S3 requests of a period (files → manifest → cleanup, in
    that order) run in a small thread pool, so many periods are in flight at once: a year's backfill
    publishes ~20 k periods (days × datasets, department × day shares) and one request at a time spent
    most of its time waiting for the object store. At most ``in_flight`` encoded periods wait in memory.
    Use as a context manager: leaving it waits for every upload and raises the first failure.
    """

    def __init__(self, client: Any, bucket: str, run_id: str, actor: str, now: dt.datetime,
                 workers: int = 8, in_flight: int = 64):
        self.client, self.bucket, self.run_id, self.actor, self.now = client, bucket, run_id, actor, now
        self.audit: list[dict[str, Any]] = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish")
        self._slots = threading.BoundedSemaphore(in_flight)
        self._futures: list[Future] = []
        self._indexed: list[str] = []             # roots listed once up front (see index)
        self._stale: dict[str, list[str]] = {}    # period prefix → earlier runs' keys under it

    def index(self, root: str) -> None:
        """List the earlier runs' files under ``root`` once, instead of once per period.

        For a range (a backfill publishes hundreds of periods per root) one paginated listing replaces a
        listing request per period; call it before queueing that root's periods.
        """
        for prefix, keys in self._earlier_runs(root).items():
            self._stale.setdefault(prefix, []).extend(keys)
        self._indexed.append(root)

    def _earlier_runs(self, listing_prefix: str) -> dict[str, list[str]]:
        """Keys of other runs' files under ``listing_prefix``, by the period prefix they belong to."""
        found: dict[str, list[str]] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=listing_prefix):
            for obj in page.get("Contents", []):
                prefix, sep, rest = obj["Key"].partition("run=")
                if sep and prefix.endswith("/") and rest.split("/", 1)[0] != self.run_id:
                    found.setdefault(prefix, []).append(obj["Key"])
        return found

    def __enter__(self) -> _Publisher:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)
        if exc_type is None:
            for future in self._futures:
                future.result()  # the first failed upload's error, after every upload has ended

    def period(self, prefix: str, datasets: dict[str, pd.DataFrame], meta: dict[str, Any],
               action: str, recipient: str, grade: str) -> dict[str, Any]:
        """Encode one period's datasets and queue its upload; returns its manifest."""
        run_prefix = f"{prefix}run={self.run_id}/"
        audit: list[dict[str, Any]] = []  # kept once the period is up, manifest and all
        entries: dict[str, Any] = {}
        puts: list[dict[str, Any]] = []
        for name, pdf in datasets.items():
            files = []
            for fmt, body in encode(pdf).items():
                key = f"{run_prefix}{name}.{fmt}"
                digest = hashlib.sha256(body).hexdigest()
                puts.append({"Key": key, "Body": body, "ChecksumAlgorithm": "SHA256",
                             "ContentType": "application/json" if fmt == "json" else "application/vnd.apache.parquet",
                             "Metadata": {"sha256": digest, "data-grade": grade}})
                files.append({"key": key, "format": fmt, "bytes": len(body), "sha256": digest})
                audit.append(self._audit_row(action, name, meta["period_type"], meta["period_start"], recipient,
                                             key, fmt, len(pdf), len(body), digest, grade))
            entries[name] = {"rows": len(pdf), "columns": list(pdf.columns), "files": files}
        manifest = {
            "schema_version": SCHEMA_VERSION, **meta, "run_id": self.run_id,
            "generated_at": self.now.isoformat(), "generated_by": self.actor, "data_grade": grade,
            "recipient": recipient, "small_cell_rule": f"figures over fewer than {tx.MIN_CELL} orders are NULL",
            "datasets": entries,
        }
        puts.append({"Key": f"{prefix}_manifest.json", "ContentType": "application/json",
                     "Body": json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")})
        self._slots.acquire()
        try:
            future = self._pool.submit(self._upload, prefix, puts)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        future.add_done_callback(lambda f: f.cancelled() or f.exception() is not None or self.audit.extend(audit))
        self._futures.append(future)
        return manifest

    def _upload(self, prefix: str, puts: list[dict[str, Any]]) -> None:
        for put in puts:  # the manifest is last: a reader never sees it before the files it lists
            self.client.put_object(Bucket=self.bucket, **put)
        self._remove_other_runs(prefix)

    def _audit_row(self, action: str, dataset: str, period_type: str, period_start: str, recipient: str,
                   key: str, fmt: str | None, rows: int, size: int, digest: str | None, grade: str) -> dict[str, Any]:
        """One ``ops_publish_audit`` row (AUDIT_SCHEMA) for an object (or a withdrawn prefix) of this run."""
        return {"audit_id": uuid.uuid4().hex, "run_id": self.run_id, "action": action, "actor": self.actor,
                "dataset": dataset, "period_type": period_type, "period_start": dt.date.fromisoformat(period_start),
                "recipient": recipient, "bucket": self.bucket, "object_key": key, "uri": f"s3://{self.bucket}/{key}",
                "format": fmt, "rows": rows, "bytes": size, "sha256": digest, "data_grade": grade,
                "published_at": self.now.replace(tzinfo=None)}

    def withdraw(self, root: str, starts: list[str], keep: set[str], dataset: str, recipient: str,
                 grade: str, period_type: str) -> list[str]:
        """Take down what an earlier run published under ``root`` for these period starts and this run
        did not publish again (``keep``): its manifest first, so no reader follows it to a missing file,
        then its files. Each withdrawal is audited. Returns the withdrawn period prefixes.

        A period's department extract goes when the department no longer has orders in it (an order
        reassigned to another department, or voided): re-publishing a period replaces all of it.
        """
        first, last, wanted = min(starts), max(starts), set(starts) - keep
        found: dict[str, list[str]] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        # the listing is in key order and period starts are ISO dates: start at the first, stop after the last
        for page in paginator.paginate(Bucket=self.bucket, Prefix=root, StartAfter=f"{root}{first}"):
            contents = page.get("Contents", [])
            for obj in contents:
                start = obj["Key"][len(root):].split("/", 1)[0]
                if start in wanted:
                    found.setdefault(start, []).append(obj["Key"])
            if contents and contents[-1]["Key"][len(root):].split("/", 1)[0] > last:
                break
        for start, keys in sorted(found.items()):
            manifest = f"{root}{start}/_manifest.json"
            ordered = [k for k in keys if k == manifest] + [k for k in keys if k != manifest]
            for k in ordered:
                self.client.delete_object(Bucket=self.bucket, Key=k)
            self.audit.append(self._audit_row("withdraw", dataset, period_type, start, recipient, f"{root}{start}/",
                                              None, 0, 0, None, grade))
        return [f"{root}{start}/" for start in sorted(found)]

    def _remove_other_runs(self, prefix: str) -> None:
        if any(prefix.startswith(root) for root in self._indexed):
            stale = self._stale.get(prefix, [])
        else:
            stale = self._earlier_runs(f"{prefix}run=").get(prefix, [])
        for i in range(0, len(stale), 1000):
            self.client.delete_objects(Bucket=self.bucket,
                                       Delete={"Objects": [{"Key": k} for k in stale[i:i + 1000]], "Quiet": True})


def _split(pdf: pd.DataFrame, col: str) -> dict[Any, pd.DataFrame]:
    """Rows of ``pdf`` per value of ``col`` (one pass), in their original order."""
    return {k: g.reset_index(drop=True) for k, g in pdf.groupby(col, sort=False)} if len(pdf) else {}


def _part(pdf: pd.DataFrame, parts: dict[Any, pd.DataFrame], key: Any) -> pd.DataFrame:
    """The rows of ``key`` (an empty frame with the same columns when there are none)."""
    return parts[key] if key in parts else pdf.iloc[0:0].reset_index(drop=True)


def _period_frame(df: DataFrame, period: str, starts: list[dt.date]) -> DataFrame:
    return df.filter((F.col("period_type") == period) & F.col("period_start").isin(*starts))


def publish(spark: SparkSession, cat: Catalogue, client: Any, period: str, date_from: dt.date,
            date_to: dt.date, now: dt.datetime | None = None, actor: str | None = None,
            table_scan: bool = True) -> dict[str, Any]:
    """Publish the periods of ``period`` type touching [date_from, date_to] (see module docstring).

    ``table_scan=False`` skips the whole-table PII scan of the gold tables and silver orders, for a
    caller that has just run it over the same tables (the day, week and month publishes of one task);
    what is about to leave is always scanned.

    Raises:
        ValueError: unknown period type or reversed range.
        FileNotFoundError: a gold table or the silver orders do not exist yet.
        PublishPiiError: a phone or ID number in an extract's text; jobs.privacy.PiiLeakError from the scanner.
    """
    if period not in PERIOD_TYPES:
        raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIOD_TYPES)}")
    if date_to < date_from:
        raise ValueError(f"date_to {date_to} is before date_from {date_from}")
    now = now or dt.datetime.now(TZ)
    actor = actor or os.environ.get("MINSHENG_ACTOR") or getpass.getuser()
    run_id = now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    bucket = s3mod.publish_bucket(cat.settings)
    cfg = IndicatorConfig.from_settings(cat.settings)
    gold = ["ads_hotline_indicator", "ads_livelihood_sign", "ads_dept_ranking", "ads_anomaly_input"]
    missing = [t for t in [*gold, "dwd_work_order"] if not cat.exists(spark, t)]
    if missing:
        raise FileNotFoundError(f"cannot publish: table(s) {missing} do not exist yet; run `minsheng standardise` "
                                "and `minsheng indicators` for the dates first")
    scan = _pii_scan(cat, gold + ["dwd_work_order"]) if table_scan else "done by the caller"
    s3mod.ensure_bucket(client, bucket)
    starts = _starts(period, date_from, date_to)

    published_indicators = tx.suppress_indicators(
        _period_frame(cat.read(spark, "ads_hotline_indicator"), period, starts), cfg)
    frames = {
        "indicators": published_indicators,
        "livelihood_signs": tx.suppress_signs(_period_frame(cat.read(spark, "ads_livelihood_sign"), period, starts),
                                              published_indicators),
        "dept_ranking": tx.suppress_ranking(_period_frame(cat.read(spark, "ads_dept_ranking"), period, starts)),
    }
    if period == "day":
        frames["anomaly_inputs"] = tx.suppress_anomalies(
            cat.read(spark, "ads_anomaly_input").filter(F.col("period_start").isin(*starts))
            .withColumn("period_type", F.lit("day")))
    # 未诉先办 warnings of the day (redacted evidence; internal grade), when the warning job has run.
    warnings_df = None
    if period == "day" and cat.exists(spark, WARNINGS_TABLE):
        warnings_df = (cat.read(spark, WARNINGS_TABLE).filter(F.col("warn_date").isin(*starts))
                       .withColumn("period_type", F.lit("day")).withColumn("period_start", F.col("warn_date")))
    # Department share extracts: each department only its own orders (masked), under its own prefix.
    first, last = starts[0], period_end(starts[-1], period)
    orders = cat.read(spark, "dwd_work_order").filter(F.col("accept_date").between(F.lit(first), F.lit(last)))
    ps = {"day": "accept_date", "week": "date_trunc('week', accept_date)", "month": "trunc(accept_date, 'MM')"}
    share_df = tx.shareable(orders).withColumn("_ps", F.to_date(F.expr(ps[period])))
    # Everything that leaves is scanned BEFORE the first upload.
    outgoing = {**frames, "share_extracts": share_df}
    if warnings_df is not None:
        outgoing["early_warnings"] = warnings_df
    scan_out = _scan_outgoing(outgoing)
    share_pdf = share_df.orderBy("main_dept_code", "accept_time", "order_id").toPandas()
    hits = tx.pii_hits(share_pdf)
    if hits:
        raise PublishPiiError("share extracts not published, personal information found: " + "; ".join(hits[:10]))
    shares = _split(share_pdf, "main_dept_code")
    pdfs = {name: df.orderBy(*[c for c in df.columns if c.startswith(("period_", "geo_", "category_", "dept_"))])
            .toPandas() for name, df in frames.items()}

    summary: dict[str, Any] = {"period": period, "run_id": run_id, "bucket": bucket, "pii_scan": scan,
                               "pii_scan_published": scan_out,
                               "periods": {}, "shares": {}}
    # Leaving the block waits for every upload (and raises the first failure); the audit is written
    # either way, for every period that went up — a failed run leaves no unaudited publication.
    pub = _Publisher(client, bucket, run_id, actor, now)
    try:
        _upload_all(pub, client, bucket, period, starts, pdfs, shares, warnings_df, cat, summary)
    finally:
        if pub.audit:
            delta.append(spark.createDataFrame(pub.audit, AUDIT_SCHEMA), cat, AUDIT_TABLE)
    summary["audit_rows"] = len(pub.audit)
    log.info("published %s %s..%s: %s", period, date_from, date_to, summary)
    return summary


def _upload_all(pub: _Publisher, client: Any, bucket: str, period: str, starts: list[dt.date],
                pdfs: dict[str, pd.DataFrame], shares: dict[Any, pd.DataFrame], warnings_df: DataFrame | None,
                cat: Catalogue, summary: dict[str, Any]) -> None:
    """Queue every period's upload (indicators, warnings, department extracts), wait for them, then
    withdraw the department extracts these periods no longer have."""
    with pub:
        # Split each frame by period once: a year's backfill publishes 365 days, and filtering the whole
        # frame per day was O(days × rows) (9.5 M indicator rows for the demo's year).
        by_start = {n: _split(p, "period_start") for n, p in pdfs.items()}
        ranged = len(starts) > 1  # a range: list each root's earlier runs once, not once per period
        if ranged:
            pub.index(f"indicators/period={period}/")
        for start in starts:
            meta = {"period_type": period, "period_start": start.isoformat(),
                    "period_end": period_end(start, period).isoformat()}
            datasets = {n: _part(pdfs[n], by_start[n], start) for n in pdfs}
            prefix = f"indicators/period={period}/{start.isoformat()}/"
            manifest = pub.period(prefix, datasets, meta, "publish", "一网统管", "general")
            summary["periods"][start.isoformat()] = {n: e["rows"] for n, e in manifest["datasets"].items()}

        if warnings_df is not None:
            wpdf = warnings_df.orderBy("period_start", F.desc("score"), "warning_id").toPandas()
            w_by_start = _split(wpdf, "period_start")
            if ranged:
                pub.index(f"warnings/period={period}/")
            for start in starts:
                meta = {"period_type": period, "period_start": start.isoformat(),
                        "period_end": period_end(start, period).isoformat()}
                day = _part(wpdf, w_by_start, start)
                manifest = pub.period(f"warnings/period={period}/{start.isoformat()}/", {"early_warnings": day}, meta,
                                      "publish", "一网统管", cat.spec(WARNINGS_TABLE).grade)
                summary.setdefault("warnings", {})[start.isoformat()] = manifest["datasets"]["early_warnings"]["rows"]

        # a department with an extract of one of these periods from an earlier run, and no orders in it
        # now, has that extract withdrawn (after this run's uploads: see below)
        share_roots = [p["Prefix"] for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix="share/dept=", Delimiter="/") for p in page.get("CommonPrefixes", [])]
        for dept in sorted(shares):
            pdf_all, dept = shares[dept], str(dept)
            dept_by_start = _split(pdf_all, "_ps")
            if ranged:
                pub.index(f"share/dept={dept}/period={period}/")
            for start in starts:
                pdf = _part(pdf_all, dept_by_start, start).drop(columns=["_ps"])
                if pdf.empty:
                    continue
                meta = {"period_type": period, "period_start": start.isoformat(),
                        "period_end": period_end(start, period).isoformat(), "dept_code": dept}
                prefix = f"share/dept={dept}/period={period}/{start.isoformat()}/"
                pub.period(prefix, {"orders": pdf}, meta, "share", dept, "internal")
                summary["shares"].setdefault(dept, {})[start.isoformat()] = len(pdf)

    iso_starts = [s.isoformat() for s in starts]
    for root in share_roots:
        dept = root[len("share/dept="):-1]
        withdrawn = pub.withdraw(f"{root}period={period}/", iso_starts, set(summary["shares"].get(dept, {})),
                                 "orders", dept, "internal", period)
        if withdrawn:
            summary.setdefault("withdrawn", []).extend(withdrawn)


def run(period: str, date_from: dt.date, date_to: dt.date, settings: Settings | None = None,
        table_scan: bool = True) -> dict[str, Any]:
    """Publish gold indicators and 体征 for ``period`` (day/week/month) over [date_from, date_to]."""
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-publish")
    return publish(spark, cat, s3mod.client(cat.settings), period, date_from, date_to, table_scan=table_scan)
