#!/usr/bin/env bash
# The metrics tests start Debian's Prometheus (and check the alert rules with its promtool) on
# 127.0.0.1. Installs it where it is missing and this shell may: as root with apt-get. Only the
# binaries are used: the tests start their own server; the package's service is not enabled.
# Elsewhere the Prometheus tests skip and say why, except under CI, where they fail.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian's prometheus for the metrics tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
else
  echo "note: prometheus is not installed (Debian/Ubuntu: apt-get install prometheus); the metrics tests will skip" >&2
fi
