#!/usr/bin/env bash
# Creates .venv-airflow with the Airflow release `mo export airflow` targets, for the tests that
# load and run the generated DAG. Airflow's pins fight dvc's, so it gets its own venv; the DAG's
# tasks run `mo` from .venv (MO_BIN). Idempotent: does nothing when that release is installed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-airflow"
version="$("$repo/.venv/bin/python" -c \
  'from modelops_git.engines.airflow import AIRFLOW_VERSION; print(AIRFLOW_VERSION)')"

installed() {
  [ -x "$venv/bin/airflow" ] && "$venv/bin/python" -c \
    'import importlib.metadata, sys; sys.exit(importlib.metadata.version("apache-airflow") != sys.argv[1])' \
    "$version" 2>/dev/null
}

if installed; then
  exit 0
fi
# The official constraints file is not reachable from CI: install the pinned release alone.
"$repo/.venv/bin/python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "apache-airflow==$version"
installed
