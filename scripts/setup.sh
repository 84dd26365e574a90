#!/usr/bin/env bash
# Prepares a fresh checkout: checks Python 3.11 (or 3.12), creates .venv, installs the
# package at the versions in constraints.txt (the image installs the same ones), and makes the
# local Dagster instance. Idempotent: a second call with unchanged pyproject.toml and
# constraints.txt installs nothing.
#   bash scripts/setup.sh            what the main job needs (the embedded Sail engine: no Java)
#   bash scripts/setup.sh --tests    also the test and benchmark extras, and checks Java 17
#                                    (the tests' JVM parity engine and the cluster script)
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
case "${1:-}" in
  "") ;;
  --tests) extras="dev,bench" ;;
  *) echo "usage: bash scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

# 3.11 first: CI and the image run it; the lock installs on 3.12 as well. HEALTHCARE_DATAOPS_PYTHON
# names another interpreter of those versions.
python_bin=""
for candidate in ${HEALTHCARE_DATAOPS_PYTHON:-} python3.11 python3.12 python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12)) else 1)' 2>/dev/null; then
    python_bin=$(command -v "$candidate"); break
  fi
done
if [ -z "$python_bin" ]; then
  echo "error: Python 3.11 or 3.12 is required (python3.11 or python3.12 on PATH); none was found." >&2
  exit 1
fi

if [ -n "$extras" ]; then
if ! command -v java >/dev/null 2>&1; then
  echo "error: Java 17 is required and 'java' is not on PATH." >&2
  echo "       The JVM Spark engine (parity tests, cluster mode) needs it." >&2
  echo "       Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17" >&2
  exit 1
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
if [ "${java_major:-0}" -lt 17 ]; then
  echo "error: Java 17 or newer is required; 'java' is version ${java_major:-unknown}." >&2
  exit 1
fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi
# Either file changing means a different set of packages: the stamp names both hashes, and
# the extras installed. An install with the extras serves the main job too.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$(sha256sum constraints.txt | cut -c1-16)"
with_tests="$stamp-dev,bench"
wanted="$stamp${extras:+-$extras}"
if [ ! -f "$wanted" ] && { [ -n "$extras" ] || [ ! -f "$with_tests" ]; }; then
  echo "==> installing healthcare-dataops${extras:+ with its $extras extras} and the pinned dependencies (a few minutes the first time)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  # --no-compile: byte-compiling every module of every package takes a good part of the
  # install; Python compiles (and caches) the modules a run imports as it imports them
  # (env.sh lets it write that cache where the environment says not to).
  .venv/bin/python -m pip install --quiet --no-compile -c constraints.txt -e ".${extras:+[$extras]}"
  rm -f .venv/.installed-*
  touch "$wanted"
fi

mkdir -p .dagster_home
cp dagster.yaml .dagster_home/dagster.yaml
