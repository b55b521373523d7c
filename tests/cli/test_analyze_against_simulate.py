"""`analyze who-can` says, for every principal of a generated account, what `simulate principal`
says, and each route it lists is one `role assume` takes.

The accounts are random (seeded): users, groups, roles, managed, inline and boundary policies
whose statements mix Allow and Deny, Action and NotAction, resources, and conditions on MFA, the
source address, principal tags and the token's issue time; trust policies naming the account,
users, roles or a service, some requiring MFA. For each request, and each user and role:

- simulate allows it  <=>  who-can lists the principal as allowed directly (no hops), also for
  sts:AssumeRole on a role of the directory, which both decide with the role's trust policy;
- who-can lists it as conditional directly  =>  simulate denies it as asked, and allows it
  with the conditions' values given as -c KEY=VALUE;
- who-can lists it through hops, unconditionally  =>  `role assume` takes each hop, and
  `simulate principal --role` allows the request for the last role.
"""

from __future__ import annotations

import json
import random

import pytest

ACCOUNT = "111122223333"
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteBucket", "ec2:RunInstances", "dynamodb:GetItem",
           "sts:AssumeRole", "iam:PassRole"]
PATTERNS = ACTIONS + ["s3:*", "s3:Get*", "ec2:*", "*"]
RESOURCES = ["*", "arn:aws:s3:::data/*", "arn:aws:s3:::data", "arn:aws:s3:::logs/*"]
CONDITIONS = [
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}},
    {"StringEquals": {"aws:PrincipalTag/team": "web"}},
    {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}},
    {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
]
REQUESTS = [("s3:GetObject", "arn:aws:s3:::data/report.csv"), ("s3:DeleteBucket", "arn:aws:s3:::data"),
            ("ec2:RunInstances", "*"), ("dynamodb:GetItem", "*"), ("s3:PutObject", "arn:aws:s3:::logs/x"),
            # a role of the directory: the trust policy decides too, in who-can as in simulate
            ("sts:AssumeRole", "arn:aws:iam::111122223333:role/r1")]


def _statement(rng: random.Random) -> dict:
    st: dict = {"Effect": "Deny" if rng.random() < 0.2 else "Allow"}
    actions = rng.sample(PATTERNS, rng.randint(1, 3))
    st["NotAction" if rng.random() < 0.1 else "Action"] = actions
    st["Resource"] = rng.choice(RESOURCES)
    if rng.random() < 0.45:
        st["Condition"] = rng.choice(CONDITIONS)
    return st


def _policy(rng: random.Random) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [_statement(rng) for _ in range(rng.randint(1, 3))]})


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def build(iam, rng: random.Random) -> list[tuple[str, str]]:
    """A random account; returns its principals as (kind, name)."""
    iam("init", "--account-id", ACCOUNT)
    iam("policy", "create", "Bound", "--document", "-", input=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRole", "dynamodb:*"], "Resource": "*"}]}))
    for i in range(6):
        iam("policy", "create", f"M{i}", "--document", "-", input=_policy(rng))
    for g in range(3):
        iam("group", "create", f"g{g}")
        iam("group", "attach-policy", f"g{g}", _arn("policy", f"M{rng.randrange(6)}"))
    principals = []
    for u in range(10):
        name = f"u{u}"
        args = ["--tag", f"team={rng.choice(['web', 'db'])}"]
        if rng.random() < 0.25:
            args += ["--permissions-boundary", _arn("policy", "Bound")]
        iam("user", "create", name, *args)
        principals.append(("user", name))
        for g in rng.sample(range(3), rng.randint(0, 2)):
            iam("group", "add-user", f"g{g}", name)
        if rng.random() < 0.5:
            iam("user", "put-policy", name, "Own", "--document", "-", input=_policy(rng))
        if rng.random() < 0.4:
            iam("user", "put-policy", name, "Assume", "--document", "-", input=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Resource": "*"}]}))
    for r in range(6):
        name = f"r{r}"
        kind = rng.choice(["account", "user", "role", "service"]) if r else "account"
        if kind == "account":
            principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        elif kind == "user":
            principal = {"AWS": _arn("user", f"u{rng.randrange(10)}")}
        elif kind == "role":
            principal = {"AWS": _arn("role", f"r{rng.randrange(r)}")}
        else:
            principal = {"Service": "ec2.amazonaws.com"}
        st: dict = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        if rng.random() < 0.3:
            st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        iam("role", "create", name, "--trust-policy", "-",
            input=json.dumps({"Version": "2012-10-17", "Statement": [st]}))
        iam("role", "attach-policy", name, _arn("policy", f"M{rng.randrange(6)}"))
        if rng.random() < 0.6:
            iam("role", "put-policy", name, "Own", "--document", "-", input=_policy(rng))
        principals.append(("role", name))
    # one sure chain, so that every seed meets a route through hops: u0 -> r-chain, which may all
    iam("role", "create", "r-chain", "--trust-user", _arn("user", "u0"))
    iam("role", "put-policy", "r-chain", "All", "--document", "-", input=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ACTIONS, "Resource": "*"}]}))
    return principals + [("role", "r-chain")]


def _simulate(iam, kind: str, name: str, action: str, resource: str, context: dict | None = None) -> bool:
    args = ["simulate", "principal", f"--{kind}", name, "-a", action, "-r", resource]
    for key, value in (context or {}).items():
        args += ["-c", f"{key}={value}"]
    return iam(*args, "-o", "json", expect=None).exit_code == 0


@pytest.mark.parametrize("seed", [1, 7, 17])
def test_who_can_answers_are_what_simulate_and_role_assume_say(iam, now, seed):
    rng = random.Random(seed)
    principals = build(iam, rng)
    checked = {"allowed": 0, "conditional": 0, "via": 0, "none": 0}
    for action, resource in REQUESTS:
        listed = {p["Arn"]: p for p in iam("analyze", "who-can", "-a", action, "-r", resource,
                                           "-o", "json").json()["Principals"]}
        for kind, name in principals:
            entry = listed.get(_arn(kind, name))
            allowed = _simulate(iam, kind, name, action, resource)
            direct = entry is not None and not entry["Via"]
            assert allowed == (direct and entry["Decision"] == "allowed"), (seed, action, resource, kind, name, entry)
            if allowed:
                checked["allowed"] += 1
            elif entry is None:
                checked["none"] += 1
            elif direct:
                witness = {c["Key"]: c["Value"] for c in entry["Conditions"] if c["Key"] and c["Value"] is not None}
                assert _simulate(iam, kind, name, action, resource, witness), (seed, action, kind, name, entry)
                checked["conditional"] += 1
            elif entry["Decision"] == "allowed":
                hops = entry["Via"]
                callers = [f"{kind}/{name}"] + [f"role/{h['From'].rsplit('/', 1)[1]}" for h in hops[1:]]
                for caller, hop in zip(callers, hops, strict=True):
                    iam("role", "assume", hop["To"].rsplit("/", 1)[1], "--as", caller, "--session-name", "check",
                        "-o", "json")
                assert _simulate(iam, "role", hops[-1]["To"].rsplit("/", 1)[1], action, resource)
                checked["via"] += 1
    # every kind of answer was met, so each rule above was exercised
    assert all(checked.values()), checked
