"""Benchmark: the same day × district × L1 indicator query in Spark and in DuckDB over the same data.

Two sources of data:

* synthetic (default): builds a silver ``dwd_work_order``-shaped Delta table (partitioned by
  accept_date) of ``--orders`` over ``--days`` in a scratch folder and queries one day of it;
* ``--lake DIR``: the real silver ``dwd_work_order`` of a lake the pipeline built (e.g. the history
  bench's), queried for one day (``--day``, default its busiest) and for every day of its history
  at once — the day × district × L1 grain the indicator step computes over a backfill.

Each query is one SQL text (dialect differences only in the time-difference function), run on Spark
over the Delta table and on DuckDB over exactly the Parquet files of the current Delta snapshot
(``DataFrame.inputFiles()``). Best of N runs after a warm-up; the results are compared (keys and
counts equal, rates equal to 1e-9).

    .venv/bin/python bench/indicators_duckdb_bench.py --orders 2000000 --days 30
    .venv/bin/python bench/indicators_duckdb_bench.py --lake /work/big/h10/lake --tag 10m

Writes bench/results/indicators_duckdb.json (one entry per scenario, plus the latest) and prints
one line per query.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

QUERY = """
SELECT {keys},
       COUNT(*) AS n_acc,
       SUM(CASE WHEN handling_path_code = '02' THEN 1 ELSE 0 END) / COUNT(*) AS direct_answer_rate,
       SUM(CASE WHEN dispatch_count >= 1 THEN 1 ELSE 0 END) / COUNT(*) AS transfer_rate,
       SUM(CASE WHEN dispatch_count >= 1 AND return_count >= 1 THEN 1 ELSE 0 END)
         / NULLIF(SUM(CASE WHEN dispatch_count >= 1 THEN 1 ELSE 0 END), 0) AS return_rate,
       SUM(CASE WHEN revisit_valid_flag AND satisfaction_code IN ('5','4','3') THEN 1 ELSE 0 END)
         / NULLIF(SUM(CASE WHEN revisit_valid_flag AND satisfaction_code <> '0' THEN 1 ELSE 0 END), 0)
         AS satisfaction_rate,
       SUM(CASE WHEN revisit_valid_flag AND solved_code = '1' THEN 1 ELSE 0 END)
         / NULLIF(SUM(CASE WHEN revisit_valid_flag THEN 1 ELSE 0 END), 0) AS solve_rate,
       SUM(CASE WHEN urgency_code IN ('1','2') THEN 1 ELSE 0 END) / COUNT(*) AS risk_share,
       AVG(CASE WHEN dispatch_count >= 1 THEN ({micros}(finish_time) - {micros}(dispatch_time)) / 3600000000.0 END)
         AS avg_handling_hours
FROM {table}
WHERE accept_date BETWEEN DATE '{first}' AND DATE '{last}' AND is_valid
GROUP BY {keys}
ORDER BY {keys}
"""
DAY_KEYS = "district_code, category_l1_code"
HISTORY_KEYS = "accept_date, district_code, category_l1_code"


def build(spark, path: str, orders: int, days: int, start: dt.date) -> None:
    from pyspark.sql import functions as F

    r = F.rand(7)
    df = spark.range(orders).select(
        F.format_string("O%012d", "id").alias("order_id"),
        (F.lit(start).cast("timestamp") + F.make_interval(
            secs=(F.col("id") * F.lit(days * 86400.0 / orders)).cast("decimal(18,6)"))).alias("accept_time"),
        (F.rand(1) > 0.02).alias("is_valid"),
        F.format_string("9901%02d", (F.rand(2) * 13).cast("int") + 2).alias("district_code"),
        F.format_string("%02d", (F.rand(3) * 10).cast("int") + 1).alias("category_l1_code"),
        F.when(F.rand(4) < 0.3, "02").otherwise("01").alias("handling_path_code"),
        F.when(F.rand(5) < 0.7, 1).otherwise(0).alias("dispatch_count"),
        F.when(F.rand(6) < 0.1, 1).otherwise(0).alias("return_count"),
        (r < 0.8).alias("revisit_valid_flag"),
        F.element_at(F.array(*[F.lit(c) for c in "5443210"]), (F.rand(8) * 7).cast("int") + 1).alias(
            "satisfaction_code"),
        F.element_at(F.array(F.lit("1"), F.lit("1"), F.lit("2"), F.lit("3")), (F.rand(9) * 4).cast("int") + 1).alias(
            "solved_code"),
        F.when(F.rand(10) < 0.03, "2").otherwise("3").alias("urgency_code"),
    ).withColumn("accept_date", F.to_date("accept_time")).withColumn(
        "dispatch_time", F.col("accept_time") + F.expr("INTERVAL 10 MINUTES")).withColumn(
        "finish_time", F.col("dispatch_time") + F.make_interval(hours=(F.rand(11) * 200).cast("int")))
    df.write.format("delta").mode("overwrite").partitionBy("accept_date").save(path)


def best_of(fn, runs: int) -> tuple[float, object]:
    fn()  # warm-up
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def same_rows(a: list, b: list, keys: int) -> bool:
    """Equal keys and counts, and every rate equal to 1e-9 (NULL where the other is NULL)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if tuple(x[:keys + 1]) != tuple(y[:keys + 1]):
            return False
        for u, v in zip(x[keys + 1:], y[keys + 1:], strict=True):
            if (u is None) != (v is None) or (u is not None and abs(float(u) - float(v)) > 1e-9):
                return False
    return True


def compare(spark, con, path: str, keys: str, first: dt.date, last: dt.date, runs: int) -> dict:
    """One query on Spark (Delta) and DuckDB (the snapshot's Parquet files): best times and agreement."""
    spark_sql = QUERY.format(keys=keys, micros="unix_micros", table=f"delta.`{path}`", first=first, last=last)
    duck_sql = QUERY.format(keys=keys, micros="epoch_us", table="dwd", first=first, last=last)
    spark_s, spark_rows = best_of(lambda: spark.sql(spark_sql).collect(), runs)
    duck_s, duck_rows = best_of(lambda: con.execute(duck_sql).fetchall(), runs)
    if not spark_rows:
        raise SystemExit(f"no valid orders in {first}..{last} of {path}")
    n_keys = keys.count(",") + 1
    orders = sum(r[n_keys] for r in spark_rows)
    return {"query": f"{keys} indicators (n_acc, 7 rates, avg hours)", "first_day": str(first), "last_day": str(last),
            "groups": len(spark_rows), "valid_orders": orders, "spark_seconds": round(spark_s, 4),
            "duckdb_seconds": round(duck_s, 4), "spark_over_duckdb": round(spark_s / duck_s, 2),
            "same_result": same_rows(spark_rows, duck_rows, n_keys)}


def duckdb_view(spark, path: str):
    """A DuckDB connection with view ``dwd`` over exactly the Parquet files of the Delta snapshot."""
    import duckdb

    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()
    if str((detail.properties or {}).get("delta.enableDeletionVectors", "false")).lower() == "true":
        raise SystemExit(f"{path} uses deletion vectors: its Parquet files alone are not its snapshot")
    files = [f.removeprefix("file:") for f in spark.read.format("delta").load(path).inputFiles()]
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute(f"CREATE VIEW dwd AS SELECT * FROM read_parquet({files!r}, hive_partitioning = true)")
    return con, len(files), int(detail.sizeInBytes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--lake", help="query this lake's silver dwd_work_order instead of a synthetic table")
    ap.add_argument("--day", type=dt.date.fromisoformat, help="with --lake: the day to query (default: busiest)")
    ap.add_argument("--tag", default="lake", help="with --lake: the scenario name in the results")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the scratch table")
    args = ap.parse_args()

    os.environ.setdefault("MINSHENG_PROFILE", "local")
    from pyspark.sql import functions as F

    from jobs.common.catalogue import Catalogue
    from jobs.common.config import load_settings
    from jobs.common.session import get_spark

    settings = load_settings()
    spark = get_spark(settings, app_name="bench-indicators-duckdb")
    common = {"benchmark": "indicators_duckdb", "runs": args.runs, "spark_master": settings.spark_master,
              "spark_conf_env": os.environ.get("MINSHENG_SPARK_CONF", ""), "duckdb_threads": 2,
              "machine": f"{platform.machine()} {os.cpu_count()} cpu (shared)"}
    results: dict[str, dict] = {}
    scratch = None
    if args.lake:
        lake = args.lake if "://" in args.lake else str(Path(args.lake).resolve())
        path = Catalogue(dataclasses.replace(settings, lake_uri=lake)).location("dwd_work_order")
        con, n_files, size = duckdb_view(spark, path)
        per_day = spark.read.format("delta").load(path).filter("is_valid").groupBy("accept_date").count()
        first, last = per_day.agg(F.min("accept_date"), F.max("accept_date")).first()
        day = args.day or per_day.orderBy(F.desc("count")).first()["accept_date"]
        source = {"source": f"silver dwd_work_order of {args.lake}", "files": n_files, "bytes": size}
        results[f"{args.tag}_day"] = {**common, **source, **compare(spark, con, path, DAY_KEYS, day, day, args.runs)}
        results[f"{args.tag}_history"] = {**common, **source,
                                          **compare(spark, con, path, HISTORY_KEYS, first, last, args.runs)}
    else:
        scratch = Path(tempfile.mkdtemp(prefix="bench-ind-", dir=ROOT / "var" if (ROOT / "var").exists() else None))
        path = str(scratch / "dwd_work_order")
        start = dt.date(2025, 3, 1)
        day = start + dt.timedelta(days=args.days // 2)
        t0 = time.perf_counter()
        build(spark, path, args.orders, args.days, start)
        build_s = time.perf_counter() - t0
        con, n_files, size = duckdb_view(spark, path)
        results[f"{args.orders}_orders_{args.days}_days"] = {
            **common, "source": "synthetic", "orders": args.orders, "days": args.days, "files": n_files,
            "bytes": size, "build_seconds": round(build_s, 1), **compare(spark, con, path, DAY_KEYS, day, day, args.runs)}

    out = ROOT / "bench" / "results" / "indicators_duckdb.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    scenarios = previous.get("scenarios", {}) if isinstance(previous, dict) else {}
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for name, r in results.items():
        r["measured_at"] = now
        scenarios[name] = r
        print(f"{name}: {r['query']} over {r['first_day']}..{r['last_day']} ({r['valid_orders']} orders, "
              f"{r['groups']} groups): Spark {r['spark_seconds']:.3f} s, DuckDB {r['duckdb_seconds']:.3f} s, "
              f"ratio {r['spark_over_duckdb']:.2f}x (same result: {r['same_result']})")
    out.write_text(json.dumps({"benchmark": "indicators_duckdb", "latest": r, "scenarios": scenarios},
                              indent=1, default=str) + "\n", encoding="utf-8")
    spark.stop()
    if scratch and not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
