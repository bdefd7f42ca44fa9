"""`minsheng classify-eval` on a slice of the real Hangzhou 留言 data (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL = Path("/work/shared/data/real/hangzhou_liuyan/hangzhou_liuyan_messages.csv")


@pytest.mark.skipif(not REAL.exists(), reason="real data folder not mounted")
def test_classify_eval_runs_on_a_slice_of_real_data(spark, tmp_path, capsys):
    import pandas as pd

    from jobs.cli import main

    df = pd.read_csv(REAL, dtype=str, keep_default_na=False)
    top = df["domain"].value_counts().index[:4]
    part = df[df["domain"].isin(top)].groupby("domain").head(60)
    slice_csv = tmp_path / "slice.csv"  # a temporary slice for the test only
    part.to_csv(slice_csv, index=False)

    assert main(["classify-eval", "--csv", str(slice_csv), "--text-col", "title", "--text-col", "content",
                 "--label-col", "domain", "--folds", "3", "--seed", "5", "--params", '{"max_iter": 60}']) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = next(ln for ln in lines if ln.startswith("rows="))
    # the eval defaults (L2-normalised rows, balanced weights) with the given override on top
    assert "weight_power=1.0" in header and '"max_iter": 60' in header and '"normalize": true' in header
    folds = [ln for ln in lines if ln.startswith("fold=")]
    assert len(folds) == 3
    assert lines[-1].startswith("macro_f1=")
    macro = float(lines[-1].split("=", 1)[1])
    per_fold = [float(ln.rsplit("macro_f1=", 1)[1]) for ln in folds]
    assert macro == pytest.approx(sum(per_fold) / 3, abs=1e-3)
    assert macro > 0.4  # four balanced classes: chance is 0.25


def test_classify_eval_names_missing_columns(tmp_path):
    from models.classify.cv import read_labelled_csv

    p = tmp_path / "x.csv"
    p.write_text("title,label\n你好,a\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\['content'\] not found"):
        read_labelled_csv(str(p), ["title", "content"], "label")
