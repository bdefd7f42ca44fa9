"""Render an HTML file with headless Debian Chromium (PNG screenshot, PDF)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                  "--hide-scrollbars", "--disable-dev-shm-usage")


class ChromiumMissingError(RuntimeError):
    """No Chromium to render the report with."""


def chromium_path() -> str:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name) if not name.startswith("/") else (name if Path(name).exists() else None)
        if found:
            return found
    raise ChromiumMissingError("Chromium not found: install Debian's chromium (apt-get install chromium)")


def _chromium(args: list[str], timeout: int) -> None:
    with tempfile.TemporaryDirectory(prefix="minsheng-chromium-") as profile:
        cmd = [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")


def screenshot(html: Path, png: Path, width: int = 1200, height: int = 2200, timeout: int = 180) -> Path:
    """A PNG of the page (first ``height`` pixels)."""
    _chromium([f"--screenshot={png}", f"--window-size={width},{height}", html.resolve().as_uri()], timeout)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot to {png}")
    return png


def pdf(html: Path, out: Path, timeout: int = 180) -> Path:
    """The page printed to PDF."""
    _chromium(["--no-pdf-header-footer", f"--print-to-pdf={out}", html.resolve().as_uri()], timeout)
    if not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no PDF to {out}")
    return out
