"""`iamctl analyze`: who-can over 5,000 users and 1,000 roles, escalation over iam-vulnerable.

Floors (issue 17): `analyze who-can` on an account of 5,000 users and 1,000 roles within 3 s;
`analyze escalation` on BishopFox's iam-vulnerable account (tests/data/authdetails) within 2 s.
Each figure is the median of several runs of the real command in a fresh process (start-up,
reading the directory and rendering JSON included), since that is what a person or a script
waits for.

The large account: 50 groups with a managed policy each (S3, EC2, DynamoDB and logs access, some
with Deny statements and conditions), every user in one or two groups, a third of them with an
inline policy of their own (a home folder through ${aws:username}) and a tenth with a permissions
boundary; 1,000 roles trusting the account (some only with MFA), a user, another role or a
service, each with one of 30 managed policies and some with an inline policy. The request is one
that a few hundred principals can make, directly or through a role.

Run: python benchmarks/analysis.py [--users 5000] [--roles 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WHO_CAN_FLOOR_S = 3.0
ESCALATION_FLOOR_S = 2.0
ACCOUNT = "111122223333"
VULNERABLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "authdetails" / \
    "cloudsplaining-example-iamvulnerable.json"


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _group_policy(rng: random.Random, i: int) -> str:
    bucket = f"arn:aws:s3:::team{i}-*"
    statements = [{"Effect": "Allow", "Action": rng.sample(["s3:GetObject", "s3:PutObject", "s3:ListBucket",
                                                            "dynamodb:Query", "logs:PutLogEvents", "ec2:Describe*"],
                                                           3), "Resource": "*"},
                  {"Effect": "Allow", "Action": "s3:*", "Resource": [bucket, f"{bucket}/*"]},
                  {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/team{i}-*"}]
    if i % 5 == 0:
        statements.append({"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*",
                           "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    if i % 7 == 0:
        statements.append({"Effect": "Allow", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::prod-data",
                           "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})
    return _doc(*statements)


def _role_policy(rng: random.Random, i: int) -> str:
    if i % 6 == 0:
        return _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    return _doc({"Effect": "Allow", "Action": rng.sample(["ec2:RunInstances", "ec2:Describe*", "lambda:InvokeFunction",
                                                          "sqs:SendMessage", "s3:GetObject", "kms:Decrypt"], 3),
                 "Resource": "*"})


def build(root: Path, users: int, roles: int) -> None:
    """The large account, created with the core API in one transaction."""
    from iamctl.core.identities import account, groups, policies
    from iamctl.core.identities import roles as role_ops
    from iamctl.core.identities import users as user_ops
    from iamctl.core.store.directory import Store

    rng = random.Random(17)
    store = Store(root)
    store.init(ACCOUNT)
    with store.write() as txn:
        account.set_quota(txn, "users", max(users, 5000))
        account.set_quota(txn, "roles", max(roles, 1000))
        policies.create_policy(txn, "Bound", _doc({"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRole", "ec2:*"],
                                                   "Resource": "*"}))
        for g in range(50):
            groups.create_group(txn, f"team{g}")
            policies.create_policy(txn, f"Team{g}", _group_policy(rng, g))
            policies.attach_policy(txn, "group", f"team{g}", f"arn:aws:iam::{ACCOUNT}:policy/Team{g}")
        for r in range(30):
            policies.create_policy(txn, f"Role{r}", _role_policy(rng, r))
        home = _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"})
        for u in range(users):
            name = f"user{u:05d}"
            boundary = f"arn:aws:iam::{ACCOUNT}:policy/Bound" if u % 10 == 0 else None
            user_ops.create_user(txn, name, tags={"team": f"t{u % 50}"}, permissions_boundary=boundary)
            for g in rng.sample(range(50), rng.randint(1, 2)):
                groups.add_user_to_group(txn, f"team{g}", name)
            if u % 3 == 0:
                policies.put_inline_policy(txn, "user", name, "Home", home)
        for r in range(roles):
            kind = r % 10
            if kind < 4:
                trust = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
            elif kind < 7:
                trust = {"AWS": f"arn:aws:iam::{ACCOUNT}:user/user{rng.randrange(users):05d}"}
            elif kind < 9:
                trust = {"Service": rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com"])}
            else:
                trust = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/team{r % 50}-role{max(0, r - 10):04d}"}
            statement: dict = {"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"}
            if kind == 3:
                statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            name = f"team{r % 50}-role{r:04d}"
            if kind == 9 and not txn.exists("role", trust["AWS"].rsplit("/", 1)[1]):
                statement["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
            role_ops.create_role(txn, name, _doc(statement))
            policies.attach_policy(txn, "role", name, f"arn:aws:iam::{ACCOUNT}:policy/Role{r % 30}")
            if r % 5 == 0:
                policies.put_inline_policy(txn, "role", name, "Extra", _role_policy(rng, r + 1))


def median_run(runs: int, root: Path, *args: str) -> tuple[float, str]:
    """The median wall time of `iamctl --dir ROOT ARGS...` over `runs` fresh processes (after one
    untimed run that writes the bytecode cache), and the command's output."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [sys.executable, "-P", "-m", "iamctl", "--dir", str(root), *args]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big, vulnerable = Path(tmp) / "big", Path(tmp) / "vulnerable"
        start = time.perf_counter()
        build(big, args.users, args.roles)
        print(f"built {args.users} users and {args.roles} roles: {time.perf_counter() - start:.1f} s")
        subprocess.run([sys.executable, "-P", "-m", "iamctl", "--dir", str(vulnerable), "account", "import",
                        str(VULNERABLE)], check=True, capture_output=True)
        who, out = median_run(args.runs, big, "analyze", "who-can", "-a", "s3:DeleteBucket",
                           "-r", "arn:aws:s3:::prod-data", "-o", "json")
        found = json.loads(out)["Principals"]
        via = sum(1 for p in found if p["Via"])
        esc, out = median_run(args.runs, vulnerable, "analyze", "escalation", "-o", "json")
        paths = len(json.loads(out)["Escalations"])
    ok_who, ok_esc = who <= WHO_CAN_FLOOR_S, esc <= ESCALATION_FLOOR_S
    print(f"who-can, {args.users} users and {args.roles} roles: {who:.2f} s ({len(found)} principals, {via} "
          f"through roles) (floor {WHO_CAN_FLOOR_S} s) {'ok' if ok_who else 'TOO SLOW'}")
    print(f"escalation, iam-vulnerable: {esc:.2f} s ({paths} paths) (floor {ESCALATION_FLOOR_S} s) "
          f"{'ok' if ok_esc else 'TOO SLOW'}")
    return 0 if ok_who and ok_esc else 1


if __name__ == "__main__":
    sys.exit(main())
