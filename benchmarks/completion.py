"""Shell completion of user names on a 10,000-user account, through the real protocol.

Each figure is the wall time of one fresh `iamctl` process answering the bash completion
protocol (`_IAMCTL_COMPLETE=complete_bash`, `COMP_WORDS`, `COMP_CWORD`), start-up included,
since that is what a person waits for after pressing TAB. Floor (issue 9): 0.3 s each.

- `iamctl user show user0012<TAB>`: 10 names match; their files are read for the real spelling.
- `iamctl user show <TAB>`: all 10,000 names match; only the folder listing is read.
- `iamctl user attach-policy user00001 <TAB>`: managed policy ARNs (customer and AWS prefix).

Run: python benchmarks/completion.py [--users 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_S = 0.3


def make_account(root: Path, count: int) -> None:
    """An account with `count` users, created with the core API in one transaction."""
    from iamctl.core.identities import account, users
    from iamctl.core.store.directory import Store

    store = Store(root)
    store.init("111122223333")
    with store.write() as txn:
        account.set_quota(txn, "users", max(count, 5000))
        for i in range(count):
            users.create_user(txn, f"user{i:05d}", path="/bench/")


def complete(root: Path, line: str) -> tuple[float, int]:
    """Wall time and number of candidates of one bash completion request for `line`."""
    words = line.split(" ")
    env = {**os.environ, "IAMCTL_DIR": str(root), "_IAMCTL_COMPLETE": "complete_bash",
           "COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-P", "-m", "iamctl"], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, len([ln for ln in done.stdout.splitlines() if ln])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "acct"
        start = time.perf_counter()
        make_account(root, args.users)
        print(f"created {args.users} users: {time.perf_counter() - start:.1f} s")
        complete(root, "iamctl user show u")  # warm the page cache and the bytecode cache
        for line in ("iamctl user show user0012", "iamctl user show ", "iamctl user attach-policy user00001 "):
            times, count = zip(*(complete(root, line) for _ in range(args.runs)), strict=True)
            median, worst = statistics.median(times), max(times)
            ok = median <= FLOOR_S
            failed |= not ok
            print(f"{line!r:<45} {count[0]:>6} candidates  median {median * 1000:4.0f} ms  "
                  f"worst {worst * 1000:4.0f} ms  (floor {FLOOR_S * 1000:.0f} ms)  {'PASS' if ok else 'FAIL'}")
    print(f"result: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
