"""The registry: every gold measure and indicator of domain-standard §7(c) B–G, defined ONCE.

A *measure* is an additive aggregate of orders placed in a period by a *basis* (which event date
puts an order into period P). An *indicator* is a formula over measures. Both carry their formula
as text (for the generated data dictionary) and as a Spark SQL expression (for the computation),
built from the same strings, so the documentation cannot drift from the code.

Bases (every basis counts only ``is_valid = true`` orders, §7(c) conventions):

- ``accept``   — ``accept_time ∈ P``                          (B intake, E repeats, G signs)
- ``sign``     — ``sign_time ∈ P``                            (响应率: dispatched orders signed in P)
- ``handling`` — ``due_time ∈ P ∨ finish_time ∈ P``  = ``D_P``  (C handling)
- ``finish``   — ``finish_time ∈ P``                          (durations, 一次办结率, 重办率)
- ``revisit``  — ``revisit_time ∈ P``  = ``V_P``               (D outcome)
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.indicators.config import IndicatorConfig

BASES: dict[str, str] = {
    "accept": "accept_time ∈ P",
    "sign": "sign_time ∈ P",
    "handling": "due_time ∈ P ∨ finish_time ∈ P (D_P)",
    "finish": "finish_time ∈ P",
    "revisit": "revisit_time ∈ P (V_P)",
}
#: The measure that counts a basis' population: the cell size used for small-cell suppression.
BASIS_SUPPORT: dict[str, str] = {
    "accept": "n_acc", "sign": "n_signed", "handling": "n_handling", "finish": "n_finished",
    "revisit": "n_revisited",
}


@dataclass(frozen=True)
class Measure:
    """An aggregate over the orders a basis places in a cell.

    ``kind``: ``count`` (orders satisfying ``expr``), ``sum`` (Σ ``expr``), ``median`` / ``p90``
    (exact percentile of ``expr``). ``expr`` is Spark SQL over prepared order columns.
    """

    name: str
    title: str
    basis: str
    kind: str
    expr: str
    dtype: str = "bigint"
    unit: str = "orders"
    counted_by: str | None = None  #: the count of the orders it describes, when not the whole basis

    @property
    def support(self) -> str:
        return self.counted_by or BASIS_SUPPORT[self.basis]

    @property
    def supports(self) -> tuple[str, ...]:
        return (self.support,)


@dataclass(frozen=True)
class Indicator:
    """A formula over measures. ``sql`` is Spark SQL over the measure columns; ``support`` names
    the measure counting the orders the value describes (its denominator population), or several
    when the value is built from rates over different populations (each must be large enough)."""

    name: str
    title: str
    section: str
    formula: str
    sql: str
    support: str | tuple[str, ...]
    unit: str = "ratio"
    note: str = ""

    @property
    def supports(self) -> tuple[str, ...]:
        return self.support if isinstance(self.support, tuple) else (self.support,)


def _ratio(num: str, den: str, scale: float = 1.0) -> str:
    factor = "" if scale == 1.0 else f"{scale} * "
    return f"CASE WHEN {den} > 0 THEN {factor}({num}) / {den} END"


def measures(cfg: IndicatorConfig) -> list[Measure]:
    """All measures, in gold column order."""
    sat = ", ".join(f"'{c}'" for c in cfg.satisfied_codes)
    return [
        # ---- basis accept ---------------------------------------------------------------------
        Measure("n_acc", "受理量 N_acc", "accept", "count", "true"),
        Measure("n_direct", "直接答复量", "accept", "count", "handling_path_code = '02'"),
        Measure("n_dispatched", "转办(派单)量", "accept", "count", "dispatched"),
        Measure("n_returned", "退单订单数", "accept", "count", "dispatched AND return_count >= 1"),
        Measure("sum_return_count", "退单次数 Σ return_count", "accept", "sum",
                "IF(dispatched, return_count, 0)", unit="events"),
        Measure("sum_dispatch_count", "派单次数 Σ dispatch_count", "accept", "sum",
                "IF(dispatched, dispatch_count, 0)", unit="events"),
        Measure("n_misdispatched", "退单或改派订单数", "accept", "count",
                "dispatched AND (return_count >= 1 OR reassign_count >= 1)"),
        Measure("n_sign_ontime", "及时签收订单数 (sign_time − dispatch_time ≤ S_sign)", "accept", "count",
                "dispatched AND sign_delay_h <= sign_limit_h"),
        Measure("n_extended", "延期订单数", "accept", "count", "dispatched AND extension_count >= 1"),
        Measure("n_urged", "催办订单数", "accept", "count", "dispatched AND urge_count >= 1"),
        Measure("n_supervised", "督办订单数", "accept", "count", "dispatched AND supervise_flag"),
        Measure("n_response_timed", "有响应时间的派单数", "accept", "count",
                "dispatched AND response_h IS NOT NULL"),
        Measure("sum_response_h", "Σ(first_contact_time − dispatch_time) 小时", "accept", "sum",
                "IF(dispatched, response_h, NULL)", dtype="double", unit="hours",
                counted_by="n_response_timed"),
        Measure("n_repeat", "同人重复诉求数", "accept", "count", "is_repeat"),
        Measure("n_clustered", f"类案簇(规模 ≥ {cfg.cluster_min_size})内订单数", "accept", "count",
                "in_large_cluster"),
        Measure("n_merged", "已并单订单数 (status_code = '70')", "accept", "count", "status_code = '70'"),
        Measure("n_risk", "风险诉求数 (urgency ∈ {1,2} ∨ tag 安全隐患)", "accept", "count", "is_risk"),
        Measure("n_direct_no_repeat",
                f"直接答复且 {cfg.direct_repeat_window_days} 天内无同人同类重复", "accept", "count",
                "handling_path_code = '02' AND NOT direct_repeat"),
        # ---- basis sign -----------------------------------------------------------------------
        Measure("n_signed", "签收量 (dispatched, sign_time ∈ P)", "sign", "count", "dispatched"),
        Measure("n_responded_ontime", "及时响应数 (first_contact_time − sign_time ≤ R)", "sign", "count",
                "dispatched AND response_delay_h <= response_limit_h"),
        # ---- basis handling (D_P) ---------------------------------------------------------------
        Measure("n_handling", "|D_P| 应办订单数", "handling", "count", "dispatched"),
        Measure("n_finished_by_end", "D_P 中 finish_time ≤ end(P) 的订单数", "handling", "count",
                "dispatched AND finish_time < period_end_ts"),
        Measure("n_finished_ontime", "D_P 中按时办结数 (finish_time ≤ due)", "handling", "count",
                "dispatched AND finish_time <= ontime_due"),
        Measure("n_overdue", "D_P 中超期数 (as of end(P))", "handling", "count",
                "dispatched AND (finish_time > due_time OR (finish_time IS NULL AND due_time < period_end_ts))"),
        # ---- basis finish ---------------------------------------------------------------------
        Measure("n_finished", "办结量 (finish_time ∈ P)", "finish", "count", "true"),
        Measure("n_finished_dispatched", "派单办结量", "finish", "count", "dispatched"),
        Measure("n_handling_timed", "有办理时长的派单办结数", "finish", "count",
                "dispatched AND handling_h IS NOT NULL"),
        Measure("sum_handling_h", "Σ 办理时长 (自然小时)", "finish", "sum",
                "IF(dispatched, handling_h, NULL)", dtype="double", unit="hours", counted_by="n_handling_timed"),
        Measure("sum_handling_work_h", "Σ 办理时长 (工作日小时)", "finish", "sum",
                "IF(dispatched, handling_work_h, NULL)", dtype="double", unit="hours",
                counted_by="n_handling_timed"),
        Measure("median_handling_h", "办理时长中位数 (自然小时)", "finish", "median",
                "IF(dispatched, handling_h, NULL)", dtype="double", unit="hours", counted_by="n_handling_timed"),
        Measure("p90_handling_h", "办理时长 P90 (自然小时)", "finish", "p90",
                "IF(dispatched, handling_h, NULL)", dtype="double", unit="hours", counted_by="n_handling_timed"),
        Measure("n_first_time_resolved", "一次办结订单数", "finish", "count",
                "dispatched AND dispatch_count = 1 AND return_count = 0 AND NOT reopen_flag "
                "AND NOT repeat_after_finish"),
        Measure("n_reopened", "重办订单数", "finish", "count", "reopen_flag"),
        Measure("n_revisit_required", "需回访的办结订单数", "finish", "count", "revisit_required"),
        # ---- basis revisit (V_P) --------------------------------------------------------------
        Measure("n_revisited", "|V_P| 回访订单数", "revisit", "count", "true"),
        Measure("n_evaluable", "|E_P| 有效回访数", "revisit", "count", "revisit_valid_flag"),
        Measure("n_solved", "E_P 中 solved_code = 1", "revisit", "count",
                "revisit_valid_flag AND solved_code = '1'"),
        Measure("n_partial", "E_P 中 solved_code = 2 (部分解决)", "revisit", "count",
                "revisit_valid_flag AND solved_code = '2'"),
        Measure("n_sat_rated", "E_P 中已评价 (satisfaction_code ≠ 0)", "revisit", "count",
                "revisit_valid_flag AND satisfaction_code <> '0'"),
        Measure("n_satisfied", f"E_P 中满意 (satisfaction_code ∈ {{{','.join(cfg.satisfied_codes)}}})",
                "revisit", "count", f"revisit_valid_flag AND satisfaction_code IN ({sat})"),
        Measure("sum_sat_score", "Σ 满意度分值 (已评价)", "revisit", "sum",
                "IF(revisit_valid_flag AND satisfaction_code <> '0', sat_score, NULL)", dtype="double",
                unit="points"),
    ]


def indicators(cfg: IndicatorConfig) -> list[Indicator]:
    """All indicators, in gold column order (F's composite last: it uses D's rates)."""
    a = cfg.solve_partial_credit
    w = cfg.kpi_weights
    solve_num = "n_solved" if a == 0 else f"n_solved + {a} * n_partial"
    sat_set = "{" + ",".join(cfg.satisfied_codes) + "}"
    out = [
        # B. intake and dispatch
        Indicator("direct_answer_rate", "直接答复率", "B", "count(handling_path='02') / N_acc",
                  _ratio("n_direct", "n_acc"), "n_acc"),
        Indicator("transfer_rate", "转办率", "B", "count(dispatch_count ≥ 1) / N_acc",
                  _ratio("n_dispatched", "n_acc"), "n_acc"),
        Indicator("return_rate", "退单率 (订单口径, default)", "B",
                  "count(dispatched ∧ return_count ≥ 1) / count(dispatched)",
                  _ratio("n_returned", "n_dispatched"), "n_dispatched"),
        Indicator("return_rate_event", "退单率 (事件口径)", "B", "Σ return_count / Σ dispatch_count",
                  _ratio("sum_return_count", "sum_dispatch_count"), "n_dispatched"),
        Indicator("dispatch_accuracy_rate", "派单准确率", "B",
                  "1 − count(return_count ≥ 1 ∨ reassign_count ≥ 1) / count(dispatched)",
                  "CASE WHEN n_dispatched > 0 THEN 1 - n_misdispatched / n_dispatched END", "n_dispatched"),
        Indicator("sign_ontime_rate", "签收及时率", "B",
                  "count(sign_time − dispatch_time ≤ S_sign) / count(dispatched); S_sign from the SLA rule "
                  f"(sign_within_hours), else {cfg.sign_within_hours} h",
                  _ratio("n_sign_ontime", "n_dispatched"), "n_dispatched"),
        # C. handling
        Indicator("response_rate", "响应率", "C",
                  "count(first_contact_time − sign_time ≤ R) / count(dispatched orders signed in P); R from "
                  f"the SLA rule (response_within_hours), else {cfg.response_within_hours} h",
                  _ratio("n_responded_ontime", "n_signed"), "n_signed"),
        Indicator("completion_rate", "办结率", "C", "count(o ∈ D_P : finish_time ≤ end(P)) / |D_P|",
                  _ratio("n_finished_by_end", "n_handling"), "n_handling"),
        Indicator("ontime_completion_rate", "按时办结率", "C",
                  "count(o ∈ D_P : finish_time ≤ due) / |D_P|; due = "
                  + ("due_time (after approved extensions)" if cfg.ontime_use_extended_due
                     else "original_due_time (strict)"),
                  _ratio("n_finished_ontime", "n_handling"), "n_handling"),
        Indicator("overdue_rate", "超期率", "C",
                  "count(o ∈ D_P : finish_time > due_time ∨ (finish_time is null ∧ end(P) > due_time)) / |D_P|",
                  _ratio("n_overdue", "n_handling"), "n_handling",
                  note="'now' of the formula is the end of P, so a re-run gives the same value"),
        Indicator("extension_rate", "延期率", "C",
                  "count(dispatched orders in P with extension_count ≥ 1) / count(dispatched orders in P)",
                  _ratio("n_extended", "n_dispatched"), "n_dispatched"),
        Indicator("urge_rate", "催办率", "C", "count(urge_count ≥ 1) / count(dispatched)",
                  _ratio("n_urged", "n_dispatched"), "n_dispatched"),
        Indicator("supervise_rate", "督办率", "C", "count(supervise_flag) / count(dispatched)",
                  _ratio("n_supervised", "n_dispatched"), "n_dispatched"),
        Indicator("avg_handling_hours", "平均办理时长 (自然小时)", "C",
                  "mean(finish_time − dispatch_time) over dispatched orders finished in P",
                  _ratio("sum_handling_h", "n_handling_timed"), "n_handling_timed", unit="hours"),
        Indicator("avg_handling_work_hours", "平均办理时长 (工作日小时)", "C",
                  "mean(working time between dispatch_time and finish_time) over dispatched orders finished "
                  "in P; only time on working days (ref_calendar, 法定节假日/调休) counts, 24 h per working day",
                  _ratio("sum_handling_work_h", "n_handling_timed"), "n_handling_timed", unit="hours"),
        Indicator("median_handling_hours", "办理时长中位数", "C", "median(finish_time − dispatch_time)",
                  "median_handling_h", "n_handling_timed", unit="hours"),
        Indicator("p90_handling_hours", "办理时长 P90", "C", "P90(finish_time − dispatch_time)",
                  "p90_handling_h", "n_handling_timed", unit="hours"),
        Indicator("avg_response_hours", "平均响应时长", "C",
                  "mean(first_contact_time − dispatch_time) over dispatched orders accepted in P",
                  _ratio("sum_response_h", "n_response_timed"), "n_response_timed", unit="hours"),
        # D. outcome
        Indicator("revisit_rate", "回访率", "D",
                  "|V_P| / count(orders finished in P that require a call-back: handling_path ∈ "
                  "{" + ", ".join(sorted(cfg.revisit_required_paths)) + "})",
                  _ratio("n_revisited", "n_revisit_required"), "n_revisit_required"),
        Indicator("valid_revisit_rate", "有效回访率 (回访核实率)", "D", "|E_P| / |V_P|",
                  _ratio("n_evaluable", "n_revisited"), "n_revisited"),
        Indicator("solve_rate", "解决率", "D",
                  f"(n_solved + α·n_partial) / |E_P| with α = {a}", _ratio(solve_num, "n_evaluable"),
                  "n_evaluable"),
        Indicator("satisfaction_rate", "满意率", "D",
                  f"count(o ∈ E_P : satisfaction_code ∈ {sat_set}) / count(o ∈ E_P : satisfaction_code ≠ 0) "
                  f"({'inclusive of 基本满意' if cfg.satisfaction_inclusive_basic else 'strict: 基本满意 not counted'})",
                  _ratio("n_satisfied", "n_sat_rated"), "n_sat_rated"),
        Indicator("satisfaction_score", "满意度得分 (0–100)", "D",
                  "mean(score(satisfaction_code)) over rated E_P, score "
                  + ", ".join(f"{k}→{v:g}" for k, v in sorted(cfg.satisfaction_scores.items(), reverse=True)),
                  _ratio("sum_sat_score", "n_sat_rated"), "n_sat_rated", unit="points"),
        Indicator("first_time_resolution_rate", "一次办结率", "D",
                  "count(o finished in P : dispatch_count = 1 ∧ return_count = 0 ∧ ¬reopen_flag ∧ no repeat "
                  f"demand by the same caller on the same L3 within {cfg.repeat_window_days} days after "
                  "finish_time) / count(dispatched orders finished in P)",
                  _ratio("n_first_time_resolved", "n_finished_dispatched"), "n_finished_dispatched",
                  note="denominator restricted to dispatched orders (the numerator requires dispatch_count = 1); "
                       "direct answers have their own variant; may rise/fall when later repeats arrive"),
        Indicator("direct_first_contact_resolution_rate", "直接答复一次解决率 (首呼解决率)", "D",
                  f"count(direct answers with no repeat in {cfg.direct_repeat_window_days} days) / "
                  "count(direct answers)", _ratio("n_direct_no_repeat", "n_direct"), "n_direct"),
        Indicator("reopen_rate", "重办率", "D", "count(reopen_flag) / count(orders finished in P)",
                  _ratio("n_reopened", "n_finished"), "n_finished"),
        # E. repeats and clusters
        Indicator("repeat_rate", "重复诉求率", "E",
                  "count(repeat orders) / N_acc; repeat = an earlier valid order by the same caller_phone_hash, "
                  f"same category_l3_code and community_code within {cfg.repeat_window_days} days",
                  _ratio("n_repeat", "n_acc"), "n_acc"),
        Indicator("cluster_concentration", "类案集中度", "E",
                  f"count(orders in case clusters of size ≥ {cfg.cluster_min_size}) / N_acc",
                  _ratio("n_clustered", "n_acc"), "n_acc"),
        Indicator("merge_rate", "并单率", "E", "count(status = '70') / N_acc", _ratio("n_merged", "n_acc"), "n_acc"),
        # G. (cell-level) risk share; the rest of G lives in ads_livelihood_sign / ads_anomaly_input
        Indicator("risk_share", "风险诉求占比", "G", "count(urgency ∈ {1,2} ∨ tag = '安全隐患') / N_acc",
                  _ratio("n_risk", "n_acc"), "n_acc"),
    ]
    rates = {i.name: i.sql for i in out}
    composite = (
        f"CASE WHEN n_signed > 0 AND n_evaluable > 0 AND n_sat_rated > 0 THEN 100 * ("
        f"{w.response} * ({rates['response_rate']}) + {w.solve} * ({rates['solve_rate']}) + "
        f"{w.satisfaction} * ({rates['satisfaction_rate']})) END"
    )
    out.append(Indicator(
        "three_rate_score", "三率综合得分", "F",
        f"100 · ({w.response}·响应率 + {w.solve}·解决率 + {w.satisfaction}·满意率); weights: {w.source}",
        composite, ("n_signed", "n_evaluable", "n_sat_rated"), unit="points",
        note="published only when each of its three rates is (so none can be solved for from the score)"))
    return out


def measure(name: str, cfg: IndicatorConfig) -> Measure:
    for m in measures(cfg):
        if m.name == name:
            return m
    raise KeyError(f"unknown measure {name}")
