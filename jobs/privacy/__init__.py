"""Personal-information protection: the redaction primitives (``jobs.common.security``) and the PII scanner.

``run_scan`` reads every table of the silver and gold layers (or the ones named) that is not a
restricted ``sensitive`` table, scans every string column (and string arrays) for phone numbers,
resident ID numbers and bank-card numbers in clear, and raises ``PiiLeakError`` naming table, column
and hit count when anything is found. ``scan_frame`` does the same for any DataFrame, e.g. files
about to be published.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType

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


class PiiLeakError(RuntimeError):
    """Personal information found in clear where it must not be."""

    def __init__(self, hits: dict[str, dict[str, int]]):
        self.hits = hits
        parts = [f"{t}.{c}: {n} value(s)" for t, cols in sorted(hits.items()) for c, n in sorted(cols.items())]
        super().__init__("PII in clear found — " + "; ".join(parts) + ". The run is stopped: redact or mask the "
                         "column(s) at their source step.")


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
    cols = columns or _text_columns(df)
    if not cols:
        return {}
    aggs = []
    for c in cols:
        value = F.array_join(F.col(c), " ") if isinstance(df.schema[c].dataType, ArrayType) else F.col(c)
        for kind, pattern in PATTERNS.items():
            aggs.append(F.sum(F.when(value.rlike(pattern), 1).otherwise(0)).alias(f"{c}\u0001{kind}"))
    row = df.agg(*aggs).first().asDict()
    hits: dict[str, dict[str, int]] = {}
    for key, n in row.items():
        if n:
            c, kind = key.split("\u0001")
            hits.setdefault(c, {})[kind] = int(n)
    return hits


def run_scan(tables: list[str] | None = None, settings: Settings | None = None) -> dict:
    """Scan the named tables (default: every silver and gold table that is not graded sensitive).

    Raises:
        PiiLeakError: any hit in any table.
    """
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-pii-scan")
    names = tables or [n for layer in SCANNED_LAYERS for n in cat.names(layer) if cat.spec(n).grade != "sensitive"]
    summary: dict = {"tables": {}, "hits": {}}
    for name in names:
        if not cat.exists(spark, name):
            summary["tables"][name] = "missing"
            continue
        hits = scan_frame(cat.read(spark, name))
        summary["tables"][name] = "clean" if not hits else "LEAK"
        if hits:
            summary["hits"][name] = {f"{c}": sum(k.values()) for c, k in hits.items()}
    log.info("PII scan: %s", summary)
    if summary["hits"]:
        raise PiiLeakError(summary["hits"])
    return summary
