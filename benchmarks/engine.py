"""Policy engine throughput: decisions per second, in-process, on one core, warm and cold.

A principal (an IAM user with tags) carries 10 managed policies x 10 statements that mix
wildcards, NotAction, NotResource, conditions and policy variables, plus a permissions
boundary; it is asked a mixed set of requests (allowed, explicitly denied, implicitly denied,
with and without condition keys). Requests are built once, as a simulator builds them once
and evaluates them against many policies; the figures count `evaluate` calls.

- Warm: the same parsed policies answer the requests over and over, so every request after the
  first for its action is answered from the policies' per-action cache (the statements that
  match the action). This is a long-running simulator's case.
- Cold: every decision is the first for its action on freshly parsed policies, so none is
  answered from that cache. This is a one-shot command's case (`simulate principal` asks each
  action once). Parsing the fresh policies is not timed (issue 21 item 4 times parse + decide).

Each figure is the median of the per-round rates over --rounds rounds, not the best round.
Floors: warm >= 50,000 decisions/s; cold >= 150,000 decisions/s (issue 21 item 4: until that
work lands, the cold floor is a TARGET, reported but not failed).

Run:  python benchmarks/engine.py [--seconds 3] [--rounds 15] [--cold-sets 100]
"""

from __future__ import annotations

import argparse
import statistics
import time

from iamctl.core.engine.decision import evaluate
from iamctl.core.engine.parse import parse_policy
from iamctl.core.engine.request import PrincipalInfo, make_request

FLOOR = 50_000  # decisions per second, one core, per-action cache warm
COLD_FLOOR = 150_000  # the same, cold: issue 21 item 4's floor, a target until that work lands
ACCOUNT = "111122223333"
SERVICES = ["s3", "ec2", "iam", "dynamodb", "sqs", "sns", "lambda", "kms", "logs", "cloudwatch"]


def _statement(p: int, s: int) -> dict:
    svc = SERVICES[(p + s) % len(SERVICES)]
    kind = s % 10
    sid = f"P{p}S{s}"
    if kind == 0:
        return {"Sid": sid, "Effect": "Allow", "Action": f"{svc}:Get*", "Resource": "*"}
    if kind == 1:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": [f"{svc}:List*", f"{svc}:Describe*"],
            "Resource": f"arn:aws:{svc}:*:{ACCOUNT}:*",
        }
    if kind == 2:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": f"{svc}:Put*",
            "Resource": f"arn:aws:{svc}:us-east-1:{ACCOUNT}:home/${{aws:username}}/*",
        }
    if kind == 3:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "NotAction": [f"{svc}:*", "iam:Get*", "sts:GetCallerIdentity"],
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        }
    if kind == 4:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": f"{svc}:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
        }
    if kind == 5:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": f"{svc}:Create*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
                "ForAllValues:StringLike": {"aws:TagKeys": ["team", "cost*"]},
            },
        }
    if kind == 6:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Action": f"{svc}:Delete*",
            "NotResource": f"arn:aws:{svc}:*:{ACCOUNT}:sandbox/*",
        }
    if kind == 7:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": f"{svc}:Update?tem",
            "Resource": f"arn:aws:{svc}:*:*:table/app-*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        }
    if kind == 8:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": "*",
            "Resource": f"arn:aws:{svc}:eu-west-1:{ACCOUNT}:project-${{aws:PrincipalTag/project}}*",
            "Condition": {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}},
        }
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": f"{svc}:Tag*",
        "Resource": "*",
        "Condition": {"StringLikeIfExists": {"aws:ResourceTag/owner": "${aws:username}"}},
    }


def build():
    policies = [
        parse_policy(
            {"Version": "2012-10-17", "Statement": [_statement(p, s) for s in range(10)]},
            name=f"managed-{p}",
        )
        for p in range(10)
    ]
    boundary = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:*", "ec2:*", "dynamodb:*", "iam:*", "sqs:*"],
                    "Resource": "*",
                }
            ],
        },
        name="boundary",
        kind="boundary",
    )
    alice = PrincipalInfo(
        "User",
        arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        account_id=ACCOUNT,
        username="alice",
        userid="AIDAEXAMPLEALICE",
        tags={"team": "blue", "project": "apollo"},
    )
    shapes = [
        ("s3:GetObject", "arn:aws:s3:::bucket/key", {}),
        (
            "ec2:DescribeInstances",
            f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1",
            {"aws:MultiFactorAuthPresent": True},
        ),
        ("dynamodb:PutItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:home/alice/x", {}),
        ("iam:DeleteUser", f"arn:aws:iam::{ACCOUNT}:user/bob", {}),
        ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", {"aws:SourceIp": "10.1.2.3"}),
        ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", {"aws:SourceIp": "203.0.113.9"}),
        (
            "s3:CreateBucket",
            "arn:aws:s3:::new",
            {"aws:RequestTag/team": "blue", "aws:TagKeys": ["team", "costcenter"]},
        ),
        ("dynamodb:UpdateItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/app-orders", {}),
        (
            "ec2:TerminateInstances",
            f"arn:aws:ec2:eu-west-1:{ACCOUNT}:project-apollo-1",
            {"aws:MultiFactorAuthAge": "60"},
        ),
        ("iam:TagUser", f"arn:aws:iam::{ACCOUNT}:user/alice", {"aws:ResourceTag/owner": "alice"}),
        ("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1", {"aws:MultiFactorAuthPresent": False}),
        ("unknownsvc:DoThing", "*", {}),
    ]
    requests = [make_request(a, r, principal=alice, context=c) for a, r, c in shapes]
    return policies, boundary, requests


def warm_rates(policies, boundary, requests, rounds: int, seconds: float) -> list[float]:
    """Decisions per second in each of `rounds` rounds of `seconds` each, on the same policies."""
    rates = []
    for _ in range(rounds):
        n = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            for r in requests:
                evaluate(r, identity=policies, boundary=boundary)
            n += len(requests)
            now = time.perf_counter()
            if now >= deadline:
                break
        rates.append(n / (now - start))
    return rates


def cold_rates(requests, rounds: int, sets: int) -> list[float]:
    """Decisions per second in each of `rounds` rounds, each over `sets` freshly parsed policy
    sets that answer one request per action: no decision is the second for its action on its
    policies. Two requests with the same action take turns, set by set."""
    by_action: dict[str, list] = {}
    for r in requests:
        by_action.setdefault(r.action, []).append(r)
    rates = []
    set_number = 0
    for _ in range(rounds):
        n, timed = 0, 0.0
        for _ in range(sets):
            policies, boundary, _ = build()  # not timed: new Policy objects, nothing cached
            batch = [same[set_number % len(same)] for same in by_action.values()]
            set_number += 1
            start = time.perf_counter()
            for r in batch:
                evaluate(r, identity=policies, boundary=boundary)
            timed += time.perf_counter() - start
            n += len(batch)
        rates.append(n / timed)
    return rates


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="warm: total seconds, split into rounds")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--cold-sets", type=int, default=100, help="cold: fresh policy sets per round")
    args = ap.parse_args()
    policies, boundary, requests = build()
    decisions = {r.action: evaluate(r, identity=policies, boundary=boundary).decision for r in requests}
    kinds = sorted(set(decisions.values()))
    cold_rates(requests, 1, 5)  # once untimed: one-time costs of a process (imports, first regexes)
    warm = statistics.median(warm_rates(policies, boundary, requests, args.rounds, args.seconds / args.rounds))
    cold_each = cold_rates(requests, args.rounds, args.cold_sets)
    cold = statistics.median(cold_each)
    per_round = len({r.action for r in requests}) * args.cold_sets
    print(f"policy engine, per-action cache warm: {warm:,.0f} decisions/s (median of {args.rounds} rounds of "
          f"{args.seconds / args.rounds:.2f} s, one core)")
    print(f"floor: {FLOOR:,} decisions/s; principal with 10 policies x 10 statements + boundary; "
          f"{len(requests)} request shapes, outcomes {', '.join(kinds)}: {'PASS' if warm >= FLOOR else 'FAIL'}")
    print(f"policy engine, per-action cache cold: {cold:,.0f} decisions/s (median of {args.rounds} rounds of "
          f"{per_round:,} first-for-their-action decisions; rounds {min(cold_each):,.0f}-{max(cold_each):,.0f})")
    met = "PASS" if cold >= COLD_FLOOR else "TARGET (issue 21 item 4: cold compilation; not met yet)"
    print(f"floor: {COLD_FLOOR:,} decisions/s cold: {met}")
    print(f"result: {'PASS' if warm >= FLOOR else 'FAIL'}")
    return 0 if warm >= FLOOR else 1


if __name__ == "__main__":
    raise SystemExit(main())
