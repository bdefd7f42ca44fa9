"""Headless Debian Chromium driven by selenium, shared by the UI checks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Without the background-networking flags Chromium keeps dialling hosts this closed network refuses.
BASE_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--window-size=1600,1000")


def headless_chromium(profile_dir: Path, headless: str = "--headless", extra: tuple[str, ...] = ()) -> Iterator:
    """Yield a selenium driver for a fresh Chromium profile in ``profile_dir``; quits it afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (headless, *BASE_FLAGS, *extra, f"--user-data-dir={profile_dir}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()
