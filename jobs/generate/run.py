"""`minsheng generate`: the synthetic city → landing zone + ground truth.

Steps: plan on the driver (small tables), build true orders in Spark and write ``gt_orders``; read
them back and render every channel's delivery files (written by the executors); write the dirty
deliveries and the planted incidents to the ground truth. Re-running a day with the same seed gives
the same bytes; a new day only adds its own files.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.catalogue import Catalogue
from jobs.common.session import get_spark
from jobs.generate import lexicon as L
from jobs.generate import plan as P
from jobs.generate.orders import build_orders
from jobs.generate.render import render_all
from jobs.generate.writer import OUT_SCHEMA, make_writer

log = logging.getLogger(__name__)

GT_ORDER_COLS = [
    "dt", "source_order_id", "stream_id", "k", "day_num", "day", "accept_time", "channel_code", "source_system",
    "caller_id", "caller_kind", "caller_name", "caller_mobile", "caller_id_card", "caller_landline", "platform_idx", "is_repeat", "repeat_of_id",
    "appeal_type_code", "urgency_code", "handling_path_code", "special", "l1_code", "l2_code", "l3_code", "l3_name",
    "l3_labelled", "label_noise", "secondary_l3", "ambiguous", "multi_issue", "district_code", "street_code",
    "community_code", "address", "has_detailed_address", "lon", "lat", "title", "content", "content_len", "typo",
    "pii_phone", "pii_id", "pii_plate", "pii_bank", "pii_name", "plate_no", "bank_card_no", "incident_id",
    "incident_type", "storm_master_id", "merged_into_id", "lead_dept_code", "dept_code", "reassign_dept",
    "emergency_unit", "sla_rule_id", "original_due_time", "due_time", "extension_days", "returned", "late",
    "reopened", "result_code", "solved_code", "satisfaction_code", "satisfaction2", "revisit_valid",
    "revisit_method", "t_dispatch", "t_transfer", "t_sign", "t_contact", "t_return_req", "t_reassign", "t_sign2",
    "t_contact2", "t_ext_req", "t_ext_ok", "t_urge", "t_supervise", "t_finish", "t_revisit", "t_reopen",
    "t_finish2", "t_revisit2", "t_merge", "t_void", "t_archive",
]
CHANNEL_CODE = {0: "01", 1: "02", 2: "03", 3: "04", 4: "10", 5: "99"}
SYSTEM = {0: "HOTLINE", 1: "ONLINE", 2: "ONLINE", 3: "ONLINE", 4: "GRID", 5: "OPINION"}


def _lookups(spark: SparkSession, cat: Catalogue, cfg: P.GenConfig, counts: pd.DataFrame,
             estimates: pd.DataFrame, slots: pd.DataFrame) -> dict[str, DataFrame]:
    categories = cat.read(spark, "ref_category").toPandas()
    communities = cat.read(spark, "ref_community").toPandas()
    streets = cat.read(spark, "ref_street").toPandas()
    districts = cat.read(spark, "ref_district").toPandas()
    departments = cat.read(spark, "ref_department").toPandas()
    rules = cat.read(spark, "ref_dispatch_rule").toPandas()
    sla = cat.read(spark, "ref_sla_rule").toPandas()

    cats = categories[["l1_code", "l2_code", "l3_code", "l3_name"]].copy()
    cats["issues"] = cats["l3_code"].map(lambda c: L.ISSUES[c].split("|"))
    cats["shared"] = cats["l2_code"].map(lambda c: L.SHARED[c].split("|"))
    cats["nb_shared"] = cats["l2_code"].map(lambda c: L.SHARED[L.NEIGHBOURS.get(c, c)].split("|"))
    cats["cat_group"] = cats["l2_code"].map(
        lambda c: "consult" if c in ("0703", "0704", "0801", "1003", "1004", "9901", "0105", "0403")
        else ("complaint" if c in ("0501", "0502", "0203", "0202", "0601", "0602", "0701", "1001", "1002",
                                   "0402", "0404") else "mixed"))
    places = communities.merge(streets[["street_code", "street_name", "roads"]], on="street_code") \
        .merge(districts[["district_code", "district_name"]], on="district_code")
    places = pd.DataFrame({
        "community_code": places["community_code"], "community_name": places["community_name"],
        "street_code": places["street_code"], "street_name": places["street_name"],
        "district_code": places["district_code"], "district_name": places["district_name"],
        "estates": places["estates"].str.split(";"), "roads": places["roads"].str.split(";"),
        "c_lon": places["lon"], "c_lat": places["lat"]})
    rules = rules.sort_values(["l3_code", "district_code", "effective_from"]).drop_duplicates(
        ["l3_code", "district_code"], keep="last")
    dispatch = pd.DataFrame({"l3_code": rules["l3_code"], "district_code": rules["district_code"],
                             "lead_dept_code": rules["lead_dept_code"],
                             "assist_dept": rules["assist_dept_codes"].str.split(";").str[0].replace("", None)})
    dept = P.department_behaviour(departments, cfg.seed).rename(columns={
        "dept_code": "bh_dept", "dept_speed": "bh_speed", "dept_sign_hours": "bh_sign_hours",
        "dept_return_rate": "bh_return_rate", "dept_extension_rate": "bh_extension_rate",
        "dept_quality": "bh_quality"})
    sla_t = pd.DataFrame({"r_appeal": sla["appeal_type_code"], "r_urgency": sla["urgency_code"],
                          "r_from": sla["effective_from"], "r_to": sla["effective_to"],
                          "sla_rule_id": sla["sla_rule_id"], "deadline_value": sla["deadline_value"],
                          "deadline_unit": sla["deadline_unit"]})
    mk = spark.createDataFrame
    slot_schema = ("day_num int, stream_id int, k int, incident_id string, incident_type string, inc_l3 string, "
                   "inc_community string, inc_sec int, storm_master boolean, inc_text string, storm_master_id string")
    return {
        "time": mk(P.time_lookup()),
        "category": mk(P.category_lookup(categories)),
        "place": mk(P.place_lookup(communities, districts)),
        "places": mk(places),
        "cats": mk(cats),
        "dispatch": mk(dispatch),
        "dept": mk(dept),
        "sla": mk(sla_t),
        "calendar": cat.read(spark, "ref_calendar").select("date", "is_workday", "workday_index"),
        "slots": mk(slots, schema=slot_schema) if len(slots) else spark.createDataFrame([], slot_schema),
        "estimates": mk(estimates),
    }


def _count_frames(cfg: P.GenConfig, calendar: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Counts for the generated days, and for the 30 days before them (parents of repeats)."""
    counts = P.daily_counts(cfg, calendar)
    rate = counts.attrs["rate"]
    info = P.day_info(calendar)
    festivals = P.spring_festivals(calendar)
    rows = []
    first = max(cfg.first_day, cfg.start - dt.timedelta(days=31))
    d = first
    while d < cfg.start:
        weight = P.day_weight(d, info, cfg)
        n = int(round(rate * weight))
        shares = P.stream_shares(d)
        alloc = {s: int(n * p) for s, p in shares.items()}
        alloc["phone"] += n - sum(alloc.values())
        for s in P.STREAMS:
            rows.append({"day": d, "day_num": P.day_num(d), "stream": s, "stream_id": P.STREAM_ID[s], "n": alloc[s]})
        d += dt.timedelta(days=1)
    est = pd.concat([pd.DataFrame(rows, columns=counts.columns), counts], ignore_index=True)
    for frame in (counts, est):
        frame["time_profile"] = frame["stream"].map(P.time_profile_id)
        frame["month"] = frame["day"].map(lambda x: x.month)
        frame["pre_sf"] = frame["day"].map(lambda x: P.pre_festival(x, festivals))
    return counts, est, rate


def generate(spark: SparkSession, cat: Catalogue, cfg: P.GenConfig) -> dict[str, Any]:
    """Generate the configured days; returns run statistics."""
    previous = {k: spark.conf.get(k, None) for k in _RUN_CONF}
    for key, value in _RUN_CONF.items():
        spark.conf.set(key, value)
    try:
        return _generate(spark, cat, cfg)
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


#: Session settings for the run: GBK encoding needs Java charsets; the order plan is far wider than
#: one whole-stage-codegen method may be (64 KB), so per-operator code generation is used instead.
_RUN_CONF = {"spark.sql.legacy.javaCharsets": "true", "spark.sql.codegen.wholeStage": "false"}


def _generate(spark: SparkSession, cat: Catalogue, cfg: P.GenConfig) -> dict[str, Any]:
    t0 = time.time()
    calendar = cat.read(spark, "ref_calendar").toPandas()
    last = cfg.start + dt.timedelta(days=cfg.days - 1)
    if last.year > calendar["date"].max().year or cfg.first_day < calendar["date"].min():
        raise ValueError(f"generate: {cfg.first_day}..{last} is outside the calendar "
                         f"({calendar['date'].min()}..{calendar['date'].max()}); extend calendar.first/last_year")
    counts, estimates, rate = _count_frames(cfg, calendar)
    categories = cat.read(spark, "ref_category").toPandas()
    communities = cat.read(spark, "ref_community").toPandas()
    streets = cat.read(spark, "ref_street").toPandas()
    incidents = P.plan_incidents(cfg, rate, streets, communities, categories, calendar)
    slots = P.incident_slots(incidents, counts, communities, cfg)
    lookups = _lookups(spark, cat, cfg, counts, estimates, slots)
    n_orders = int(counts["n"].sum())
    n_parts = max(2, min(4000, n_orders // 60000))
    base = spark.createDataFrame(counts[["day_num", "stream_id", "n", "time_profile", "month", "pre_sf"]])
    base = base.filter(F.col("n") > 0).repartition(n_parts, "day_num", "stream_id")
    orders = build_orders(base, cfg, lookups)
    orders = finalize_orders(orders, cfg)
    gt_path = cat.location("gt_orders")
    (orders.select(*GT_ORDER_COLS).write.mode("overwrite").partitionBy("dt").parquet(gt_path))
    t1 = time.time()
    days = [d.isoformat() for d in cfg.day_list()]
    gt = spark.read.parquet(gt_path).filter(F.col("dt").isin(days))
    lines = render_all(gt, cfg)
    n_write = max(2, min(4000, n_orders // 40000))
    lines = lines.repartition(n_write, "path").sortWithinPartitions("path", "sort1", "sort2")
    root = cat.settings.landing_uri
    if "://" in root and not root.startswith("file://"):
        raise ValueError(f"generate writes the landing zone to a local or mounted folder, not {root}")
    root = root.removeprefix("file://")
    written = lines.mapInArrow(make_writer(root), OUT_SCHEMA).collect()
    t2 = time.time()
    out = pd.DataFrame([r.asDict() for r in written], columns=[f.split()[0] for f in OUT_SCHEMA.split(", ")])
    files = out[out["kind"] == "_file"]
    dirty = out[out["kind"] != "_file"].drop(columns=["lines", "bytes"]).sort_values(
        ["gen_dt", "channel", "dt", "file", "line_no", "kind"], na_position="first")
    dirty_schema = ("kind string, channel string, dt string, file string, line_no int, record_id string, "
                    "expected string, gen_dt string")
    dirty_df = spark.createDataFrame(dirty, dirty_schema) if len(dirty) else spark.createDataFrame([], dirty_schema)
    dirty_df.coalesce(1).write.mode("overwrite").partitionBy("gen_dt").parquet(cat.location("gt_dirty_deliveries"))
    write_incidents(spark, cat, gt, incidents)
    t3 = time.time()
    return {"orders": n_orders, "days": cfg.days, "files": int(len(files)), "lines": int(files["lines"].sum()),
            "bytes": int(files["bytes"].sum()), "dirty": int(len(dirty)), "incidents": len(incidents),
            "seconds_truth": round(t1 - t0, 1), "seconds_landing": round(t2 - t1, 1),
            "seconds_total": round(t3 - t0, 1), "orders_per_second": round(n_orders / max(t3 - t0, 1e-9))}


def finalize_orders(o: DataFrame, cfg: P.GenConfig) -> DataFrame:
    """Ground-truth columns derived from the generation columns."""
    ch = F.create_map(*[F.lit(x) for kv in CHANNEL_CODE.items() for x in kv])
    sy = F.create_map(*[F.lit(x) for kv in SYSTEM.items() for x in kv])
    p_day = F.date_from_unix_date(F.col("a_day"))
    ymd = F.date_format(p_day, "yyyyMMdd")
    seq = F.lpad((F.col("a_k") + 1).cast("string"), 6, "0")
    parent = (F.when(F.col("a_stream") == 0, F.concat(F.lit("RX-"), ymd, F.lit("-"), seq))
              .when(F.col("a_stream") == 1, F.concat(F.lit("WEB"), ymd, seq))
              .when(F.col("a_stream") == 2, F.concat(F.lit("WX"), ymd, seq))
              .otherwise(F.concat(F.lit("APP"), ymd, seq)))
    return (o.withColumn("dt", F.date_format("day", "yyyy-MM-dd"))
            .withColumn("channel_code", ch[F.col("stream_id")]).withColumn("source_system", sy[F.col("stream_id")])
            .withColumn("repeat_of_id", F.when(F.col("is_repeat"), parent)))


def write_incidents(spark: SparkSession, cat: Catalogue, gt: DataFrame, incidents: list[P.Incident]) -> None:
    """gt_incidents: one row per incident and generated day, with the ids of the orders it produced."""
    meta = P.incidents_frame(incidents)
    schema = ("incident_id string, type string, category_l3_code string, description string, district_code string, "
              "street_code string, community_code string, start_time timestamp, end_time timestamp")
    meta_df = spark.createDataFrame(meta, schema) if len(meta) else spark.createDataFrame([], schema)
    produced = (gt.filter(F.col("incident_id").isNotNull())
                .groupBy("incident_id", F.col("dt").alias("gen_dt"))
                .agg(F.sort_array(F.collect_list("source_order_id")).alias("order_ids")))
    out = meta_df.join(produced, "incident_id", "inner").select(
        "incident_id", "type", "category_l3_code", "description", "district_code", "street_code", "community_code",
        "start_time", "end_time", "order_ids", "gen_dt")
    out.coalesce(1).write.mode("overwrite").partitionBy("gen_dt").parquet(cat.location("gt_incidents"))


def run(orders: int, start: dt.date, days: int, seed: int, out: str | None = None, epoch: dt.date | None = None,
        settings=None) -> dict[str, Any]:
    """CLI entry: resolve locations (``out`` replaces the landing and ground-truth roots), then generate."""
    import dataclasses
    import os

    from jobs.common.config import load_settings
    from jobs.reference.load import load_reference

    settings = settings or load_settings()
    if out:
        settings = dataclasses.replace(settings, landing_uri=os.path.join(out, "landing"),
                                       ground_truth_uri=os.path.join(out, "ground_truth"))
    cat = Catalogue(settings)
    spark = get_spark(settings, app_name="minsheng-generate")
    if not cat.exists(spark, "ref_calendar"):
        log.info("reference tables missing: loading them first")
        load_reference(spark, cat)
    cfg = P.GenConfig(orders=orders, start=start, days=days, seed=seed, epoch=epoch)
    return generate(spark, cat, cfg)
