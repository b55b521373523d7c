"""Start-up time of iamctl against a bare Typer hello-world app in the same environment.

Run: python benchmarks/startup.py [--runs 40]
Floor (issue 2): median(iamctl) / median(hello) <= 1.3 for `--version` and `account show`.

The ratio alone flatters iamctl: most of the hello-world's time is Typer's (importing it and
running a one-command app), which iamctl pays too. So the bare interpreter (`python -c pass`) is
timed alongside, and each command's line says how much of it is Typer's own share (hello-world
minus the interpreter) and how much is iamctl's own (the command minus the hello-world), as
medians of the per-round figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import interleaved_runs, ratio_line

HELLO = """
import typer

app = typer.Typer()


@app.command()
def main(name: str = "world") -> None:
    print(f"hello {name}")


if __name__ == "__main__":
    app()
"""

FLOOR = 1.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        env = {**os.environ, "IAMCTL_DIR": str(Path(tmp) / "acct")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-P", "-m", "iamctl", "init"], env=env, check=True, capture_output=True)
        iamctl = [sys.executable, "-P", "-m", "iamctl"]
        times = interleaved_runs({
            "python -c pass": [sys.executable, "-P", "-c", "pass"],
            "typer hello-world": [sys.executable, "-P", str(hello)],
            "iamctl --version": [*iamctl, "--version"],
            "iamctl account show -o json": [*iamctl, "account", "show", "-o", "json"],
        }, args.runs, env)
    python = times.pop("python -c pass")
    base = times.pop("typer hello-world")
    typer = [h - p for h, p in zip(base, python, strict=True)]
    print(f"{'python -c pass':38} {statistics.median(python) * 1000:7.1f} ms (median of {args.runs} interleaved rounds)")
    print(f"{'typer hello-world':38} {statistics.median(base) * 1000:7.1f} ms  (Typer's own: "
          f"{statistics.median(typer) * 1000:.1f} ms over the interpreter)")
    worst = 0.0
    for label, t in times.items():
        line, ratio = ratio_line(label, t, base, FLOOR)
        worst = max(worst, ratio)
        share = statistics.median(ty / c for ty, c in zip(typer, t, strict=True))
        own = statistics.median(c - h for c, h in zip(t, base, strict=True))
        print(f"{line}  Typer's share {share:.0%}, iamctl's own {own * 1000:.1f} ms")
    print(f"result: {'PASS' if worst <= FLOOR else 'FAIL'} worst ratio {worst:.2f}")
    return 0 if worst <= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
