"""Pure transforms: lifecycle events → ``dwd_work_order_event`` rows and the state they imply.

The state of an order is always recomputed from *all* its events, ordered by event time (then code
and id), never from the order the events arrived in — so late and out-of-order deliveries give the
same final state as an in-order feed.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from jobs.common import security as S
from jobs.ingest.transform import parse_time
from jobs.standardise.orders import order_id

#: §7 A2 columns, then what the state derivation needs, then lineage
EVENT_COLUMNS = [
    "order_id", "seq", "event_code", "event_time", "from_unit", "to_unit", "operator_hash", "reason_code",
    "remark_redacted",
    "event_id", "event_date", "result_code", "solved_code", "satisfaction_code", "revisit_method", "revisit_valid",
    "extension_days", "supervise_level", "merged_into_id", "ingest_batch_id", "source_file",
]

#: status after each state-changing event (CL-STATUS); E01/E07/E09/E10 leave the status as it was.
STATUS_AFTER = {"E02": "20", "E03": "21", "E04": "22", "E05": "23", "E06": "20", "E08": "26", "E11": "30",
                "E12": "40", "E13": "60", "E15": "50"}


def _nz(c: str) -> Column:
    return F.when(F.length(F.trim(F.col(c))) > 0, F.trim(F.col(c)))


def from_bronze(bronze: DataFrame, key: bytes) -> DataFrame:
    """Bronze event rows → silver event rows (seq still null); one row per (order, event id)."""
    t = parse_time(F.col("event_time"), "yyyy-MM-dd HH:mm:ss")
    merged = F.when(_nz("merged_into_id").isNotNull(), order_id(_nz("merged_into_system"), _nz("merged_into_id")))
    df = bronze.select(
        order_id(F.trim("source_system"), F.trim("source_order_id")).alias("order_id"),
        F.lit(None).cast("int").alias("seq"), F.trim("event_code").alias("event_code"), t.alias("event_time"),
        _nz("from_unit").alias("from_unit"), _nz("to_unit").alias("to_unit"),
        S.hmac_col(_nz("operator"), key).alias("operator_hash"),
        _nz("reason_code").alias("reason_code"), S.redact_text(F.col("remark")).alias("remark_redacted"),
        F.trim("event_id").alias("event_id"), F.to_date(t).alias("event_date"), _nz("result_code").alias("result_code"),
        _nz("solved_code").alias("solved_code"), _nz("satisfaction_code").alias("satisfaction_code"),
        _nz("revisit_method").alias("revisit_method"),
        F.lower(_nz("revisit_valid")).isin("true", "1", "是").alias("revisit_valid"),
        F.col("extension_days").try_cast("double").cast("int").alias("extension_days"),
        _nz("supervise_level").alias("supervise_level"), merged.alias("merged_into_id"),
        F.col("batch_id").alias("ingest_batch_id"), "source_file",
    )
    w = Window.partitionBy("order_id", "event_id").orderBy(F.col("ingest_batch_id").desc())
    return df.withColumn("_rn", F.row_number().over(w)).filter("_rn = 1").drop("_rn")


def with_seq(events: DataFrame) -> DataFrame:
    """``seq`` = position of the event in its order's life (event time, then code, then id)."""
    w = Window.partitionBy("order_id").orderBy("event_time", "event_code", "event_id")
    return events.withColumn("seq", F.row_number().over(w)).select(*EVENT_COLUMNS)


def _when(code: str | tuple[str, ...], value: Column) -> Column:
    codes = (code,) if isinstance(code, str) else code
    return F.when(F.col("event_code").isin(*codes), value)


def _last(code: str | tuple[str, ...], col: str) -> Column:
    """Value of ``col`` on the latest event with the code (None when there is none)."""
    return F.max_by(F.col(col), _when(code, F.struct("event_time", "seq")))


def order_state(events: DataFrame) -> DataFrame:
    """Per order: times, counts, outcome and the status implied by its events."""
    n = lambda code: F.count(_when(code, F.lit(1)))  # noqa: E731
    state_codes = tuple(STATUS_AFTER)
    status_map = F.create_map(*[F.lit(x) for kv in STATUS_AFTER.items() for x in kv])
    agg = events.groupBy("order_id").agg(
        F.min(_when("E02", F.col("event_time"))).alias("dispatch_time"),
        F.max_by(F.col("to_unit"), _when(("E02", "E06"), F.when(F.col("to_unit").isNotNull(),
                                                               F.struct("event_time", "seq")))).alias("event_dept_code"),
        F.min(_when("E03", F.col("event_time"))).alias("sign_time"),
        F.min(_when("E04", F.col("event_time"))).alias("first_contact_time"),
        n("E02").alias("dispatch_count"), n("E05").alias("return_count"), n("E06").alias("reassign_count"),
        n("E08").alias("extension_count"), n("E09").alias("urge_count"),
        F.coalesce(F.sum(_when("E08", F.col("extension_days"))), F.lit(0)).cast("int").alias("extension_days_total"),
        (n("E10") > 0).alias("supervise_flag"), _last("E10", "supervise_level").alias("supervise_level"),
        F.max(_when("E11", F.col("event_time"))).alias("finish_time"), _last("E11", "result_code").alias("result_code"),
        _last("E11", "remark_redacted").alias("reply_redacted"),
        F.max(_when("E12", F.col("event_time"))).alias("revisit_time"),
        _last("E12", "revisit_method").alias("revisit_method"), _last("E12", "revisit_valid").alias("revisit_valid_flag"),
        _last("E12", "solved_code").alias("solved_code"), _last("E12", "satisfaction_code").alias("satisfaction_code"),
        (n("E13") > 0).alias("reopen_flag"), _last("E14", "merged_into_id").alias("event_merged_into_id"),
        (n("E16") > 0).alias("voided"), _last(state_codes, "event_code").alias("_last_state_event"),
    )
    return agg.withColumn("event_status_code", status_map[F.col("_last_state_event")]).drop("_last_state_event")
