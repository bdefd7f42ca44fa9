"""A small client of Airflow's REST API (v2) for the demo: log in, wait for the DAGs, trigger, follow.

    python -m jobs.ops.airflow_api run DAG_ID --conf JSON [--logical-date ISO | --day D] [--run-id ID]

Base URL from ``AIRFLOW__API__BASE_URL``; user ``admin`` with the password in
``$AIRFLOW_HOME/admin-password`` (written by ``infra/airflow.sh``). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path


class Airflow:
    def __init__(self, base: str, user: str, password: str):
        self.base = base.rstrip("/")
        self.token = self._call("/auth/token", {"username": user, "password": password})["access_token"]

    def _call(self, path: str, body: dict | None = None, method: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, method=method or ("POST" if body is not None else "GET"),
                                     data=json.dumps(body).encode() if body is not None else None, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"Airflow API {req.method} {path}: {exc.code} {exc.read()[:500]!r}") from None

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while True:
            known = {d["dag_id"] for d in self._call("/api/v2/dags?limit=100")["dags"]}
            if set(dag_ids) <= known:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"Airflow did not parse {sorted(set(dag_ids) - known)} in {timeout:.0f} s")
            time.sleep(5)

    def unpause(self, dag_id: str) -> None:
        self._call(f"/api/v2/dags/{dag_id}", {"is_paused": False}, method="PATCH")

    def trigger(self, dag_id: str, conf: dict, logical_date: str | None, run_id: str | None,
                interval: tuple[str, str] | None = None) -> str:
        """Trigger a run; ``interval`` (start, end) sets its data interval explicitly."""
        body = {"conf": conf, "logical_date": logical_date}
        if interval:
            body["data_interval_start"], body["data_interval_end"] = interval
        if run_id:
            body["dag_run_id"] = run_id
        return self._call(f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def fail_stale_runs(self, dag_id: str, before: str) -> list[str]:
        """Mark the runs of ``dag_id`` still queued or running that were created before ``before`` failed.

        A demo interrupted mid-run leaves its run "running" in the metadata DB; the next demo (on a fresh
        lake) would otherwise wait behind it (``max_active_runs``) while its tasks retry against data
        that is gone.
        """
        runs = self._call(f"/api/v2/dags/{dag_id}/dagRuns?limit=100&state=running&state=queued")["dag_runs"]
        cut = datetime.fromisoformat(before)
        stale = [r["dag_run_id"] for r in runs if datetime.fromisoformat(r["run_after"]) < cut]
        for run_id in stale:
            self._call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", {"state": "failed"}, method="PATCH")
            print(f"[demo] marked the stale {dag_id} run {run_id} (from an earlier, interrupted demo) failed",
                  flush=True)
        return stale

    def wait_scheduled_run(self, dag_id: str, day: str, timeout: float = 900) -> str:
        """The run id of the scheduler-created run whose data interval starts on city day ``day``."""
        from jobs.ops.days import interval_days

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self._call(f"/api/v2/dags/{dag_id}/dagRuns?limit=50&order_by=-run_after")["dag_runs"]
            for r in runs:
                if r.get("data_interval_start") and r.get("data_interval_end"):
                    first, _ = interval_days(datetime.fromisoformat(r["data_interval_start"]),
                                             datetime.fromisoformat(r["data_interval_end"]))
                    if str(first) == day:
                        return r["dag_run_id"]
            time.sleep(5)
        raise TimeoutError(f"the scheduler created no {dag_id} run for {day} in {timeout:.0f} s")

    def rerun_if_finished_before(self, dag_id: str, run_id: str, since: str) -> None:
        """Clear a run that already finished before ``since`` (ISO time) so that it runs again.

        A second demo on the same day finds the scheduler's run for yesterday already done — on the
        lake the demo has just replaced — and must not report that old outcome as today's.
        """
        run = self._call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        ended = run.get("end_date")
        if run["state"] in ("success", "failed") and ended and datetime.fromisoformat(ended) < datetime.fromisoformat(since):
            print(f"[demo] {dag_id} run {run_id} finished earlier ({run['state']}): clearing it to run again", flush=True)
            self._call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/clear", {"dry_run": False})

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        tis = self._call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
        return {t["task_id"]: t["state"] for t in tis}

    def run_report(self, dag_id: str, run_id: str) -> dict:
        """The run's state, times and each task's state and duration (seconds), as the API reports them."""
        run = self._call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        tis = self._call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
        return {
            "dag_id": dag_id, "run_id": run_id, "state": run["state"],
            "data_interval_start": run.get("data_interval_start"), "data_interval_end": run.get("data_interval_end"),
            "start_date": run.get("start_date"), "end_date": run.get("end_date"),
            "tasks": {t["task_id"]: {"state": t["state"], "start_date": t.get("start_date"),
                                     "end_date": t.get("end_date"), "duration_s": t.get("duration"),
                                     "try_number": t.get("try_number")} for t in tis},
        }

    def follow(self, dag_id: str, run_id: str, timeout: float = 6 * 3600) -> str:
        deadline, last = time.monotonic() + timeout, None
        started = time.monotonic()
        while time.monotonic() < deadline:
            state = self._call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            tis = self.task_states(dag_id, run_id)
            line = ", ".join(f"{k}={v}" for k, v in sorted(tis.items()))
            if line != last:
                print(f"[demo] {time.monotonic() - started:6.0f}s {dag_id} {state}: {line}", flush=True)
                last = line
            if state in ("success", "failed"):
                return state
            time.sleep(10)
        raise TimeoutError(f"{dag_id} run {run_id} did not finish in {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="airflow_api")
    p.add_argument("action", choices=["run", "scheduled", "fail-stale"],
                   help="run: trigger a run and follow it; scheduled: unpause and follow the run the "
                        "scheduler creates for --day; fail-stale: only mark the DAG's runs still queued/running "
                        "from before now failed (an interrupted demo's runs must not resume on a fresh lake)")
    p.add_argument("dag_id")
    p.add_argument("--conf", default="{}")
    p.add_argument("--logical-date")
    p.add_argument("--run-id")
    p.add_argument("--day", help="city day (YYYY-MM-DD): scheduled: the scheduler's run to follow; run: trigger "
                                 "a manual run now for that day's data interval (Airflow 3 never starts a run "
                                 "whose logical date is in the future, so a day whose interval has not ended "
                                 "yet can only run this way)")
    p.add_argument("--report", help="write the finished run's state and per-task durations here (JSON)")
    p.add_argument("--fail-stale", action="store_true",
                   help="first mark runs of the DAG still queued/running from before now failed (a fresh lake)")
    a = p.parse_args(argv)
    home = Path(os.environ["AIRFLOW_HOME"])
    api = Airflow(os.environ.get("AIRFLOW__API__BASE_URL", "http://127.0.0.1:8080"), "admin",
                  (home / "admin-password").read_text().strip())
    started = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    api.wait_for_dags([a.dag_id])
    if a.fail_stale or a.action == "fail-stale":
        api.fail_stale_runs(a.dag_id, started)
    if a.action == "fail-stale":
        return 0
    api.unpause(a.dag_id)
    if a.action == "scheduled":
        run_id = api.wait_scheduled_run(a.dag_id, a.day)
        api.rerun_if_finished_before(a.dag_id, run_id, started)
    else:
        interval, logical_date = None, a.logical_date
        if a.day:
            from jobs.ops.days import day_interval

            interval = tuple(t.isoformat() for t in day_interval(a.day))
            logical_date = logical_date or started
        run_id = api.trigger(a.dag_id, json.loads(a.conf), logical_date, a.run_id, interval)
    state = api.follow(a.dag_id, run_id)
    print(f"[demo] {a.dag_id} run {run_id}: {state}")
    if a.report:
        Path(a.report).parent.mkdir(parents=True, exist_ok=True)
        Path(a.report).write_text(json.dumps(api.run_report(a.dag_id, run_id), indent=1, ensure_ascii=False) + "\n")
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
