#!/usr/bin/env bash
# Sets up .venv and runs the demo on the embedded default (local engine, no server) in a
# fresh temporary git repository.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/mo-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

git init -q -b main .
git config user.name "Demo User"
git config user.email "demo@example.com"
step mo --version
step mo init
step git add -A
step git commit -qm "Scaffold modelops-git project"
step mo validate
step mo envs
step mo render train --env prod
step mo graph train
step mo graph train --format mermaid
printf '\n\033[1m$ mo validate   # after a typo: every problem, with file:line:col\033[0m\n'
sed -i 's/needs: \[\]//; s/cmd: python src\/train.py/cmd: python src\/train.py\n        needs: [prepair]/' modelops.yaml
mo validate || echo "(exit code $?)"
