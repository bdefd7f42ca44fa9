#!/usr/bin/env bash
# `make check-ui`: the UIs checked as a person would, in headless Chromium (tests/ui/). Installs
# Chromium + chromedriver from Debian when missing; each test starts and stops its own server on
# 127.0.0.1. Screenshots are kept in var/artifacts/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash infra/install-chromium.sh
mkdir -p var/artifacts
export MINSHENG_PROFILE="${MINSHENG_PROFILE:-test}" SPARK_LOCAL_IP=127.0.0.1
.venv/bin/python -m pytest -q -p no:cacheprovider tests/ui "$@"
echo "[check-ui] screenshots: $(ls var/artifacts/*.png 2>/dev/null | tr '\n' ' ')"
