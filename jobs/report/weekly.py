"""每周一议: the weekly report on 类案, new issues, warnings, forecasts and department performance."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.config import Settings
from jobs.report import charts

log = logging.getLogger(__name__)
TOP_N = 10


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week containing ``day``."""
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def top_clusters(clusters: DataFrame, week_end: dt.date, n: int = TOP_N) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latest 类案 run up to the week's end: top ``n`` by size and top ``n`` by growth."""
    latest = clusters.where(F.col("run_date") <= F.lit(week_end)).agg(F.max("run_date")).first()[0]
    if latest is None:
        empty = pd.DataFrame(columns=["cluster_id", "label", "size", "growth", "orders_last_7d", "districts"])
        return empty, empty
    cur = clusters.where(F.col("run_date") == F.lit(latest)).select(
        "cluster_id", "label", "size", "growth", "orders_last_7d", F.array_join("districts", ",").alias("districts"),
        "category_code", "first_date", "last_date")
    by_size = cur.orderBy(F.desc("size"), "cluster_id").limit(n).toPandas()
    by_growth = cur.where(F.col("orders_last_7d") >= 3).orderBy(F.desc("growth"), "cluster_id").limit(n).toPandas()
    return by_size, by_growth


def week_warnings(warnings: DataFrame, week_start: dt.date, week_end: dt.date) -> pd.DataFrame:
    """Warning episodes active in the week, with their outcome (closed: no warning in the week's last 2 days)."""
    w = warnings.where(F.col("warn_date").between(F.lit(week_start), F.lit(week_end)))
    eps = w.groupBy("episode_id", "kind", "level", "series_key").agg(
        F.min("warn_date").alias("first_day"), F.max("warn_date").alias("last_day"),
        F.max("count").alias("max_count"), F.max("score").alias("max_score"),
        F.first("examples").alias("examples"),
        F.first(F.get_json_object("evidence_json", "$.term"), ignorenulls=True).alias("term"),
    )
    outcome = F.when(F.col("last_day") < F.lit(week_end - dt.timedelta(days=1)), "已回落").otherwise("持续中")
    return eps.select("*", outcome.alias("outcome")).orderBy(F.desc("max_score")).limit(50).toPandas()


def forecast_vs_actual(forecasts: DataFrame, orders: DataFrame, week_start: dt.date, week_end: dt.date,
                       family: str = "gbt") -> pd.DataFrame:
    """City-wide daily volume of the week: the latest forecast made before the week (sum over city × L2) vs actual."""
    fc = forecasts.where((F.col("family") == family) & F.col("series_id").startswith("city_l2:")
                         & (F.col("origin") < F.lit(week_start)))
    origin = fc.agg(F.max("origin")).first()[0]
    days = pd.DataFrame({"ds": pd.date_range(week_start, week_end).date})
    if origin is None:
        f = days.assign(yhat=float("nan"), lo=float("nan"), hi=float("nan"))
    else:
        f = fc.where((F.col("origin") == F.lit(origin)) & F.col("ds").between(F.lit(week_start), F.lit(week_end))) \
            .groupBy("ds").agg(F.sum("yhat").alias("yhat"), F.sum("lo").alias("lo"), F.sum("hi").alias("hi")).toPandas()
        f = days.merge(f, on="ds", how="left")
    a = orders.where(F.col("accept_date").between(F.lit(week_start), F.lit(week_end))).groupBy(
        F.col("accept_date").alias("ds")).agg(F.count(F.lit(1)).alias("actual")).toPandas()
    return f.merge(a, on="ds", how="left").fillna({"actual": 0})


def department_performance(orders: DataFrame, week_start: dt.date, week_end: dt.date, n: int = 15) -> pd.DataFrame:
    """Per 主办单位 for orders accepted in the week: orders, 办结率 and 按时办结率 (§7(c)C on this cohort)."""
    o = orders.where(F.col("accept_date").between(F.lit(week_start), F.lit(week_end)) & F.col("main_dept_name").isNotNull())
    finished = F.col("finish_time").isNotNull()
    on_time = finished & (F.col("finish_time") <= F.col("due_time"))
    return o.groupBy("main_dept_name").agg(
        F.count(F.lit(1)).alias("orders"),
        F.avg(finished.cast("double")).alias("finish_rate"),
        F.avg(on_time.cast("double")).alias("on_time_rate"),
    ).where(F.col("orders") >= 10).orderBy(F.desc("orders")).limit(n).toPandas()


def _table(df: pd.DataFrame, columns: dict[str, str], fmt: dict[str, str] | None = None) -> str:
    if df.empty:
        return "<p class='empty'>本周无。</p>"
    fmt = fmt or {}
    head = "".join(f"<th>{html.escape(v)}</th>" for v in columns.values())
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in columns:
            v = r[c]
            if isinstance(v, (list, tuple)) or (hasattr(v, "tolist") and not isinstance(v, str)):
                v = " / ".join(str(x) for x in list(v)[:2])
            elif c in fmt and v is not None and v == v:
                v = format(v, fmt[c])
            cells.append(f"<td>{html.escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


KIND_NAMES = {"burst": "突增", "new_issue": "新发问题", "new_text": "新发文本聚集", "slow_trend": "缓慢上升"}


def render_html(week_start: dt.date, week_end: dt.date, sections: dict[str, pd.DataFrame]) -> str:
    """The self-contained report page (charts embedded as PNG data URIs)."""
    by_size, by_growth = sections["clusters_by_size"], sections["clusters_by_growth"]
    warn = sections["warnings"].copy()
    if not warn.empty:
        warn["kind"] = warn["kind"].map(KIND_NAMES).fillna(warn["kind"])
    new = warn[warn["kind"].isin([KIND_NAMES["new_issue"], KIND_NAMES["new_text"]])] if not warn.empty else warn
    fva, dept = sections["forecast"], sections["departments"]
    parts = [f"<h1>每周一议 · {week_start:%Y-%m-%d} 至 {week_end:%Y-%m-%d}</h1>",
             "<p class='sub'>民声 minsheng 12345 热线数据平台自动生成 · 文本均已脱敏</p>"]
    parts.append("<h2>一、类案 Top（按规模）</h2>")
    if not by_size.empty:
        parts.append(f"<img src='{charts.bar_chart(by_size['label'].str.slice(0, 24).tolist(), by_size['size'].tolist(), '类案规模（件）')}'>")
    parts.append(_table(by_size, {"label": "类案标签", "size": "件数", "orders_last_7d": "近7日", "growth": "增长倍数",
                                  "districts": "涉及区县"}, {"growth": ".2f"}))
    parts.append("<h2>二、类案 Top（按增长）</h2>")
    parts.append(_table(by_growth, {"label": "类案标签", "size": "件数", "orders_last_7d": "近7日", "growth": "增长倍数"},
                        {"growth": ".2f"}))
    parts.append("<h2>三、新发问题</h2>")
    parts.append(_table(new, {"kind": "类型", "series_key": "地点|类别", "term": "新出现的词", "first_day": "首次预警",
                              "max_count": "件数", "examples": "示例（脱敏）"}))
    parts.append("<h2>四、未诉先办预警及处置结果</h2>")
    parts.append(_table(warn, {"kind": "类型", "level": "层级", "series_key": "地点|类别", "first_day": "首次预警",
                               "last_day": "最近预警", "max_count": "件数", "max_score": "强度(-log10 p)", "outcome": "结果",
                               "examples": "示例（脱敏）"},
                        {"max_score": ".1f", "max_count": ".0f"}))
    parts.append("<h2>五、预测与实际（全市日工单量）</h2>")
    if not fva.empty:
        parts.append(f"<img src='{charts.forecast_chart(fva, '全市日工单量：预测 vs 实际')}'>")
    parts.append("<h2>六、部门办理情况（本周受理）</h2>")
    if not dept.empty:
        parts.append(f"<img src='{charts.bar_chart(dept['main_dept_name'].tolist(), (dept['on_time_rate'] * 100).round(1).tolist(), '按时办结率（%）')}'>")
    parts.append(_table(dept, {"main_dept_name": "主办单位", "orders": "工单", "finish_rate": "办结率", "on_time_rate": "按时办结率"},
                        {"finish_rate": ".1%", "on_time_rate": ".1%"}))
    style = ("body{font-family:'Noto Sans CJK SC',sans-serif;margin:24px;color:#222}h1{color:#a93226}"
             "h2{border-left:5px solid #c0392b;padding-left:8px;margin-top:28px}table{border-collapse:collapse;"
             "font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px}th{background:#f4f4f4}"
             "img{max-width:100%}.sub{color:#777}.empty{color:#999}")
    return (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>每周一议 {week_start}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def sections_from(tables: dict[str, DataFrame | None], week_start: dt.date, week_end: dt.date) -> dict[str, pd.DataFrame]:
    """Every report section from the gold/silver tables (a missing table gives an empty section)."""
    out: dict[str, pd.DataFrame] = {}
    empty = pd.DataFrame()
    if tables.get("gold_case_cluster") is not None:
        out["clusters_by_size"], out["clusters_by_growth"] = top_clusters(tables["gold_case_cluster"], week_end)
    else:
        out["clusters_by_size"] = out["clusters_by_growth"] = empty
    out["warnings"] = (week_warnings(tables["gold_early_warning"], week_start, week_end)
                       if tables.get("gold_early_warning") is not None else empty)
    orders = tables["dwd_work_order"]
    out["forecast"] = (forecast_vs_actual(tables["gold_forecast"], orders, week_start, week_end)
                       if tables.get("gold_forecast") is not None else empty)
    out["departments"] = department_performance(orders, week_start, week_end)
    return out


def run(week_start: dt.date, publish: bool = True, out_dir: str | None = None,
        settings: Settings | None = None) -> dict[str, Any]:
    """Build the report of the ISO week containing ``week_start``; render PNG (and PDF) with Chromium under
    ``var/artifacts/report/``; upload to ``s3://<publish bucket>/reports/weekly/<monday>/``.

    Returns:
        paths, S3 keys and the ``report_url`` to link from the Airflow run.
    """
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark

    start, _ = week_of(week_start)
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-weekly-report")
    names = ("dwd_work_order", "gold_case_cluster", "gold_early_warning", "gold_forecast")
    tables = {n: (cat.read(spark, n) if cat.exists(spark, n) else None) for n in names}
    folder = Path(out_dir) if out_dir else cat.settings.home / "var" / "artifacts" / "report" / f"weekly-{start}"
    return produce(tables, start, folder, cat.settings if publish else None)


def produce(tables: dict[str, DataFrame | None], week_start: dt.date, folder: Path,
            publish_settings: Settings | None = None) -> dict[str, Any]:
    """Write ``index.html``, ``page.png`` and ``report.pdf`` into ``folder``; upload them when
    ``publish_settings`` is given."""
    from jobs.report import render

    start, end = week_of(week_start)
    if tables.get("dwd_work_order") is None:
        raise FileNotFoundError("dwd_work_order does not exist: run standardise before the weekly report")
    page = render_html(start, end, sections_from(tables, start, end))
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / "index.html"
    html_path.write_text(page, encoding="utf-8")
    png = render.screenshot(html_path, folder / "page.png")
    pdf = render.pdf(html_path, folder / "report.pdf")
    summary: dict[str, Any] = {"week": start.isoformat(), "html": str(html_path), "png": str(png), "pdf": str(pdf)}
    if publish_settings is not None:
        summary.update(_publish(publish_settings, start, [html_path, png, pdf]))
    log.info("weekly report: %s", json.dumps(summary, ensure_ascii=False))
    return summary


def _publish(settings: Settings, start: dt.date, files: list[Path]) -> dict[str, Any]:
    from jobs.common import s3

    bucket = s3.publish_bucket(settings)
    client = s3.client(settings)
    s3.ensure_bucket(client, bucket)
    types = {".html": "text/html; charset=utf-8", ".png": "image/png", ".pdf": "application/pdf"}
    keys = []
    for f in files:
        key = f"reports/weekly/{start.isoformat()}/{f.name}"
        client.upload_file(str(f), bucket, key, ExtraArgs={"ContentType": types.get(f.suffix, "application/octet-stream")})
        keys.append(key)
    endpoint = (settings.s3.get("endpoint_url") or "https://s3.amazonaws.com").rstrip("/")
    return {"bucket": bucket, "keys": keys, "report_url": f"{endpoint}/{bucket}/{keys[0]}"}
