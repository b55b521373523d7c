"""What the hardening tests share: real CLI runs (in-process, or in a forked child that can be
killed), deterministic randomness for reference runs, and canonical dumps of a directory.

A forked run is a real `iamctl` run: the child is forked from the test process after iamctl and
its command modules are imported, then calls the Typer app with the command's arguments, with its
own standard input, output and error, and exits with the command's exit status. It costs a few
milliseconds instead of an interpreter start-up.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FULL = os.environ.get("IAMCTL_STRESS") == "full"
NOW = "2026-01-15T12:00:00Z"  # pinned clock: reference runs and real runs agree on every timestamp
ACCOUNT = "123456789012"
# Exit statuses a command may end with; 70 (internal error) never.
CLEAN_EXITS = {0, 1, 2, 3}


def scale(ci: int, full: int) -> int:
    """The bounded CI size, or the full size under IAMCTL_STRESS=full."""
    return full if FULL else ci


def preload() -> None:
    """Import every command module and heavy dependency once, before forking workers."""
    from iamctl.cli import main

    for module, _ in main.GROUPS.values():
        importlib.import_module(module)
    for module, _ in main.COMMANDS.values():
        importlib.import_module(module)
    import argon2  # noqa: F401
    import pyotp  # noqa: F401
    import tomli_w  # noqa: F401


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self):
        import json

        return json.loads(self.stdout)

    def clean_failure(self) -> bool:
        """A failure as users must see it: one stderr line `iamctl: error: ...`, no traceback."""
        lines = self.stderr.split("\n")[:-1] if self.stderr.endswith("\n") else self.stderr.split("\n")
        return (self.code in (1, 2) and len(lines) == 1 and lines[0].startswith("iamctl: error: ")
                and "Traceback" not in self.stderr)


def run(root: Path | str, *args: str, input: str | bytes | None = None, env: dict | None = None) -> Result:
    """`iamctl ARGS` in this process on the directory `root` (through Typer's test runner)."""
    from typer.testing import CliRunner

    from iamctl.cli.main import app

    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False,
                                env={"IAMCTL_DIR": str(root), "IAMCTL_NOW": NOW, **(env or {})})
    return Result(result.exit_code, result.stdout, result.stderr)


def _determinise(seed: int) -> None:
    """In a forked child: every random source iamctl draws from (secrets, os.urandom, through
    them argon2's salts and pyotp's seeds) yields the same sequence for the same seed, so that a
    reference run and a killed run of a command write the same bytes."""
    import secrets

    rng = random.Random(seed)
    os.urandom = rng.randbytes
    secrets.token_bytes = lambda n=32: rng.randbytes(n)
    secrets.choice = rng.choice
    secrets.randbelow = rng.randrange
    secrets.SystemRandom = lambda: rng
    import pyotp

    pyotp.random_base32.__globals__["random"] = rng  # pyotp keeps its own SystemRandom


def _child(root: str, args: list[str], stdin: int, out: int, err: int, seed: int | None) -> int:
    os.dup2(stdin, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    os.environ["IAMCTL_DIR"] = root
    os.environ["IAMCTL_NOW"] = NOW
    if seed is not None:
        _determinise(seed)
    from iamctl.cli.main import app

    code = app(args=args, prog_name="iamctl", standalone_mode=False)
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code)


class Forked:
    """A forked `iamctl ARGS` run: `wait()` for its Result, or `kill()` it at any instant."""

    def __init__(self, root: Path | str, args: list[str], *, input: str = "", seed: int | None = None):
        self._files = [tempfile.TemporaryFile() for _ in range(3)]
        self._files[0].write(input.encode())
        self._files[0].seek(0)
        self.started = time.monotonic()
        self.pid = os.fork()
        if self.pid == 0:  # the child never returns into pytest
            code = 99
            try:
                code = _child(str(root), args, *(f.fileno() for f in self._files), seed)
            finally:
                os._exit(code)

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> Result:
        _, status = os.waitpid(self.pid, 0)
        self.ended = time.monotonic()
        code = os.waitstatus_to_exitcode(status)
        outs = []
        for f in self._files[1:]:
            f.seek(0)
            outs.append(f.read().decode("utf-8", "replace"))
        for f in self._files:
            f.close()
        return Result(code, outs[0], outs[1])


def run_forked(root: Path | str, *args: str, input: str = "", seed: int | None = None) -> Result:
    return Forked(root, list(args), input=input, seed=seed).wait()


# -- what a directory holds ---------------------------------------------------------------------

# The lock files are created by every command, readers included; they hold nothing.
_LOCK_FILES = {".iamctl/lock", ".iamctl/turnstile"}


def dump(root: Path) -> dict[str, bytes]:
    """Every data file of the directory (diffable TOML and secrets), by relative path; the
    working state under .iamctl/ is not part of it (a finished or discarded journal is gone)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(".iamctl/"):
            found[rel] = path.read_bytes()
    return found


def fingerprint(root: Path) -> str:
    """A hash of every file (names, bytes, modes) and folder, .iamctl/ included bar the lock files."""
    h = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel in _LOCK_FILES:
            continue
        h.update(f"{rel}\0{path.lstat().st_mode:o}\0".encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def diff(a: dict[str, bytes], b: dict[str, bytes]) -> str:
    """A short description of how two dumps differ, for assertion messages."""
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    return f"only in first: {only_a[:5]}, only in second: {only_b[:5]}, changed: {changed[:5]}"
