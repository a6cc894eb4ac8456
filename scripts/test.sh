#!/usr/bin/env bash
# Sets up .venv with the test extras and runs the whole test suite (mypy and ruff included).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh" "[test]"
bash "$repo/scripts/setup_airflow.sh"
cd "$repo"
exec python -m pytest "$@"
