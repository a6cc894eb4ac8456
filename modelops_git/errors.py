"""The errors `mo` raises on purpose; cli/__init__.py turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Diagnostic", "ModelOpsError", "SpecError", "UsageError"]

EXIT_OK = 0
EXIT_USER = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPT = 130


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in a user's file, located well enough to jump to it."""

    file: str
    line: int
    col: int
    path: str
    message: str
    hint: str = ""

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class ModelOpsError(Exception):
    """A problem the user can fix: a message saying what is wrong and a hint saying what to do."""

    exit_code = EXIT_USER

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(ModelOpsError):
    """The command line itself is wrong (unknown option value, missing argument)."""

    exit_code = EXIT_USAGE


class SpecError(ModelOpsError):
    """One or more problems in spec files, all reported at once."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        count = len(diagnostics)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in the spec", "fix them and run `mo validate` again")
        self.diagnostics = sorted(diagnostics)
