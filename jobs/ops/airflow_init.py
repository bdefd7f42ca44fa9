"""Prepare an Airflow metadata DB for minsheng in one process (Airflow's CLI costs ~15 s a call here).

Idempotent: migrates only when the DB is not at the code's Alembic head, then sets the writer pools
(one slot each) and the ``minsheng_spark`` connection of the cluster profile. The ``AIRFLOW__*``
environment must be set before this runs (``infra/airflow.sh init``; the DAG tests' conftest).
"""

from __future__ import annotations

import json
import logging

from jobs.ops.plan import all_pools

log = logging.getLogger("minsheng.ops")


def migrate_if_needed() -> bool:
    """Migrate the metadata DB unless it is already at head; True when it migrated."""
    from airflow.utils import db
    from airflow.utils.session import create_session

    try:
        from alembic.script import ScriptDirectory

        heads = set(ScriptDirectory.from_config(db._get_alembic_config()).get_heads())
        with create_session() as session:
            current = db._get_current_revision(session)
        if current in heads:
            return False
    except Exception:  # unknown state: let Airflow decide
        log.debug("could not read the DB revision; migrating", exc_info=True)
    db.upgradedb()
    return True


def ensure_pools() -> list[str]:
    from airflow.models.pool import Pool

    names = all_pools()
    for name in names:
        Pool.create_or_update_pool(name, 1, f"one writer at a time for the Delta tables of {name}", False)
    return names


def ensure_spark_connection(master: str, conn_id: str = "minsheng_spark") -> None:
    """The connection SparkSubmitOperator uses: a standalone master, client deploy mode."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    host, _, port = master.rpartition(":")
    with create_session() as session:
        conn = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
        if conn is None:
            conn = Connection(conn_id=conn_id)
            session.add(conn)
        conn.conn_type = "spark"
        conn.host = host
        conn.port = int(port)
        conn.set_extra(json.dumps({"deploy-mode": "client", "spark-binary": "spark-submit"}))


def main() -> int:
    from jobs.common.config import load_settings

    logging.basicConfig(level=logging.INFO, format="[airflow] %(message)s")
    migrated = migrate_if_needed()
    pools = ensure_pools()
    master = load_settings("cluster").spark_master
    ensure_spark_connection(master)
    print(f"[airflow] metadata DB {'migrated' if migrated else 'already at head'}; "
          f"pools (1 slot each): {', '.join(pools)}; connection minsheng_spark -> {master}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
