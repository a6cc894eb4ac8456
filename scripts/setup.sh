#!/usr/bin/env bash
# Creates .venv (Python >= 3.11) and installs mo into it; sourced by demo.sh and test.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python_bin="$candidate"; break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "error: mo needs Python 3.11 or newer; install it (e.g. apt-get install python3) and retry" >&2
  exit 1
fi
if ! command -v git >/dev/null 2>&1; then
  echo "error: git is not installed; install it (e.g. apt-get install git) and retry" >&2
  exit 1
fi

if [ ! -x "$repo/.venv/bin/python" ]; then
  "$python_bin" -m venv "$repo/.venv"
fi
"$repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$repo$extras"
export PATH="$repo/.venv/bin:$PATH"
