"""Wall time of `iamctl simulate principal` for one request on a 1,000-user account.

Two users are asked: one whose only policy is its group's customer managed policy, and one that
also has the AWS managed policy ReadOnlyAccess attached (118 kB of JSON, read from the bundle
shipped with iamctl and parsed by the policy engine), as accounts commonly have.

Run: python benchmarks/simulate.py [--runs 40]
Floor (issue 3): simulate <= 1.3 x iamctl --version, as the median of paired rounds
(benchmarks/_timing.py says why), for both users.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from _timing import interleaved_runs, ratio_line

FLOOR = 1.3
READER = "user0501"  # also has ReadOnlyAccess

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "arn:aws:s3:::data/*"},
        {"Sid": "Home", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},
    ],
}


def build(root: Path) -> None:
    """1,000 users in 10 groups, each group with a managed policy, in one transaction."""
    from iamctl.core.identities import account, groups, policies, users
    from iamctl.core.store.directory import Store

    store = Store(root)
    store.init("123456789012")
    with store.write() as txn:
        account.set_quota(txn, "users", 2000)
        for g in range(10):
            groups.create_group(txn, f"team{g}")
            policies.create_policy(txn, f"TeamPolicy{g}", json.dumps(POLICY))
            policies.attach_policy(txn, "group", f"team{g}", f"arn:aws:iam::123456789012:policy/TeamPolicy{g}")
        for i in range(1000):
            users.create_user(txn, f"user{i:04d}")
            groups.add_user_to_group(txn, f"team{i % 10}", f"user{i:04d}")
        policies.attach_policy(txn, "user", READER, "arn:aws:iam::aws:policy/ReadOnlyAccess")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "acct"
        build(root)
        env = {**os.environ, "IAMCTL_DIR": str(root)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        iamctl = [sys.executable, "-P", "-m", "iamctl"]
        request = ["-a", "s3:GetObject", "-r", "arn:aws:s3:::data/report.csv", "-o", "json"]
        times = interleaved_runs({
            "version": [*iamctl, "--version"],
            "simulate": [*iamctl, "simulate", "principal", "--user", "user0500", *request],
            "aws managed": [*iamctl, "simulate", "principal", "--user", READER, *request],
        }, args.runs, env)
    version = statistics.median(times["version"])
    print(f"{'iamctl --version':38} {version * 1000:7.1f} ms (median of {args.runs} interleaved rounds)")
    worst = 0.0
    for label, what in (("simulate", "simulate principal, 1,000-user account"),
                        ("aws managed", "the same, with ReadOnlyAccess attached")):
        line, ratio = ratio_line(what, times[label], times["version"], FLOOR)
        worst = max(worst, ratio)
        print(line)
    print(f"result: {'PASS' if worst <= FLOOR else 'FAIL'} worst ratio {worst:.2f}")
    return 0 if worst <= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
