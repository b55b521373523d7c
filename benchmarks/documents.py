"""Hostile policy documents cost what their size allows (issue 20.19), through the real command.

- A 48 MB document (no whitespace to speak of) given to `policy create`: its size is checked
  before anything parses it, so the refusal (LimitExceeded) costs reading the file, not parsing
  it (it took 10-14 s when it was parsed first). Floor 3 s.
- One `policy create` whose Action lists `"*:*"` 600 times: each distinct wildcard pattern is
  expanded through AWS's catalogue once, not once per copy (it took 7.7 s). Floor 2 s.

Each figure is the median of --runs runs of the command as its own process.

Run: python benchmarks/documents.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FLOORS = {"big": 3.0, "wildcards": 2.0}


def _time(command: Callable[[int], list[str]], env: dict[str, str], expect: int, runs: int) -> float:
    times = []
    for n in range(runs):
        cmd = command(n)
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != expect:
            raise SystemExit(f"{' '.join(cmd[3:6])} exited {done.returncode}, expected {expect}: {done.stderr}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "IAMCTL_DIR": str(root / "acct")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        iamctl = [sys.executable, "-P", "-m", "iamctl"]
        subprocess.run([*iamctl, "init", "--account-id", "111122223333"], env=env, check=True, capture_output=True)
        big = root / "big.json"
        big.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"] * 3_000_000, "Resource": "*"}]}))
        many = root / "many.json"
        many.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["*:*"] * 600, "Resource": "*"}]}))
        size_mb = big.stat().st_size / 1e6
        figures = {
            "big": _time(lambda n: [*iamctl, "policy", "create", "Big", "--document", str(big)], env, 1, args.runs),
            "wildcards": _time(lambda n: [*iamctl, "policy", "create", f"Many{n}", "--document", str(many)], env, 0,
                               args.runs),
        }
    worst_ok = True
    labels = {"big": f"policy create, a {size_mb:.0f} MB document (refused for its size)",
              "wildcards": 'policy create, 600 copies of "*:*" in one Action'}
    for key, seconds in figures.items():
        ok = seconds <= FLOORS[key]
        worst_ok &= ok
        print(f"{labels[key]}: {seconds:.2f} s (median of {args.runs}; floor {FLOORS[key]:.0f} s) "
              f"{'PASS' if ok else 'FAIL'}")
    print(f"result: {'PASS' if worst_ok else 'FAIL'}")
    return 0 if worst_ok else 1


if __name__ == "__main__":
    sys.exit(main())
