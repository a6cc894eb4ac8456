#!/usr/bin/env bash
# Sets up .venv with the test extras and runs the whole test suite (mypy and ruff included).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh" "[test]"

# The Jenkins engine's tests compile Jenkinsfiles with the real Groovy parser: Debian's
# groovy (2.4, the Groovy Jenkins runs). Installed only when missing, and only as root.
if ! command -v groovy >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing groovy (apt-get) for the Jenkinsfile parse checks" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends groovy >/dev/null
  else
    echo "warning: groovy is not installed (apt-get install groovy); Jenkinsfile parse checks will skip, or fail under CI=true" >&2
  fi
fi

cd "$repo"
exec python -m pytest "$@"
