"""The one table catalogue: every table by name, with its location per profile.

Jobs ask the catalogue for a table by name; a transform never sees a path. Entries live in
``tables/*.yaml`` beside this module, one file per owning step (one line per table: layer, format,
grade, owner, keys, partitioning, description).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from jobs.common.config import Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TABLES_DIR = Path(__file__).resolve().parent / "tables"
LAKE_LAYERS = ("bronze", "silver", "gold", "ref", "ops")
LAYERS = ("landing", "ground_truth", *LAKE_LAYERS)
GRADES = ("sensitive", "internal", "general")
#: layers whose Delta tables record a change data feed: the PII scanner (``jobs.privacy``) reads only
#: the rows written since its last clean scan of a table, so a day's scan does not grow with the history
CHANGE_FEED_LAYERS = ("silver", "gold")


class UnknownTableError(KeyError):
    """Raised for a table name the catalogue does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


@dataclass(frozen=True)
class TableSpec:
    """What the catalogue knows about one table."""

    name: str
    layer: str
    grade: str
    owner: str
    description: str
    format: str = "delta"
    keys: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def is_delta(self) -> bool:
        return self.format == "delta"

    def table_properties(self) -> dict[str, str]:
        """Delta table properties every table carries (its data grade above all)."""
        props = {
            "minsheng.layer": self.layer,
            "minsheng.data_grade": self.grade,
            "minsheng.owner": self.owner,
            "minsheng.description": self.description,
        }
        if self.layer in CHANGE_FEED_LAYERS:
            props["delta.enableChangeDataFeed"] = "true"
        props.update(self.properties)
        return props


def _load_specs(folder: Path = TABLES_DIR) -> dict[str, TableSpec]:
    raw: dict[str, dict] = {}
    origin: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            for name, entry in (yaml.safe_load(fh) or {}).items():
                if name in raw:
                    raise ValueError(f"table {name} is defined twice: {origin[name]} and {path.name}")
                raw[name], origin[name] = entry, path.name
    specs: dict[str, TableSpec] = {}
    for name, entry in raw.items():
        layer = entry["layer"]
        grade = entry["grade"]
        if layer not in LAYERS:
            raise ValueError(f"{origin[name]}: table {name} has unknown layer {layer!r}")
        if grade not in GRADES:
            raise ValueError(f"{origin[name]}: table {name} has unknown grade {grade!r}")
        specs[name] = TableSpec(
            name=name,
            layer=layer,
            grade=grade,
            owner=entry["owner"],
            description=entry.get("description", ""),
            format=entry.get("format", "delta"),
            keys=tuple(entry.get("keys", ())),
            partition_by=tuple(entry.get("partition_by", ())),
            properties={str(k): str(v) for k, v in (entry.get("properties") or {}).items()},
        )
    return specs


class Catalogue:
    """Table names → specs and locations for one profile."""

    def __init__(self, settings: Settings | None = None, specs: dict[str, TableSpec] | None = None):
        self.settings = settings or load_settings()
        self._specs = specs if specs is not None else _load_specs()

    def names(self, layer: str | None = None) -> list[str]:
        return sorted(n for n, s in self._specs.items() if layer is None or s.layer == layer)

    def spec(self, name: str) -> TableSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownTableError(
                f"Unknown table '{name}': it is not in the catalogue (jobs/common/tables/*.yaml). "
                f"Known tables: {', '.join(sorted(self._specs))}"
            ) from None

    def location(self, name: str) -> str:
        spec = self.spec(name)
        s = self.settings
        if spec.layer == "landing":
            return f"{s.landing_uri}/{name.removeprefix('landing_')}"
        if spec.layer == "ground_truth":
            return f"{s.ground_truth_uri}/{name.removeprefix('gt_')}"
        return f"{s.lake_uri}/{spec.layer}/{name}"

    # -- reading ---------------------------------------------------------------------------------
    def exists(self, spark: SparkSession, name: str) -> bool:
        from delta.tables import DeltaTable

        spec = self.spec(name)
        if spec.is_delta:
            return DeltaTable.isDeltaTable(spark, self.location(name))
        jvm = spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(self.location(name))
        fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        if not fs.exists(path):
            return False
        # A file table exists when it holds a data file: a run that wrote no rows (e.g. a small city
        # without planted incidents) leaves only _SUCCESS markers, which Spark cannot read a schema from.
        files = fs.listFiles(path, True)
        while files.hasNext():
            if not files.next().getPath().getName().startswith(("_", ".")):
                return True
        return False

    def read(self, spark: SparkSession, name: str, version: int | None = None) -> DataFrame:
        """Read a table by name (a Delta table optionally at a version: time travel)."""
        spec = self.spec(name)
        reader = spark.read.format(spec.format)
        if version is not None:
            if not spec.is_delta:
                raise ValueError(f"Table {name} is {spec.format}, not Delta: no time travel")
            reader = reader.option("versionAsOf", version)
        return reader.load(self.location(name))

    def read_changes(self, spark: SparkSession, name: str, start_version: int, end_version: int) -> DataFrame:
        """The rows a Delta table's commits ``start_version..end_version`` wrote (its change data feed).

        Inserted rows and the new images of updated rows, without Delta's ``_change_type`` /
        ``_commit_version`` / ``_commit_timestamp`` columns. Fails (Delta's ``DELTA_MISSING_CHANGE_DATA``)
        when a commit in the range was written without the change feed enabled.
        """
        from pyspark.sql import functions as F

        spec = self.spec(name)
        if not spec.is_delta:
            raise ValueError(f"Table {name} is {spec.format}, not Delta: no change data feed")
        changes = (spark.read.format("delta").option("readChangeFeed", "true")
                   .option("startingVersion", start_version).option("endingVersion", end_version)
                   .load(self.location(name)))
        return (changes.filter(F.col("_change_type").isin("insert", "update_postimage"))
                .drop("_change_type", "_commit_version", "_commit_timestamp"))
