#!/usr/bin/env bash
# Sets up .venv and runs the demo on the embedded default (local engine, no server) in fresh
# temporary git repositories: first the scaffold, then a real scikit-learn model.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh" "[demo]"
work="$(mktemp -d "${TMPDIR:-/tmp}/mo-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[1;34m# %s\033[0m\n' "$*"; }
new_repo() {
  mkdir -p "$1" && cd "$1"
  git init -q -b main .
  git config user.name "Demo User"
  git config user.email "demo@example.com"
}

say "1. A new project: scaffold, validate, render for prod, draw the DAG"
new_repo "$work/scaffold"
step mo --version
step mo init
step git add -A
step git commit -qm "Scaffold modelops-git project"
step mo validate
step mo envs
step mo render train --env prod
step mo graph train
step mo graph train --format mermaid
say "A typo is reported with file:line:col and a hint"
sed -i 's/cmd: python src\/train.py/cmd: python src\/train.py\n        needs: [prepair]/' modelops.yaml
mo validate || echo "(exit code $?)"

say "2. A real model: scikit-learn's bundled wine data, trained and evaluated locally"
new_repo "$work/wine"
step mo init --no-dvc
say "Replace the scaffold's example with the wine project (examples/wine in mo's repo)"
rm -f data/raw.csv
step cp -r "$repo/examples/wine/." .
step python src/export_data.py
step mo data add data/wine.csv
step mo validate
step mo run
step cat metrics/eval.json
step git add -A
step git commit -qm "Train the wine classifier"
say "Change a param: only the tasks that read it run again"
sed -i 's/max_depth: 5/max_depth: 1/; s/n_estimators: 50/n_estimators: 3/' params.yaml
step mo run --dry-run
step mo run
step git add -A
step git commit -qm "Smaller forest"
step mo metrics diff HEAD~1 HEAD
say "Which change made accuracy drop?"
step mo why accuracy
say "Which data, code and params produced the model?"
step mo lineage wine-classifier
step mo history accuracy

say "3. Register the model: an annotated tag in GTO's format, read back from refs"
say "The 50-tree forest (one commit back) is the one worth shipping"
step mo register wine-classifier --ref HEAD~1 --version v1.0.0
step git tag -n1

say "4. Promote: dev -> staging merges by itself once the gates pass (auto: true)"
step mo promote dev staging
say "staging -> prod needs an hour in staging and a reviewer: the gate table says why not yet"
mo promote staging prod || echo "(exit code $?)"
say "For the demo, shorten prod's soak to 2 seconds (a reviewed change like any other)"
sed -i 's/soak: 1h/soak: 2s/' environments/prod.yaml
step git commit -qam "Shorter soak for the demo"
sleep 2
step mo promote staging prod
promotion="wine-classifier-prod-1"
say "The author cannot approve their own promotion; a second person can"
mo review "$promotion" --approve || echo "(exit code $?)"
step env GIT_AUTHOR_NAME="Rita Reviewer" GIT_AUTHOR_EMAIL="rita@example.com" \
  mo review "$promotion" --approve -m "accuracy and lineage look right"
step mo merge "$promotion"
step git log -1 --format=%B
say "What is in prod, since when, who approved it, from which promotion"
step mo history --env prod
step mo status
step mo show

say "5. Outgrow one machine: the same pipeline, generated for four CI engines"
step mo ci github --env prod
step mo ci jenkins --env prod
step mo export argo --env prod --output argo/train.yaml
step mo export airflow --env prod
step git status --short
say "Every engine runs each task as 'mo run-task', so skipping and lineage work as here"
step grep -m1 -n "mo run-task" Jenkinsfile
