"""Silver-shaped ``dwd_work_order`` frames for the classifier tests (until the generator's small city lands).

Text is built from the reference category tree and 派单目录 (jobs/reference/data), so the labels are
learnable but noisy: a share of rows gets a random label, as the generator's label noise will.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

REF = Path(__file__).resolve().parents[3] / "jobs" / "reference" / "data"

PATHS = {  # handling path → (share, phrases that tend to come with it)
    "01": (0.70, ["请相关部门尽快处理", "希望尽快解决", "请派人来看看", "已经影响正常生活"]),
    "02": (0.15, ["请问怎么办理", "想咨询一下流程", "请问需要什么材料", "咨询相关政策"]),
    "03": (0.03, ["现在着火了有人被困", "有人受伤流血需要急救", "燃气泄漏味道很大", "发生车祸有人倒地"]),
    "04": (0.03, ["已经向法院起诉", "劳动仲裁正在进行", "法院已经判决", "已申请行政复议"]),
    "05": (0.03, ["要求公开他人隐私信息", "要求查询涉密文件", "要求政府支持不合理诉求", "要求提供个人住址"]),
    "06": (0.02, ["你们都是废物骂人", "反复拨打无理取闹", "恶意骚扰坐席", "辱骂接线员"]),
    "07": (0.04, ["之前已经反映过同样问题", "重复反映一直没解决", "再次反映同一件事", "上次工单还没回复"]),
}
FILLER = ["本人住在附近", "最近一段时间", "多次发现", "周边居民反映", "情况比较严重", "早上和晚上都有", "不知道该找谁"]


def _tree() -> list[dict[str, str]]:
    with (REF / "category_tree_v1.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _dispatch() -> dict[tuple[str, str], str]:
    with (REF / "dispatch_rules.csv").open(encoding="utf-8") as fh:
        return {(r["l3_code"], r["district_code"]): r["lead_dept_code"] for r in csv.DictReader(fh)}


def silver_rows(n: int, start: date, days: int, seed: int = 11, noise: float = 0.05) -> list[dict]:
    """``n`` orders accepted over ``days`` days from ``start`` with the §7 A1 columns the classifier reads."""
    rng = random.Random(seed)
    tree = _tree()
    dispatch = _dispatch()
    districts = sorted({d for _, d in dispatch})
    weights = [float(r["l1_share_assumed"]) for r in tree]
    path_codes = list(PATHS)
    path_w = [PATHS[p][0] for p in path_codes]
    all_l1 = sorted({r["l1_code"] for r in tree})
    all_l2 = sorted({r["l2_code"] for r in tree})
    all_depts = sorted(set(dispatch.values()))
    rows = []
    for i in range(n):
        leaf = rng.choices(tree, weights=weights)[0]
        district = rng.choice(districts)
        dept = dispatch.get((leaf["l3_code"], district)) or rng.choice(all_depts)
        path = rng.choices(path_codes, weights=path_w)[0]
        l1, l2 = leaf["l1_code"], leaf["l2_code"]
        if rng.random() < noise:
            l1, l2, dept = rng.choice(all_l1), rng.choice(all_l2), rng.choice(all_depts)
        if rng.random() < noise:
            path = rng.choice(path_codes)
        accept = datetime.combine(start + timedelta(days=rng.randrange(days)), datetime.min.time()) + timedelta(
            seconds=rng.randrange(86400))
        title = f"{leaf['l3_name']}问题" if rng.random() < 0.7 else f"关于{leaf['l2_name']}的反映"
        content = "，".join([rng.choice(FILLER), f"{leaf['l3_name']}", rng.choice(FILLER),
                            f"涉及{leaf['l2_name']}", rng.choice(PATHS[path][1]), f"地址在[地址]{district[-2:]}号"])
        rows.append({
            "order_id": f"990100{accept:%Y%m%d}{i:06d}", "accept_time": accept, "accept_date": accept.date(),
            "title": title, "content_redacted": content + "。", "category_l1_code": l1, "category_l2_code": l2,
            "main_dept_code": dept, "handling_path_code": path,
        })
    return rows


def silver_schema():
    from pyspark.sql import types as T

    s = T.StringType()
    return T.StructType([
        T.StructField("order_id", s, False), T.StructField("accept_time", T.TimestampType()),
        T.StructField("accept_date", T.DateType()), T.StructField("title", s), T.StructField("content_redacted", s),
        T.StructField("category_l1_code", s), T.StructField("category_l2_code", s),
        T.StructField("main_dept_code", s), T.StructField("handling_path_code", s),
    ])


def silver_frame(spark, n: int, start: date, days: int, seed: int = 11):
    rows = silver_rows(n, start, days, seed)
    cols = silver_schema().fieldNames()
    return spark.createDataFrame([tuple(r[c] for c in cols) for r in rows], silver_schema())


def ensure_silver_spec(monkeypatch) -> None:
    """Until the standardise step's catalogue file defines ``dwd_work_order``, add an equivalent entry."""
    from jobs.common import catalogue as C

    real = C._load_specs

    def patched(folder=C.TABLES_DIR):
        specs = real(folder)
        specs.setdefault("dwd_work_order", C.TableSpec(
            name="dwd_work_order", layer="silver", grade="internal", owner="standardise (test stand-in)",
            description="silver work orders", keys=("order_id",), partition_by=("accept_date",)))
        return specs

    monkeypatch.setattr(C, "_load_specs", patched)
