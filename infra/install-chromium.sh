#!/usr/bin/env bash
# Headless Chromium + chromedriver from Debian for the UI checks (idempotent). Selenium (PyPI) drives
# /usr/bin/chromium through /usr/bin/chromedriver.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "[chromium] $(chromium --version 2>/dev/null) already installed"
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "[chromium] installing chromium and chromium-driver from Debian"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
echo "[chromium] $(chromium --version 2>/dev/null) installed"
