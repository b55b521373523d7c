"""Batch onboarding at scale: `iamctl user import` on 1,000 and 10,000 rows (issue 7).

Floors, each measured on the real command in a fresh process (start-up included):

(a) 1,000 rows with groups, tags, a generated password and an access key each: <= 30 s.
    Argon2id hashing dominates (~20 ms a password); it runs on every core.
(b) 10,000 rows with groups and tags, no credentials: <= 20 s, peak memory <= 300 MB (the
    child's maximum resident set size, from getrusage(RUSAGE_CHILDREN)).
(c) the second run of the same 10,000-row file: <= 10 s and zero changes.

Run: python benchmarks/onboarding.py [--small 1000] [--large 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CREDENTIALS_FLOOR_S = 30.0
LARGE_FLOOR_S = 20.0
LARGE_MEMORY_FLOOR_MB = 300.0
SECOND_RUN_FLOOR_S = 10.0
GROUPS = ["engineering", "sales", "support", "finance", "marketing", "oncall"]


def write_file(path: Path, rows: int, *, credentials: bool) -> None:
    """A CSV of `rows` new hires: two groups and three tags each, optionally credentials."""
    header = "name,path,groups,tags" + (",password,access_key" if credentials else "")
    lines = [header]
    for i in range(rows):
        groups = f"{GROUPS[i % 5]};{GROUPS[5] if i % 3 == 0 else GROUPS[(i + 1) % 5]}"
        tags = f"team=t{i % 40};cost-center={4000 + i % 97};start=2026-12-{1 + i % 28:02d}"
        line = f"hire{i:05d},/staff/,{groups},{tags}"
        lines.append(line + (",generate,yes" if credentials else ""))
    path.write_text("\n".join(lines) + "\n")


def iamctl(directory: Path, *args: str) -> tuple[float, dict]:
    """Run `iamctl --dir DIRECTORY ARGS... -o json` in a new process: (seconds, JSON output)."""
    env = {**os.environ, "NO_COLOR": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-P", "-m", "iamctl", "--dir", str(directory), *args, "-o", "json"],
                          check=True, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, json.loads(done.stdout)


def prepare(directory: Path, users_quota: int) -> None:
    subprocess.run([sys.executable, "-P", "-m", "iamctl", "--dir", str(directory), "init", "--account-id",
                    "111122223333"], check=True, capture_output=True)
    subprocess.run([sys.executable, "-P", "-m", "iamctl", "--dir", str(directory), "account", "set-quota", "users",
                    str(users_quota)], check=True, capture_output=True)


def verdict(ok: bool) -> str:
    return "ok" if ok else "FAILED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000, help="rows with credentials (a)")
    parser.add_argument("--large", type=int, default=10_000, help="rows without credentials (b, c)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        # (b) first, so that the largest child so far is this import: ru_maxrss of
        # RUSAGE_CHILDREN is the maximum over every child waited for. Then (c), the same file again.
        large_dir, large_file = tmp_path / "large", tmp_path / "large.csv"
        prepare(large_dir, max(args.large, 5000))
        write_file(large_file, args.large, credentials=False)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        seconds, out = iamctl(large_dir, "user", "import", str(large_file), "--create-groups")
        # KiB on Linux; `before` (the set-up commands) must be below it, or the figure is theirs.
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_mb = peak_kib / 1024
        created = out["Summary"]["Created"]
        ok = seconds <= LARGE_FLOOR_S and created == args.large
        ok_mem = peak_mb <= LARGE_MEMORY_FLOOR_MB and peak_kib > before
        results += [ok, ok_mem]
        print(f"(b) {args.large} rows, groups and tags: {seconds:.2f} s (floor {LARGE_FLOOR_S:.0f} s), "
              f"{created} created: {verdict(ok)}")
        print(f"    peak memory (child max RSS): {peak_mb:.0f} MB (floor {LARGE_MEMORY_FLOOR_MB:.0f} MB): "
              f"{verdict(ok_mem)}")
        seconds, out = iamctl(large_dir, "user", "import", str(large_file), "--create-groups")
        summary = out["Summary"]
        changes = summary["Created"] + summary["Updated"] + summary["Conflicts"]
        ok = seconds <= SECOND_RUN_FLOOR_S and changes == 0 and summary["Unchanged"] == args.large
        results.append(ok)
        print(f"(c) second run of the same {args.large} rows: {seconds:.2f} s (floor {SECOND_RUN_FLOOR_S:.0f} s), "
              f"{changes} changes: {verdict(ok)}")
        # (a) credentials
        small_dir, small_file = tmp_path / "small", tmp_path / "small.csv"
        prepare(small_dir, max(args.small, 5000))
        write_file(small_file, args.small, credentials=True)
        seconds, out = iamctl(small_dir, "user", "import", str(small_file), "--create-groups",
                              "--credentials-out", str(tmp_path / "creds.csv"))
        issued = out["Summary"]["CredentialsIssued"]
        ok = seconds <= CREDENTIALS_FLOOR_S and issued == args.small
        results.append(ok)
        print(f"(a) {args.small} rows, password + access key each: {seconds:.2f} s "
              f"(floor {CREDENTIALS_FLOOR_S:.0f} s), {issued} credentials issued: {verdict(ok)}")

    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
