"""The `mo` command line: one thin function per command; errors are handled once, in main()."""

from __future__ import annotations

import sys

import typer

from modelops_git import output
from modelops_git.cli import (  # noqa: F401 - importing a module registers its commands
    airflow_commands,
    argo_commands,
    engine_commands,
    github_commands,
    history_commands,
    jenkins_commands,
    promotion_commands,
    registry_commands,
    run_commands,
    spec_commands,
    trigger_commands,
)
from modelops_git.cli.app import app, state
from modelops_git.crash import report_internal_error
from modelops_git.errors import EXIT_INTERRUPT, EXIT_USAGE, ModelOpsError, SpecError

__all__ = ["app", "main", "run"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps every outcome to one exit code (0, 1, 2, 3 or 130)."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    try:
        code = app(args=argv, prog_name="mo", standalone_mode=False)
    except SpecError as problems:
        output.diagnostics(problems.diagnostics)
        return problems.exit_code
    except ModelOpsError as problem:
        output.error(problem)
        return problem.exit_code
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.TyperException as usage:
        usage.show()  # type: ignore[attr-defined]
        return int(getattr(usage, "exit_code", EXIT_USAGE))
    except (KeyboardInterrupt, typer.Abort):
        output.error(ModelOpsError("interrupted"))
        return EXIT_INTERRUPT
    except Exception:
        argv = argv if argv is not None else sys.argv[1:]
        return report_internal_error(argv, bool(state["traceback"]))
    return code if isinstance(code, int) else 0
