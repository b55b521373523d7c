"""Start-up time of iamctl against a bare Typer hello-world app in the same environment.

Run: python benchmarks/startup.py [--runs 40]
Floor (issue 2): median(iamctl) / median(hello) <= 1.3 for `--version` and `account show`.
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
        subprocess.run([sys.executable, "-m", "iamctl", "init"], env=env, check=True, capture_output=True)
        iamctl = [sys.executable, "-m", "iamctl"]
        times = interleaved_runs({
            "typer hello-world": [sys.executable, str(hello)],
            "iamctl --version": [*iamctl, "--version"],
            "iamctl account show -o json": [*iamctl, "account", "show", "-o", "json"],
        }, args.runs, env)
    base = times.pop("typer hello-world")
    print(f"{'typer hello-world':38} {statistics.median(base) * 1000:7.1f} ms (median of {args.runs} interleaved rounds)")
    worst = 0.0
    for label, t in times.items():
        line, ratio = ratio_line(label, t, base, FLOOR)
        worst = max(worst, ratio)
        print(line)
    print(f"result: {'PASS' if worst <= FLOOR else 'FAIL'} worst ratio {worst:.2f}")
    return 0 if worst <= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
