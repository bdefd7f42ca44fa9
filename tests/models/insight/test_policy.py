"""Policy evaluation: the ITS interval covers a planted +60 % level change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pyspark.testing import assertDataFrameEqual

from models.policy.its import category_daily, estimate


def _series(effect: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2025-01-01", "2025-10-31")
    lam = 15 * (1 + 0.4 * (ds.dayofweek < 5)) * (1 + 0.1 * np.sin(2 * np.pi * ds.dayofyear / 365))
    lam = lam * np.where(ds >= pd.Timestamp("2025-07-01"), 1 + effect, 1.0)
    return pd.DataFrame({"ds": ds, "y": rng.poisson(lam)})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_interval_covers_planted_effect(seed):
    r = estimate(_series(0.6, seed), dt.date(2025, 7, 1))
    assert r["relative_effect_lo"] <= 0.6 <= r["relative_effect_hi"]
    assert r["relative_effect_hi"] - r["relative_effect_lo"] < 0.45


def test_no_effect_interval_covers_zero():
    r = estimate(_series(0.0, 5), dt.date(2025, 7, 1))
    assert r["relative_effect_lo"] <= 0.0 <= r["relative_effect_hi"]


def test_too_little_history_is_refused():
    with pytest.raises(ValueError, match="28 days on each side"):
        estimate(_series(0.6, 1).iloc[:190], dt.date(2025, 7, 1))


def test_category_daily_zero_fills(spark):
    d = dt.date(2025, 7, 1)
    orders = spark.createDataFrame(
        [(d, "040202", True), (d, "040202", True), (d + dt.timedelta(days=2), "040202", True),
         (d, "040201", True), (d, "040202", False)],
        "accept_date date, category_l3_code string, is_valid boolean",
    )
    got = category_daily(orders, "040202", d, d + dt.timedelta(days=2))
    expected = spark.createDataFrame([(d, 2.0), (d + dt.timedelta(days=1), 0.0), (d + dt.timedelta(days=2), 1.0)],
                                     "ds date, y double")
    assertDataFrameEqual(got, expected)
    with pytest.raises(ValueError, match="not an L1"):
        category_daily(orders, "0402020", d, d)
