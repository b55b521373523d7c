"""Wall time of `iamctl simulate principal` for one request on a 1,000-user account.

Two users are asked: one whose only policy is its group's customer managed policy, and one that
also has the AWS managed policy ReadOnlyAccess attached (118 kB of JSON, read from the bundle
shipped with iamctl and parsed by the policy engine), as accounts commonly have. The first is
asked again in a copy of the account that is a member of an organization, two OUs deep, with
two SCPs and an RCP on its path.

Run: python benchmarks/simulate.py [--runs 40]
Floor (issue 3): simulate <= 1.3 x iamctl --version, as the median of paired rounds
(benchmarks/_timing.py says why), for both users; issue 16: the organization must not make it
notably slower, so the same floor holds with one.
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


DENY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "NoLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
    {"Sid": "Regions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}
PERIMETER = {"Version": "2012-10-17", "Statement": [
    {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-exampleorg"},
                   "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}


def add_organization(root: Path) -> None:
    """The user account under Root / Workloads / Prod, two SCPs and an RCP on the way."""
    from iamctl.core.identities import organizations as orgs
    from iamctl.core.store.directory import Store

    store = Store(root)
    store.init("999988887777")  # the management account
    with store.write() as txn:
        org = orgs.create_organization(txn, "999988887777")
        orgs.create_ou(txn, "Workloads")
        orgs.create_ou(txn, "Prod", parent="Workloads")
        orgs.move_account(txn, "123456789012", "Prod")
        orgs.create_policy(txn, "Guardrails", orgs.SCP, json.dumps(DENY, indent=2))
        orgs.attach_policy(txn, "Guardrails", "Workloads")
        orgs.create_policy(txn, "ProdGuardrails", orgs.SCP, json.dumps(DENY, indent=2))
        orgs.attach_policy(txn, "ProdGuardrails", "Prod")
        perimeter = json.dumps(PERIMETER, indent=2).replace("o-exampleorg", org.id)
        orgs.create_policy(txn, "DataPerimeter", orgs.RCP, perimeter)
        orgs.attach_policy(txn, "DataPerimeter", "root")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain, with_org = Path(tmp) / "acct", Path(tmp) / "org"
        build(plain)
        build(with_org)
        add_organization(with_org)
        env = {**os.environ}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        iamctl = [sys.executable, "-P", "-m", "iamctl"]
        # The organization's SCPs deny outside two regions, so every request names one.
        request = ["-a", "s3:GetObject", "-r", "arn:aws:s3:::data/report.csv", "-c", "aws:RequestedRegion=eu-west-1",
                   "-o", "json"]
        times = interleaved_runs({
            "version": [*iamctl, "--version"],
            "simulate": [*iamctl, "--dir", str(plain), "simulate", "principal", "--user", "user0500", *request],
            "aws managed": [*iamctl, "--dir", str(plain), "simulate", "principal", "--user", READER, *request],
            "organization": [*iamctl, "--dir", str(with_org), "--account", "123456789012", "simulate", "principal",
                             "--user", "user0500", *request],
        }, args.runs, env)
    version = statistics.median(times["version"])
    print(f"{'iamctl --version':38} {version * 1000:7.1f} ms (median of {args.runs} interleaved rounds)")
    worst = 0.0
    for label, what in (("simulate", "simulate principal, 1,000-user account"),
                        ("aws managed", "the same, with ReadOnlyAccess attached"),
                        ("organization", "the same in an organization (2 OUs)")):
        line, ratio = ratio_line(what, times[label], times["version"], FLOOR)
        worst = max(worst, ratio)
        print(line)
    extra = statistics.median(o - p for o, p in zip(times["organization"], times["simulate"], strict=True))
    print(f"{'the organization adds':38} {extra * 1000:7.1f} ms (median of paired rounds)")
    print(f"result: {'PASS' if worst <= FLOOR else 'FAIL'} worst ratio {worst:.2f}")
    return 0 if worst <= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
