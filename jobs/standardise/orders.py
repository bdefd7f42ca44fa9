"""Pure transforms: bronze channel rows → the channel-independent part of §7 A1 ``dwd_work_order``."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.common import security as S
from jobs.ingest.transform import parse_time

CATEGORY_VERSION = "v1"
SCHEMA_VERSION = "a1-v1"

#: columns every channel mapping yields (then places, SLA and events are added)
BASE_COLUMNS = [
    "order_id", "source_system", "source_order_id", "channel_code", "accept_time", "agent_id_hash",
    "appeal_type_code", "handling_path_code", "urgency_code", "category_l3_code", "title", "content_redacted",
    "content_raw_ref", "caller_type", "caller_phone_hash", "caller_phone_masked", "caller_name_masked",
    "caller_id_hash", "confidential_flag", "enterprise_uscc", "district_code", "street_code", "community_code",
    "lon", "lat", "crs", "grid_code", "record_dept_code", "ingest_batch_id", "source_file",
]


def order_id(source_system: Column | str, source_order_id: Column | str) -> Column:
    """Unified order key: ``<source system>-<source id>`` (readable, stable, unique across systems)."""
    ss = F.col(source_system) if isinstance(source_system, str) else source_system
    so = F.col(source_order_id) if isinstance(source_order_id, str) else source_order_id
    return F.concat_ws("-", ss, so)


def _nz(c: str) -> Column:
    return F.when(F.length(F.trim(F.col(c))) > 0, F.trim(F.col(c)))


def _texts(raw: DataFrame) -> DataFrame:
    return raw.select("content_raw_ref", F.col("title").alias("_title"), F.col("content").alias("_content"))


def from_phone(bronze: DataFrame, raw_text: DataFrame, codes: dict[str, dict[str, str]], key: bytes) -> DataFrame:
    """12345 phone export → base columns (appeal type and urgency arrive as names)."""
    appeal = F.create_map(*[F.lit(x) for kv in codes["CL-APPEAL"].items() for x in kv])
    urg = F.create_map(*[F.lit(x) for kv in codes["CL-URG"].items() for x in kv])
    df = bronze.join(_texts(raw_text), "content_raw_ref", "left")
    names = [F.col("caller_name")]
    return df.select(
        order_id(F.lit("HOTLINE"), "source_order_id").alias("order_id"), F.lit("HOTLINE").alias("source_system"),
        "source_order_id", F.lit("01").alias("channel_code"),
        parse_time(F.col("accept_time"), "yyyy-MM-dd HH:mm:ss").alias("accept_time"),
        S.hmac_col(_nz("agent_id"), key).alias("agent_id_hash"),
        appeal[F.trim("appeal_type_name")].alias("appeal_type_code"), _nz("handling_path_code").alias("handling_path_code"),
        urg[F.trim("urgency_name")].alias("urgency_code"), _nz("category_code").alias("category_l3_code"),
        S.redact_text(F.col("_title"), names).alias("title"), S.redact_text(F.col("_content"), names).alias("content_redacted"),
        "content_raw_ref", F.lit("1").alias("caller_type"),
        S.phone_hash("caller_phone", key).alias("caller_phone_hash"), S.mask_phone("caller_phone").alias("caller_phone_masked"),
        S.mask_name("caller_name").alias("caller_name_masked"), F.lit(None).cast("string").alias("caller_id_hash"),
        (F.trim("confidential") == "是").alias("confidential_flag"), F.lit(None).cast("string").alias("enterprise_uscc"),
        _nz("district_code").alias("district_code"), _nz("street_code").alias("street_code"),
        _nz("community_code").alias("community_code"), F.lit(None).cast("double").alias("lon"),
        F.lit(None).cast("double").alias("lat"), F.lit(None).cast("string").alias("crs"),
        F.lit(None).cast("string").alias("grid_code"), _nz("dept_code").alias("record_dept_code"),
        F.col("batch_id").alias("ingest_batch_id"), "source_file",
    )


ONLINE_CHANNEL = {"web": "02", "wechat": "03", "app": "04"}


def from_online(bronze: DataFrame, raw_text: DataFrame, key: bytes) -> DataFrame:
    chan = F.create_map(*[F.lit(x) for kv in ONLINE_CHANNEL.items() for x in kv])
    df = bronze.join(_texts(raw_text), "content_raw_ref", "left")
    names = [F.col("user_name")]
    return df.select(
        order_id(F.lit("ONLINE"), "msg_id").alias("order_id"), F.lit("ONLINE").alias("source_system"),
        F.col("msg_id").alias("source_order_id"), chan[F.col("source")].alias("channel_code"),
        parse_time(F.col("submit_time"), "iso_offset").alias("accept_time"),
        F.lit(None).cast("string").alias("agent_id_hash"),
        _nz("appeal_type_code").alias("appeal_type_code"), _nz("handling_path_code").alias("handling_path_code"),
        _nz("urgency_code").alias("urgency_code"), _nz("category_code").alias("category_l3_code"),
        S.redact_text(F.col("_title"), names).alias("title"), S.redact_text(F.col("_content"), names).alias("content_redacted"),
        "content_raw_ref", F.lit("1").alias("caller_type"),
        S.phone_hash("user_mobile", key).alias("caller_phone_hash"), S.mask_phone("user_mobile").alias("caller_phone_masked"),
        S.mask_name("user_name").alias("caller_name_masked"), S.id_hash("user_id_card", key).alias("caller_id_hash"),
        (F.col("anonymous") == "true").alias("confidential_flag"), F.lit(None).cast("string").alias("enterprise_uscc"),
        _nz("district_code").alias("district_code"), _nz("street_code").alias("street_code"),
        _nz("community_code").alias("community_code"), F.lit(None).cast("double").alias("lon"),
        F.lit(None).cast("double").alias("lat"), F.lit(None).cast("string").alias("crs"),
        F.lit(None).cast("string").alias("grid_code"), _nz("dept_code").alias("record_dept_code"),
        F.col("batch_id").alias("ingest_batch_id"), "source_file",
    )


def from_grid(bronze: DataFrame, raw_text: DataFrame, key: bytes) -> DataFrame:
    """Grid reports: no caller; coordinates snapped to 3 decimals (~100 m); always 举报 / 受理转办."""
    df = bronze.join(_texts(raw_text), "content_raw_ref", "left")
    return df.select(
        order_id(F.lit("GRID"), "report_id").alias("order_id"), F.lit("GRID").alias("source_system"),
        F.col("report_id").alias("source_order_id"), F.lit("10").alias("channel_code"),
        parse_time(F.col("report_time"), "yyyy/MM/dd HH:mm").alias("accept_time"),
        S.hmac_col(_nz("inspector"), key).alias("agent_id_hash"),
        F.lit("04").alias("appeal_type_code"), F.lit("01").alias("handling_path_code"),
        F.coalesce(_nz("urgency_code"), F.lit("3")).alias("urgency_code"), _nz("category_code").alias("category_l3_code"),
        F.lit(None).cast("string").alias("title"), S.redact_text(F.col("_content")).alias("content_redacted"),
        "content_raw_ref", F.lit(None).cast("string").alias("caller_type"),
        F.lit(None).cast("string").alias("caller_phone_hash"), F.lit(None).cast("string").alias("caller_phone_masked"),
        F.lit(None).cast("string").alias("caller_name_masked"), F.lit(None).cast("string").alias("caller_id_hash"),
        F.lit(False).alias("confidential_flag"), F.lit(None).cast("string").alias("enterprise_uscc"),
        F.substring(_nz("street_code"), 1, 6).alias("district_code"), _nz("street_code").alias("street_code"),
        _nz("community_code").alias("community_code"), F.round(F.col("lon").cast("double"), 3).alias("lon"),
        F.round(F.col("lat").cast("double"), 3).alias("lat"), F.lit("WGS84").alias("crs"),
        _nz("grid_code").alias("grid_code"), _nz("dept_code").alias("record_dept_code"),
        F.col("batch_id").alias("ingest_batch_id"), "source_file",
    )


def from_opinion(bronze: DataFrame, raw_text: DataFrame, key: bytes) -> DataFrame:
    """Public-opinion posts: channel 99 (舆情), appeal type 99 (其他); the nickname never leaves bronze."""
    df = bronze.join(_texts(raw_text), "content_raw_ref", "left")
    names = [F.col("author_nick")]
    return df.select(
        order_id(F.lit("OPINION"), "post_id").alias("order_id"), F.lit("OPINION").alias("source_system"),
        F.col("post_id").alias("source_order_id"), F.lit("99").alias("channel_code"),
        parse_time(F.col("publish_time"), "epoch_ms").alias("accept_time"),
        F.lit(None).cast("string").alias("agent_id_hash"),
        F.lit("99").alias("appeal_type_code"), F.lit("01").alias("handling_path_code"),
        F.coalesce(_nz("urgency_code"), F.lit("3")).alias("urgency_code"), _nz("category_code").alias("category_l3_code"),
        S.redact_text(F.col("_title"), names).alias("title"), S.redact_text(F.col("_content"), names).alias("content_redacted"),
        "content_raw_ref", F.lit("3").alias("caller_type"),
        F.lit(None).cast("string").alias("caller_phone_hash"), F.lit(None).cast("string").alias("caller_phone_masked"),
        F.lit(None).cast("string").alias("caller_name_masked"), F.lit(None).cast("string").alias("caller_id_hash"),
        F.lit(False).alias("confidential_flag"), F.lit(None).cast("string").alias("enterprise_uscc"),
        _nz("district_code").alias("district_code"), _nz("street_code").alias("street_code"),
        F.lit(None).cast("string").alias("community_code"), F.lit(None).cast("double").alias("lon"),
        F.lit(None).cast("double").alias("lat"), F.lit(None).cast("string").alias("crs"),
        F.lit(None).cast("string").alias("grid_code"), _nz("dept_code").alias("record_dept_code"),
        F.col("batch_id").alias("ingest_batch_id"), "source_file",
    )


def dedupe_latest(df: DataFrame) -> DataFrame:
    """One row per order id: a corrected re-delivery of the same record (later batch) wins."""
    from pyspark.sql.window import Window

    w = Window.partitionBy("order_id").orderBy(F.col("ingest_batch_id").desc(), F.col("content_raw_ref").desc())
    return df.withColumn("_rn", F.row_number().over(w)).filter("_rn = 1").drop("_rn")


def code_places(df: DataFrame, community: DataFrame, street: DataFrame, district: DataFrame) -> DataFrame:
    """Resolve district / street / community from the finest valid code; community-level address.

    Codes not in the reference city are dropped (and flagged in ``dq_flags``); coarser codes are
    derived from finer ones (community → street → district).
    """
    com = F.broadcast(community.select(F.col("community_code").alias("_c"), F.col("community_name").alias("_cn"),
                                       F.col("urban_rural_class").alias("_urc")))
    st = F.broadcast(street.select(F.col("street_code").alias("_s"), F.col("street_name").alias("_sn")))
    dis = F.broadcast(district.select(F.col("district_code").alias("_d"), F.col("district_name").alias("_dn"),
                                      F.col("city_code").alias("_city")))
    out = df.join(com, F.col("community_code") == F.col("_c"), "left")
    out = out.withColumn("community_code", F.col("_c"))
    street_guess = F.coalesce(F.substring("community_code", 1, 9), F.col("street_code"))
    out = out.withColumn("street_code", street_guess).join(st, F.col("street_code") == F.col("_s"), "left")
    out = out.withColumn("street_code", F.col("_s"))
    district_guess = F.coalesce(F.substring("street_code", 1, 6), F.col("district_code"))
    out = out.withColumn("district_code", district_guess).join(dis, F.col("district_code") == F.col("_d"), "left")
    out = out.withColumn("district_code", F.col("_d"))
    address = F.concat_ws("", F.col("_dn"), F.col("_sn"), F.col("_cn"))
    return (out.withColumn("address_masked", F.when(F.length(address) > 0, address))
            .withColumn("urban_rural_class", F.col("_urc"))
            .withColumn("city_code", F.col("_city"))
            .drop("_c", "_cn", "_urc", "_s", "_sn", "_d", "_dn", "_city"))


def with_category(df: DataFrame, category: DataFrame) -> DataFrame:
    cat = F.broadcast(category.select(F.col("l3_code").alias("_l3")).distinct())
    out = df.join(cat, F.col("category_l3_code") == F.col("_l3"), "left").withColumn("category_l3_code", F.col("_l3"))
    return (out.withColumn("category_l1_code", F.substring("category_l3_code", 1, 2))
            .withColumn("category_l2_code", F.substring("category_l3_code", 1, 4))
            .withColumn("category_version", F.lit(CATEGORY_VERSION)).drop("_l3"))
