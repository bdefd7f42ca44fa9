"""matplotlib charts with a CJK font (Debian ``fonts-noto-cjk``)."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei")


class FontMissingError(RuntimeError):
    """No CJK font is installed: Chinese labels would render as boxes."""


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Make matplotlib draw Chinese with an installed CJK font; returns the family used."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            matplotlib.rcParams["font.sans-serif"] = [fam, "DejaVu Sans"]
            matplotlib.rcParams["font.family"] = "sans-serif"
            matplotlib.rcParams["axes.unicode_minus"] = False
            return fam
    raise FontMissingError(
        "No CJK font found for the report charts: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)"
    )


def to_data_uri(fig) -> str:
    """PNG bytes of a figure as a ``data:`` URI (the HTML stays one self-contained file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def bar_chart(labels: list[str], values: list[float], title: str, xlabel: str = "") -> str:
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(8, 0.35 * max(3, len(labels)) + 1))
    ax.barh(labels[::-1], values[::-1], color="#c0392b")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return to_data_uri(fig)


def forecast_chart(frame: pd.DataFrame, title: str) -> str:
    """``ds, actual, yhat, lo, hi`` → line chart with the prediction band."""
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    f = frame.sort_values("ds")
    if {"lo", "hi"} <= set(f.columns) and f["lo"].notna().any():
        ax.fill_between(f["ds"], f["lo"], f["hi"], color="#f5b7b1", alpha=0.6, label="90% 预测区间")
    ax.plot(f["ds"], f["yhat"], color="#c0392b", label="预测")
    if "actual" in f:
        ax.plot(f["ds"], f["actual"], color="black", marker="o", ms=3, label="实际")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return to_data_uri(fig)
