"""Pure transforms for publishing: small-cell suppression and department share extracts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.indicators.config import IndicatorConfig
from jobs.indicators.registry import indicators, measures

if TYPE_CHECKING:
    import pandas as pd

#: A figure describing fewer orders than this is not published.
MIN_CELL = 5

#: Columns a department receives for its own orders: codes, times, outcome and masked/redacted
#: fields only. Pseudonyms (caller_phone_hash, agent_id_hash), raw-text pointers and coordinates
#: stay inside the platform.
SHARE_COLUMNS = (
    "order_id", "source_order_id", "channel_code", "accept_time", "appeal_type_code", "handling_path_code",
    "urgency_code", "category_l1_code", "category_l2_code", "category_l3_code", "category_version", "tags",
    "title", "content_redacted", "caller_type", "caller_phone_masked", "caller_name_masked", "confidential_flag",
    "district_code", "street_code", "community_code", "address_masked", "dispatch_time", "main_dept_code",
    "main_dept_name", "sign_time", "first_contact_time", "due_time", "dispatch_count", "return_count",
    "extension_count", "urge_count", "supervise_flag", "finish_time", "result_code", "reply_redacted",
    "revisit_time", "solved_code", "satisfaction_code", "status_code", "reopen_flag", "accept_date",
)
#: Text columns of an extract checked for leaked phone / ID numbers before anything leaves.
TEXT_COLUMNS = ("title", "content_redacted", "reply_redacted", "address_masked", "caller_phone_masked",
                "caller_name_masked")
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")


#: The rates the 体征 family copies from ``ads_hotline_indicator`` (dept ``*``, category all / L1).
SIGN_RATES = ("risk_share", "ontime_completion_rate", "satisfaction_rate", "repeat_rate")
SIGN_KEYS = ("period_type", "period_start", "geo_level", "geo_code", "category_level", "category_code")


def _null_below(col: str, supports: tuple[str, ...]) -> Column:
    large = F.lit(True)
    for s in supports:
        large = large & (F.col(s) >= MIN_CELL)
    return F.when(large, F.col(col)).alias(col)


def suppress_indicators(df: DataFrame, cfg: IndicatorConfig) -> DataFrame:
    """``ads_hotline_indicator`` with every figure whose support population is under 5 orders set to
    NULL (a measure's support is its basis count, or the count of the orders it is over; an
    indicator's is named in the registry, all of them for a composite); rows where nothing is left
    are dropped."""
    ms, inds = measures(cfg), indicators(cfg)
    supports = sorted({m.support for m in ms})
    keep = " OR ".join(f"{s} >= {MIN_CELL}" for s in supports)
    value_cols = {m.name for m in ms} | {i.name for i in inds}
    out = [c if c not in value_cols else None for c in df.columns]
    support_of = {m.name: m.supports for m in ms} | {i.name: i.supports for i in inds}
    cols = [F.col(c) if c is not None else _null_below(name, support_of[name])
            for c, name in zip(out, df.columns, strict=True)]
    return df.filter(keep).select(*cols)


def suppress_signs(df: DataFrame, published_indicators: DataFrame) -> DataFrame:
    """体征 rows with N_acc ≥ 5 only; earlier-period counts under 5 (and the growth built on them) NULL;
    the rates copied from the indicators exactly as ``published_indicators`` (``suppress_indicators``'
    output for the same periods) publishes them, so no rate leaves here that is suppressed there."""
    small_prev = F.col("n_acc_prev_period") < MIN_CELL
    small_year = F.col("n_acc_prev_year") < MIN_CELL
    rates = published_indicators.filter(F.col("dept_code") == "*").select(*SIGN_KEYS, *SIGN_RATES)
    out = df.filter(F.col("n_acc") >= MIN_CELL).withColumns({
        "n_acc_prev_period": F.when(~small_prev, F.col("n_acc_prev_period")),
        "mom_growth": F.when(~small_prev, F.col("mom_growth")),
        "n_acc_prev_year": F.when(~small_year, F.col("n_acc_prev_year")),
        "yoy_growth": F.when(~small_year, F.col("yoy_growth")),
    })
    return out.drop(*SIGN_RATES).join(rates, list(SIGN_KEYS), "left").select(*df.columns)


def suppress_ranking(df: DataFrame) -> DataFrame:
    """Department rates over fewer than 5 orders set to NULL (a ranked department has ≥ the ranking minimum);
    the composite only when all three of its rates are published."""
    all_three = (F.col("n_signed") >= MIN_CELL) & (F.col("n_evaluable") >= MIN_CELL) & (F.col("n_sat_rated") >= MIN_CELL)
    return df.withColumns({
        "response_rate": F.when(F.col("n_signed") >= MIN_CELL, F.col("response_rate")),
        "solve_rate": F.when(F.col("n_evaluable") >= MIN_CELL, F.col("solve_rate")),
        "satisfaction_rate": F.when(F.col("n_sat_rated") >= MIN_CELL, F.col("satisfaction_rate")),
        "three_rate_score": F.when(all_three, F.col("three_rate_score")),
        "n_signed": F.when(F.col("n_signed") >= MIN_CELL, F.col("n_signed")),
        "n_evaluable": F.when(F.col("n_evaluable") >= MIN_CELL, F.col("n_evaluable")),
        "n_sat_rated": F.when(F.col("n_sat_rated") >= MIN_CELL, F.col("n_sat_rated")),
    })


def suppress_anomalies(df: DataFrame) -> DataFrame:
    return df.filter(F.col("n_orders") >= MIN_CELL)


def mask_phone(col: Column) -> Column:
    """Keep first 3 + last 4 digits of anything that still looks like a full mobile number."""
    digits = F.regexp_replace(col, r"[\s-]", "")
    return F.when(digits.rlike(r"^1[3-9]\d{9}$"), F.concat(F.substring(digits, 1, 3), F.lit("****"),
                                                         F.substring(digits, 8, 4))).otherwise(col)


def mask_name(col: Column) -> Column:
    """Surname + one ``*`` per remaining character, unless the value is already masked."""
    return F.when(col.contains("*") | (F.length(col) <= 1), col).otherwise(
        F.concat(F.substring(col, 1, 1), F.repeat(F.lit("*"), F.length(col) - 1)))


def shareable(orders: DataFrame) -> DataFrame:
    """Valid dispatched orders with only the shareable columns, masks re-applied (every department)."""
    present = [c for c in SHARE_COLUMNS if c in orders.columns]
    valid = orders.filter(F.col("is_valid") & F.col("main_dept_code").isNotNull()).select(*present)
    return valid.withColumns({
        "caller_phone_masked": mask_phone(F.col("caller_phone_masked")),
        "caller_name_masked": mask_name(F.col("caller_name_masked")),
    })


def dept_extract(orders: DataFrame, dept_code: str) -> DataFrame:
    """One department's own valid orders, with only the shareable columns, masks re-applied."""
    return shareable(orders).filter(F.col("main_dept_code") == F.lit(dept_code))


def pii_hits(pdf: pd.DataFrame, columns: tuple[str, ...] = TEXT_COLUMNS) -> list[str]:
    """Descriptions (row key, column, kind) of phone / ID numbers found in the text columns of ``pdf``.

    Each column is searched as a whole (a share extract of a year is ~1 M rows); hits are listed row by row.
    """
    found = []
    for ci, c in enumerate(col for col in columns if col in pdf.columns):
        text = pdf[c].where(pdf[c].map(lambda v: isinstance(v, str)))
        for ki, (kind, rx) in enumerate((("phone", PHONE_RE), ("id_number", ID_RE))):
            hit = text.str.contains(rx, na=False).to_numpy()
            for row in hit.nonzero()[0]:
                key = pdf["order_id"].iat[row] if "order_id" in pdf.columns else None
                found.append(((row, ci, ki), f"order {key!r} column {c}: {kind}"))
    return [msg for _, msg in sorted(found)]
