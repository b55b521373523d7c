"""Run every benchmark under benchmarks/ and print one table: figure, floor, PASS/FAIL.

Each benchmark is a script run as its own process (`python benchmarks/NAME.py`). Their
outputs differ; what they share is a line per figure that names its floor (`... (floor ...)`)
and, for most, a closing `result: PASS|FAIL`. This script shows each figure line next to its
verdict: the line's own PASS/FAIL/ok/TOO SLOW word if it has one, else the script's `result:`
line, else its exit status. It exits 1 if any benchmark failed.

A figure line that says TARGET has a floor that another piece of work is to meet (the line says
which): it is shown with the verdict TARGET and does not fail the run. The figure is still
measured and printed as it is, not hidden.

Run it with the python of an installed iamctl (`pip install .` into a fresh venv), not the
editable one. Every benchmark starts its processes with `python -P`, so that a source tree in
the current directory (the repository's root) never shadows the installed package.

Usage: python benchmarks/run_all.py [--only NAME ...] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_TARGET = re.compile(r"\bTARGET\b")
_FAIL = re.compile(r"\b(FAIL|FAILED|TOO SLOW|too slow|below)\b")
_PASS = re.compile(r"\b(PASS|PASSED|ok|OK|meets)\b")


_RATIO = re.compile(r"ratio\s+([\d.]+)\s+\(floor\s*<=\s*([\d.]+)\)")


def verdict_of(text: str) -> str | None:
    if _TARGET.search(text):  # a floor that other work is to meet: shown, not failed
        return "TARGET"
    if m := _RATIO.search(text):  # "ratio 1.09  (floor <= 1.3)": judge the line by its own numbers
        return "PASS" if float(m.group(1)) <= float(m.group(2)) else "FAIL"
    if _FAIL.search(text):
        return "FAIL"
    if _PASS.search(text):
        return "PASS"
    return None


def parse(output: str, code: int) -> tuple[list[tuple[str, str]], str]:
    """(figure lines with their verdicts, the script's overall verdict)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    result = next((m.group(1) for line in lines if (m := re.match(r"result:\s*(PASS|FAIL)", line))), None)
    overall = result or ("PASS" if code == 0 else "FAIL")
    if code != 0:
        overall = "FAIL"
    figures = []
    for i, line in enumerate(lines):
        if "floor" not in line.lower() or line.startswith("result:"):
            continue
        if line.lower().startswith("floor") and i > 0:  # the figure is on the line before its floor
            line = f"{lines[i - 1]} ({line})"
        figures.append((line, verdict_of(line) or overall))
    if not figures:
        figures = [(lines[-1] if lines else "(no output)", overall)]
    return figures, overall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names (default: every script here)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per benchmark")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    rows: list[tuple[str, str, str, float]] = []
    failed = False
    for script in scripts:
        started = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                  timeout=args.timeout, cwd=HERE.parent)
            figures, overall = parse(proc.stdout, proc.returncode)
            if proc.returncode != 0 and proc.stderr.strip():
                figures.append((proc.stderr.strip().splitlines()[-1], "FAIL"))
        except subprocess.TimeoutExpired:
            figures, overall = [(f"did not finish in {args.timeout:g} s", "FAIL")], "FAIL"
        elapsed = time.monotonic() - started
        failed |= overall == "FAIL" or any(v == "FAIL" for _, v in figures)
        for i, (line, verdict) in enumerate(figures):
            rows.append((script.stem if i == 0 else "", line, verdict, elapsed if i == 0 else -1))
    width = min(max((len(r[1]) for r in rows), default=10), 110)
    print(f"{'benchmark':12} {'figure (floor)':{width}} {'verdict':7} {'time':>6}")
    print(f"{'-' * 12} {'-' * width} {'-' * 7} {'-' * 6}")
    for name, line, verdict, elapsed in rows:
        shown = line if len(line) <= width else line[: width - 3] + "..."
        took = f"{elapsed:5.1f}s" if elapsed >= 0 else ""
        print(f"{name:12} {shown:{width}} {verdict:7} {took:>6}")
    print(f"result: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
