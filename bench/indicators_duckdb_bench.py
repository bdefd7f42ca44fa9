"""Benchmark: the same day × district × L1 indicator query in Spark and in DuckDB over the same data.

Builds a synthetic silver ``dwd_work_order``-shaped Delta table (partitioned by accept_date) in a
scratch folder, then runs one SQL query (dialect differences only in the time-difference
function) on Spark over the Delta table and on DuckDB over exactly the Parquet files of the
current Delta snapshot (``DataFrame.inputFiles()``). Best of N runs after a warm-up.

    .venv/bin/python bench/indicators_duckdb_bench.py --orders 2000000 --days 30

Writes bench/results/indicators_duckdb.json (one entry per orders × days scenario, plus the latest)
and prints one line.
"""

from __future__ import annotations

import argparse
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
SELECT district_code, category_l1_code,
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
WHERE accept_date = DATE '{day}' AND is_valid
GROUP BY district_code, category_l1_code
ORDER BY district_code, category_l1_code
"""


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the scratch table")
    args = ap.parse_args()

    os.environ.setdefault("MINSHENG_PROFILE", "local")
    import duckdb

    from jobs.common.config import load_settings
    from jobs.common.session import get_spark

    settings = load_settings()
    spark = get_spark(settings, app_name="bench-indicators-duckdb")
    scratch = Path(tempfile.mkdtemp(prefix="bench-ind-", dir=ROOT / "var" if (ROOT / "var").exists() else None))
    path = str(scratch / "dwd_work_order")
    start = dt.date(2025, 3, 1)
    day = start + dt.timedelta(days=args.days // 2)
    t0 = time.perf_counter()
    build(spark, path, args.orders, args.days, start)
    build_s = time.perf_counter() - t0

    spark_sql = QUERY.format(micros="unix_micros", table=f"delta.`{path}`", day=day)
    spark_s, spark_rows = best_of(lambda: spark.sql(spark_sql).collect(), args.runs)

    files = spark.read.format("delta").load(path).inputFiles()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute(f"CREATE VIEW dwd AS SELECT * FROM read_parquet({[f.removeprefix('file:') for f in files]!r}, "
                "hive_partitioning = true)")
    duck_sql = QUERY.format(micros="epoch_us", table="dwd", day=day)
    duck_s, duck_rows = best_of(lambda: con.execute(duck_sql).fetchall(), args.runs)

    if not spark_rows:
        raise SystemExit(f"no orders on {day}: the synthetic table is wrong")
    same = len(spark_rows) == len(duck_rows) and all(
        a[0] == b[0] and a[1] == b[1] and a[2] == b[2] for a, b in zip(spark_rows, duck_rows, strict=True))
    result = {
        "benchmark": "indicators_duckdb", "query": "day x district x L1 indicators (n_acc, 7 rates, avg hours)",
        "orders": args.orders, "days": args.days, "day": str(day), "groups": len(spark_rows),
        "spark_seconds": round(spark_s, 4), "duckdb_seconds": round(duck_s, 4),
        "spark_over_duckdb": round(spark_s / duck_s, 2), "same_result_keys_and_counts": same,
        "build_seconds": round(build_s, 1), "runs": args.runs, "spark_master": settings.spark_master,
        "spark_conf_env": os.environ.get("MINSHENG_SPARK_CONF", ""),
        "duckdb_threads": 2, "machine": f"{platform.machine()} {os.cpu_count()} cpu (shared)",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench" / "results" / "indicators_duckdb.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    scenarios = previous.get("scenarios", {}) if isinstance(previous, dict) else {}
    scenarios[f"{args.orders}_orders_{args.days}_days"] = result
    out.write_text(json.dumps({"benchmark": "indicators_duckdb", "latest": result, "scenarios": scenarios},
                              indent=1) + "\n", encoding="utf-8")
    print(f"indicators day x district x L1 over {args.orders} orders: Spark {spark_s:.3f} s, "
          f"DuckDB {duck_s:.3f} s, ratio {spark_s / duck_s:.2f}x (same result: {same}) -> {out}")
    spark.stop()
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
