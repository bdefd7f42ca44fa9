"""Render true orders into the source systems' own delivery formats (landing-formats.md), with dirty
lines planted at small recorded rates. Output: one row per physical line, as bytes in the file's
encoding, with the file it belongs to and its sort position.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.generate import lexicon as L
from jobs.generate.orders import Draw, pick
from jobs.generate.plan import GenConfig

LINE_COLS = ["path", "channel", "dt", "file", "gen_dt", "encoding", "extra_col", "redeliver", "sort1", "sort2",
             "line", "dirty_kind", "record_id"]
LINE_KINDS = ["truncated_line", "bad_encoding", "missing_field", "bad_time", "unknown_code"]
PHONE_HEADER = ["工单编号", "受理时间", "来电号码", "来电人", "诉求类型", "紧急程度", "处理方式", "分类编码", "标题", "诉求内容",
                "区县编码", "街道编码", "社区编码", "详细地址", "是否保密", "话务员工号", "主办单位编码"]
EXTRA_HEADER = "备注"
APPEAL_NAMES = {"01": "咨询", "02": "求助", "03": "投诉", "04": "举报", "05": "建议", "06": "表扬", "99": "其他"}
URG_NAMES = {"1": "特急", "2": "紧急", "3": "一般"}
SOURCE_SYSTEM = {0: "HOTLINE", 1: "ONLINE", 2: "ONLINE", 3: "ONLINE", 4: "GRID", 5: "OPINION"}


def _map(mapping: dict, col: Column) -> Column:
    return F.create_map(*[F.lit(x) for kv in mapping.items() for x in kv])[col]


def _fmt(ts_seconds: Column, pattern: str) -> Column:
    return F.date_format(F.timestamp_seconds(ts_seconds), pattern)


def _dirty(draw: Draw, cfg: GenConfig, allowed: Column | None = None) -> Column:
    u = draw.u("dirty")
    r = cfg.dirty_line_rate
    kind = F.lit(None).cast("string")
    for j, k in reversed(list(enumerate(LINE_KINDS))):
        kind = F.when((u >= j * r) & (u < (j + 1) * r), F.lit(k)).otherwise(kind)
    return kind if allowed is None else F.when(allowed, kind)


def _file_cols(df: DataFrame, cfg: GenConfig, channel: str, file_expr: Column, gen_dt: Column) -> DataFrame:
    """Add path / redelivery / extra-column / encoding decisions (per file, by hash of its name)."""
    df = df.withColumn("channel", F.lit(channel)).withColumn("file", file_expr).withColumn("gen_dt", gen_dt)
    df = df.withColumn("path", F.concat(F.col("channel"), F.lit("/dt="), F.col("dt"), F.lit("/"), F.col("file")))
    fd = Draw(cfg.seed, "path")
    r = cfg.dirty_file_rate
    df = df.withColumn("extra_col", fd.u("extra") < r)
    ur = fd.u("redeliver")
    df = df.withColumn("redeliver", F.when(ur < r, "duplicate_file").when(ur < 2 * r, "renamed_redelivery"))
    return df


def _encode(line: Column, kind: Column, enc: Column) -> Column:
    """The line as bytes in the file's encoding; a bad_encoding line gets undecodable bytes inside."""
    half = F.floor(F.length(line) / 2).cast("int")
    enc_utf = F.encode(F.concat(line, F.lit("\n")), "UTF-8")
    enc_gbk = F.encode(F.concat(line, F.lit("\n")), "GBK")
    clean = F.when(enc == "GBK", enc_gbk).otherwise(enc_utf)
    broken = F.concat(F.encode(F.substring(line, 1, half), "UTF-8"), F.unhex(F.lit("FFFE80")),
                      F.encode(F.concat(F.expr("substring(_l, _h + 1)"), F.lit("\n")), "UTF-8"))
    return F.when(kind == "bad_encoding", broken).otherwise(clean)


def _finish(df: DataFrame, line: Column) -> DataFrame:
    df = df.withColumn("_l", line).withColumn("_h", F.floor(F.length("_l") / 2).cast("int"))
    df = df.withColumn("line", _encode(F.col("_l"), F.col("dirty_kind"), F.col("encoding")))
    return df.select(*LINE_COLS)


def _csv(c: Column) -> Column:
    return F.concat(F.lit('"'), F.replace(F.coalesce(c, F.lit("")), F.lit('"'), F.lit('""')), F.lit('"'))


def _order_deliveries(o: DataFrame, cfg: GenConfig, streams: tuple[int, ...], channel: str, prefix: str,
                      ext: str, encoding: Column | None = None, by_source: bool = False
                      ) -> tuple[DataFrame, Draw, Column]:
    """The orders of ``streams`` with their delivery file (``<prefix>[<src>_]<yyyyMMdd>_<nn><ext>``),
    encoding and dirty-delivery kind; returns the frame, the per-order draw and the dirty kind ("" if clean)."""
    d = Draw(cfg.seed, "source_order_id")
    df = o.filter(F.col("stream_id").isin(*streams)).withColumn("dt", F.date_format("day", "yyyy-MM-dd"))
    name = [F.lit(prefix)]
    if by_source:  # web / WeChat / APP forms arrive as one file set per source system
        df = df.withColumn("src", F.element_at(F.array(F.lit("web"), F.lit("wechat"), F.lit("app")), F.col("stream_id")))
        name += [F.col("src"), F.lit("_")]
    fno = F.lpad((F.floor(F.col("k") / cfg.lines_per_file) + 1).cast("string"), 2, "0")
    df = _file_cols(df, cfg, channel, F.concat(*name, F.date_format("day", "yyyyMMdd"), F.lit("_"), fno, F.lit(ext)),
                    F.col("dt"))
    df = df.withColumn("encoding", encoding if encoding is not None else F.lit("UTF-8"))
    df = df.withColumn("dirty_kind", _dirty(d, cfg)).withColumn("record_id", F.col("source_order_id"))
    return df, d, F.coalesce(F.col("dirty_kind"), F.lit(""))


def _json_deliveries(df: DataFrame, k: Column, record: Column) -> DataFrame:
    """One JSON line per order (``record`` as an object), in order of the day's sequence number."""
    df = df.withColumn("_s", record)
    df = df.withColumn("sort1", F.col("k").cast("long")).withColumn("sort2", F.lit(0))
    df = _json_line(df, k, F.col("extra_col"))
    return _finish(df, _json_expr(k, F.col("extra_col")))


def render_phone(o: DataFrame, cfg: GenConfig) -> DataFrame:
    dayd = Draw(cfg.seed, "day_num")  # some days' whole export is in GBK
    df, d, k = _order_deliveries(o, cfg, (0,), "phone", "hotline_", ".csv",
                                 encoding=F.when(dayd.u("gbk") < cfg.gbk_day_rate, "GBK").otherwise("UTF-8"))
    number = (F.when(d.u("nonum") < 0.03, F.lit("")).when(d.u("land") < 0.08, F.col("caller_landline"))
              .otherwise(F.col("caller_mobile")))
    name = F.when(d.u("noname") < 0.35, F.lit("")).otherwise(F.col("caller_name"))
    accept = F.when(k == "bad_time", pick(["2025-02-30 25:61:00", "N/A", "20250301 8:15"], d.i("bt", 3))) \
        .otherwise(F.date_format("accept_time", "yyyy-MM-dd HH:mm:ss"))
    cat = F.when(k == "unknown_code", F.lit("989898")).otherwise(F.col("l3_labelled"))
    content = F.when(k == "missing_field", F.lit("")).otherwise(F.col("content"))
    keep_street = d.u("nostreet") >= 0.04
    fields = [
        F.col("source_order_id"), accept, F.coalesce(number, F.lit("")), F.coalesce(name, F.lit("")),
        _map(APPEAL_NAMES, F.col("appeal_type_code")), _map(URG_NAMES, F.col("urgency_code")),
        F.col("handling_path_code"), cat, _csv(F.col("title")), _csv(content), F.col("district_code"),
        F.when(keep_street, F.col("street_code")).otherwise(F.lit("")),
        F.when(keep_street & (d.u("nocomm") >= 0.08), F.col("community_code")).otherwise(F.lit("")),
        _csv(F.col("address")), F.when(d.u("conf") < 0.04, "是").otherwise("否"),
        F.concat(F.lit("H"), F.lpad((d.i("agent", 400) + 1).cast("string"), 4, "0")),
        F.coalesce(F.col("dept_code"), F.lit("")),
    ]
    full = F.concat_ws(",", *fields)
    with_extra = F.when(F.col("extra_col"), F.concat(full, F.lit(","), _csv(F.lit("补录")))).otherwise(full)
    line = F.when(k == "truncated_line", F.concat_ws(",", *fields[:8])).otherwise(with_extra)
    df = df.withColumn("sort1", F.col("k").cast("long")).withColumn("sort2", F.lit(0))
    return _finish(df, line)


def _json_line(df: DataFrame, k: Column, extra: Column) -> DataFrame:
    """Adds ``_js`` (the JSON of ``_s``) and returns the frame; the line expression is ``_json_expr``."""
    return df.withColumn("_js", F.to_json(F.col("_s")))


def _json_expr(k: Column, extra: Column) -> Column:
    js = F.when(extra, F.concat(F.expr("substring(_js, 1, length(_js) - 1)"),
                                F.lit(',"ext_remark":"补充字段"}'))).otherwise(F.col("_js"))
    return F.when(k == "truncated_line", F.expr("substring(_js, 1, cast(length(_js) * 0.55 as int))")).otherwise(js)


def render_online(o: DataFrame, cfg: GenConfig) -> DataFrame:
    df, d, k = _order_deliveries(o, cfg, (1, 2, 3), "online", "forms_", ".jsonl", by_source=True)
    anonymous = d.u("anon") < 0.1
    user = F.when(~anonymous, F.struct(
        F.col("caller_name").alias("name"), F.col("caller_mobile").alias("mobile"),
        F.when(d.u("realname") < 0.4, F.col("caller_id_card")).alias("id_card")))
    submit = F.when(k == "bad_time", pick(["2025-13-45T99:00:00+08:00", "昨天下午", ""], d.i("bt", 3))) \
        .otherwise(F.date_format("accept_time", "yyyy-MM-dd'T'HH:mm:ssXXX"))
    struct = F.struct(
        F.col("source_order_id").alias("msg_id"), F.col("src").alias("source"), submit.alias("submit_time"),
        user.alias("user"), F.col("title").alias("title"),
        F.when(k != "missing_field", F.col("content")).alias("content"),
        F.col("appeal_type_code").alias("type"),
        F.when(k == "unknown_code", F.lit("989898")).otherwise(F.col("l3_labelled")).alias("category"),
        F.struct(F.col("district_code").alias("district_code"), F.col("street_code").alias("street_code"),
                 F.col("community_code").alias("community_code"), F.col("address").alias("address")).alias("location"),
        anonymous.alias("anonymous"), F.col("dept_code").alias("dept"), F.col("handling_path_code").alias("path"),
        F.col("urgency_code").alias("urgency"))
    return _json_deliveries(df, k, struct)


def render_grid(o: DataFrame, cfg: GenConfig) -> DataFrame:
    df, d, k = _order_deliveries(o, cfg, (4,), "grid", "grid_", ".jsonl")
    sd = Draw(cfg.seed, "street_code")
    struct = F.struct(
        F.col("source_order_id").alias("report_id"),
        F.concat(F.col("community_code"), F.lit("-"), F.lpad((d.i("grid", 6) + 1).cast("string"), 2, "0")).alias("grid_code"),
        F.concat(F.lit("G"), F.lpad((sd.i("insp", 900) + 100).cast("string"), 4, "0")).alias("inspector"),
        F.when(k == "bad_time", F.lit("2025/13/45 99:99")).otherwise(
            F.date_format("accept_time", "yyyy/MM/dd HH:mm")).alias("report_time"),
        F.when(k == "unknown_code", F.lit("989898")).otherwise(F.col("l3_labelled")).alias("event_type"),
        F.col("content").alias("description"), F.col("lon").alias("lon"), F.col("lat").alias("lat"),
        F.when(k != "missing_field", F.col("street_code")).alias("street_code"),
        F.col("community_code").alias("community_code"), (d.i("photos", 4) + 1).alias("photos"),
        F.col("dept_code").alias("dept"), F.col("urgency_code").alias("urgency"))
    return _json_deliveries(df, k, struct)


def render_opinion(o: DataFrame, cfg: GenConfig) -> DataFrame:
    df, d, k = _order_deliveries(o, cfg, (5,), "opinion", "opinion_", ".jsonl")
    number = F.split(F.col("source_order_id"), "-").getItem(1)
    nick = F.concat(pick(L.NICK_PARTS, d.i("n1", len(L.NICK_PARTS))), pick(L.NICK_TAILS, d.i("n2", len(L.NICK_TAILS))))
    publish = F.when(k == "bad_time", F.lit("NaN")).otherwise(
        (F.unix_timestamp("accept_time") * 1000 + d.i("ms", 1000)).cast("string"))
    struct = F.struct(
        F.col("source_order_id").alias("post_id"),
        pick([p[0] for p in L.OPINION_PLATFORMS], F.col("platform_idx")).alias("platform"),
        F.concat(pick([p[2] for p in L.OPINION_PLATFORMS], F.col("platform_idx")), number).alias("url"),
        F.lit("__PUBLISH__").alias("publish_time"), F.col("title").alias("title"),
        F.when(k != "missing_field", F.col("content")).alias("text"), nick.alias("author_nick"),
        F.floor(F.pow(d.u("likes"), F.lit(3.0)) * 2000).cast("int").alias("likes"),
        F.floor(F.pow(d.u("reposts"), F.lit(4.0)) * 500).cast("int").alias("reposts"),
        F.col("district_code").alias("district_code"),
        F.when(d.u("st") < 0.5, F.col("street_code")).alias("street_code"),
        F.when(k == "unknown_code", F.lit("989898")).otherwise(F.col("l3_labelled")).alias("category"),
        F.col("dept_code").alias("dept"), F.col("urgency_code").alias("urgency"))
    df = df.withColumn("_s", struct).withColumn("_pub", publish)
    js = F.replace(F.to_json(F.col("_s")), F.lit('"__PUBLISH__"'),
                   F.when(k == "bad_time", F.lit('"NaN"')).otherwise(F.col("_pub")))
    js = F.when(F.col("extra_col"), F.concat(F.expr("substring(_js, 1, length(_js) - 1)"),
                                             F.lit(',"ext_remark":"补充字段"}'))).otherwise(F.col("_js"))
    df = df.withColumn("_js", F.replace(F.to_json(F.col("_s")), F.lit('"__PUBLISH__"'),
                                        F.when(k == "bad_time", F.lit('"NaN"')).otherwise(F.col("_pub"))))
    line = F.when(k == "truncated_line", F.expr("substring(_js, 1, cast(length(_js) * 0.55 as int))")).otherwise(js)
    df = df.withColumn("sort1", F.col("k").cast("long")).withColumn("sort2", F.lit(0))
    return _finish(df, line)


def _ev(code: str, t: str, cond: Column, **fields: Column) -> Column:
    names = ["from_unit", "to_unit", "operator_kind", "reason_code", "remark", "result_code", "solved_code",
             "satisfaction_code", "revisit_method", "revisit_valid", "extension_days", "supervise_level",
             "merged_into_system", "merged_into_id"]
    cols = [F.lit(code).alias("event_code"), F.col(t).alias("t")]
    for n in names:
        v = fields.get(n)
        typ = "boolean" if n == "revisit_valid" else ("int" if n == "extension_days" else "string")
        cols.append((v if v is not None else F.lit(None)).cast(typ).alias(n))
    return F.when(cond & F.col(t).isNotNull(), F.struct(*cols))


def events(o: DataFrame) -> DataFrame:
    """One row per lifecycle event of every order (true times, before delivery)."""
    path = F.col("handling_path_code")
    dept, dept2 = F.col("dept_code"), F.col("reassign_dept")
    final = F.coalesce(dept2, dept)
    center = F.lit("CENTER")
    yes = F.lit(True)
    evs = [
        _ev("E02", "t_dispatch", path == "01", from_unit=center, to_unit=dept, operator_kind=F.lit("center"),
            remark=F.lit("按派单目录派发")),
        _ev("E02", "t_transfer", path == "03", from_unit=center, to_unit=F.col("emergency_unit"),
            operator_kind=F.lit("center"), remark=F.lit("紧急诉求即时转接")),
        _ev("E03", "t_sign", yes, from_unit=dept, to_unit=dept, operator_kind=F.lit("dept")),
        _ev("E04", "t_contact", yes, from_unit=dept, operator_kind=F.lit("dept"), remark=F.lit("已电话联系诉求人")),
        _ev("E05", "t_return_req", yes, from_unit=dept, to_unit=center, operator_kind=F.lit("dept"),
            reason_code=F.lit("R01"), remark=F.lit("不属于本单位职责，申请退回")),
        _ev("E06", "t_reassign", yes, from_unit=center, to_unit=dept2, operator_kind=F.lit("center"),
            remark=F.lit("退单审核通过，改派")),
        _ev("E03", "t_sign2", yes, from_unit=dept2, to_unit=dept2, operator_kind=F.lit("dept2")),
        _ev("E04", "t_contact2", yes, from_unit=dept2, operator_kind=F.lit("dept2"), remark=F.lit("已联系诉求人")),
        _ev("E07", "t_ext_req", yes, from_unit=final, to_unit=center, operator_kind=F.lit("final"),
            remark=F.lit("情况复杂，申请延期")),
        _ev("E08", "t_ext_ok", yes, from_unit=center, to_unit=final, operator_kind=F.lit("center"),
            extension_days=F.col("extension_days")),
        _ev("E09", "t_urge", yes, from_unit=center, to_unit=final, operator_kind=F.lit("center"),
            remark=F.lit("已超期，请尽快办理")),
        _ev("E10", "t_supervise", yes, from_unit=center, to_unit=final, operator_kind=F.lit("center"),
            supervise_level=F.lit("1")),
        _ev("E11", "t_finish", path.isin("01", "02", "04", "05"),
            from_unit=F.when(path == "01", final).otherwise(center), to_unit=center,
            operator_kind=F.when(path == "01", F.lit("final")).otherwise(F.lit("center")),
            result_code=F.col("result_code"), remark=F.when(path == "02", F.lit("依据知识库直接答复"))
            .when(path == "04", F.lit("告知法定途径")).when(path == "05", F.lit("解释说明"))
            .otherwise(F.lit("已办结并答复诉求人"))),
        _ev("E12", "t_revisit", yes, from_unit=center, operator_kind=F.lit("center"),
            solved_code=F.col("solved_code"), satisfaction_code=F.col("satisfaction_code"),
            revisit_method=F.col("revisit_method"), revisit_valid=F.col("revisit_valid")),
        _ev("E13", "t_reopen", yes, from_unit=center, to_unit=final, operator_kind=F.lit("center"),
            remark=F.lit("回访不满意，重办")),
        _ev("E11", "t_finish2", yes, from_unit=final, to_unit=center, operator_kind=F.lit("final"),
            result_code=F.lit("01"), remark=F.lit("重办完成")),
        _ev("E12", "t_revisit2", yes, from_unit=center, operator_kind=F.lit("center"),
            solved_code=F.when(F.col("satisfaction2") == "4", "1").otherwise("2"),
            satisfaction_code=F.col("satisfaction2"), revisit_method=F.lit("1"), revisit_valid=F.lit(True)),
        _ev("E14", "t_merge", yes, from_unit=center, operator_kind=F.lit("center"),
            merged_into_system=F.lit("HOTLINE"), merged_into_id=F.col("merged_into_id"), remark=F.lit("同一事件，并单")),
        _ev("E16", "t_void", yes, from_unit=center, operator_kind=F.lit("center"), remark=F.lit("恶意来电，作废")),
        _ev("E15", "t_archive", yes, from_unit=center, operator_kind=F.lit("center")),
    ]
    df = o.select("source_order_id", "stream_id", "k", "day_num", "day", "dept_code",
                  F.filter(F.array(*evs), lambda x: x.isNotNull()).alias("evs"))
    return df.select("source_order_id", "stream_id", "k", "day_num", "day", "dept_code",
                     F.posexplode("evs").alias("seq", "ev")).select("*", "ev.*").drop("ev")


def render_events(o: DataFrame, cfg: GenConfig) -> DataFrame:
    ev = events(o)
    d = Draw(cfg.seed, "source_order_id", "seq")
    ul = d.u("late")
    lag = F.when(ul < 0.93, 0).when(ul < 0.99, d.i("l1", 3) + 1).otherwise(d.i("l2", 7) + 4)
    ev = ev.withColumn("event_time_ts", F.timestamp_seconds(F.col("t")))
    deliver = F.date_add(F.to_date("event_time_ts"), lag)
    ev = ev.withColumn("deliver", deliver).withColumn("dt", F.date_format("deliver", "yyyy-MM-dd"))
    nn = F.lpad(F.datediff(F.col("deliver"), F.col("day")).cast("string"), 2, "0")
    ev = _file_cols(ev, cfg, "event", F.concat(F.lit("events_"), F.date_format("deliver", "yyyyMMdd"), F.lit("_"), nn,
                                               F.lit(".jsonl")), F.date_format("day", "yyyy-MM-dd"))
    ev = ev.withColumn("encoding", F.lit("UTF-8"))
    ev = ev.withColumn("event_id", F.concat(F.lit("EV-"), F.col("source_order_id"), F.lit("-"),
                                            F.lpad((F.col("seq") + 1).cast("string"), 2, "0")))
    ev = ev.withColumn("dirty_kind", _dirty(d, cfg)).withColumn("record_id", F.col("event_id"))
    k = F.coalesce(F.col("dirty_kind"), F.lit(""))
    od = Draw(cfg.seed, "source_order_id")
    operator = (F.when(F.col("operator_kind") == "center",
                       F.concat(F.lit("H"), F.lpad((od.i("agent", 400) + 1).cast("string"), 4, "0")))
                .otherwise(F.concat(F.coalesce(F.col("from_unit"), F.lit("X")), F.lit("-"),
                                    F.lpad((od.i("op", 60) + 1).cast("string"), 3, "0"))))
    system = F.create_map(*[F.lit(x) for kv in SOURCE_SYSTEM.items() for x in kv])[F.col("stream_id")]
    struct = F.struct(
        F.col("event_id").alias("event_id"), system.alias("source_system"),
        F.when(k != "missing_field", F.col("source_order_id")).alias("source_order_id"),
        F.when(k == "unknown_code", F.lit("E99")).otherwise(F.col("event_code")).alias("event_code"),
        F.when(k == "bad_time", F.lit("2025-02-30 25:61:00")).otherwise(
            F.date_format("event_time_ts", "yyyy-MM-dd HH:mm:ss")).alias("event_time"),
        "from_unit", "to_unit", operator.alias("operator"), "reason_code", "remark", "result_code", "solved_code",
        "satisfaction_code", "revisit_method", "revisit_valid", "extension_days", "supervise_level",
        "merged_into_system", "merged_into_id")
    ev = ev.withColumn("_s", struct)
    ev = ev.withColumn("sort1", (F.col("stream_id") * 10_000_000 + F.col("k")).cast("long")) \
        .withColumn("sort2", F.col("seq"))
    ev = _json_line(ev, k, F.col("extra_col"))
    return _finish(ev, _json_expr(k, F.col("extra_col")))


def render_all(o: DataFrame, cfg: GenConfig) -> DataFrame:
    parts = [render_phone(o, cfg), render_online(o, cfg), render_grid(o, cfg), render_opinion(o, cfg),
             render_events(o, cfg)]
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out
