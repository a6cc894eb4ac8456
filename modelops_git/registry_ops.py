"""`mo show`, `mo models`, `mo register` and `mo assign`: answered from refs and a few files.

These run without loading the spec machinery or the full command line (the fast entry path
calls them), because a registry question should cost little more than `git for-each-ref`.
The spec is read only for what is needed: the model's path, as committed at the registered
commit, and the pins of each environment file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelops_git import git, registry
from modelops_git.errors import ModelOpsError

__all__ = ["assign", "register", "show"]

ENV_DIR = "environments"
SPEC_FILE = "modelops.yaml"


def show(root: Path, model: str | None) -> dict[str, Any]:
    """Registered versions, what each environment holds (tags) and pins (env files)."""
    data = registry.read_registry(root).as_data()
    pins = _pins(root)
    for name, entry in data.items():
        entry["pins"] = {env: models[name] for env, models in pins.items() if name in models}
    if model is None:
        return data
    if model not in data:
        raise ModelOpsError(
            f"no registered versions of {model!r}", f"register one: mo register {model}"
        )
    return {model: data[model]}


def _pins(root: Path) -> dict[str, dict[str, str]]:
    """Each environment's `models:` pins, read without validating the whole spec (`mo validate`
    is where a broken env file is reported)."""
    from modelops_git.spec.yaml_source import load_yaml_file

    pins: dict[str, dict[str, str]] = {}
    for path in sorted((root / ENV_DIR).glob("*.yaml")):
        try:
            data = load_yaml_file(path, f"{ENV_DIR}/{path.name}").data
        except ModelOpsError:
            continue
        models = data.get("models") if isinstance(data, dict) else None
        if isinstance(models, dict):
            pins[path.stem] = {str(k): str(v) for k, v in models.items()}
    return pins


def _model_path(root: Path, commit: str, model: str) -> str:
    """The model's path as declared in modelops.yaml at `commit`."""
    from modelops_git.spec.yaml_source import load_yaml_text

    text = git.show_file(root, commit, SPEC_FILE)
    data = load_yaml_text(text, f"{SPEC_FILE}@{commit[:10]}").data if text else None
    models = data.get("models") if isinstance(data, dict) else None
    declared = models.get(model) if isinstance(models, dict) else None
    if not isinstance(declared, dict) or not isinstance(declared.get("path"), str):
        known = ", ".join(models) if isinstance(models, dict) and models else "none"
        raise ModelOpsError(
            f"unknown model {model!r} at {commit[:10]} (declared: {known})",
            "declare it under models: in modelops.yaml and commit it",
        )
    return str(declared["path"])


def register(root: Path, model: str, version: str | None, bump: str, ref: str) -> dict[str, Any]:
    """Register the model artifact that commit `ref` holds as a new version."""
    from modelops_git.dvc import pointer_md5

    commit = git.resolve(root, ref)
    path = _model_path(root, commit, model)
    pointer = git.show_file(root, commit, f"{path}.dvc")
    md5 = pointer_md5(pointer) if pointer else None
    run_id = ""
    if git.show_file(root, commit, "modelops.lock") is not None:
        from modelops_git.lineage.snapshots import snapshots

        found = snapshots(root, [git.Commit(commit, "", "", "")])[0].producer(path)
        if found is not None:
            out = next((o for o in found[1].outs if o.path == path), None)
            md5, run_id = md5 or (out.md5 if out else None), found[1].run_id
    if not md5:
        raise ModelOpsError(
            f"{ref} holds no pointer for {model} ({path}.dvc or a modelops.lock out)",
            "run `mo run` (it adds declared models to DVC) and commit "
            "the pointer and modelops.lock",
        )
    return registry.register(root, model, path, md5, run_id, commit, version, bump)


def assign(root: Path, model: str, version: str, env: str, unassign: bool) -> dict[str, Any]:
    if not (root / ENV_DIR / f"{env}.yaml").is_file():
        known = ", ".join(sorted(p.stem for p in (root / ENV_DIR).glob("*.yaml"))) or "none"
        raise ModelOpsError(
            f"unknown environment {env!r} (known: {known})",
            f"create {ENV_DIR}/{env}.yaml or pick a known one (`mo envs`)",
        )
    tag = registry.assign(root, model, version, env, unassign)
    return {"tag": tag, "model": model, "version": version, "env": env, "unassign": unassign}
