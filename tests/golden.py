"""Golden files: compared in tests, rewritten only when MO_REGENERATE=1."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get("MO_REGENERATE") == "1":
        path.write_text(actual)
    assert path.exists(), f"missing golden file {path}; create it with MO_REGENERATE=1"
    assert actual == path.read_text(), f"output differs from {path} (MO_REGENERATE=1 rewrites it)"
