"""The real Groovy compiler (Debian's `groovy`, 2.4: the Groovy Jenkins runs) as a parser.

One JVM runs tests/groovy/ast_json.groovy for the whole test session; each file sent to it
comes back as its AST in JSON, or as the compiler's error. Nothing is executed: the compiler
stops at the phase that builds the AST.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).parent / "groovy" / "ast_json.groovy"


class GroovySyntaxError(AssertionError):
    pass


def groovy_env() -> dict[str, str] | None:
    """The environment to run `groovy` in, or None if it or Java is not installed. Debian's
    launcher wants JAVA_HOME (or /usr/lib/jvm/default-java); derive it from `java`."""
    groovy, java = shutil.which("groovy"), shutil.which("java")
    if groovy is None or java is None:
        return None
    env = dict(os.environ)
    if not env.get("JAVA_HOME") and not Path("/usr/lib/jvm/default-java/bin/java").exists():
        env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    return env


class GroovyParser:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["groovy", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="groovy-parse-"))
        self.count = 0

    def ast(self, source: str) -> list[dict[str, Any]]:
        """The top-level statements of `source`; GroovySyntaxError if it does not compile."""
        with self.lock:
            self.count += 1
            path = self.folder / f"source{self.count}.groovy"
            path.write_text(source, encoding="utf-8")
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(f"{path}\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError("the groovy parser process stopped")
        result = json.loads(answer)
        if not result["ok"]:
            raise GroovySyntaxError(result["error"])
        statements: list[dict[str, Any]] = result["statements"]
        return statements

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)
