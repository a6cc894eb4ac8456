"""The pin edit a promotion commits keeps the environment file as its author wrote it."""

from __future__ import annotations

import pytest

from modelops_git.errors import SpecError
from modelops_git.promotion.pin_edit import set_pin

PROD = """\
# yaml-language-server: $schema=../.modelops/schemas/environment.schema.json
description: "Production"   # quoted on purpose
models:
  # fraud is pinned by hand
  fraud: v1.0.0    # do not touch
  wine: v0.0.1
promotion:
  from: staging
  approvals: 1
"""


def test_only_the_pin_changes() -> None:
    changed = set_pin(PROD, "environments/prod.yaml", "wine", "v0.0.2")
    assert changed == PROD.replace("wine: v0.0.1", "wine: v0.0.2")


def test_a_new_pin_is_added_and_an_empty_flow_mapping_becomes_a_block() -> None:
    added = set_pin(PROD, "environments/prod.yaml", "churn", "v2.0.0")
    assert added == PROD.replace("  wine: v0.0.1\n", "  wine: v0.0.1\n  churn: v2.0.0\n")
    empty = set_pin("description: x\nmodels: {}\n", "environments/staging.yaml", "w", "v1.0.0")
    assert empty == "description: x\nmodels:\n  w: v1.0.0\n"
    missing = set_pin("description: x\n", "environments/dev.yaml", "w", "v1.0.0")
    assert missing == "description: x\nmodels:\n  w: v1.0.0\n"


def test_a_syntax_error_is_reported_with_its_location() -> None:
    with pytest.raises(SpecError) as raised:
        set_pin("models: [oops\n", "environments/prod.yaml", "w", "v1.0.0")
    assert raised.value.diagnostics[0].location().startswith("environments/prod.yaml:")
