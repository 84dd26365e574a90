#!/usr/bin/env bash
# The web UI tests drive Debian's Chromium through Playwright (the package's own browser
# download is never used). Installs it where it is missing and this shell may: as root with
# apt-get. Elsewhere the UI tests skip and say why, except under CI, where they fail.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian's chromium for the web UI tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "note: chromium is not installed (Debian/Ubuntu: apt-get install chromium); the web UI tests will skip" >&2
fi
