"""Loading, validating and typing the spec (`modelops.yaml`) and environments."""

from modelops_git.spec.project import ENV_DIR, SPEC_FILE, Project, load_project

__all__ = ["ENV_DIR", "SPEC_FILE", "Project", "load_project"]
