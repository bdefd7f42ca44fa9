"""Benchmark: an order history on the Spark standalone cluster vs ``local[*]``, and the effect of the layout.

    .venv/bin/python bench/cluster_bench.py [--orders 10000000] [--days 1095] [--skip-cluster]

What it measures (figures to ``bench/results/cluster_<orders>x<days>.json``, written after each driver, plus
one line of text):

1. **Engine** — the same job (write an N-order ``dwd_work_order``-shaped history to Delta partitioned by
   ``accept_date``, then the indicator workload below) in ``local[2]`` and on the standalone cluster
   started by ``infra/spark-cluster.sh`` (2 workers x 1 core: the same two cores), each in its own driver.
2. **Layout** — the same history written four ways, each then queried by the indicator workload:
   ``flat`` (no partitions), ``by_date`` (partitioned by ``accept_date``), ``by_date_zorder`` (plus
   ``OPTIMIZE … ZORDER BY (district_code, l3_code)``), ``liquid`` (``CLUSTER BY (accept_date,
   district_code)`` + ``OPTIMIZE``). Reported: files, bytes, write/optimize seconds, and per query its
   seconds and the files it read (Spark's scan metric, so partition pruning and data skipping show).

The indicator workload: Q1 one district for one month (dashboard drill-down), Q2 one L3 category over a
year (类案 trend), Q3 按时办结率 by district x month over the whole history (the monthly ranking).

The history is synthetic but shaped like silver (§7 A1 columns the indicators read, one row per order,
orders arriving in time order). Storage is a local folder for both engines so that the engine is what
differs (the S3 path is exercised by tests/cluster; moto on loopback is not a storage benchmark).
The machine is shared: figures are wall-clock seconds on 2 cores and carry that noise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench" / "cluster"
START = date(2023, 1, 1)
DISTRICTS = 16
L3_CODES = 300

QUERIES = {
    "q1_district_month": "district_code = 'D07' AND accept_date BETWEEN '{m0}' AND '{m1}'",
    "q2_category_year": "l3_code = 'C0123' AND accept_date BETWEEN '{y0}' AND '{y1}'",
    "q3_ontime_by_district_month": None,
}


# ------------------------------------------------------------------------------------ child side ---
def history(spark, orders: int, days: int):
    """An N-order history over ``days`` days, in arrival order (ids grow with time)."""
    from pyspark.sql import functions as F

    h = F.xxhash64
    base = spark.range(orders).withColumnRenamed("id", "n")
    return base.select(
        F.format_string("WO%012d", "n").alias("order_id"),
        F.date_add(F.lit(START), (F.col("n") * days / orders).cast("int")).alias("accept_date"),
        F.format_string("D%02d", F.pmod(h("n", F.lit(1)), F.lit(DISTRICTS))).alias("district_code"),
        F.format_string("C%04d", F.pmod(h("n", F.lit(2)), F.lit(L3_CODES))).alias("l3_code"),
        F.element_at(F.array(*[F.lit(c) for c in ("01", "02", "03", "04", "05")]),
                     (F.pmod(h("n", F.lit(3)), F.lit(5)) + 1).cast("int")).alias("channel_code"),
        F.format_string("G%03d", F.pmod(h("n", F.lit(4)), F.lit(120))).alias("dept_code"),
        (F.pmod(h("n", F.lit(5)), F.lit(100)) < 93).alias("is_finished"),
        (F.pmod(h("n", F.lit(6)), F.lit(100)) < 88).alias("is_ontime"),
        (F.pmod(h("n", F.lit(7)), F.lit(100)) < 80).alias("is_solved"),
        F.pmod(h("n", F.lit(8)), F.lit(5)).cast("tinyint").alias("satisfaction"),
        F.sha2(F.col("n").cast("string"), 256).alias("content_hash"),
    )


def _files_read(df) -> int:
    """Files the scans of ``df``'s executed plan read (Spark's ``numFiles`` scan metric)."""
    plan = df._jdf.queryExecution().executedPlan()
    leaves = plan.collectLeaves()
    total = 0
    for i in range(leaves.length()):
        metric = leaves.apply(i).metrics().get("numFiles")
        if metric.isDefined():
            total += int(metric.get().value())
    return total


def workload(spark, path: str, days: int) -> dict[str, dict[str, float]]:
    from pyspark.sql import functions as F

    end = date.fromordinal(START.toordinal() + days - 1)
    month0 = date(end.year, end.month, 1)
    year0 = date.fromordinal(end.toordinal() - 364)
    bounds = {"m0": month0, "m1": end, "y0": year0, "y1": end}
    out: dict[str, dict[str, float]] = {}
    for name, pred in QUERIES.items():
        orders = spark.read.format("delta").load(path)
        if pred:
            q = orders.where(pred.format(**bounds)).groupBy("channel_code").agg(
                F.count("*").alias("n"), F.avg(F.col("is_solved").cast("int")).alias("solved_rate"))
        else:
            q = (orders.where("is_finished")
                 .groupBy("district_code", F.date_trunc("month", "accept_date").alias("month"))
                 .agg(F.avg(F.col("is_ontime").cast("int")).alias("ontime_rate")))
        t = time.perf_counter()
        q.collect()
        out[name] = {"seconds": round(time.perf_counter() - t, 2), "files_read": _files_read(q)}
    return out


def _table_size(spark, path: str) -> dict[str, int]:
    row = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").select("numFiles", "sizeInBytes").first()
    return {"files": int(row["numFiles"]), "bytes": int(row["sizeInBytes"])}


def child(mode: str, master: str, orders: int, days: int, out: Path) -> dict:
    """One driver: write the history (and, for ``layout``, the variants) and run the workload."""
    from delta.tables import DeltaTable

    from jobs.common.config import load_settings
    from jobs.common.session import get_spark

    os.environ["MINSHENG_SPARK_MASTER"] = master
    os.environ["MINSHENG_WORK_URI"] = str(out / "tmp")
    conf = ("spark.sql.shuffle.partitions=8;spark.databricks.delta.snapshotPartitions=2;"
            "spark.sql.adaptive.enabled=false;spark.ui.enabled=false;spark.driver.memory=4g")
    if master.startswith("spark://"):
        conf += ";spark.executor.memory=1200m;spark.cores.max=2"
    os.environ["MINSHENG_SPARK_CONF"] = conf
    spark = get_spark(load_settings("local"), app_name=f"minsheng-bench-{mode}")
    hist = history(spark, orders, days)
    result: dict = {"master": spark.sparkContext.master, "default_parallelism": spark.sparkContext.defaultParallelism}
    variants = ["by_date"] if mode != "layout" else ["flat", "by_date", "by_date_zorder", "liquid"]
    for variant in variants:
        path = str(out / variant)
        shutil.rmtree(path, ignore_errors=True)
        t = time.perf_counter()
        if variant == "flat":
            hist.write.format("delta").save(path)
        elif variant == "liquid":
            (DeltaTable.create(spark).location(path).addColumns(hist.schema)
             .clusterBy("accept_date", "district_code").execute())
            hist.write.format("delta").mode("append").save(path)
        else:
            hist.repartition("accept_date").write.format("delta").partitionBy("accept_date").save(path)
        entry: dict = {"write_seconds": round(time.perf_counter() - t, 2)}
        if variant == "by_date_zorder":
            t = time.perf_counter()
            DeltaTable.forPath(spark, path).optimize().executeZOrderBy("district_code", "l3_code")
            entry["optimize_seconds"] = round(time.perf_counter() - t, 2)
        elif variant == "liquid":
            t = time.perf_counter()
            spark.sql(f"OPTIMIZE delta.`{path}`")
            entry["optimize_seconds"] = round(time.perf_counter() - t, 2)
        entry.update(_table_size(spark, path))
        entry["queries"] = workload(spark, path, days)
        result[variant] = entry
    spark.stop()
    return result


# ----------------------------------------------------------------------------------- parent side ---
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_child(mode: str, master: str, args: argparse.Namespace) -> dict:
    out = WORK / mode
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--child", mode, "--master", master, "--orders", str(args.orders),
           "--days", str(args.days)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n" + "\n".join(proc.stderr.splitlines()[-40:]))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["driver_wall_seconds"] = round(time.perf_counter() - t, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=10_000_000)
    p.add_argument("--days", type=int, default=1095)
    p.add_argument("--skip-cluster", action="store_true", help="only local[2] and the layout variants")
    p.add_argument("--child", choices=["local", "cluster", "layout"], help=argparse.SUPPRESS)
    p.add_argument("--master", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.master, args.orders, args.days, WORK / args.child)))
        return 0

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    results: dict = {"orders": args.orders, "days": args.days, "cores": os.cpu_count(),
                     "note": "wall-clock seconds on a shared 2-core machine; storage: local folder"}
    out = RESULTS / f"cluster_{args.orders}x{args.days}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after each driver: a long run that fails later keeps what it measured
        out.write_text(json.dumps(results, indent=1), encoding="utf-8")

    results["local"] = _run_child("local", "local[2]", args)
    save()
    if not args.skip_cluster:
        state = WORK / "spark-cluster"
        env = {**os.environ, "SPARK_CLUSTER_STATE_DIR": str(state), "SPARK_CLUSTER_LOG_DIR": str(state / "log"),
               "SPARK_MASTER_PORT": str(_free_port()), "SPARK_MASTER_WEBUI_PORT": str(_free_port()),
               "SPARK_CLUSTER_WORKERS": "2", "SPARK_WORKER_CORES": "1", "SPARK_WORKER_MEMORY": "1536m",
               "SPARK_CLUSTER_OWNER_PID": str(os.getpid())}
        script = ["bash", str(ROOT / "infra" / "spark-cluster.sh")]
        try:
            subprocess.run([*script, "start"], env=env, check=True, capture_output=True)
            master = subprocess.run([*script, "url"], env=env, check=True, capture_output=True, text=True).stdout.strip()
            results["cluster"] = _run_child("cluster", master, args)
            save()
        finally:
            subprocess.run([*script, "stop"], env=env, check=False, capture_output=True)
    results["layout"] = _run_child("layout", "local[2]", args)
    shutil.rmtree(WORK, ignore_errors=True)
    save()
    lay = results["layout"]
    line = (f"cluster bench: {args.orders:,} orders/{args.days} d — local[2] write {results['local']['by_date']['write_seconds']} s"
            + (f", standalone 2x1 write {results['cluster']['by_date']['write_seconds']} s" if "cluster" in results else "")
            + "; Q1 files read flat/by_date/zorder/liquid = "
            + "/".join(str(lay[v]["queries"]["q1_district_month"]["files_read"])
                       for v in ("flat", "by_date", "by_date_zorder", "liquid")))
    out.with_suffix(".txt").write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
