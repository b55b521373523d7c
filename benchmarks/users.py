"""Users at scale: `user list -o json` on 10,000 users, and `user show` on 10,000 vs 10 users.

Floors (issue 4): listing 10,000 users as JSON takes at most 1.5 s; showing one user on a
10,000-user account takes within 20% of showing one on a 10-user account. Each figure is the
median of several runs of the real command in a fresh process (start-up included), since
that is what a person or a script waits for; not the best run, which would flatter it. The two
`user show` commands run in interleaved rounds and their ratio is the median of the per-round
ratios (benchmarks/_timing.py says why).

Run: python benchmarks/users.py [--users 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import interleaved_runs, paired_ratio

LIST_FLOOR_S = 1.5
SHOW_RATIO_FLOOR = 1.20


def make_account(root: Path, count: int) -> None:
    """An account with `count` users, created with the core API in one transaction."""
    from iamctl.core.identities import account, users
    from iamctl.core.store.directory import Store

    store = Store(root)
    store.init("111122223333")
    with store.write() as txn:
        account.set_quota(txn, "users", max(count, 5000))
        for i in range(count):
            users.create_user(txn, f"user{i:05d}", path="/bench/", tags={"team": f"t{i % 7}"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        start = time.perf_counter()
        make_account(big, args.users)
        print(f"created {args.users} users in one transaction: {time.perf_counter() - start:.2f} s")
        make_account(small, 10)
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        iamctl = [sys.executable, "-P", "-m", "iamctl", "--dir"]
        listing = statistics.median(interleaved_runs(
            {"list": [*iamctl, str(big), "user", "list", "-o", "json"]}, args.runs, env)["list"])
        shows = interleaved_runs({
            "big": [*iamctl, str(big), "user", "show", "user04321", "-o", "json"],
            "small": [*iamctl, str(small), "user", "show", "user00004", "-o", "json"],
        }, args.runs * 2, env)
    show_big, show_small = statistics.median(shows["big"]), statistics.median(shows["small"])
    ratio = paired_ratio(shows["big"], shows["small"])
    ok_list, ok_show = listing <= LIST_FLOOR_S, ratio <= SHOW_RATIO_FLOOR
    print(f"user list -o json, {args.users} users: median {listing:.3f} s (floor {LIST_FLOOR_S} s) "
          f"{'ok' if ok_list else 'TOO SLOW'}")
    print(f"user show, {args.users} users: median {show_big:.3f} s; 10 users: {show_small:.3f} s; "
          f"ratio {ratio:.2f} (floor {SHOW_RATIO_FLOOR:.2f}) {'ok' if ok_show else 'TOO SLOW'}")
    return 0 if ok_list and ok_show else 1


if __name__ == "__main__":
    sys.exit(main())
