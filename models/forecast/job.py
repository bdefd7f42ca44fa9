"""Forecast job: backtest, train, forecast, write gold, track and register in MLflow."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.config import Settings
from models.forecast import backtest, gbt, stats
from models.forecast.features import calendar_days
from models.forecast.series import daily_counts

log = logging.getLogger(__name__)

FORECAST_LEVELS = ("district_l1", "city_l2")
Z90 = 1.6448536269514722
FAMILY, TARGET = "forecast", "daily_volume"


def build_series(orders: DataFrame, date_from: dt.date, date_to: dt.date,
                 levels: tuple[str, ...] = FORECAST_LEVELS) -> DataFrame:
    """All forecast series (every level) as one frame ``level, series_key, series_id, ds, y``."""
    out = None
    for level in levels:
        part = daily_counts(orders, level, date_from, date_to)
        out = part if out is None else out.unionByName(part)
    return out


def gbt_dispersion(backtest_fc: DataFrame, series: DataFrame) -> float:
    """Over-dispersion ``φ = Σ(y - ŷ)² / Σŷ`` of the global model in the backtest (for its intervals)."""
    r = backtest_fc.where(F.col("family") == "gbt").join(series.select("series_id", "ds", "y"), ["series_id", "ds"]).agg(
        F.sum((F.col("y") - F.col("yhat")) ** 2).alias("sse"), F.sum("yhat").alias("s")
    ).first()
    return float(r["sse"] / r["s"]) if r and r["s"] else 1.0


def forecast_all(series: DataFrame, days: DataFrame, origin: dt.date, horizon: int, phi: float,
                 families: tuple[str, ...], gbt_params: dict | None = None):
    """Forecasts of every family from ``origin`` with 90 % intervals, and the fitted global model."""
    model = gbt.fit(series, days, origin, horizon, gbt_params)
    g = gbt.predict(model, series, days, origin, horizon)
    half = Z90 * F.sqrt(F.lit(phi) * F.col("yhat"))
    out = g.select("series_id", "origin", "ds", "h", F.lit("gbt").alias("family"), "yhat",
                   F.greatest(F.col("yhat") - half, F.lit(0.0)).alias("lo"), (F.col("yhat") + half).alias("hi"))
    stat_fams = tuple(f for f in families if f in stats.FAMILIES)
    if stat_fams:
        out = out.unionByName(stats.forecast(series, [origin], horizon).where(F.col("family").isin(*stat_fams)))
    return out, model


def run(date_from: dt.date, date_to: dt.date, horizon: int = 28, windows: int = 4,
        families: tuple[str, ...] = ("gbt", "ets", "mstl"), track: bool = True,
        settings: Settings | None = None) -> dict[str, Any]:
    """Backtest on ``[date_from, date_to]``, then forecast ``horizon`` days after ``date_to``.

    Writes ``gold_forecast_backtest`` (scores) and ``gold_forecast`` (origin = ``date_to``), logs the
    backtest to MLflow and registers the global model (``challenger``; ``champion`` when it beats the
    current champion's MASE relative to seasonal-naive).
    """
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark

    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-forecast")
    orders = cat.read(spark, "dwd_work_order").where(F.col("accept_date").between(F.lit(date_from), F.lit(date_to)))
    calendar = cat.read(spark, "ref_calendar") if cat.exists(spark, "ref_calendar") else None
    series = build_series(orders, date_from, date_to).cache()
    days = calendar_days(calendar, spark, date_from, date_to + dt.timedelta(days=horizon)).cache()
    bt_fc, bt = backtest.run_backtest(series, days, horizon, windows, families)
    run_id = uuid.uuid4().hex
    scores = bt["scores"].withColumn("run_id", F.lit(run_id)).select(
        "run_id", "series_id", "origin", "family", "mae", "mase", "smape")
    delta.append(scores, cat, "gold_forecast_backtest")
    phi = gbt_dispersion(bt_fc, series)
    fc, model = forecast_all(series, days, date_to, horizon, phi, families)
    fc = fc.select("series_id", "origin", "ds", "h", "family", "yhat", "lo", "hi").cache()
    delta.overwrite(fc, cat, "gold_forecast", replace_where=f"origin = '{date_to.isoformat()}'")
    summary: dict[str, Any] = {
        "run_id": run_id, "origins": bt["origins"], "backtest": bt["summary"], "gbt_dispersion": phi,
        "forecast_rows": fc.count(), "forecast_version": delta.current_version(spark, cat, "gold_forecast"),
    }
    if track:
        summary["mlflow"] = _track(cat.settings, spark, model, bt_fc, series, bt, summary)
    # a session that runs more than this job (a test run, a notebook) gets its memory back
    for frame in (fc, bt["scores"], bt_fc, days, series):
        frame.unpersist()
    log.info("forecast: %s", json.dumps(summary, default=str, ensure_ascii=False))
    return summary


def run_history(date_to: dt.date, max_days: int = 730, horizon: int = 28, windows: int = 4,
                settings: Settings | None = None, **kwargs: Any) -> dict[str, Any]:
    """:func:`run` on the lake's history ending ``date_to``: at most ``max_days`` days, from the first
    accepted order when the lake is younger (a zero-filled stretch before the city's first day would
    teach the models a fake trend).

    Raises:
        ValueError: the lake holds too little history for the backtest windows and the training warm-up.
    """
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark

    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-forecast")
    first = cat.read(spark, "dwd_work_order").where(F.col("accept_date") <= F.lit(date_to)).agg(
        F.min("accept_date")).first()[0]
    if first is None:
        raise ValueError(f"no orders accepted on or before {date_to} in dwd_work_order: nothing to forecast from")
    date_from = max(first, date_to - dt.timedelta(days=max_days - 1))
    # the first backtest origin still needs the GBT's warm-up (56 days) and one horizon of training targets
    need = horizon * (windows + 1) + 56
    if (date_to - date_from).days + 1 < need:
        raise ValueError(f"forecast needs at least {need} days of history before {date_to} "
                         f"({windows} backtest windows of {horizon} days + warm-up); the lake starts {first}")
    return run(date_from, date_to, horizon=horizon, windows=windows, settings=cat.settings, **kwargs)


def relative_mase(summary: dict, family: str = "gbt") -> float:
    """Mean over levels of ``MASE(family) / MASE(seasonal-naive)``."""
    vals = [lv[family]["mase_vs_snaive"] for lv in summary.values() if family in lv]
    return sum(vals) / len(vals) if vals else float("nan")


def plot_series(bt_fc: DataFrame, series: DataFrame, path: str, n: int = 4) -> None:
    """A PNG of the last backtest window for ``n`` series: actuals and each family's forecast."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jobs.report.charts import use_cjk_font

    use_cjk_font()
    last = bt_fc.agg(F.max("origin")).first()[0]
    ids = [r["series_id"] for r in series.groupBy("series_id").agg(F.sum("y").alias("s")).orderBy(F.desc("s")).limit(n).collect()]
    fc = bt_fc.where((F.col("origin") == last) & F.col("series_id").isin(ids)).toPandas()
    act = series.where(F.col("series_id").isin(ids) & (F.col("ds") > F.date_sub(F.lit(last), 56))).toPandas()
    fig, axes = plt.subplots(len(ids), 1, figsize=(9, 2.4 * len(ids)), squeeze=False)
    for ax, sid in zip(axes[:, 0], ids, strict=False):
        a = act[act.series_id == sid].sort_values("ds")
        ax.plot(a.ds, a.y, color="black", lw=1, label="实际")
        for fam, g in fc[fc.series_id == sid].groupby("family"):
            g = g.sort_values("ds")
            ax.plot(g.ds, g.yhat, lw=1, label=fam)
        ax.set_title(sid, fontsize=9)
        ax.legend(fontsize=7, ncol=5)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _track(settings: Settings, spark, model, bt_fc: DataFrame, series: DataFrame, bt: dict, summary: dict) -> dict:
    import tempfile

    import mlflow

    from models.common import registry, tracking

    client = tracking.configure(settings)
    exp = tracking.ensure_experiment(client, settings, FAMILY, TARGET)
    name = tracking.registered_model_name(FAMILY, TARGET)
    metrics: dict[str, float] = {}
    for level, fams in bt["summary"].items():
        for fam, m in fams.items():
            for k in ("mase", "smape", "mase_vs_snaive"):
                metrics[f"{level}.{fam}.{k}"] = float(m[k])
    metrics["gbt_mase_vs_snaive"] = relative_mase(bt["summary"], "gbt")
    with mlflow.start_run(experiment_id=exp, run_name=f"forecast {summary['run_id'][:8]}") as active:
        mlflow.log_params({**gbt.DEFAULT_PARAMS, "origins": ",".join(bt["origins"]), "windows": len(bt["origins"])})
        mlflow.log_metrics(metrics)
        mlflow.log_dict(bt["summary"], "backtest_summary.json")
        with tempfile.TemporaryDirectory() as tmp:
            png = f"{tmp}/backtest_series.png"
            plot_series(bt_fc, series, png)
            mlflow.log_artifact(png)
        info = mlflow.spark.log_model(model, "model", pip_requirements=tracking.pip_requirements(),
                                      dfs_tmpdir=tracking.dfs_tmp(settings))
        run_id = active.info.run_id
    version = registry.register_challenger(client, info.model_uri, name, tags={"minsheng.metric": "gbt_mase_vs_snaive"})

    def _champion_metrics(uri: str) -> dict[str, float]:
        champ = client.get_model_version(name, uri.rsplit("/", 1)[-1])
        return {"gbt_mase_vs_snaive": float(client.get_run(champ.run_id).data.metrics.get("gbt_mase_vs_snaive", "nan"))}

    decision = registry.promote_if_better(
        client, family=FAMILY, target=TARGET, model_name=name, version=version, run_id=run_id,
        metrics={"gbt_mase_vs_snaive": metrics["gbt_mase_vs_snaive"]}, evaluate_champion=_champion_metrics,
        metric="gbt_mase_vs_snaive", higher_is_better=False, eval_set={"origins": bt["origins"]},
    )
    return {"run_id": run_id, "model": name, "version": version, "promoted": decision.promoted, "reason": decision.reason}
