"""Indicator variants as configuration (domain-standard §7(c): every config switch it names).

Defaults live here; a profile may overlay any of them under an ``indicators:`` section of its YAML
(``settings.raw['indicators']``), e.g. ``{satisfaction_inclusive_basic: false}``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KpiWeights:
    """Three-rate composite weights (§7(c)-F). Must sum to 1."""

    response: float = 0.30
    solve: float = 0.35
    satisfaction: float = 0.35
    source: str = "准格尔旗 example (响应率 30 % / 解决率 35 % / 满意率 35 %); NOT Beijing's weights (§2.3)"

    def __post_init__(self) -> None:
        total = self.response + self.solve + self.satisfaction
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"kpi_weights must sum to 1, got {total} ({self})")


@dataclass(frozen=True)
class IndicatorConfig:
    """Every variant switch of §7(c), with the documented default."""

    #: 满意率 counts 基本满意 (3) as satisfied (inclusive) or only {5,4} (strict).
    satisfaction_inclusive_basic: bool = True
    #: 按时办结率 against ``due_time`` (after approved extensions) or ``original_due_time`` (strict).
    ontime_use_extended_due: bool = True
    #: α partial credit for 部分解决 in 解决率 (0 = none, the default: no source gives α).
    solve_partial_credit: float = 0.0
    #: 满意度得分 per satisfaction code (assumption; configurable).
    satisfaction_scores: dict[str, float] = field(
        default_factory=lambda: {"5": 100.0, "4": 80.0, "3": 60.0, "2": 20.0, "1": 0.0})
    #: Three-rate composite weights.
    kpi_weights: KpiWeights = field(default_factory=KpiWeights)
    #: Do not rank a unit with fewer evaluable call-backs |E_P| than this: "样本不足".
    min_volume_for_ranking: int = 30
    #: 响应率 window R in hours when the SLA rule has none.
    response_within_hours: float = 24.0
    #: 签收 window S_sign in hours when the SLA rule has none.
    sign_within_hours: float = 24.0
    #: Repeat-demand window W (days) for 同人重复诉求 and 一次办结率.
    repeat_window_days: int = 30
    #: Repeat window for directly answered orders (一次办结 variant for handling_path 02).
    direct_repeat_window_days: int = 7
    #: 类案集中度: minimum cluster size k.
    cluster_min_size: int = 3
    #: Handling paths whose finished orders require a call-back (回访率 denominator).
    revisit_required_paths: tuple[str, ...] = ("01", "02")
    #: 异常指数: same-weekday baseline length (weeks), alert threshold z and minimum volume.
    anomaly_baseline_weeks: int = 8
    anomaly_z_threshold: float = 3.0
    anomaly_min_volume: int = 5
    #: 新发问题: at least this many orders on a series with none over the baseline.
    new_issue_min_volume: int = 3
    #: How far before the first period orders are read (late finishes / call-backs of older orders).
    lookback_days: int = 180

    def fingerprint(self) -> str:
        """Short stable hash of the configuration, stored with every gold row."""
        payload = json.dumps(dataclasses.asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]

    @property
    def satisfied_codes(self) -> tuple[str, ...]:
        return ("5", "4", "3") if self.satisfaction_inclusive_basic else ("5", "4")

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> IndicatorConfig:
        """Build from a (profile) mapping; unknown keys are an error naming the key."""
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown indicator setting(s) {unknown}; known: {sorted(known)}")
        if isinstance(data.get("kpi_weights"), dict):
            data["kpi_weights"] = KpiWeights(**data["kpi_weights"])
        if "revisit_required_paths" in data:
            data["revisit_required_paths"] = tuple(str(p) for p in data["revisit_required_paths"])
        if "satisfaction_scores" in data:
            data["satisfaction_scores"] = {str(k): float(v) for k, v in data["satisfaction_scores"].items()}
        return cls(**data)

    @classmethod
    def from_settings(cls, settings: Any) -> IndicatorConfig:
        raw = getattr(settings, "raw", None) or {}
        return cls.from_mapping(raw.get("indicators"))
