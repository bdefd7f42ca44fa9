"""Demand forecasting (未诉先办): daily order volume per district × L1 and city × L2.

Two model families are compared in a rolling-origin backtest against seasonal-naive:

- ``gbt``: one global Spark ML gradient-boosted-trees model over all series, direct multi-horizon,
  with calendar (weekday, holidays, 调休 make-up days, day of year) and lag/level features;
- ``ets`` / ``mstl``: per-series statistical models (statsforecast) run in parallel on Spark with a
  grouped pandas UDF (``applyInPandas``).

Entry point for orchestration: :func:`models.forecast.job.run`.
"""
