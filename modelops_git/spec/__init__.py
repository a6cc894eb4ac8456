"""Loading, validating and typing the spec (`modelops.yaml`) and environments.

Submodules are imported where used (`modelops_git.spec.project` and so on): importing this
package loads nothing, so the hook path can use a piece of it without loading the rest.
"""
