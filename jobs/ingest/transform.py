"""Pure transforms of the ingest step: decoded records → bronze rows and quarantine rows."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.ingest.channels import Channel

LINEAGE = ["dt", "source_file", "file_hash", "line_no", "batch_id", "ingest_time", "row_hash", "encoding"]
QUARANTINE_COLUMNS = ["channel", "dt", "source_file", "file_hash", "line_no", "batch_id", "reason_code",
                      "reason_detail", "record_id", "raw_line", "ingest_time"]
RAW_TEXT_COLUMNS = ["content_raw_ref", "channel", "record_id", "title", "content", "address", "dt", "batch_id",
                    "ingest_time"]


def parse_time(col: Column, fmt: str) -> Column:
    """A channel's time string → TIMESTAMP (null when unparsable); local times are Asia/Shanghai."""
    if fmt == "epoch_ms":
        # monitoring platforms export milliseconds; some send seconds (10 digits), which read as
        # milliseconds would land in January 1970. Any other length is not a time of this century.
        digits = F.trim(col)
        return (F.when(digits.rlike(r"^[0-9]{13}$"), F.timestamp_millis(digits.cast("long")))
                .when(digits.rlike(r"^[0-9]{10}$"), F.timestamp_seconds(digits.cast("long"))))
    if fmt == "iso_offset":
        return F.coalesce(F.try_to_timestamp(col, F.lit("yyyy-MM-dd'T'HH:mm:ssXXX")),
                          F.try_to_timestamp(col, F.lit("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")))
    return F.try_to_timestamp(F.concat(col, F.lit(" +08:00")), F.lit(f"{fmt} XXX"))


#: Units an event may come from or go to besides the departments: the hotline centre and the
#: emergency lines an order is transferred to (CL-PATH 03).
CENTRE_AND_EMERGENCY_UNITS = ["CENTER", "110", "119", "120", "122"]


def code_domains(codelist: DataFrame, category: DataFrame, district: DataFrame, street: DataFrame,
                 community: DataFrame, department: DataFrame) -> dict[str, list[str]]:
    """Every code domain a channel may check, as small Python lists (collected once per run)."""
    rows = codelist.select("codelist", "code", "name").collect()
    domains: dict[str, list[str]] = {}
    for r in rows:
        domains.setdefault(r["codelist"], []).append(r["code"])
    domains["appeal_name"] = [r["name"] for r in rows if r["codelist"] == "CL-APPEAL"]
    domains["urgency_name"] = [r["name"] for r in rows if r["codelist"] == "CL-URG"]
    domains["category"] = [r[0] for r in category.select("l3_code").distinct().collect()]
    domains["district"] = [r[0] for r in district.select("district_code").distinct().collect()]
    domains["street"] = [r[0] for r in street.select("street_code").distinct().collect()]
    domains["community"] = [r[0] for r in community.select("community_code").distinct().collect()]
    domains["department"] = [r[0] for r in department.select("dept_code").distinct().collect()]
    domains["unit"] = domains["department"] + CENTRE_AND_EMERGENCY_UNITS
    domains["online_source"] = ["web", "wechat", "app"]
    domains["yes_no"] = ["是", "否"]
    return domains


def _blank(c: Column) -> Column:
    return c.isNull() | (F.trim(c) == "")


#: Why a row is rejected, beside the channel's columns until it is split into bronze and quarantine
#: (named apart from them: the event feed has a ``reason_code`` of its own, the return reason).
REJECT_CODE, REJECT_DETAIL = "_reject_code", "_reject_detail"


def validate(df: DataFrame, ch: Channel, domains: dict[str, list[str]]) -> DataFrame:
    """Check each decoded row and attach :data:`REJECT_CODE` / :data:`REJECT_DETAIL` (null when clean).

    Order of checks: structural error from decoding, then missing required field, unparsable time,
    unknown code.
    """
    missing = [F.when(_blank(F.col(c)), F.lit(c)) for c in ch.required]
    bad_time = [F.when(~_blank(F.col(c)) & parse_time(F.col(c), ch.time_format).isNull(), F.lit(c))
                for c in (ch.time_field, *ch.optional_times)]
    unknown = [F.when(~_blank(F.col(c)) & ~F.trim(F.col(c)).isin(domains[d]), F.concat(F.lit(f"{c}="), F.col(c)))
               for c, d in ch.codes.items()]
    first_missing = F.coalesce(*missing) if missing else F.lit(None)
    first_bad_time = F.coalesce(*bad_time)
    first_unknown = F.coalesce(*unknown) if unknown else F.lit(None)
    reason = (F.when(F.col("error").isNotNull(), F.col("error"))
              .when(first_missing.isNotNull(), F.lit("missing_field"))
              .when(first_bad_time.isNotNull(), F.lit("bad_time"))
              .when(first_unknown.isNotNull(), F.lit("unknown_code")))
    detail = (F.when(F.col("error").isNotNull(), F.col("error_detail"))
              .when(first_missing.isNotNull(), F.concat(F.lit("required field empty: "), first_missing))
              .when(first_bad_time.isNotNull(), F.concat(F.lit("unparsable time in "), first_bad_time))
              .when(first_unknown.isNotNull(), F.concat(F.lit("code not in its list: "), first_unknown)))
    return df.withColumn(REJECT_CODE, reason).withColumn(REJECT_DETAIL, detail)


def batch_id(channel: str, day: dt.date, file_hash: str) -> str:
    """A delivery's batch id: channel, delivery day and content hash (deterministic).

    The hash part starts with a letter: 16 hex characters are now and then all digits, and a
    separator-bounded 16-digit run is exactly what the PII scanner must report as a bank card.
    """
    return f"{channel}-{day:%Y%m%d}-h{file_hash[:16]}"


def batch_id_col(channel: str) -> Column:
    """:func:`batch_id` as a column over ``dt`` and ``file_hash``."""
    return F.concat_ws("-", F.lit(channel), F.date_format("dt", "yyyyMMdd"),
                       F.concat(F.lit("h"), F.substring("file_hash", 1, 16)))


def with_lineage(df: DataFrame, channel: str, ingest_time: Column) -> DataFrame:
    """Batch id (:func:`batch_id`), ingest time and row hash."""
    batch = batch_id_col(channel)
    return (df.withColumn("batch_id", batch)
            .withColumn("ingest_time", ingest_time)
            .withColumn("row_hash", F.sha2(F.concat_ws("\u0001", F.col("file_hash"), F.col("raw_line")), 256)))


def bronze_rows(validated: DataFrame, ch: Channel) -> DataFrame:
    """Accepted rows in bronze shape: as-received strings (free text excluded), rescued data, lineage."""
    ok = validated.filter(F.col(REJECT_CODE).isNull())
    ref = F.concat_ws(":", F.col("file_hash"), F.col("line_no").cast("string"))
    return ok.select(*ch.bronze_columns, F.col("rescued").alias("_rescued_data"),
                     ref.alias("content_raw_ref"), *LINEAGE)


def raw_text_rows(validated: DataFrame, ch: Channel) -> DataFrame:
    """Accepted rows' free text for the restricted ``bronze_raw_text`` table."""
    ok = validated.filter(F.col(REJECT_CODE).isNull())
    ref = F.concat_ws(":", F.col("file_hash"), F.col("line_no").cast("string"))
    text = {c: (F.col(c) if c in ch.text_fields else F.lit(None).cast("string")) for c in ("title", "content", "address")}
    return ok.select(ref.alias("content_raw_ref"), F.lit(ch.name).alias("channel"),
                     F.col(ch.id_field).alias("record_id"), text["title"].alias("title"),
                     text["content"].alias("content"), text["address"].alias("address"),
                     "dt", "batch_id", "ingest_time")


def quarantine_rows(validated: DataFrame, ch: Channel) -> DataFrame:
    bad = validated.filter(F.col(REJECT_CODE).isNotNull())
    rid = F.col(ch.id_field) if ch.id_field in validated.columns else F.lit(None).cast("string")
    return bad.select(F.lit(ch.name).alias("channel"), "dt", "source_file", "file_hash", "line_no", "batch_id",
                      F.col(REJECT_CODE).alias("reason_code"), F.col(REJECT_DETAIL).alias("reason_detail"),
                      rid.alias("record_id"), "raw_line", "ingest_time")
