"""What every benchmark shares: the environment commands run in, byte-code, timers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

MO = str(Path(sys.executable).parent / "mo")
PACKAGE = Path(__file__).resolve().parents[1] / "modelops_git"


def bench_env() -> dict[str, str]:
    """Byte-code caching on (as installed packages have it), DVC analytics off, the venv's
    tools first on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["DVC_NO_ANALYTICS"] = "1"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def compile_package() -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PACKAGE)], check=True)


def timed(command: list[str], cwd: Path, check: bool = True) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        cwd=cwd,
        check=check,
        env=bench_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def best(command: list[str], cwd: Path, repeat: int = 3, check: bool = True) -> float:
    return min(timed(command, cwd, check) for _ in range(repeat))
