"""`minsheng reference load`: the reviewable reference files → ``ref_*`` Delta tables.

Idempotent: a table whose content is already identical is not rewritten, so reloading adds no
Delta version; a changed file replaces the table's content in one commit.
"""

from __future__ import annotations

import logging

from jobs.common import delta
from jobs.common.catalogue import Catalogue
from jobs.common.session import get_spark
from jobs.reference.tables import all_tables

log = logging.getLogger(__name__)


def load_reference(spark, cat: Catalogue) -> dict[str, str]:
    """Load every reference table; returns table → 'created' | 'replaced' | 'unchanged'."""
    s = cat.settings
    outcome: dict[str, str] = {}
    for name, frame in all_tables(s.calendar_first_year, s.calendar_last_year).items():
        df = spark.createDataFrame(frame)
        if not cat.exists(spark, name):
            delta.overwrite(df, cat, name)
            outcome[name] = "created"
        else:
            current = cat.read(spark, name)
            same_schema = [f.name for f in current.schema] == df.columns
            if same_schema and current.exceptAll(df.select(*current.columns)).isEmpty() and \
                    df.exceptAll(current.select(*df.columns)).isEmpty():
                outcome[name] = "unchanged"
                continue
            df.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(cat.location(name))
            outcome[name] = "replaced"
        log.info("reference table %s: %s (%d rows)", name, outcome[name], len(frame))
    return outcome


def run(settings=None) -> dict[str, str]:
    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-reference-load")
    return load_reference(spark, cat)
