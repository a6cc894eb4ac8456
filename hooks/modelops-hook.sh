#!/bin/sh
# modelops-git hook shim (id: modelops-git-hook-v1). Installed by `mo hooks install`;
# `mo hooks uninstall` puts back what was here. A hook that was here before lives on as
# "<this file>.pre-modelops" and runs first; its failure stops the commit as it did before.
MO_PYTHON=@PYTHON@
[ -x "$MO_PYTHON" ] || MO_PYTHON=python3
if [ "@HOOK@" = "pre-push" ]; then
    input=$(cat)
    if [ -x "$0.pre-modelops" ]; then
        printf '%s\n' "$input" | "$0.pre-modelops" "$@" || exit $?
    fi
    printf '%s\n' "$input" | exec "$MO_PYTHON" -m modelops_git.hook_impl @HOOK@ "$@"
fi
if [ -x "$0.pre-modelops" ]; then
    "$0.pre-modelops" "$@" || exit $?
fi
exec "$MO_PYTHON" -m modelops_git.hook_impl @HOOK@ "$@"
