"""Data quality: declarative rules (``rules.yaml``) evaluated per batch day into ``dq_results``, and a gate.

Each table's rules compile to Spark column expressions evaluated in **one aggregation per table**
(grouped by batch day), so the numbers that the gate and ``dq_results`` report — rows checked, rows
failed, pass rate — cost one scan. See docs/quality.md for why this and not a validation library.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common import delta
from jobs.common.catalogue import Catalogue
from jobs.common.config import Settings
from jobs.common.session import get_spark

log = logging.getLogger(__name__)
RULES_FILE = Path(__file__).resolve().parent / "rules.yaml"
KINDS = ("completeness", "validity", "consistency", "timeliness", "uniqueness")
RESULT_DDL = ("table_name string, rule_id string, kind string, batch_date date, rows_checked long, rows_failed long, "
              "pass_rate double, threshold double, passed boolean, description string")


class QualityGateError(RuntimeError):
    """A rule's pass rate fell below its threshold; downstream steps must not run."""

    def __init__(self, failures: list[dict]):
        self.failures = failures
        lines = [f"rule {f['rule_id']} on {f['table_name']} for {f['batch_date']}: {f['rows_failed']} of "
                 f"{f['rows_checked']} failed (pass rate {f['pass_rate']:.2%} < threshold {f['threshold']:.2%})"
                 + (f" — {f['description']}" if f.get("description") else "")
                 for f in failures]
        super().__init__("data-quality gate closed — " + "; ".join(lines))


@dataclass(frozen=True)
class Rule:
    id: str
    table: str
    kind: str
    threshold: float
    description: str = ""
    check: str | None = None
    where: str | None = None
    in_codelist: dict | None = None
    unique: tuple[str, ...] = ()
    ratio: dict | None = None


@dataclass
class TableRules:
    table: str
    batch_column: str
    rules: list[Rule] = field(default_factory=list)


def load_rules(path: Path = RULES_FILE) -> dict[str, TableRules]:
    """Parse and check the rule file (unknown kinds, missing forms, duplicate ids are errors)."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    out: dict[str, TableRules] = {}
    seen: set[str] = set()
    for table, spec in data["tables"].items():
        tr = TableRules(table, spec["batch_column"])
        for r in spec["rules"]:
            rule = Rule(id=r["id"], table=table, kind=r["kind"], threshold=float(r["threshold"]),
                        description=r.get("description", ""), check=r.get("check"), where=r.get("where"),
                        in_codelist=r.get("in_codelist"), unique=tuple(r.get("unique", ())), ratio=r.get("ratio"))
            forms = [x for x in (rule.check, rule.in_codelist, rule.unique, rule.ratio) if x]
            if rule.kind not in KINDS or len(forms) != 1 or rule.id in seen or not 0 <= rule.threshold <= 1:
                raise ValueError(f"{path.name}: rule {rule.id} of {table} is malformed (kind {rule.kind!r}, "
                                 f"{len(forms)} forms, threshold {rule.threshold}, duplicate={rule.id in seen})")
            seen.add(rule.id)
            tr.rules.append(rule)
        out[table] = tr
    return out


def _ok_expr(rule: Rule, codelists: dict[str, list[str]]) -> Column:
    if rule.check:
        return F.coalesce(F.expr(rule.check), F.lit(False))
    c = F.col(rule.in_codelist["column"])
    return c.isNull() | c.isin(codelists[rule.in_codelist["codelist"]])


def evaluate(df: DataFrame, tr: TableRules, codelists: dict[str, list[str]]) -> DataFrame:
    """``dq_results`` rows for every rule of a table and every batch day in ``df`` (pure)."""
    b = tr.batch_column
    aggs: list[Column] = []
    for r in tr.rules:
        scope = F.expr(r.where) if r.where else F.lit(True)
        if r.unique:
            # rows in scope whose key is complete (a missing key is completeness' business, not a duplicate)
            keyed = scope
            for c in r.unique:
                keyed = keyed & F.col(c).isNotNull()
            checked = F.count(F.when(keyed, F.lit(1)))
            failed = checked - F.count_distinct(*[F.when(keyed, F.col(c)) for c in r.unique])
        elif r.ratio:
            checked = F.coalesce(F.sum(F.when(scope, F.col(r.ratio["total"]))), F.lit(0))
            failed = checked - F.coalesce(F.sum(F.when(scope, F.col(r.ratio["good"]))), F.lit(0))
        else:
            checked = F.count(F.when(scope, F.lit(1)))
            failed = F.count(F.when(scope & ~_ok_expr(r, codelists), F.lit(1)))
        aggs.append(F.struct(F.lit(r.id).alias("rule_id"), F.lit(r.kind).alias("kind"),
                             checked.cast("long").alias("rows_checked"), failed.cast("long").alias("rows_failed"),
                             F.lit(r.threshold).alias("threshold"), F.lit(r.description).alias("description")))
    per_batch = df.groupBy(F.col(b).alias("batch_date")).agg(F.array(*aggs).alias("_r"))
    rows = per_batch.select("batch_date", F.explode("_r").alias("r")).select("batch_date", "r.*")
    rate = F.when(F.col("rows_checked") > 0, 1 - F.col("rows_failed") / F.col("rows_checked")).otherwise(F.lit(1.0))
    return rows.select(F.lit(tr.table).alias("table_name"), "rule_id", "kind", F.col("batch_date").cast("date"),
                       "rows_checked", "rows_failed", rate.alias("pass_rate"), "threshold",
                       (rate >= F.col("threshold") - 1e-12).alias("passed"), "description")


def _codelists(spark: SparkSession, cat: Catalogue) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in cat.read(spark, "ref_codelist").select("codelist", "code").distinct().collect():
        out.setdefault(r[0], []).append(r[1])
    return out


def gate(results: list[dict]) -> None:
    """Raise ``QualityGateError`` for every failed rule (the message names rule and numbers)."""
    failures = sorted((r for r in results if not r["passed"]), key=lambda r: (r["table_name"], r["rule_id"],
                                                                              str(r["batch_date"])))
    if failures:
        raise QualityGateError(failures)


def run(date_from: dt.date, date_to: dt.date, settings: Settings | None = None) -> dict:
    """Evaluate every rule for the batch days in range, store them in ``dq_results``, then gate.

    Raises:
        QualityGateError: a rule's pass rate is below its threshold.
    """
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-quality")
    codelists = _codelists(spark, cat)
    frames = []
    for table, tr in load_rules().items():
        if not cat.exists(spark, table):
            log.warning("quality: table %s does not exist yet; its rules are skipped", table)
            continue
        df = cat.read(spark, table).filter(F.col(tr.batch_column).between(F.lit(date_from), F.lit(date_to)))
        frames.append(evaluate(df, tr, codelists))
    if not frames:
        return {"rules_evaluated": 0, "failed": 0}
    res = frames[0]
    for f in frames[1:]:
        res = res.unionByName(f)
    rows = [r.asDict() for r in res.collect()]
    if rows:
        out = spark.createDataFrame([tuple(r[c.split()[0]] for c in RESULT_DDL.split(", ")) for r in rows], RESULT_DDL)
        part = f"t.batch_date BETWEEN DATE'{date_from.isoformat()}' AND DATE'{date_to.isoformat()}'"
        cols = [c.split()[0] for c in RESULT_DDL.split(", ")]
        same = " AND ".join(f"t.`{c}` <=> s.`{c}`" for c in cols)
        delta.merge(out, cat, "dq_results", partition_filter=part, update_condition=f"NOT ({same})")
    summary = {"rules_evaluated": len(rows), "failed": sum(not r["passed"] for r in rows),
               "version": delta.current_version(spark, cat, "dq_results") if rows else None}
    log.info("quality: %s", summary)
    gate(rows)
    return summary
