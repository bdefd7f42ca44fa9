"""``minsheng status``: what the lake holds now — per table its version, rows and latest day, the last
data-quality verdicts, the last PII scan, the last publication and the last recorded task failures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobs.common.catalogue import LAKE_LAYERS, Catalogue

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Columns that say which day a row belongs to, in order of preference.
DAY_COLUMNS = ("accept_date", "event_date", "batch_date", "period_start", "dt", "date", "day")
VERDICT_COLUMNS = ("verdict", "status", "passed", "result")
TIME_COLUMNS = ("published_at", "publish_time", "created_at", "written_at", "ingest_time", "failed_at")


def _latest_day(df: DataFrame, partition_by: tuple[str, ...]) -> tuple[str | None, str | None]:
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, StringType, TimestampNTZType, TimestampType

    types = {f.name: f.dataType for f in df.schema}
    candidates = [c for c in partition_by if c in DAY_COLUMNS] + [c for c in DAY_COLUMNS if c in types]
    for col in candidates:
        if isinstance(types[col], DateType | TimestampType | TimestampNTZType | StringType):
            value = df.agg(F.max(col)).first()[0]
            return col, (str(value)[:10] if value is not None else None)
    return None, None


def table_status(spark: SparkSession, cat: Catalogue, name: str) -> dict[str, Any]:
    from delta.tables import DeltaTable

    spec = cat.spec(name)
    last = DeltaTable.forPath(spark, cat.location(name)).history(1).select(
        "version", "timestamp", "operation").first()
    df = cat.read(spark, name)
    day_col, day = _latest_day(df, spec.partition_by)
    return {"table": name, "layer": spec.layer, "version": int(last["version"]),
            "last_write": str(last["timestamp"])[:19], "operation": last["operation"],
            "rows": df.count(), "day_column": day_col, "latest_day": day}


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    return next((c for c in wanted if c in columns), None)


def last_dq(spark: SparkSession, cat: Catalogue) -> dict[str, Any] | None:
    """The verdicts of the latest quality batch (``dq_results``), with the failing rules."""
    from pyspark.sql import functions as F

    if "dq_results" not in cat.names() or not cat.exists(spark, "dq_results"):
        return None
    df = cat.read(spark, "dq_results")
    day_col, day = _latest_day(df, cat.spec("dq_results").partition_by)
    if day is None:
        return {"batch": None, "rules": 0}
    latest = df.where(F.col(day_col).cast("string").startswith(day))
    out: dict[str, Any] = {"batch": day, "rules": latest.count()}
    verdict = _pick(latest.columns, VERDICT_COLUMNS)
    if verdict:
        out["verdicts"] = {str(r[0]): int(r[1]) for r in latest.groupBy(verdict).count().collect()}
        bad = latest.where(F.lower(F.col(verdict).cast("string")).isin("fail", "failed", "false", "error"))
        keep = [c for c in ("table_name", "rule_id", "pass_rate", "threshold") if c in latest.columns]
        out["failing"] = [r.asDict() for r in bad.select(*keep).limit(20).collect()] if keep else []
    return out


def last_publish(spark: SparkSession, cat: Catalogue) -> list[dict[str, Any]]:
    """The newest row of every table the publish step owns (its manifest / log)."""
    from pyspark.sql import functions as F

    out = []
    for name in cat.names():
        spec = cat.spec(name)
        if spec.owner != "publish" or not spec.is_delta or not cat.exists(spark, name):
            continue
        df = cat.read(spark, name)
        col = _pick(df.columns, TIME_COLUMNS) or _latest_day(df, spec.partition_by)[0]
        row = df.orderBy(F.col(col).desc()).first() if col else None
        out.append({"table": name, "latest": {k: str(v) for k, v in row.asDict().items()} if row else None})
    return out


def last_pii_scan(spark: SparkSession, cat: Catalogue) -> dict[str, Any] | None:
    """Each scanned table's latest PII scan (``ops_pii_scan``): when, how (full / changes / unchanged), hits."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from jobs.privacy import SCAN_LOG

    if not cat.exists(spark, SCAN_LOG):
        return None
    latest = (cat.read(spark, SCAN_LOG)
              .withColumn("_n", F.row_number().over(Window.partitionBy("table_name").orderBy(F.desc("scanned_at"))))
              .filter("_n = 1").drop("_n").orderBy("table_name").collect())
    return {"at": str(max(r["scanned_at"] for r in latest))[:19] if latest else None,
            "leaks": {r["table_name"]: int(r["hits"]) for r in latest if r["hits"]},
            "tables": {r["table_name"]: {"mode": r["mode"], "version": int(r["table_version"]),
                                         "rows": int(r["rows_scanned"])} for r in latest}}


def recent_failures(spark: SparkSession, cat: Catalogue, limit: int = 5) -> list[dict[str, Any]]:
    from jobs.ops.failures import read_failures

    cols = ["failed_at", "dag_id", "task_id", "day_from", "exception_type", "message"]
    return [{k: str(v) for k, v in r.asDict().items()}
            for r in read_failures(spark, cat).select(*cols).limit(limit).collect()]


def lake_status(spark: SparkSession, cat: Catalogue) -> dict[str, Any]:
    tables = [table_status(spark, cat, n) for n in cat.names()
              if cat.spec(n).layer in LAKE_LAYERS and cat.spec(n).is_delta and cat.exists(spark, n)]
    return {"lake": cat.settings.lake_uri, "tables": tables, "dq": last_dq(spark, cat),
            "pii_scan": last_pii_scan(spark, cat), "publish": last_publish(spark, cat), "failures": recent_failures(spark, cat)}


def format_status(status: dict[str, Any]) -> str:
    lines = [f"lake: {status['lake']}", "",
             f"{'table':28} {'layer':7} {'ver':>4} {'rows':>11}  {'latest day':10}  last write"]
    for t in status["tables"]:
        lines.append(f"{t['table']:28} {t['layer']:7} {t['version']:>4} {t['rows']:>11,}  "
                     f"{t['latest_day'] or '-':10}  {t['last_write']} {t['operation']}")
    if not status["tables"]:
        lines.append("(no tables yet: run `make demo` or the minsheng_daily DAG)")
    dq = status["dq"]
    lines += ["", "last data-quality batch: " + ("none" if not dq else
              f"{dq['batch']}: {dq['rules']} rule results {dq.get('verdicts', '')}")]
    for f in (dq or {}).get("failing", []):
        lines.append(f"  FAILED {f}")
    pii = status.get("pii_scan")
    lines.append("last PII scan: " + ("none" if not pii else
                 f"{pii['at']}: {len(pii['tables'])} tables, "
                 + (f"LEAKS {pii['leaks']}" if pii["leaks"] else "clean") + ", rows scanned "
                 + ", ".join(f"{t} {v['rows']:,} ({v['mode']})" for t, v in pii["tables"].items() if v["rows"])))
    lines.append("last publish: " + ("none" if not status["publish"] else ""))
    for p in status["publish"]:
        lines.append(f"  {p['table']}: {p['latest']}")
    lines.append("recent task failures: " + ("none" if not status["failures"] else ""))
    for f in status["failures"]:
        lines.append(f"  {f['failed_at']} {f['dag_id']}.{f['task_id']} day {f['day_from']}: "
                     f"{f['exception_type']}: {f['message'][:200]}")
    return "\n".join(lines)
