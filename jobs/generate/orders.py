"""The true orders of the synthetic city, as Spark column logic (no Python UDFs, no per-row driver work).

Every random draw is a hash of (seed, salt, day, stream, slot), so an order is the same whichever
range it is generated in and however Spark partitions the work. ``build_orders`` returns one row per
order with everything the ground truth knows: labels, caller, place, text, handling path, department
and the whole lifecycle timeline.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.common.worktime import add_deadline
from jobs.generate import lexicon as L
from jobs.generate.plan import CAT_BUCKETS, PLACE_BUCKETS, TIME_BUCKETS, GenConfig, day_num

MASK53 = (1 << 53) - 1
ONLINE = ("web", "wechat", "app")
CALLER_STREAMS = (0, 1, 2, 3)  # phone, web, wechat, app
CONSULT_HEAVY = ("0703", "0704", "0801", "1003", "1004", "9901", "0105", "0403")
COMPLAINT_HEAVY = ("0501", "0502", "0203", "0202", "0601", "0602", "0701", "1001", "1002", "0402", "0404")


class Draw:
    """Uniform draws in [0, 1) and integers from hashes of the seed, a salt and key columns."""

    def __init__(self, seed: int, *key: str):
        self.seed = seed
        self.key = key

    def h(self, salt: str, *extra: Column) -> Column:
        return F.xxhash64(F.lit(self.seed), F.lit(salt), *[F.col(k) for k in self.key], *extra)

    def u(self, salt: str, *extra: Column) -> Column:
        return (self.h(salt, *extra).bitwiseAND(F.lit(MASK53)) / F.lit(float(1 << 53))).cast("double")

    def i(self, salt: str, n: int | Column, *extra: Column) -> Column:
        """An integer in [0, n)."""
        return F.floor(self.u(salt, *extra) * (n if isinstance(n, Column) else F.lit(n))).cast("int")


def arr(values: list[str]) -> Column:
    return F.array(*[F.lit(v) for v in values])


def pick(values: list[str], index: Column) -> Column:
    """values[index] (0-based) from a literal array."""
    return F.element_at(arr(values), index + 1)


def digits(h: Column, n: int) -> Column:
    """n pseudo-random decimal digits from a hash column."""
    return F.lpad(F.pmod(h, F.lit(10**n)).cast("string"), n, "0")


def source_id_col(stream: Column, day: Column, k: Column, street: Column) -> Column:
    ymd = F.date_format(day, "yyyyMMdd")
    seq6 = F.lpad((k + 1).cast("string"), 6, "0")
    return (F.when(stream == 0, F.concat(F.lit("RX-"), ymd, F.lit("-"), seq6))
            .when(stream == 1, F.concat(F.lit("WEB"), ymd, seq6))
            .when(stream == 2, F.concat(F.lit("WX"), ymd, seq6))
            .when(stream == 3, F.concat(F.lit("APP"), ymd, seq6))
            .when(stream == 4, F.concat(F.lit("GR-"), street, F.lit("-"), ymd, F.lit("-"),
                                        F.lpad((k + 1).cast("string"), 5, "0")))
            .otherwise(F.concat(F.col("platform_prefix"), F.lit("-"),
                                (F.col("day_num").cast("long") * 100000 + k + 7000000).cast("string"))))


def id_card(draw: Draw, salt: str) -> Column:
    """An 18-digit resident ID number with a valid GB 11643 check digit."""
    region = pick(L.ID_REGIONS, draw.i(salt + "r", len(L.ID_REGIONS)))
    birth = F.date_format(F.date_add(F.lit("1945-01-01").cast("date"), draw.i(salt + "b", 60 * 365)), "yyyyMMdd")
    seq = digits(draw.h(salt + "s"), 3)
    body = F.concat(region, birth, seq)
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum((F.substring(body, i + 1, 1).cast("int") * w for i, w in enumerate(weights)), F.lit(0))
    check = F.element_at(arr(list("10X98765432")), F.pmod(total, F.lit(11)) + 1)
    return F.concat(body, check)


def bank_card(draw: Draw, salt: str) -> Column:
    """A 16-digit bank card number with a valid Luhn check digit."""
    body = F.concat(pick(L.BANK_BINS, draw.i(salt + "b", len(L.BANK_BINS))), digits(draw.h(salt + "d"), 9))
    terms = []
    for i in range(15):  # position from the right of the full number = 15 - i + 1; double every second
        d = F.substring(body, i + 1, 1).cast("int")
        if (15 - i) % 2 == 1:
            d2 = d * 2
            terms.append(F.when(d2 > 9, d2 - 9).otherwise(d2))
        else:
            terms.append(d)
    total = sum(terms, F.lit(0))
    return F.concat(body, F.pmod(F.lit(10) - F.pmod(total, F.lit(10)), F.lit(10)).cast("string"))


def mobile(draw: Draw, salt: str) -> Column:
    return F.concat(pick(L.MOBILE_PREFIXES, draw.i(salt + "p", len(L.MOBILE_PREFIXES))), digits(draw.h(salt + "n"), 8))


def person_name(draw: Draw, salt: str) -> Column:
    sur = pick(L.SURNAMES, draw.i(salt + "s", len(L.SURNAMES)))
    g1 = pick(L.GIVEN, draw.i(salt + "g1", len(L.GIVEN)))
    g2 = pick(L.GIVEN, draw.i(salt + "g2", len(L.GIVEN)))
    return F.when(draw.u(salt + "l") < 0.3, F.concat(sur, g1)).otherwise(F.concat(sur, g1, g2))


def plate(draw: Draw, salt: str) -> Column:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    tail = F.concat(*[pick(list(letters), draw.i(f"{salt}{j}", len(letters))) for j in range(5)])
    return F.concat(pick(L.PLATE_PROVINCES, draw.i(salt + "p", len(L.PLATE_PROVINCES))),
                    pick(L.PLATE_LETTERS, draw.i(salt + "l", len(L.PLATE_LETTERS))),
                    F.when(draw.u(salt + "dot") < 0.5, F.lit("·")).otherwise(F.lit("")), tail)


def _slots(text: Column, draw: Draw) -> Column:
    subs = {
        "{road}": F.col("road"), "{estate}": F.col("estate"), "{district}": F.col("district_name"),
        "{addr}": F.col("addr_phrase"), "{n}": (draw.i("slot_n", 9) + 2).cast("string"),
        "{amt}": ((draw.i("slot_amt", 60) + 2) * 100).cast("string"),
        "{days}": (draw.i("slot_days", 12) + 2).cast("string"),
        "{month}": F.month(F.col("accept_time")).cast("string"),
        "{org}": pick(L.ORGS, draw.i("slot_org", len(L.ORGS))),
    }
    for key, value in subs.items():
        text = F.replace(text, F.lit(key), value)
    return text


def build_orders(base: DataFrame, cfg: GenConfig, lookups: dict[str, DataFrame]) -> DataFrame:
    """Expand (day, stream, n) counts into true orders.

    Args:
        base: one row per (day_num, stream_id, n, ...) from the plan, plus the parent-count table join.
        lookups: broadcastable frames: ``time``, ``category``, ``place``, ``places``, ``cats``,
            ``dispatch``, ``dept``, ``slots``, ``estimates``, ``sla``, ``calendar``.
    """
    seed = cfg.seed
    b = F.broadcast
    epoch = day_num(cfg.first_day)
    ints = [F.col(c).cast("int").alias(c) for c in ("day_num", "stream_id", "n", "time_profile", "month")]
    df = base.select(*ints, F.col("pre_sf").cast("boolean").alias("pre_sf"))
    df = df.select("*", F.explode(F.sequence(F.lit(0), F.col("n") - 1)).alias("k"))
    own = Draw(seed, "day_num", "stream_id", "k")
    # ---- repeats: odd slots may repeat an even slot of the same or another stream up to 29 days back
    lag = own.i("lag", 29) + 1
    df = df.withColumn("p_day", F.col("day_num") - lag).withColumn(
        "p_stream", F.when(own.u("pstream") < 0.75, F.col("stream_id")).otherwise(F.lit(0)))
    est = lookups["estimates"].select(F.col("day_num").cast("int").alias("e_day"),
                                      F.col("stream_id").cast("int").alias("e_stream"),
                                      F.col("n").cast("int").alias("p_n"),
                                      F.col("time_profile").cast("int").alias("p_profile"),
                                      F.col("month").cast("int").alias("p_month"), F.col("pre_sf").alias("p_pre"))
    df = df.join(b(est), (F.col("p_day") == F.col("e_day")) & (F.col("p_stream") == F.col("e_stream")), "left")
    wants_repeat = (F.col("k") % 2 == 1) & (own.u("rep") < 2 * cfg.repeat_share) & \
        F.col("stream_id").isin(*CALLER_STREAMS)
    can_repeat = (F.col("p_day") >= epoch) & (F.col("p_n") >= 4)
    df = df.withColumn("is_repeat", wants_repeat & F.coalesce(can_repeat, F.lit(False)))
    p_k = F.floor(own.u("pk") * F.floor(F.col("p_n") * 0.8 / 2)).cast("int") * 2
    rep = F.col("is_repeat")
    df = (df.withColumn("a_day", F.when(rep, F.col("p_day")).otherwise(F.col("day_num")))
          .withColumn("a_stream", F.when(rep, F.col("p_stream")).otherwise(F.col("stream_id")))
          .withColumn("a_k", F.when(rep, p_k).otherwise(F.col("k")))
          .withColumn("a_n", F.when(rep, F.col("p_n")).otherwise(F.col("n")))
          .withColumn("a_profile", F.when(rep, F.col("p_profile")).otherwise(F.col("time_profile")))
          .withColumn("a_month", F.when(rep, F.col("p_month")).otherwise(F.col("month")))
          .withColumn("a_pre", F.when(rep, F.col("p_pre")).otherwise(F.col("pre_sf"))))
    attr = Draw(seed, "a_day", "a_stream", "a_k")
    # ---- time of day: the k-th order of the day sits at the k/n quantile of the stream's hour profile
    tl = lookups["time"]
    df = df.withColumn("t_bucket", F.least(F.floor((F.col("k") + own.u("tq")) / F.col("n") * TIME_BUCKETS),
                                           F.lit(TIME_BUCKETS - 1)).cast("int"))
    df = df.join(b(tl.select(F.col("time_profile").alias("tp1"), F.col("time_bucket").alias("tb1"),
                             F.col("sec_of_day").alias("own_sec"))),
                 (F.col("time_profile") == F.col("tp1")) & (F.col("t_bucket") == F.col("tb1")), "left")
    df = df.withColumn("a_bucket", F.least(F.floor((F.col("a_k") + attr.u("tq")) / F.col("a_n") * TIME_BUCKETS),
                                           F.lit(TIME_BUCKETS - 1)).cast("int"))
    df = df.join(b(tl.select(F.col("time_profile").alias("tp2"), F.col("time_bucket").alias("tb2"),
                             F.col("sec_of_day").alias("a_sec"))),
                 (F.col("a_profile") == F.col("tp2")) & (F.col("a_bucket") == F.col("tb2")), "left")
    a_night = ((F.col("a_sec") < 6 * 3600) | (F.col("a_sec") >= 22 * 3600)).cast("int")
    df = df.withColumn("cat_profile", F.col("a_month") * 4 + a_night * 2 + F.col("a_pre").cast("int"))
    df = df.withColumn("cat_bucket", attr.i("cat", CAT_BUCKETS)).withColumn("place_bucket", attr.i("place", PLACE_BUCKETS))
    df = df.join(b(lookups["category"]), ["cat_profile", "cat_bucket"], "left")
    df = df.join(b(lookups["place"]), ["place_bucket"], "left")
    # grid inspectors report city-management matters only
    grid_codes = ["020101", "020201", "020202", "020301", "020302", "020401", "020402", "040101", "040103",
                  "050201", "050401", "100201", "040201", "050203"]
    df = df.withColumn("l3_code", F.when(F.col("stream_id") == 4, pick(grid_codes, own.i("gridcat", len(grid_codes))))
                       .otherwise(F.col("l3_code")))
    # ---- planted incidents override their slots
    slots = lookups["slots"]
    df = df.join(b(slots), ["day_num", "stream_id", "k"], "left")
    inc = F.col("incident_id").isNotNull()
    df = (df.withColumn("is_repeat", F.col("is_repeat") & ~inc)
          .withColumn("l3_code", F.when(inc, F.col("inc_l3")).otherwise(F.col("l3_code")))
          .withColumn("community_code", F.when(inc, F.col("inc_community")).otherwise(F.col("community_code")))
          .withColumn("sec", F.when(inc, F.col("inc_sec")).otherwise(F.col("own_sec") + own.i("ts", 8))))
    df = df.withColumn("day", F.date_from_unix_date(F.col("day_num")))
    df = df.withColumn("accept_time", F.timestamp_seconds(
        F.unix_timestamp(F.col("day").cast("timestamp")) + F.col("sec")))
    # caller identity: repeats keep the parent's caller; a few heavy and malicious callers call a lot
    is_caller_stream = F.col("stream_id").isin(*CALLER_STREAMS)
    heavy = is_caller_stream & ~inc & (own.u("heavy") < cfg.heavy_share)
    malicious = (F.col("stream_id") == 0) & ~inc & ~rep & (own.u("mal") < cfg.malicious_share)
    df = df.withColumn("caller_kind", F.when(malicious, "malicious").when(heavy, "heavy")
                       .when(rep, "repeat").when(is_caller_stream, "normal"))
    caller_id = (F.when(malicious, F.lit(9_000_000_000) + own.i("malid", cfg.malicious_callers))
                 .when(heavy & ~rep, F.lit(8_000_000_000) + own.i("heavyid", cfg.heavy_callers))
                 .when(inc, F.pmod(own.h("cid"), F.lit(1 << 40)))
                 .otherwise(F.pmod(attr.h("cid"), F.lit(1 << 40))))
    df = df.withColumn("caller_id", F.when(is_caller_stream, caller_id))
    df = df.withColumn("caller_kind", F.when(heavy & rep, "heavy").otherwise(F.col("caller_kind")))
    who = Draw(seed, "caller_id")
    df = (df.withColumn("caller_name", F.when(is_caller_stream, person_name(who, "nm")))
          .withColumn("caller_mobile", F.when(is_caller_stream, mobile(who, "mb")))
          .withColumn("caller_id_card", F.when(is_caller_stream, id_card(who, "id")))
          .withColumn("caller_landline", F.concat(F.lit("025-"), digits(who.h("ll"), 8))))
    # ---- category attributes, special handling paths
    df = df.join(b(lookups["cats"]), ["l3_code"], "left")
    special = own.u("special")
    e, lg, s = cfg.emergency_share, cfg.legal_share, cfg.sensitive_share
    plain = is_caller_stream & ~inc & ~rep & ~malicious
    df = df.withColumn("special", F.when(malicious, "malicious")
                       .when(plain & (special < e), "emergency")
                       .when(plain & (special < e + lg), "legal")
                       .when(plain & (special < e + lg + s), "sensitive"))
    em_idx = own.i("emk", len(L.EMERGENCY_CODES))
    lg_idx = own.i("lgk", len(L.LEGAL_CODES))
    sp = F.col("special")
    df = df.withColumn("em_idx", em_idx).withColumn("lg_idx", lg_idx)
    df = df.withColumn("l3_code", F.when(sp == "emergency", pick(L.EMERGENCY_CODES, F.col("em_idx")))
                       .when(sp == "legal", pick(L.LEGAL_CODES, F.col("lg_idx"))).otherwise(F.col("l3_code")))
    df = df.drop("l1_code", "l2_code", "l3_name", "issues", "shared", "nb_shared", "cat_group")
    df = df.join(b(lookups["cats"]), ["l3_code"], "left")
    # appeal type by category group
    ua = attr.u("appeal")
    consult_p = F.when(F.col("cat_group") == "consult", 0.75).when(F.col("cat_group") == "complaint", 0.18) \
        .otherwise(0.5)
    rest = (ua - consult_p) / (F.lit(1.0) - consult_p)
    appeal = (F.when(ua < consult_p, "01").when(rest < 0.24, "02").when(rest < 0.74, "03").when(rest < 0.86, "04")
              .when(rest < 0.97, "05").when(rest < 0.99, "06").otherwise("99"))
    df = df.withColumn("appeal_type_code", F.when(inc, F.when(own.u("incap") < 0.7, "03").otherwise("02"))
                       .when(sp == "emergency", "02").when(sp == "legal", "01").when(sp == "malicious", "99")
                       .when(F.col("stream_id") == 4, "04").otherwise(appeal))
    urgent_cat = F.col("l2_code").isin("0301", "0302", "0303", "0304")
    df = df.withColumn("urgency_code", F.when(sp == "emergency", F.when(F.col("em_idx") == 4, "2").otherwise("1"))
                       .when(urgent_cat & (F.col("appeal_type_code") != "01") & (own.u("urg") < 0.1), "2")
                       .otherwise("3"))
    storm_dup = (F.col("incident_type") == "duplicate_storm") & ~F.coalesce(F.col("storm_master"), F.lit(False))
    path = (F.when(sp == "malicious", "06").when((sp == "emergency") & F.col("em_idx").isin(2, 3), "03")
            .when(sp == "legal", "04").when(sp == "sensitive", "05").when(storm_dup, "07")
            .when((F.col("appeal_type_code") == "01") & (own.u("direct") < 0.85), "02").otherwise("01"))
    df = df.withColumn("handling_path_code", path)
    # label noise: the call-taker / triage desk picks a different category for a few orders
    noisy = ~inc & (own.u("noise") < cfg.label_noise) & (F.col("stream_id") != 4)
    df = df.withColumn("noise_bucket", own.i("noisecat", CAT_BUCKETS))
    noise_tbl = lookups["category"].filter(F.col("cat_profile") == 4).select(
        F.col("cat_bucket").alias("noise_bucket"), F.col("l3_code").alias("noise_l3"))
    df = df.join(b(noise_tbl), ["noise_bucket"], "left")
    df = df.withColumn("label_noise", noisy & (F.col("noise_l3") != F.col("l3_code")))
    df = df.withColumn("l3_labelled", F.when(F.col("label_noise"), F.col("noise_l3")).otherwise(F.col("l3_code")))
    # ---- place and address
    df = df.join(b(lookups["places"]), ["community_code"], "left")
    df = (df.withColumn("estate", F.element_at(F.col("estates"), attr.i("estate", F.size("estates")) + 1))
          .withColumn("road", F.element_at(F.col("roads"), attr.i("road", F.size("roads")) + 1))
          .withColumn("building", (attr.i("bldg", 30) + 1).cast("string"))
          .withColumn("unit", (attr.i("unit", 4) + 1).cast("string"))
          .withColumn("room", F.concat((attr.i("floor", 18) + 1).cast("string"),
                                       F.lpad((attr.i("rm", 4) + 1).cast("string"), 2, "0"))))
    detailed = F.concat(F.col("district_name"), F.col("estate"), F.col("building"), F.lit("栋"), F.col("unit"),
                        F.lit("单元"), F.col("room"), F.lit("室"))
    df = df.withColumn("has_detailed_address", own.u("pii_addr") < cfg.pii_address)
    df = df.withColumn("address", F.when(F.col("has_detailed_address"), detailed).otherwise(
        F.concat(F.col("district_name"), F.col("road"), (attr.i("no", 300) + 1).cast("string"), F.lit("号附近"))))
    df = df.withColumn("addr_phrase", F.when(F.col("has_detailed_address"), detailed).otherwise(
        F.concat(F.col("street_name"), F.col("road"))))
    df = (df.withColumn("lon", F.round(F.col("c_lon") + (own.u("lon") - 0.5) * 0.01, 5))
          .withColumn("lat", F.round(F.col("c_lat") + (own.u("lat") - 0.5) * 0.008, 5)))
    # ---- department from the 派单目录
    df = df.join(b(lookups["dispatch"]), ["l3_code", "district_code"], "left")
    df = df.withColumn("platform_idx", own.i("platform", len(L.OPINION_PLATFORMS)))
    df = df.withColumn("platform_prefix", pick([p[1] for p in L.OPINION_PLATFORMS], F.col("platform_idx")))
    df = df.withColumn("source_order_id", source_id_col(F.col("stream_id"), F.col("day"), F.col("k"),
                                                        F.col("street_code")))
    df = _text(df, cfg, own)
    df = _lifecycle(df, cfg, lookups, own)
    return df


def _text(df: DataFrame, cfg: GenConfig, own: Draw) -> DataFrame:
    """Title and complaint text with PII, colloquial/formal variants, typos and mixed punctuation."""
    sid = F.col("stream_id")
    phone_s = sid == 0
    style = own.u("style")
    opener = (F.when(phone_s, pick(L.OPENERS_PHONE, own.i("op", len(L.OPENERS_PHONE))))
              .when(style < 0.25, pick(L.OPENERS_FORMAL, own.i("opf", len(L.OPENERS_FORMAL))))
              .otherwise(pick(L.OPENERS_WRITTEN, own.i("opw", len(L.OPENERS_WRITTEN)))))
    issue = F.element_at(F.col("issues"), own.i("iss", F.size("issues")) + 1)
    shared = F.element_at(F.col("shared"), own.i("sh", F.size("shared")) + 1)
    nb = F.element_at(F.col("nb_shared"), own.i("nb", F.size("nb_shared")) + 1)
    all_issues = [(code, p) for code, ps in sorted(L.ISSUES.items()) for p in ps.split("|")]
    sec_idx = own.i("sec_issue", len(all_issues))
    df = df.withColumn("ambiguous", own.u("amb") < cfg.ambiguous)
    df = df.withColumn("multi_issue", (own.u("multi") < cfg.multi_issue) & F.col("special").isNull())
    df = df.withColumn("secondary_l3", F.when(F.col("multi_issue"), pick([c for c, _ in all_issues], sec_idx)))
    sp = F.col("special")
    core = (F.when(sp == "emergency", pick(L.EMERGENCY_TEXT, F.col("em_idx")))
            .when(sp == "legal", pick(L.LEGAL_TEXT, F.col("lg_idx")))
            .when(sp == "sensitive", pick(L.SENSITIVE_TEXT, own.i("sens", len(L.SENSITIVE_TEXT))))
            .when(sp == "malicious", pick(L.MALICIOUS_TEXT, own.i("malt", len(L.MALICIOUS_TEXT))))
            .when(F.col("incident_id").isNotNull() & (F.col("incident_type") != "policy_change"),
                  F.concat(issue, F.lit("，"), F.col("inc_text"), F.lit("，")))
            .otherwise(F.concat(issue, F.lit("，"))))
    # PII inside the text
    df = (df.withColumn("pii_phone", F.col("caller_mobile").isNotNull() & (own.u("pp") < cfg.pii_phone_in_text))
          .withColumn("pii_id", F.col("caller_mobile").isNotNull() & (own.u("pi") < cfg.pii_id_in_text))
          .withColumn("pii_plate", own.u("ppl") < F.when(F.col("l1_code") == "04", cfg.pii_plate_in_text * 6)
                      .otherwise(cfg.pii_plate_in_text))
          .withColumn("pii_bank", own.u("pb") < F.when(F.col("l1_code").isin("06", "07"), cfg.pii_bank_in_text * 4)
                      .otherwise(cfg.pii_bank_in_text / 2))
          .withColumn("pii_name", F.col("caller_name").isNotNull() & (own.u("pn") < cfg.pii_name_in_text)))
    df = df.withColumn("plate_no", F.when(F.col("pii_plate"), plate(own, "pl")))
    df = df.withColumn("bank_card_no", F.when(F.col("pii_bank"), bank_card(own, "bk")))
    pii = F.concat(
        F.when(F.col("pii_name"), F.concat(F.lit("我叫"), F.col("caller_name"), F.lit("，"))).otherwise(F.lit("")),
        F.when(F.col("pii_plate"), F.concat(F.lit("车牌号是"), F.col("plate_no"), F.lit("，"))).otherwise(F.lit("")),
        F.when(F.col("pii_bank"), F.concat(F.lit("我的卡号"), F.col("bank_card_no"), F.lit("，"))).otherwise(F.lit("")),
        F.when(F.col("pii_id"), F.concat(F.lit("身份证号"), F.col("caller_id_card"), F.lit("，"))).otherwise(F.lit("")),
        F.when(F.col("pii_phone"), F.concat(F.lit("联系电话"), F.col("caller_mobile"), F.lit("。"))).otherwise(F.lit("")))
    n_elab = F.floor(F.pow(own.u("elab"), F.lit(2.0)) * 6).cast("int")
    elab = F.concat(*[F.when(n_elab > j, pick(L.ELABORATIONS, own.i(f"el{j}", len(L.ELABORATIONS))))
                      .otherwise(F.lit("")) for j in range(5)])
    filler = F.when(phone_s & (own.u("fill") < 0.6), pick(L.FILLERS_PHONE, own.i("fl", len(L.FILLERS_PHONE)))) \
        .otherwise(F.lit(""))
    loc = pick(L.LOC_PHRASES, own.i("loc", len(L.LOC_PHRASES)))
    when = pick(L.TIME_PHRASES, own.i("tm", len(L.TIME_PHRASES)))
    plain = sp.isNull() | (sp == "emergency")
    topic = F.when(F.col("ambiguous"), F.concat(nb, F.lit("，"))).when(own.u("shp") < 0.5, F.concat(shared, F.lit("，"))) \
        .otherwise(F.lit(""))
    multi = F.when(F.col("multi_issue"), F.concat(pick(L.MULTI_JOINERS, own.i("mj", len(L.MULTI_JOINERS))),
                                                  pick([p for _, p in all_issues], sec_idx), F.lit("。"))) \
        .otherwise(F.lit(""))
    repeat = F.when(F.col("is_repeat") & (own.u("rp") < 0.7), F.lit("这个问题我上次已经反映过了，")).otherwise(F.lit(""))
    demand = F.when(F.col("appeal_type_code") == "01", pick(L.CONSULT_SUFFIX, own.i("cs", len(L.CONSULT_SUFFIX)))) \
        .otherwise(pick(L.DEMANDS, own.i("dm", len(L.DEMANDS))))
    grid_body = F.concat(F.lit("巡查发现："), F.col("addr_phrase"), F.lit("，"), core,
                         F.lit("现场已拍照，请相关单位处理。"))
    body = (F.when(sid == 4, grid_body)
            .when(plain, F.concat(opener, repeat, when, loc, filler, topic, core, elab, multi, pii, demand))
            .otherwise(F.concat(opener, core, pii)))
    df = df.withColumn("_text0", _slots(body, own))
    # typos and half-width punctuation at small rates (one replace each: no expression blow-up)
    typo = own.u("typo") < cfg.typo_rate
    tp = own.i("typo_k", len(L.TYPO_PAIRS))
    search = F.when(typo, pick([a for a, _ in L.TYPO_PAIRS], tp)).otherwise(F.lit("\u0000"))
    df = df.withColumn("_text1", F.replace(F.col("_text0"), search, pick([b2 for _, b2 in L.TYPO_PAIRS], tp)))
    half = F.translate(F.col("_text1"), "，。！？：（）", ",.!?:()")
    df = df.withColumn("content", F.substring(F.when(own.u("half") < cfg.halfwidth_rate, half)
                                              .otherwise(F.col("_text1")), 1, 400))
    df = df.withColumn("typo", typo).withColumn("content_len", F.length("content"))
    title_core = F.substring(F.split(_slots(issue, own), "，").getItem(0), 1, 18)
    title = (F.when(sp == "emergency", F.lit("紧急情况"))
             .when(sp.isNotNull(), F.concat(F.lit("关于"), F.col("l3_name"), F.lit("的来电")))
             .when(own.u("tt") < 0.5, title_core)
             .otherwise(F.concat(F.col("estate"), title_core)))
    return df.withColumn("title", F.substring(title, 1, 30))


def _lifecycle(df: DataFrame, cfg: GenConfig, lookups: dict[str, DataFrame], own: Draw) -> DataFrame:
    """The true handling timeline (seconds), driven by department behaviour, SLA and the calendar."""
    b = F.broadcast
    path = F.col("handling_path_code")
    dispatched = path == "01"
    df = df.withColumn("dept_code", F.when(dispatched, F.col("lead_dept_code")))
    df = df.join(b(lookups["dept"]), F.col("dept_code") == F.col("bh_dept"), "left")
    # SLA rule by appeal type (urgent ones by urgency), effective at acceptance
    sla = lookups["sla"]
    appeal_key = F.when(F.col("urgency_code").isin("1", "2"), F.lit("*")).otherwise(F.col("appeal_type_code"))
    df = df.withColumn("sla_appeal", appeal_key).withColumn("accept_date", F.to_date("accept_time"))
    cond = ((F.col("sla_appeal") == F.col("r_appeal")) & (F.col("urgency_code") == F.col("r_urgency"))
            & (F.col("accept_date") >= F.col("r_from")) & (F.col("accept_date") <= F.col("r_to")))
    df = df.join(b(sla), cond, "left")
    cal = lookups["calendar"]
    df = add_deadline(df, cal, "accept_time", "deadline_value", "deadline_unit", "original_due_time")
    acc = F.unix_timestamp("accept_time")
    urgent = F.col("urgency_code").isin("1", "2")
    hour = F.hour("accept_time")
    next8 = F.unix_timestamp(F.date_trunc("day", "accept_time")) + F.when(hour >= 22, 86400).otherwise(0) + 8 * 3600
    dispatch = F.when(urgent, acc + 60 + own.i("dsp", 540)).when((hour >= 22) | (hour < 7), next8 + own.i("dsp", 3600)) \
        .otherwise(acc + 300 + own.i("dsp", 5400))
    df = df.withColumn("t_dispatch", F.when(dispatched, dispatch))
    sign_h = F.col("bh_sign_hours") * (F.lit(0.2) + own.u("sgn") * 1.6) * F.when(urgent, 0.05).otherwise(1.0)
    df = df.withColumn("t_sign", F.col("t_dispatch") + (sign_h * 3600).cast("long"))
    returned = dispatched & ~urgent & (own.u("ret") < F.col("bh_return_rate"))
    df = df.withColumn("returned", F.coalesce(returned, F.lit(False)))
    contact_h = (F.lit(0.3) + F.pow(own.u("cnt"), F.lit(2.0)) * 20) * F.when(urgent, 0.03).otherwise(1.0)
    # a department that sends the order back does so without contacting the caller: the first
    # contact (E04) of a returned order comes from the department it is reassigned to
    df = df.withColumn("t_contact", F.when(~F.col("returned"), F.col("t_sign") + (contact_h * 3600).cast("long")))
    df = (df.withColumn("t_return_req", F.when(F.col("returned"), F.col("t_sign") + 3600 + own.i("rr", 36000)))
          .withColumn("t_reassign", F.col("t_return_req") + 7200 + own.i("ra", 72000))
          .withColumn("reassign_dept", F.when(F.col("returned"), F.when(F.col("assist_dept") == F.col("dept_code"),
                                                                          F.lit("S00"))
                                                .otherwise(F.coalesce(F.col("assist_dept"), F.lit("S00")))))
          .withColumn("t_sign2", F.col("t_reassign") + 1800 + own.i("s2", 14400))
          .withColumn("t_contact2", F.col("t_sign2") + 1800 + own.i("c2", 36000)))
    start = F.coalesce(F.col("t_sign2"), F.col("t_sign"))
    odue = F.unix_timestamp("original_due_time")
    span = F.greatest(odue - F.col("t_dispatch"), F.lit(3600))
    frac = F.col("bh_speed") * (F.lit(0.25) + F.pow(own.u("spd"), F.lit(1.6)) * 2.0)
    df = df.withColumn("t_finish_raw", start + 600 + (frac * span).cast("long"))
    wants_ext = dispatched & ~urgent & (F.col("t_finish_raw") > odue - span * 0.1) & \
        (own.u("ext") < F.col("bh_extension_rate") * 5)
    df = df.withColumn("extension_days", F.when(wants_ext, F.when(own.u("extd") < 0.6, 5).otherwise(10)))
    df = df.withColumn("ext_value", F.coalesce(F.col("extension_days"), F.lit(0)).cast("double")) \
        .withColumn("ext_unit", F.lit("working_days"))
    df = add_deadline(df, cal, "original_due_time", "ext_value", "ext_unit", "extended_due")
    df = df.withColumn("due_time", F.when(F.col("extension_days").isNotNull(), F.col("extended_due"))
                       .otherwise(F.col("original_due_time")))
    after_contact = F.coalesce(F.col("t_contact2"), F.col("t_contact")) + 600
    df = (df.withColumn("t_ext_req", F.when(wants_ext, F.greatest(F.col("t_dispatch") + (span * 0.6).cast("long"),
                                                                   after_contact)))
          .withColumn("t_ext_ok", F.col("t_ext_req") + 3600 + own.i("eok", 20000)))
    due = F.unix_timestamp("due_time")
    df = df.withColumn("t_finish", F.when(dispatched, F.greatest(F.col("t_finish_raw"),
                                                                  F.coalesce(F.col("t_ext_ok"), F.lit(0)) + 600)))
    late = F.col("t_finish") > due
    df = df.withColumn("late", F.coalesce(late, F.lit(False)))
    df = df.withColumn("t_urge", F.when(F.col("late") & (F.col("t_finish") > due + 86400 + 3600), due + 86400 + 1))
    df = df.withColumn("t_supervise", F.when(F.col("late") & (F.col("t_finish") > due + 5 * 86400 + 3600),
                                             due + 5 * 86400 + 1))
    q = F.coalesce(F.col("bh_quality"), F.lit(0.0))
    ur = own.u("res")
    result = (F.when(ur < F.lit(0.6) + q * 0.2, "01").when(ur < F.lit(0.75) + q * 0.15, "02")
              .when(ur < 0.9, "03").when(ur < 0.95, "04").otherwise("06"))
    # other paths finish (or end) quickly
    df = df.withColumn("t_finish", F.when(path.isin("02", "04", "05"), acc + 60 + own.i("qf", 540))
                       .otherwise(F.col("t_finish")))
    df = df.withColumn("result_code", F.when(dispatched, result).when(path == "02", "01").when(path == "04", "06")
                       .when(path == "05", "03"))
    df = df.withColumn("t_transfer", F.when(path == "03", acc + 30 + own.i("tr", 150)))
    df = df.withColumn("emergency_unit", F.when(path == "03", F.when(F.col("em_idx") == 2, "119").otherwise("120")))
    df = df.withColumn("t_void", F.when(path == "06", acc + 600 + own.i("vd", 3000)))
    df = df.withColumn("t_merge", F.when(path == "07", acc + 600 + own.i("mg", 6600)))
    df = df.withColumn("merged_into_id", F.when(path == "07", F.col("storm_master_id")))
    # call-back the day after finishing; satisfaction driven by timeliness and outcome
    revisit_wanted = (dispatched | ((path == "02") & (own.u("rv2") < 0.2))) & F.col("t_finish").isNotNull()
    next_day10 = F.unix_timestamp(F.date_trunc("day", F.timestamp_seconds(F.col("t_finish")))) + 86400 + 9 * 3600
    df = df.withColumn("t_revisit", F.when(revisit_wanted, next_day10 + own.i("rv", 8 * 3600)))
    df = df.withColumn("revisit_valid", F.when(revisit_wanted, own.u("rvv") < 0.86))
    df = df.withColumn("revisit_method", F.when(revisit_wanted, F.when(own.u("rvm") < 0.8, "1")
                                                .when(own.u("rvm") < 0.95, "2").otherwise("3")))
    res = F.col("result_code")
    score = (F.lit(3.9) + q + F.when(res == "01", 0.6).when(res == "02", -0.3).otherwise(-1.0)
             - F.when(F.col("late"), 1.3).otherwise(0.0) - F.when(F.col("returned"), 0.4).otherwise(0.0)
             + (own.u("sat") - 0.5) * 2.0)
    sat = F.least(F.greatest(F.round(score), F.lit(1)), F.lit(5)).cast("int").cast("string")
    df = df.withColumn("satisfaction_code", F.when(F.col("revisit_valid"), sat).when(revisit_wanted, "0"))
    solved = F.when((res == "01") & (F.col("satisfaction_code") >= "3"), "1") \
        .when((res == "02") | (F.col("satisfaction_code") == "3"), "2").otherwise("3")
    df = df.withColumn("solved_code", F.when(F.col("revisit_valid"), solved))
    reopen = dispatched & F.col("revisit_valid") & (F.col("satisfaction_code") <= "2") & (own.u("reo") < 0.5)
    df = df.withColumn("reopened", F.coalesce(reopen, F.lit(False)))
    df = (df.withColumn("t_reopen", F.when(F.col("reopened"), F.col("t_revisit") + 3600 + own.i("ro", 7200)))
          .withColumn("t_finish2", F.col("t_reopen") + 86400 + own.i("f2", 5 * 86400)))
    next_day10b = F.unix_timestamp(F.date_trunc("day", F.timestamp_seconds(F.col("t_finish2")))) + 86400 + 9 * 3600
    df = (df.withColumn("t_revisit2", F.when(F.col("reopened"), next_day10b + own.i("rv2t", 8 * 3600)))
          .withColumn("satisfaction2", F.when(F.col("reopened"), F.when(own.u("s2s") < 0.6, "4").otherwise("3"))))
    last = F.coalesce(F.col("t_revisit2"), F.col("t_revisit"), F.col("t_finish"), F.col("t_merge"),
                      F.col("t_transfer"))
    df = df.withColumn("t_archive", F.when(~path.isin("06"), last + 86400 + own.i("arc", 2 * 86400)))
    return df
