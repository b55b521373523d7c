"""Wall time of `iamctl simulate principal` for one request on a 1,000-user account.

Run: python benchmarks/simulate.py [--runs 30]
Floor (issue 3): median(simulate) <= 1.3 x median(iamctl --version).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _timing import interleaved_medians

FLOOR = 1.3

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
    from iamctl.core import account, groups, policies, users
    from iamctl.core.store import Store

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "acct"
        build(root)
        env = {**os.environ, "IAMCTL_DIR": str(root)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        iamctl = [sys.executable, "-m", "iamctl"]
        medians = interleaved_medians({
            "version": [*iamctl, "--version"],
            "simulate": [*iamctl, "simulate", "principal", "--user", "user0500", "-a", "s3:GetObject",
                         "-r", "arn:aws:s3:::data/report.csv", "-o", "json"],
        }, args.runs, env)
    version, sim = medians["version"], medians["simulate"]
    ratio = sim / version
    print(f"iamctl --version                       {version * 1000:7.1f} ms (median of {args.runs}, interleaved)")
    print(f"simulate principal, 1,000-user account {sim * 1000:7.1f} ms  ratio {ratio:.2f}  (floor <= {FLOOR})")
    print(f"result: {'PASS' if ratio <= FLOOR else 'FAIL'}")
    return 0 if ratio <= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
