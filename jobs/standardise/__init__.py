"""Standardise: bronze → silver ``dwd_work_order`` (§7 A1) and ``dwd_work_order_event`` (§7 A2).

One run covers the delivery days ``date_from``..``date_to`` (one Spark job for the whole range):

1. the orders delivered in the range are mapped from every channel to the standard (codes to CL-*,
   places coded, times in Asia/Shanghai, PI pseudonymised / masked, text redacted);
2. the events delivered in the range are MERGEd into ``dwd_work_order_event`` together with the
   stored events of the same orders, each with its ``seq`` in event-time order;
3. every *affected* order (new, or with new events) gets its state recomputed from all its events —
   status, due time (SLA rule + working-day calendar + approved extensions), counts, outcome — so a
   late or out-of-order event changes nothing but what it should;
4. cross-channel duplicates are linked (并单) and repeat demands flagged over the affected orders and
   the stored orders of the same callers and L3s from 60 days before to 30 days after them (the older
   half only as earlier orders, never rewritten; a chain of repeats reaching past the window is
   relabelled), so the result does not depend on which days a run covers; it is MERGEd into
   ``dwd_work_order`` — a row is rewritten only when something in it changed, so re-running a day
   leaves the tables identical.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common import delta
from jobs.common import security as S
from jobs.common.catalogue import Catalogue
from jobs.common.config import Settings
from jobs.common.session import get_spark
from jobs.standardise import assemble as A
from jobs.standardise import events as E
from jobs.standardise import orders as O

log = logging.getLogger(__name__)
ORDER_TABLE, EVENT_TABLE = "dwd_work_order", "dwd_work_order_event"


def _in_range(df: DataFrame, d1: dt.date, d2: dt.date) -> DataFrame:
    return df.filter(F.col("dt").between(F.lit(d1), F.lit(d2)))


def _codes(spark: SparkSession, cat: Catalogue) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for r in cat.read(spark, "ref_codelist").select("codelist", "code", "name").collect():
        out.setdefault(r["codelist"], {})[r["name"]] = r["code"]
    return out


def new_orders(spark: SparkSession, cat: Catalogue, d1: dt.date, d2: dt.date, key: bytes) -> DataFrame | None:
    """Orders delivered in the range, mapped to the base columns, places and categories coded."""
    if not cat.exists(spark, "bronze_raw_text"):
        return None
    raw = _in_range(cat.read(spark, "bronze_raw_text"), d1, d2)
    codes = _codes(spark, cat)
    parts = []
    for name, fn in (("bronze_phone", lambda b: O.from_phone(b, raw, codes, key)),
                     ("bronze_online", lambda b: O.from_online(b, raw, key)),
                     ("bronze_grid", lambda b: O.from_grid(b, raw, key)),
                     ("bronze_opinion", lambda b: O.from_opinion(b, raw, key))):
        if cat.exists(spark, name):
            parts.append(fn(_in_range(cat.read(spark, name), d1, d2)).select(*O.BASE_COLUMNS))
    if not parts:
        return None
    base = parts[0]
    for p in parts[1:]:
        base = base.unionByName(p)
    base = O.dedupe_latest(base)
    base = O.code_places(base, cat.read(spark, "ref_community"), cat.read(spark, "ref_street"),
                         cat.read(spark, "ref_district"))
    base = O.with_category(base, cat.read(spark, "ref_category"))
    return base.withColumn("accept_date", F.to_date("accept_time")).select(*A.BASE_KEEP)


def _update_if_changed(columns: list[str], ignore: tuple[str, ...] = ("etl_time",)) -> str:
    same = " AND ".join(f"t.`{c}` <=> s.`{c}`" for c in columns if c not in ignore)
    return f"NOT ({same})"


def _date_filter(col: str, dates: list[dt.date]) -> str:
    return f"t.{col} IN (" + ", ".join(f"DATE'{d.isoformat()}'" for d in sorted(dates)) + ")"


def run(date_from: dt.date, date_to: dt.date, settings: Settings | None = None) -> dict:
    """Standardise the deliveries of ``date_from``..``date_to`` into the silver tables."""
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-standardise")
    if spark.conf.get("spark.sql.session.timeZone") != "Asia/Shanghai":
        raise RuntimeError("standardise needs spark.sql.session.timeZone=Asia/Shanghai (dates of local times)")
    key = S.pii_key()
    etl_time = F.lit(dt.datetime.now().replace(microsecond=0)).cast("timestamp")
    summary: dict = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}

    base_new = new_orders(spark, cat, date_from, date_to, key)
    ev_new = (E.from_bronze(_in_range(cat.read(spark, "bronze_event"), date_from, date_to), key)
              if cat.exists(spark, "bronze_event") else None)
    if base_new is None and ev_new is None:
        summary["orders"] = summary["events"] = 0
        return summary
    base_new = base_new.localCheckpoint() if base_new is not None else None
    ids = [d.select("order_id") for d in (base_new, ev_new) if d is not None]
    if ev_new is not None:
        ids.append(ev_new.filter(F.col("merged_into_id").isNotNull()).select(F.col("merged_into_id").alias("order_id")))
    affected = ids[0]
    for d in ids[1:]:
        affected = affected.unionByName(d)
    affected = affected.distinct().localCheckpoint()

    # ---- events: new ∪ stored of the affected orders, seq recomputed, merged
    orders_exist = cat.exists(spark, ORDER_TABLE)
    events_exist = cat.exists(spark, EVENT_TABLE)
    ev_all = ev_new.select(*E.EVENT_COLUMNS) if ev_new is not None else None
    if events_exist:
        stored = cat.read(spark, EVENT_TABLE).join(affected, "order_id", "left_semi").select(*E.EVENT_COLUMNS)
        if ev_all is not None:
            stored = stored.join(ev_all.select("order_id", "event_id"), ["order_id", "event_id"], "left_anti")
            ev_all = stored.unionByName(ev_all)
        else:
            ev_all = stored
    ev_all = E.with_seq(ev_all).localCheckpoint() if ev_all is not None else None
    if ev_all is not None:
        dates = [r[0] for r in ev_all.select("event_date").distinct().collect() if r[0] is not None]
        part = _date_filter("event_date", dates) if dates else None
        delta.merge(ev_all, cat, EVENT_TABLE, partition_filter=part,
                    update_condition=_update_if_changed(E.EVENT_COLUMNS, ()))
        summary["events_merged"] = delta.last_operation_metrics(spark, cat, EVENT_TABLE)

    # ---- orders: base (new, else stored) for every affected order
    base = base_new
    if orders_exist:
        stored_base = cat.read(spark, ORDER_TABLE).join(affected, "order_id", "left_semi").select(*A.BASE_KEEP)
        if base is not None:
            stored_base = stored_base.join(base.select("order_id"), "order_id", "left_anti")
            base = base.unionByName(stored_base)
        else:
            base = stored_base
    if base is None:
        summary["orders"] = 0
        return summary
    if ev_all is None:
        ev_all = spark.createDataFrame([], cat_schema_events(spark))
    orders = base.join(E.order_state(ev_all), "order_id", "left")
    zero_cols = ["dispatch_count", "return_count", "reassign_count", "extension_count", "urge_count",
                 "extension_days_total"]
    orders = orders.fillna(0, subset=zero_cols).fillna(False, subset=["supervise_flag", "reopen_flag", "voided"])
    orders = orders.withColumn("dq_flags", F.array().cast("array<string>"))
    orders = A.with_departments(orders, cat.read(spark, "ref_department"), cat.read(spark, "ref_dispatch_rule"))
    orders = A.with_sla(orders, cat.read(spark, "ref_sla_rule"), cat.read(spark, "ref_calendar"))

    # ---- duplicates and repeats over the affected orders and their stored neighbours
    orders = orders.withColumns({"_own": F.lit(True), "_ctx": F.lit(False),
                                 "_stored_status": F.lit(None).cast("string"),
                                 "_stored_valid": F.lit(None).cast("boolean")})
    if orders_exist:
        stored_orders = cat.read(spark, ORDER_TABLE)
        orders = orders.join(stored_orders.select("order_id", F.col("repeat_flag").alias("_stored_repeat"),
                                                  F.col("dup_group_id").alias("_stored_group")), "order_id", "left")
        # computed once: the bounds, the neighbours' keys and ids and the union below all read it
        orders = orders.localCheckpoint()
        bounds = orders.agg(F.min("accept_date"), F.max("accept_date")).first()
        if bounds[0] is not None:
            window = dt.timedelta(days=A.REPEAT_WINDOW_DAYS)
            orders = orders.unionByName(_neighbours(stored_orders, orders, bounds[0] - window, bounds[1] + window))
    else:
        orders = orders.withColumns({"_stored_repeat": F.lit(None).cast("boolean"),
                                     "_stored_group": F.lit(None).cast("string")})
    orders = A.link_cross_channel(orders)
    orders = A.with_status(orders)
    # a stored neighbour keeps its status and validity, but a link it gains now (an earlier duplicate
    # delivered late) makes it 70, as it would have been had both arrived together; a link is never lost
    stored_status = (F.when(F.col("_stored_status") == "80", F.lit("80"))
                     .when(F.col("merged_into_id").isNotNull(), F.lit("70")).otherwise(F.col("_stored_status")))
    orders = (orders.withColumn("status_code", F.when(F.col("_own"), F.col("status_code")).otherwise(stored_status))
              .withColumn("is_valid", F.when(F.col("_own"), F.col("is_valid")).otherwise(F.col("_stored_valid"))))
    orders = A.flag_repeats(orders).localCheckpoint()
    final = A.finalise(orders.filter(~F.col("_ctx")), etl_time).select(*A.ORDER_COLUMNS)
    if orders_exist and bounds[0] is not None:
        relabelled = _relabel_later_chains(stored_orders, orders, bounds[1] + window)
        # a chain's first order that only has followers after the window names the chain itself
        starts = relabelled.select(F.col("dup_group_id").alias("order_id")).distinct().withColumn("_start", F.lit(True))
        final = (final.join(starts, "order_id", "left")
                 .withColumn("dup_group_id", F.coalesce(F.col("dup_group_id"),
                                                        F.when(F.col("_start"), F.col("order_id"))))
                 .select(*A.ORDER_COLUMNS).unionByName(relabelled))
    final = final.localCheckpoint()
    dates = [r[0] for r in final.select("accept_date").distinct().collect() if r[0] is not None]
    delta.merge(final, cat, ORDER_TABLE, partition_filter=_date_filter("accept_date", dates) if dates else None,
                update_condition=_update_if_changed(A.ORDER_COLUMNS))
    summary["orders_merged"] = delta.last_operation_metrics(spark, cat, ORDER_TABLE)
    summary["versions"] = {n: delta.current_version(spark, cat, n) for n in (ORDER_TABLE, EVENT_TABLE)
                           if cat.exists(spark, n)}
    log.info("standardise summary: %s", summary)
    return summary


def cat_schema_events(spark: SparkSession):
    """Schema of the silver event rows (for a run that has no events at all)."""
    from pyspark.sql.types import StructType

    empty = E.from_bronze(spark.createDataFrame([], ", ".join(
        f"{c} string" for c in ("source_system", "source_order_id", "event_code", "event_time", "from_unit",
                                 "to_unit", "operator", "reason_code", "remark", "event_id", "result_code",
                                 "solved_code", "satisfaction_code", "revisit_method", "revisit_valid",
                                 "extension_days", "supervise_level", "merged_into_system", "merged_into_id",
                                 "batch_id", "source_file"))), b"k" * 16)
    return StructType(empty.select(*E.EVENT_COLUMNS).schema.fields)


def _neighbours(stored: DataFrame, own: DataFrame, lo: dt.date, hi: dt.date) -> DataFrame:
    """Stored orders of the run's callers and L3s from ``lo`` − 30 days to ``hi``, shaped like the run's
    orders, for the duplicate / repeat windows (an order without a caller pseudonym is in neither).

    Those from ``lo`` on may be linked or flagged anew; the earlier ones (``_ctx``) are only there as the
    earlier orders of the rows after them: no order this run changes is within 30 days before them.
    They keep their stored status, validity and 并单 link (explicit or automatic): status and link were
    decided together when the order was last standardised, and recomputing only the link from this
    run's narrower window could drop it while the stored status still says 70 (merged).
    """
    keys = own.filter(F.col("caller_phone_hash").isNotNull()).select("caller_phone_hash", "category_l3_code").distinct()
    first = lo - dt.timedelta(days=A.REPEAT_WINDOW_DAYS)
    near = (stored.filter(F.col("accept_date").between(F.lit(first), F.lit(hi)))
            .join(keys, ["caller_phone_hash", "category_l3_code"], "left_semi")
            .join(own.select("order_id"), "order_id", "left_anti"))
    near = (near.withColumn("event_merged_into_id", F.col("merged_into_id"))
            .withColumn("voided", F.col("status_code") == "80")
            .withColumn("_own", F.lit(False)).withColumn("_ctx", F.col("accept_date") < F.lit(lo))
            .withColumn("_stored_status", F.col("status_code")).withColumn("_stored_valid", F.col("is_valid"))
            .withColumn("_stored_repeat", F.col("repeat_flag")).withColumn("_stored_group", F.col("dup_group_id")))
    for c in own.columns:
        if c not in near.columns:
            near = near.withColumn(c, F.lit(None).cast(own.schema[c].dataType))
    return near.select(*own.columns)


def _relabel_later_chains(stored: DataFrame, flagged: DataFrame, after: dt.date) -> DataFrame:
    """Stored orders after ``after`` whose chain of repeats now starts elsewhere, with the new group.

    Their flags cannot change (every order within 30 days before them is either unchanged or in this
    run), but their ``dup_group_id`` names the chain's first order: when this run splits or joins a
    chain, the rest of it, later than the run's window, follows the run's last order of that chain.
    """
    last = (flagged.filter(~F.col("_ctx") & F.col("_stored_group").isNotNull())
            .groupBy(F.col("_stored_group").alias("dup_group_id"))
            .agg(F.max_by(F.coalesce(F.col("dup_group_id"), F.col("order_id")), F.col("accept_time")).alias("_new")))
    moved = last.filter(F.col("_new") != F.col("dup_group_id"))
    later = stored.filter(F.col("accept_date") > F.lit(after)).join(F.broadcast(moved), "dup_group_id")
    return later.withColumn("dup_group_id", F.col("_new")).select(*A.ORDER_COLUMNS)
