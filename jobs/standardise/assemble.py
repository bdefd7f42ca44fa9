"""Pure transforms: base order rows + event state + reference → final §7 A1 rows."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from jobs.common import worktime
from jobs.standardise.orders import SCHEMA_VERSION

#: §7 A1 in order, then the partition column and the additions (flags, pseudonymous id hash)
A1_COLUMNS = [
    "order_id", "source_system", "source_order_id", "city_code", "channel_code", "accept_time", "agent_id_hash",
    "appeal_type_code", "handling_path_code", "urgency_code", "category_l1_code", "category_l2_code",
    "category_l3_code", "category_version", "tags", "title", "content_redacted", "content_raw_ref", "caller_type",
    "caller_phone_hash", "caller_phone_masked", "caller_name_masked", "confidential_flag", "enterprise_uscc",
    "district_code", "street_code", "community_code", "urban_rural_class", "address_masked", "lon", "lat", "crs",
    "grid_code", "dispatch_time", "main_dept_code", "main_dept_name", "assist_dept_codes", "dispatch_level",
    "sign_time", "first_contact_time", "sla_rule_id", "due_time", "original_due_time", "dispatch_count",
    "return_count", "reassign_count", "extension_count", "urge_count", "supervise_flag", "supervise_level",
    "finish_time", "result_code", "reply_redacted", "revisit_time", "revisit_method", "revisit_valid_flag",
    "solved_code", "satisfaction_code", "status_code", "reopen_flag", "parent_order_id", "merged_into_id",
    "dup_group_id", "case_cluster_id", "is_valid", "ingest_batch_id", "source_file", "etl_time", "schema_version",
    "dq_flags",
]
EXTRA_COLUMNS = ["accept_date", "repeat_flag", "caller_id_hash", "record_dept_code"]
ORDER_COLUMNS = A1_COLUMNS + EXTRA_COLUMNS
#: what a stored order keeps that does not come from events (re-used when only events changed)
BASE_KEEP = ["order_id", "source_system", "source_order_id", "city_code", "channel_code", "accept_time",
             "agent_id_hash", "appeal_type_code", "handling_path_code", "urgency_code", "category_l1_code",
             "category_l2_code", "category_l3_code", "category_version", "title", "content_redacted",
             "content_raw_ref", "caller_type", "caller_phone_hash", "caller_phone_masked", "caller_name_masked",
             "caller_id_hash", "confidential_flag", "enterprise_uscc", "district_code", "street_code",
             "community_code", "urban_rural_class", "address_masked", "lon", "lat", "crs", "grid_code",
             "record_dept_code", "ingest_batch_id", "source_file", "accept_date"]
DIRECT_PATHS = ("02", "03", "04", "05", "06")
REPEAT_WINDOW_DAYS = 30
CROSS_CHANNEL_WINDOW_HOURS = 24


def with_sla(df: DataFrame, sla: DataFrame, calendar: DataFrame) -> DataFrame:
    """Deadline rule (appeal type × urgency, valid on the accept date) and the due times.

    ``original_due_time`` = accept time + rule; ``due_time`` adds the approved extensions
    (``extension_days_total`` working days after the original deadline). A deadline counted in working
    days onto a provisional calendar day (see jobs.reference.tables.calendar) adds
    ``due_time_provisional`` to ``dq_flags``.
    """
    rules = F.broadcast(sla.select(
        F.col("sla_rule_id").alias("_rid"), F.col("appeal_type_code").alias("_rat"),
        F.col("urgency_code").alias("_ru"), F.col("deadline_value").alias("_rv"),
        F.col("deadline_unit").alias("_runit"), F.col("effective_from").alias("_rf"),
        F.col("effective_to").alias("_rt")))
    cond = ((F.col("urgency_code") == F.col("_ru"))
            & ((F.col("appeal_type_code") == F.col("_rat")) | (F.col("_rat") == "*"))
            & F.col("accept_date").between(F.col("_rf"), F.col("_rt")))
    out = df.join(rules, cond, "left").withColumn("sla_rule_id", F.col("_rid"))
    out = worktime.add_deadline(out, calendar, "accept_time", "_rv", "_runit", "original_due_time")
    out = out.withColumn("_ext_unit", F.lit("working_days"))
    out = worktime.add_deadline(out, calendar, "original_due_time", "extension_days_total", "_ext_unit", "_extended")
    due = F.when(F.col("extension_days_total") > 0, F.col("_extended")).otherwise(F.col("original_due_time"))
    out = out.withColumn("due_time", due)
    if "is_provisional" in calendar.columns:
        # counted in working days into a year whose holiday notice is not loaded yet: flagged, so that a
        # backfill recomputes it once the notice is in (natural-time deadlines do not use the calendar)
        provisional = F.broadcast(calendar.where("is_provisional").select(F.col("date").alias("_pdate")))
        counted = (F.col("_runit") == "working_days") | (F.col("extension_days_total") > 0)
        out = out.join(provisional, F.to_date("due_time") == F.col("_pdate"), "left")
        flagged = F.array_union(F.col("dq_flags"), F.array(F.lit("due_time_provisional")))
        out = out.withColumn("dq_flags", F.when(counted & F.col("_pdate").isNotNull(), flagged)
                             .otherwise(F.col("dq_flags"))).drop("_pdate")
    return out.drop("_rid", "_rat", "_ru", "_rv", "_runit", "_rf", "_rt", "_ext_unit", "_extended")


def with_departments(df: DataFrame, department: DataFrame, dispatch_rule: DataFrame) -> DataFrame:
    """Lead department = last dispatch / reassignment target, else the one on the record; 派单目录 fills
    the assisting departments and the dispatch level."""
    dept = F.broadcast(department.select(F.col("dept_code").alias("_dc"), F.col("dept_name").alias("main_dept_name")))
    rule = F.broadcast(dispatch_rule.select(
        F.col("l3_code").alias("_l3"), F.col("district_code").alias("_dd"),
        F.when(F.length("assist_dept_codes") > 0, F.split("assist_dept_codes", ";")).alias("assist_dept_codes"),
        F.col("dispatch_level").alias("dispatch_level")))
    out = df.withColumn("main_dept_code", F.coalesce("event_dept_code", "record_dept_code"))
    out = out.join(dept, F.col("main_dept_code") == F.col("_dc"), "left").drop("_dc")
    out = out.join(rule, (F.col("category_l3_code") == F.col("_l3")) & (F.col("district_code") == F.col("_dd")), "left")
    dispatched = F.col("dispatch_count") > 0
    return (out.withColumn("assist_dept_codes", F.when(dispatched, F.col("assist_dept_codes")))
            .withColumn("dispatch_level", F.when(dispatched, F.col("dispatch_level"))).drop("_l3", "_dd"))


def valid_order() -> Column:
    """§7(c) conventions: an order counts unless voided (作废) or handled as 恶意扰乱 (path 06)."""
    return ~F.col("voided") & ~F.col("handling_path_code").eqNullSafe("06")


def with_status(df: DataFrame) -> DataFrame:
    direct = F.col("handling_path_code").isin(*DIRECT_PATHS) & (F.col("dispatch_count") == 0)
    status = (F.when(F.col("voided"), F.lit("80"))
              .when(F.col("merged_into_id").isNotNull(), F.lit("70"))
              .when(direct & (F.col("event_status_code").isNull() | (F.col("event_status_code") == "30")), F.lit("11"))
              .when(F.col("event_status_code").isNotNull(), F.col("event_status_code"))
              .otherwise(F.lit("10")))
    return df.withColumn("status_code", status).withColumn("is_valid", valid_order())


def link_cross_channel(df: DataFrame) -> DataFrame:
    """并单: link an order to the order it duplicates.

    An explicit 并单 event (E14) wins. Otherwise the same caller (phone pseudonym) on the same L3 from
    another channel within 24 h after an earlier valid order is a cross-channel duplicate of that
    earlier order (flagged ``auto_merged`` in ``dq_flags``) — or of the order *that* one is merged
    into, so a link always ends at a surviving order: phone 08:00, web 09:00, phone 10:00 link both
    later ones to the first.
    """
    has_key = F.col("caller_phone_hash").isNotNull() & F.col("category_l3_code").isNotNull()
    ts = F.col("accept_time").cast("long")
    wr = (Window.partitionBy("caller_phone_hash", "category_l3_code").orderBy(ts)
          .rangeBetween(-CROSS_CHANNEL_WINDOW_HOURS * 3600, -1))
    prev = F.collect_list(F.when(valid_order(), F.struct(
        ts.alias("t"), F.col("order_id").alias("o"), F.col("channel_code").alias("c")))).over(wr)
    out = df.withColumn("_prev", F.when(has_key, prev))
    other = F.filter("_prev", lambda x: x["c"] != F.col("channel_code"))
    out = out.withColumn("_auto", F.when(F.size(other) > 0, F.array_min(other)["o"]))
    out = out.withColumn("merged_into_id", F.coalesce(F.col("event_merged_into_id"), F.col("_auto")))
    # one hop further when the order linked to is itself merged (its own link was decided the same way).
    # That order is in the same caller/L3 window frame, so the frame is read again instead of joining the
    # orders to themselves (a self-join whose size Spark underestimates and may try to broadcast).
    earlier = F.collect_list(F.when(has_key & F.col("merged_into_id").isNotNull(), F.struct(
        F.col("order_id").alias("o"), F.col("merged_into_id").alias("m")))).over(wr)
    out = out.withColumn("_onward", F.when(F.col("_auto").isNotNull(), F.get(F.filter(
        earlier, lambda x: x["o"] == F.col("_auto")), 0)["m"]))
    out = out.withColumn("merged_into_id", F.coalesce(
        F.col("event_merged_into_id"), F.coalesce(F.col("_onward"), F.col("_auto"))))
    flagged = F.array_union(F.col("dq_flags"), F.array(F.lit("auto_merged")))
    out = out.withColumn("dq_flags", F.when(F.col("event_merged_into_id").isNull() & F.col("_auto").isNotNull(), flagged)
                         .otherwise(F.col("dq_flags")))
    return out.drop("_prev", "_auto", "_onward")


def flag_repeats(df: DataFrame) -> DataFrame:
    """Repeat demands (§7(c)-E): an earlier valid order with the same caller pseudonym, L3 and community
    within 30 days → ``repeat_flag``; ``dup_group_id`` = the first order of the chain of repeats.

    Rows with ``_ctx`` set are stored orders older than anything the run can change, there only as the
    earlier orders of the rows after them: their stored flag (``_stored_repeat``) stands, and a chain
    that started before them keeps its stored group (``_stored_group``). The result is then the same
    whichever days a run covers.
    """
    for c, t in (("_ctx", "boolean"), ("_stored_repeat", "boolean"), ("_stored_group", "string")):
        if c not in df.columns:
            df = df.withColumn(c, F.lit(None).cast(t))
    rk = ["caller_phone_hash", "category_l3_code", "community_code"]
    eligible = (F.col("caller_phone_hash").isNotNull() & F.col("category_l3_code").isNotNull()
                & F.col("community_code").isNotNull() & F.col("is_valid"))
    out = df.withColumn("_elig", F.coalesce(eligible, F.lit(False)))
    w2 = Window.partitionBy(*rk, "_elig").orderBy("accept_time", "order_id")
    gap = F.col("accept_time").cast("long") - F.lag("accept_time").over(w2).cast("long")
    computed = F.col("_elig") & gap.isNotNull() & (gap <= REPEAT_WINDOW_DAYS * 86400)
    out = out.withColumn("_rep", F.coalesce(
        F.when(F.col("_ctx"), F.col("_elig") & F.coalesce(F.col("_stored_repeat"), F.lit(False))).otherwise(computed),
        F.lit(False)))
    out = out.withColumn("_chain", F.sum(F.when(F.col("_rep"), 0).otherwise(1)).over(
        w2.rowsBetween(Window.unboundedPreceding, 0)))
    wc = Window.partitionBy(*rk, "_elig", "_chain")
    first = F.min_by(F.struct(F.col("order_id").alias("o"), F.col("_rep").alias("r"), F.col("_stored_group").alias("g")),
                     F.struct("accept_time", "order_id")).over(wc)
    group = (F.when(~F.col("_elig"), F.lit(None))
             .when(first["r"], first["g"])                      # the chain began before the context rows
             .when(F.count("*").over(wc) > 1, first["o"]))
    return (out.withColumn("repeat_flag", F.col("_rep")).withColumn("dup_group_id", group)
            .drop("_rep", "_chain", "_elig"))


def finalise(df: DataFrame, etl_time) -> DataFrame:
    """Lineage, flags and the A1 column contract."""
    flags = F.array_compact(F.array(
        F.when(F.col("accept_time").isNull(), F.lit("accept_time_missing")),
        F.when(F.col("category_l3_code").isNull(), F.lit("category_unknown")),
        F.when(F.col("district_code").isNull(), F.lit("place_unresolved")),
        F.when(F.col("sla_rule_id").isNull(), F.lit("sla_rule_missing")),
        F.when(F.col("channel_code").isNull(), F.lit("channel_unknown")),
    ))
    merged_flags = F.array_union(F.coalesce(F.col("dq_flags"), F.array().cast("array<string>")), flags)
    return (df.withColumn("dq_flags", F.array_sort(merged_flags))
            .withColumn("tags", F.array().cast("array<string>"))
            .withColumn("parent_order_id", F.lit(None).cast("string"))
            .withColumn("case_cluster_id", F.lit(None).cast("string"))
            .withColumn("etl_time", etl_time)
            .withColumn("schema_version", F.lit(SCHEMA_VERSION)))
