"""Run a child process and measure it: wall seconds and the peak resident set of its process tree.

Shared by the benchmarks that run a step in a process of its own (a driver, as an Airflow task
would), so that its JVM and Python workers are counted together.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Measured:
    returncode: int
    stdout: str
    wall_seconds: float
    peak_rss_bytes: int


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (a driver JVM and its Python workers)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run_measured(cmd: list[str], *, env: dict[str, str], cwd: str, interval: float = 0.5,
                 on_line: Callable[[str, int], None] | None = None) -> Measured:
    """Run ``cmd`` to completion (stderr passes through), sampling its tree's RSS every ``interval`` s.

    ``on_line`` is called with each line of the child's stdout as it arrives and the peak RSS so far
    (a long run can report progress that the caller keeps even if the run is stopped later).
    """
    t0 = time.time()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(ps))
            time.sleep(interval)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if on_line is not None:
            on_line(line.rstrip("\n"), peak[0])
    proc.wait()
    wall = time.time() - t0
    th.join()
    return Measured(proc.returncode, "".join(lines), round(wall, 1), peak[0])


def stats_line(stdout: str, prefix: str = "STATS ") -> dict:
    """The JSON a benchmark child prints on its ``STATS `` line (the last thing it reports)."""
    return json.loads(next(line for line in stdout.splitlines() if line.startswith(prefix))[len(prefix):])
