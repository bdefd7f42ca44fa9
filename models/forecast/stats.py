"""Per-series statistical models (statsforecast) run in parallel on Spark with ``applyInPandas``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

FAMILIES = ("ets", "mstl")
OUT_SCHEMA = "series_id string, origin date, ds date, h int, family string, yhat double, lo double, hi double"


def _models(n_obs: int):
    from statsforecast.models import MSTL, AutoETS

    seasons = [7, 365] if n_obs >= 2 * 365 + 28 else [7]
    return [
        AutoETS(season_length=7, alias="ets"),
        MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"), alias="mstl"),
    ]


def forecast_one(pdf: pd.DataFrame, origins: list[dt.date], horizon: int, level: int = 90) -> pd.DataFrame:
    """Fit on days ``<= origin`` and forecast ``horizon`` days, for each origin; one series."""
    from statsforecast import StatsForecast

    pdf = pdf.sort_values("ds")
    sid = pdf["series_id"].iloc[0]
    ds = pd.to_datetime(pdf["ds"])
    out = []
    for origin in origins:
        train = pdf[ds <= pd.Timestamp(origin)]
        if len(train) < 28:
            continue
        frame = pd.DataFrame({"unique_id": sid, "ds": pd.to_datetime(train["ds"]), "y": train["y"].astype(float)})
        sf = StatsForecast(models=_models(len(frame)), freq="D", n_jobs=1)
        try:
            fc = sf.forecast(df=frame, h=horizon, level=[level])
        except Exception:  # a degenerate series (e.g. all zero): fall back to its mean
            fc = None
        for fam in FAMILIES:
            if fc is not None and fam in fc:
                yhat = fc[fam].to_numpy(dtype=float)
                lo = fc.get(f"{fam}-lo-{level}", pd.Series(yhat)).to_numpy(dtype=float)
                hi = fc.get(f"{fam}-hi-{level}", pd.Series(yhat)).to_numpy(dtype=float)
            else:
                yhat = lo = hi = np.full(horizon, float(frame["y"].tail(28).mean()))
            days = [origin + dt.timedelta(days=i) for i in range(1, horizon + 1)]
            out.append(pd.DataFrame({
                "series_id": sid, "origin": origin, "ds": days, "h": np.arange(1, horizon + 1, dtype=np.int32),
                "family": fam, "yhat": np.clip(yhat, 0, None), "lo": np.clip(lo, 0, None),
                "hi": np.clip(hi, 0, None),
            }))
    if not out:
        return pd.DataFrame(columns=["series_id", "origin", "ds", "h", "family", "yhat", "lo", "hi"])
    return pd.concat(out, ignore_index=True)


def forecast(series: DataFrame, origins: list[dt.date], horizon: int, level: int = 90) -> DataFrame:
    """Every series × origin × family: a grouped pandas UDF, one group per series, run in parallel."""
    origins = sorted(origins)
    last = origins[-1]

    def _apply(pdf: pd.DataFrame) -> pd.DataFrame:
        return forecast_one(pdf, origins, horizon, level)

    return (
        series.where(F.col("ds") <= F.lit(last))
        .select("series_id", "ds", "y")
        .groupBy("series_id")
        .applyInPandas(_apply, OUT_SCHEMA)
    )
