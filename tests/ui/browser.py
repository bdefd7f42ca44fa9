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


def wait_for_text(driver, *texts: str, timeout: float = 120, failure_screenshot: Path | None = None) -> str:
    """Wait until the page's body shows every one of ``texts``; return the body's text.

    A page that is navigating has no ``body`` for a moment (right after a login click) and an element
    found may go stale; both are retried until ``timeout``. On a timeout the page is saved to
    ``failure_screenshot`` (when given) and the AssertionError shows what the page did show.
    """
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def body_text(d) -> str:
        try:
            return d.find_element(By.TAG_NAME, "body").text
        except (NoSuchElementException, StaleElementReferenceException):
            return ""

    try:
        WebDriverWait(driver, timeout).until(lambda d: all(t in body_text(d) for t in texts))
    except TimeoutException:
        if failure_screenshot is not None:
            failure_screenshot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(failure_screenshot))
        raise AssertionError(f"page never showed {list(texts)}; it shows:\n{body_text(driver)[:3000]}") from None
    return body_text(driver)
