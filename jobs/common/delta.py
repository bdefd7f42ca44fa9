"""Helpers for the common Delta operations, always addressed by catalogue table name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs.common.catalogue import Catalogue

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

#: VACUUM never goes below Delta's own default retention unless a caller insists (tests).
SAFE_RETENTION_HOURS = 168


def ensure_table(spark: SparkSession, cat: Catalogue, name: str, schema: StructType) -> DeltaTable:
    """Create the Delta table if it is missing, with its partitioning and table properties."""
    from delta.tables import DeltaTable

    spec = cat.spec(name)
    if not spec.is_delta:
        raise ValueError(f"Table {name} is {spec.format}, not Delta")
    builder = DeltaTable.createIfNotExists(spark).location(cat.location(name)).addColumns(schema)
    if spec.partition_by:
        builder = builder.partitionedBy(*spec.partition_by)
    for key, value in spec.table_properties().items():
        builder = builder.property(key, value)
    if spec.description:
        builder = builder.comment(spec.description)
    return builder.execute()


def table(spark: SparkSession, cat: Catalogue, name: str) -> DeltaTable:
    from delta.tables import DeltaTable

    return DeltaTable.forPath(spark, cat.location(name))


def reconcile_properties(spark: SparkSession, cat: Catalogue, name: str, loaded: DeltaTable | None = None
                         ) -> dict[str, str]:
    """Set the ``delta.*`` table properties the catalogue declares but an existing table lacks.

    A table created before a property was declared (e.g. the change data feed of silver and gold)
    gets it on its owner's next write, inside that step — no separate migration. ``loaded`` is the
    table when the caller has it already. Returns what was set.
    """
    declared = {k: v for k, v in cat.spec(name).table_properties().items() if k.startswith("delta.")}
    if not declared:
        return {}
    current = (loaded or table(spark, cat, name)).detail().select("properties").first()[0] or {}
    missing = {k: v for k, v in declared.items() if current.get(k) != v}
    if missing:
        assignments = ", ".join(f"'{k}' = '{v}'" for k, v in sorted(missing.items()))
        spark.sql(f"ALTER TABLE delta.`{cat.location(name)}` SET TBLPROPERTIES ({assignments})")
    return missing


def _conform(df: DataFrame, spark: SparkSession, cat: Catalogue, name: str) -> DataFrame:
    """Create the table from ``df``'s schema when missing (else bring its declared ``delta.*`` properties up
    to date), then order columns as the table has them."""
    if not cat.exists(spark, name):
        target_cols = ensure_table(spark, cat, name, df.schema).toDF().columns
    else:
        existing = table(spark, cat, name)  # loaded once: a property change leaves the columns as they are
        reconcile_properties(spark, cat, name, existing)
        target_cols = existing.toDF().columns
    missing = [c for c in target_cols if c not in df.columns]
    extra = [c for c in df.columns if c not in target_cols]
    if missing or extra:
        raise ValueError(f"Schema mismatch writing {name}: missing {missing}, unexpected {extra}")
    return df.select(*target_cols)


def append(df: DataFrame, cat: Catalogue, name: str) -> None:
    spark = df.sparkSession
    _conform(df, spark, cat, name).write.format("delta").mode("append").save(cat.location(name))


def overwrite(df: DataFrame, cat: Catalogue, name: str, replace_where: str | None = None) -> None:
    """Overwrite a table, or only the rows matching ``replace_where`` (a partition predicate)."""
    spark = df.sparkSession
    writer = _conform(df, spark, cat, name).write.format("delta").mode("overwrite")
    if replace_where:
        writer = writer.option("replaceWhere", replace_where)
    writer.save(cat.location(name))


def merge(
    df: DataFrame,
    cat: Catalogue,
    name: str,
    keys: tuple[str, ...] | list[str] | None = None,
    partition_filter: str | None = None,
    update_condition: str | None = None,
    delete_missing_in_partition: bool = False,
    delete_condition: str | None = None,
) -> dict[str, int]:
    """Upsert ``df`` into the table by its keys.

    Args:
        keys: match columns (default: the catalogue's keys for the table).
        partition_filter: predicate on the *target* (``t.``-qualified) that names the partitions
            touched, so concurrent writers of other partitions do not conflict.
        update_condition: only update a matched row when this holds (e.g. newer event time).
        delete_missing_in_partition: delete target rows in ``partition_filter`` that ``df`` lacks.
        delete_condition: with ``delete_missing_in_partition``, delete only the missing rows that meet
            this (``t.``-qualified) predicate instead of all of ``partition_filter``.

    Returns:
        Delta's operation metrics for the merge (rows inserted/updated/deleted).
    """
    spark = df.sparkSession
    keys = tuple(keys or cat.spec(name).keys)
    if not keys:
        raise ValueError(f"merge into {name} needs keys (none given and none in the catalogue)")
    source = _conform(df, spark, cat, name)
    cond = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
    if partition_filter:
        cond = f"({partition_filter}) AND {cond}"
    builder = (
        table(spark, cat, name)
        .alias("t")
        .merge(source.alias("s"), cond)
        .whenMatchedUpdateAll(condition=update_condition)
        .whenNotMatchedInsertAll()
    )
    if delete_missing_in_partition:
        builder = builder.whenNotMatchedBySourceDelete(condition=delete_condition or partition_filter)
    builder.execute()
    return last_operation_metrics(spark, cat, name)


def last_operation_metrics(spark: SparkSession, cat: Catalogue, name: str) -> dict[str, int]:
    row = table(spark, cat, name).history(1).select("operationMetrics").first()
    return {k: int(v) for k, v in (row["operationMetrics"] or {}).items() if v.isdigit()}


def current_version(spark: SparkSession, cat: Catalogue, name: str) -> int:
    return int(table(spark, cat, name).history(1).select("version").first()["version"])


def read_version(spark: SparkSession, cat: Catalogue, name: str, version: int) -> DataFrame:
    """Time travel: the table as it was at ``version``."""
    return cat.read(spark, name, version=version)


def optimize(spark: SparkSession, cat: Catalogue, name: str, zorder_by: tuple[str, ...] = ()) -> dict[str, int]:
    """Compact small files (and Z-order by the given columns)."""
    opt = table(spark, cat, name).optimize()
    result = opt.executeZOrderBy(*zorder_by) if zorder_by else opt.executeCompaction()
    metrics = result.select("metrics.numFilesAdded", "metrics.numFilesRemoved").first()
    return {"files_added": int(metrics[0]), "files_removed": int(metrics[1])}


def vacuum(
    spark: SparkSession, cat: Catalogue, name: str, retention_hours: int = SAFE_RETENTION_HOURS,
    allow_unsafe: bool = False,
) -> None:
    """Remove files no longer referenced. Below the safe retention only when ``allow_unsafe``."""
    if retention_hours < SAFE_RETENTION_HOURS and not allow_unsafe:
        raise ValueError(
            f"VACUUM {name} with {retention_hours} h would break time travel and concurrent readers; "
            f"the safe minimum is {SAFE_RETENTION_HOURS} h"
        )
    table(spark, cat, name).vacuum(retention_hours)
