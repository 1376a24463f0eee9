#!/usr/bin/env bash
# Install headless Chromium from Debian's own packages for the pack's browser test
# (tests/integration/test_pack_browser.py). Idempotent: does nothing when a Chromium is on PATH.
# Needs root (CI containers run as root); prints what to do otherwise.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then
    echo "install-chromium: $b already installed ($(command -v "$b"))"; exit 0
  fi
done
if [ "$(id -u)" != "0" ]; then
  SUDO=sudo
  command -v sudo >/dev/null 2>&1 || { echo "install-chromium: not root and no sudo; run as root:" \
    "apt-get update && apt-get install -y --no-install-recommends chromium" >&2; exit 1; }
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "install-chromium: installed $(chromium --version 2>/dev/null || echo chromium)"
