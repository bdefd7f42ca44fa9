"""Personal-information protection: the redaction primitives (``jobs.common.security``) and the PII scanner.

``run_scan`` reads every table of the silver and gold layers (or the ones named) that is not a
restricted ``sensitive`` table, scans every string column (and string arrays) for phone numbers,
resident ID numbers and bank-card numbers in clear, and raises ``PiiLeakError`` naming table, column
and hit count when anything is found. ``scan_frame`` does the same for any DataFrame, e.g. files
about to be published.

Incremental by default: every scan of a table is recorded in ``ops_pii_scan`` with the Delta version it
covered, and the next scan reads only what the table's commits since its last *clean* scan wrote (the
change data feed the catalogue enables on silver and gold), so a day's scan costs a day's rows, not the
history's. A table without a clean scan, one whose feed does not cover the range (created before the
feed was enabled, or re-created) and ``full=True`` get a full scan of the current version. A leak keeps
being reported — the last clean version does not move — until it is fixed at its source and a scan
(``minsheng pii-scan --full`` after a delete/redaction) finds the table clean.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType

from jobs.common import delta
from jobs.common.catalogue import Catalogue
from jobs.common.config import Settings
from jobs.common.security import (
    BANK_CARD_RE,
    ID_CARD_RE,
    PHONE_RE,
    mask_id,
    mask_name,
    mask_phone,
    redact_text,
)
from jobs.common.session import get_spark

__all__ = ["PATTERNS", "PiiLeakError", "mask_id", "mask_name", "mask_phone", "redact_text", "run_scan",
           "scan_frame"]
log = logging.getLogger(__name__)

#: what counts as a leak: identifiers that are never legitimate in clear outside the restricted zone
PATTERNS = {"phone": PHONE_RE, "id_card": ID_CARD_RE, "bank_card": BANK_CARD_RE}
SCANNED_LAYERS = ("silver", "gold")
SCAN_LOG = "ops_pii_scan"
SCAN_LOG_SCHEMA = ("table_name string, table_version long, since_version long, mode string, rows_scanned long, "
                   "hits long, scanned_at timestamp")
#: Delta's errors for a change-feed range it cannot serve: fall back to a full scan
_NO_CHANGE_DATA = ("DELTA_MISSING_CHANGE_DATA", "DELTA_CHANGE_TABLE_FEED_DISABLED", "DELTA_VERSIONS_NOT_CONTIGUOUS",
                   "DELTA_CDC_READ_NULL_RANGE_BOUNDARY", "DELTA_INVALID_CDC_RANGE")


class PiiLeakError(RuntimeError):
    """Personal information found in clear where it must not be."""

    def __init__(self, hits: dict[str, dict[str, int]]):
        self.hits = hits
        parts = [f"{t}.{c}: {n} value(s)" for t, cols in sorted(hits.items()) for c, n in sorted(cols.items())]
        super().__init__("PII in clear found — " + "; ".join(parts) + ". The run is stopped: redact or mask the "
                         "column(s) at their source step, then `minsheng pii-scan --full` (later scans start from "
                         "its clean result).")


def _text_columns(df: DataFrame) -> list[str]:
    out = []
    for f in df.schema.fields:
        if isinstance(f.dataType, StringType) or (isinstance(f.dataType, ArrayType)
                                                  and isinstance(f.dataType.elementType, StringType)):
            out.append(f.name)
    return out


def scan_frame(df: DataFrame, columns: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Hits per column and pattern kind, e.g. ``{"content_redacted": {"phone": 2}}`` (empty when clean).

    One pass over the data: every column × pattern is a conditional count in a single aggregation.
    """
    return _scan(df, columns)[0]


def _scan(df: DataFrame, columns: list[str] | None = None) -> tuple[dict[str, dict[str, int]], int]:
    """(hits as :func:`scan_frame` returns them, rows scanned) in one pass."""
    cols = columns or _text_columns(df)
    aggs = [F.count(F.lit(1)).alias("\u0001rows")]
    for c in cols:
        value = F.array_join(F.col(c), " ") if isinstance(df.schema[c].dataType, ArrayType) else F.col(c)
        for kind, pattern in PATTERNS.items():
            aggs.append(F.sum(F.when(value.rlike(pattern), 1).otherwise(0)).alias(f"{c}\u0001{kind}"))
    row = df.agg(*aggs).first().asDict()
    rows = int(row.pop("\u0001rows"))
    hits: dict[str, dict[str, int]] = {}
    for key, n in row.items():
        if n:
            c, kind = key.split("\u0001")
            hits.setdefault(c, {})[kind] = int(n)
    return hits, rows


def last_clean_versions(spark: SparkSession, cat: Catalogue) -> dict[str, int]:
    """Per table, the Delta version its latest clean scan covered (from ``ops_pii_scan``)."""
    if not cat.exists(spark, SCAN_LOG):
        return {}
    rows = (cat.read(spark, SCAN_LOG).filter(F.col("hits") == 0)
            .groupBy("table_name").agg(F.max("table_version").alias("v")).collect())
    return {r["table_name"]: int(r["v"]) for r in rows}


def _no_change_data(exc: Exception) -> bool:
    return any(code in str(exc) for code in _NO_CHANGE_DATA)


def scan_table(spark: SparkSession, cat: Catalogue, name: str, since: int | None) -> dict:
    """Scan one table: the rows written after version ``since`` (its last clean scan), or all of it.

    Returns ``{"version", "since", "mode" (full | changes | unchanged), "rows", "hits"}``.
    """
    version = delta.current_version(spark, cat, name)
    if since is not None and since == version:
        return {"version": version, "since": since, "mode": "unchanged", "rows": 0, "hits": {}}
    if since is not None and since < version:
        try:
            hits, rows = _scan(cat.read_changes(spark, name, since + 1, version))
            return {"version": version, "since": since, "mode": "changes", "rows": rows, "hits": hits}
        except Exception as exc:  # noqa: BLE001 — only Delta's "no change data for that range" falls back
            if not _no_change_data(exc):
                raise
            log.info("PII scan of %s: no change data for versions %d..%d (%s): full scan", name, since + 1,
                     version, str(exc).splitlines()[0][:200])
    # no clean scan yet, no feed over the range, or a table re-created below the recorded version
    hits, rows = _scan(cat.read(spark, name, version=version))
    return {"version": version, "since": None, "mode": "full", "rows": rows, "hits": hits}


def run_scan(tables: list[str] | None = None, settings: Settings | None = None, full: bool = False) -> dict:
    """Scan the named tables (default: every silver and gold table that is not graded sensitive).

    Each table is scanned from its last clean scan on (see the module docstring); ``full=True`` scans
    every table whole. Every table's result is appended to ``ops_pii_scan``, leaks included.

    Returns:
        ``{"tables": {name: clean | LEAK | missing}, "hits": {...}, "scans": {name: {version, since, mode,
        rows}}}``.

    Raises:
        PiiLeakError: any hit in any table.
    """
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-pii-scan")
    names = tables or [n for layer in SCANNED_LAYERS for n in cat.names(layer) if cat.spec(n).grade != "sensitive"]
    clean = {} if full else last_clean_versions(spark, cat)
    summary: dict = {"tables": {}, "hits": {}, "scans": {}}
    records = []
    for name in names:
        if not cat.exists(spark, name):
            summary["tables"][name] = "missing"
            continue
        out = scan_table(spark, cat, name, clean.get(name))
        hits = out.pop("hits")
        summary["scans"][name] = out
        summary["tables"][name] = "clean" if not hits else "LEAK"
        if hits:
            summary["hits"][name] = {f"{c}": sum(k.values()) for c, k in hits.items()}
        records.append((name, out["version"], out["since"], out["mode"], out["rows"],
                        sum(sum(k.values()) for k in hits.values()), datetime.now(UTC)))
    if records:
        delta.append(spark.createDataFrame(records, SCAN_LOG_SCHEMA), cat, SCAN_LOG)
    log.info("PII scan: %s", summary)
    if summary["hits"]:
        raise PiiLeakError(summary["hits"])
    return summary
