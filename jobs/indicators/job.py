"""`minsheng indicators`: silver → gold indicator tables for a date range, in one Spark job."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from pyspark.sql import functions as F

from jobs.common import delta
from jobs.common.catalogue import Catalogue
from jobs.common.config import Settings
from jobs.common.session import get_spark
from jobs.indicators.config import IndicatorConfig
from jobs.indicators.transforms import (
    PeriodScope,
    aggregate_indicators,
    anomaly_inputs,
    dept_ranking,
    livelihood_signs,
    place_in_periods,
    populations,
    prepare_orders,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

GOLD_TABLES = ("ads_hotline_indicator", "ads_dept_ranking", "ads_livelihood_sign", "ads_anomaly_input")


def read_window(scope: PeriodScope, cfg: IndicatorConfig) -> tuple[dt.date, dt.date]:
    """Accept dates of the silver orders a run needs: back for late finishes/call-backs and the
    anomaly baseline, forward for repeat demands after a finish."""
    back = max(cfg.lookback_days, 7 * cfg.anomaly_baseline_weeks, cfg.repeat_window_days)
    return scope.first_day - dt.timedelta(days=back), scope.last_day + dt.timedelta(days=cfg.repeat_window_days)


def run(date_from: dt.date, date_to: dt.date, settings: Settings | None = None) -> dict[str, Any]:
    """Recompute every gold indicator table for the days in [date_from, date_to] and the weeks and
    months that contain them (each period over its whole extent), replacing those periods.

    Returns:
        Rows written per table and the resulting Delta versions.
    """
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-indicators")
    return compute_and_write(spark, cat, date_from, date_to)


def compute_and_write(spark: SparkSession, cat: Catalogue, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """The body of :func:`run` on a given session and catalogue."""
    cfg = IndicatorConfig.from_settings(cat.settings)
    scope = PeriodScope(date_from, date_to)
    lo, hi = read_window(scope, cfg)
    orders = cat.read(spark, "dwd_work_order").filter(F.col("accept_date").between(F.lit(lo), F.lit(hi)))
    orders = orders.persist()
    prepared = prepare_orders(orders, cat.read(spark, "ref_sla_rule"), cat.read(spark, "ref_calendar"), cfg)
    ind = aggregate_indicators(place_in_periods(prepared, scope), cfg).persist()
    where = scope.predicate()
    summary: dict[str, Any] = {"date_from": str(date_from), "date_to": str(date_to),
                               "definition_hash": cfg.fingerprint(), "rows": {}, "versions": {}}

    delta.overwrite(ind, cat, "ads_hotline_indicator", replace_where=where)
    summary["rows"]["ads_hotline_indicator"] = ind.count()

    ranking = dept_ranking(ind, cat.read(spark, "ref_department"), cfg)
    delta.overwrite(ranking, cat, "ads_dept_ranking", replace_where=where)
    summary["rows"]["ads_dept_ranking"] = ranking.count()

    history = cat.read(spark, "ads_hotline_indicator")
    signs = livelihood_signs(history, populations(cat.read(spark, "ref_district"), cat.read(spark, "ref_street")),
                             scope)
    delta.overwrite(signs, cat, "ads_livelihood_sign", replace_where=where)
    summary["rows"]["ads_livelihood_sign"] = signs.count()

    anomalies = anomaly_inputs(orders, date_from, date_to, cfg)
    delta.overwrite(anomalies, cat, "ads_anomaly_input",
                    replace_where=f"period_start >= DATE'{date_from}' AND period_start <= DATE'{date_to}'")
    summary["rows"]["ads_anomaly_input"] = anomalies.count()

    ind.unpersist()
    orders.unpersist()
    for name in GOLD_TABLES:
        summary["versions"][name] = delta.current_version(spark, cat, name)
    log.info("indicators %s..%s: %s", date_from, date_to, summary)
    return summary
