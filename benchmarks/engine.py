"""Policy engine throughput, in-process, on one core: decisions warm and cold, parse + decide,
and the parse of a large wildcard policy.

A principal (an IAM user with tags) carries 10 managed policies x 10 statements that mix
wildcards, NotAction, NotResource, conditions and policy variables, plus a permissions
boundary: the engine corpus, 101 statements. It is asked a mixed set of requests (allowed,
explicitly denied, implicitly denied, with and without condition keys). Requests are built once,
as a simulator builds them once and evaluates them against many policies.

- Warm: the same parsed policies answer the requests over and over, so every request after the
  first for its action is answered from the policies' per-action cache (the statements that
  match the action). This is a long-running simulator's case. Counts `evaluate` calls.
- Cold: every decision is the first for its action on freshly parsed policies, so none is
  answered from that cache. This is a one-shot command's case (`simulate principal` asks each
  action once). Parsing the fresh policies is not timed. Counts `evaluate` calls.
- Parse + decide: the 11 documents parsed (already decoded from JSON, as the store gives them),
  then every request decided on them, timed together: statements per second (101 per set).
- Wildcard policy: one policy of 1,000 statements, each with several wildcard actions and
  resources, StringLike and ArnLike conditions (the patterns differ from statement to statement
  and from round to round): the milliseconds its parse takes, and (shown, no floor) the parse
  and a first request that every statement's action matches, so that every resource pattern
  is tried.

Before each timed set the engine's content-keyed caches (compiled regular expressions,
substituted patterns, request addresses: every bounded `lru_cache` in iamctl.core.engine, and
`re`'s own) are emptied, as in a new process, so that no figure is helped by a document seen in
an earlier round; the process's one-time costs (imports, the grammar's own patterns) are paid
before timing. Each figure is the median of --rounds rounds, not the best round.

Floors (issue 21 item 4): warm >= 50,000 decisions/s; cold >= 150,000 decisions/s; parse +
decide >= 100,000 statements/s; the 1,000-statement wildcard policy parses in <= 40 ms.

Run:  python benchmarks/engine.py [--seconds 3] [--rounds 15] [--cold-sets 100]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time

from iamctl.core.engine import conditions, decision, grammar, match, parse, variables
from iamctl.core.engine.decision import evaluate
from iamctl.core.engine.parse import parse_policy
from iamctl.core.engine.request import PrincipalInfo, make_request

FLOOR = 50_000  # decisions per second, one core, per-action cache warm
COLD_FLOOR = 150_000  # the same, cold (issue 21 item 4)
PARSE_DECIDE_FLOOR = 100_000  # statements parsed and decided per second (issue 21 item 4)
WILDCARD_FLOOR_MS = 40.0  # parse of the 1,000-statement wildcard policy (issue 21 item 4)
WILDCARD_STATEMENTS = 1000
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


def documents() -> tuple[list[tuple[dict, str]], dict]:
    """The corpus's documents, decoded: 10 managed policies (with their names) and the boundary."""
    managed = [({"Version": "2012-10-17", "Statement": [_statement(p, s) for s in range(10)]}, f"managed-{p}")
               for p in range(10)]
    boundary = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "ec2:*", "dynamodb:*", "iam:*", "sqs:*"], "Resource": "*"}
        ],
    }
    return managed, boundary


def parse_set(docs: tuple[list[tuple[dict, str]], dict]):
    managed, boundary = docs
    return ([parse_policy(doc, name=name) for doc, name in managed],
            parse_policy(boundary, name="boundary", kind="boundary"))


def build():
    policies, boundary = parse_set(documents())
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


def empty_caches() -> None:
    """Empty every content-keyed cache of the engine (its bounded lru_caches) and `re`'s, as a
    new process has them; the unbounded ones (the grammar's own patterns, AWS's data) stay."""
    for module in (conditions, decision, grammar, match, parse, variables):
        for value in vars(module).values():
            info = getattr(value, "cache_info", None)
            if info is not None and info().maxsize is not None:
                value.cache_clear()
    re.purge()


def cold_rates(requests, rounds: int, sets: int) -> list[float]:
    """Decisions per second in each of `rounds` rounds, each over `sets` freshly parsed policy
    sets that answer one request per action: no decision is the second for its action on its
    policies. Two requests with the same action take turns, set by set."""
    by_action: dict[str, list] = {}
    for r in requests:
        by_action.setdefault(r.action, []).append(r)
    docs = documents()
    rates = []
    set_number = 0
    for _ in range(rounds):
        n, timed = 0, 0.0
        for _ in range(sets):
            policies, boundary = parse_set(docs)  # not timed: new Policy objects, nothing cached
            batch = [same[set_number % len(same)] for same in by_action.values()]
            set_number += 1
            empty_caches()
            start = time.perf_counter()
            for r in batch:
                evaluate(r, identity=policies, boundary=boundary)
            timed += time.perf_counter() - start
            n += len(batch)
        rates.append(n / timed)
    return rates


def parse_decide_rates(requests, rounds: int, sets: int) -> list[float]:
    """Statements parsed and decided per second in each of `rounds` rounds of `sets` sets: the
    corpus's documents parsed, then every request decided on the new policies."""
    docs = documents()
    statements = sum(len(doc["Statement"]) for doc, _ in docs[0]) + len(docs[1]["Statement"])
    rates = []
    for _ in range(rounds):
        timed = 0.0
        for _ in range(sets):
            empty_caches()
            start = time.perf_counter()
            policies, boundary = parse_set(docs)
            for r in requests:
                evaluate(r, identity=policies, boundary=boundary)
            timed += time.perf_counter() - start
        rates.append(statements * sets / timed)
    return rates


def wildcard_policy(round_number: int) -> dict:
    """1,000 statements, each with wildcards in its actions, resources and condition values, none
    the same as another's (nor as another round's)."""
    statements = []
    for i in range(WILDCARD_STATEMENTS):
        tag = f"{round_number}x{i}"
        statements.append({
            "Sid": f"W{i}",
            "Effect": "Allow",
            "Action": ["s3:*Object*", f"ec2:Describe*{tag}*", f"iam:?etUser{tag}*"],
            "Resource": [
                f"arn:aws:s3:::bucket-{tag}-*/*/logs/*.gz",
                f"arn:aws:ec2:*:*:instance/i-{tag}?*",
                f"arn:aws:iam::*:role/team-{tag}-*",
            ],
            "Condition": {
                "StringLike": {"aws:PrincipalTag/team": [f"team-{tag}-*", "*-admins"]},
                "ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:*:topic-{tag}-*"},
            },
        })
    return {"Version": "2012-10-17", "Statement": statements}


def wildcard_times(rounds: int) -> tuple[list[float], list[float]]:
    """Per round: milliseconds to parse the wildcard policy, and to parse it and decide one
    request that every statement's action matches (its resource matches none)."""
    parses, with_decision = [], []
    alice = PrincipalInfo("User", arn=f"arn:aws:iam::{ACCOUNT}:user/alice", account_id=ACCOUNT,
                          username="alice", tags={"team": "team-1-admins"})
    request = make_request("s3:GetObject", "arn:aws:s3:::other/a/logs/f.gz", principal=alice,
                           context={"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic-1-a"})
    for n in range(2 * rounds):
        doc = wildcard_policy(n)
        empty_caches()
        start = time.perf_counter()
        policy = parse_policy(doc, name="wildcards")
        parsed = time.perf_counter()
        if n % 2:
            evaluate(request, identity=[policy])
            with_decision.append((time.perf_counter() - start) * 1000)
        else:
            parses.append((parsed - start) * 1000)
    return parses, with_decision


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="warm: total seconds, split into rounds")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--cold-sets", type=int, default=100, help="cold, parse + decide: policy sets per round")
    args = ap.parse_args()
    policies, boundary, requests = build()
    decisions = {r.action: evaluate(r, identity=policies, boundary=boundary).decision for r in requests}
    kinds = sorted(set(decisions.values()))
    # Once untimed: one-time costs of a process (imports, the grammar's patterns, first regexes).
    cold_rates(requests, 1, 5)
    parse_decide_rates(requests, 1, 5)
    wildcard_times(1)
    warm = statistics.median(warm_rates(policies, boundary, requests, args.rounds, args.seconds / args.rounds))
    cold_each = cold_rates(requests, args.rounds, args.cold_sets)
    cold = statistics.median(cold_each)
    both_each = parse_decide_rates(requests, args.rounds, args.cold_sets)
    both = statistics.median(both_each)
    parses, with_decision = wildcard_times(args.rounds)
    parse_ms, decided_ms = statistics.median(parses), statistics.median(with_decision)
    per_round = len({r.action for r in requests}) * args.cold_sets
    verdicts = {
        "warm": warm >= FLOOR,
        "cold": cold >= COLD_FLOOR,
        "parse + decide": both >= PARSE_DECIDE_FLOOR,
        "wildcard parse": parse_ms <= WILDCARD_FLOOR_MS,
    }

    def word(name: str) -> str:
        return "PASS" if verdicts[name] else "FAIL"

    print(f"policy engine, per-action cache warm: {warm:,.0f} decisions/s (median of {args.rounds} rounds of "
          f"{args.seconds / args.rounds:.2f} s, one core)")
    print(f"floor: {FLOOR:,} decisions/s; principal with 10 policies x 10 statements + boundary; "
          f"{len(requests)} request shapes, outcomes {', '.join(kinds)}: {word('warm')}")
    print(f"policy engine, per-action cache cold: {cold:,.0f} decisions/s (median of {args.rounds} rounds of "
          f"{per_round:,} first-for-their-action decisions; rounds {min(cold_each):,.0f}-{max(cold_each):,.0f})")
    print(f"floor: {COLD_FLOOR:,} decisions/s cold: {word('cold')}")
    print(f"policy engine, parse + decide: {both:,.0f} statements/s (median of {args.rounds} rounds of "
          f"{args.cold_sets} sets: 101 statements parsed, {len(requests)} requests decided; "
          f"rounds {min(both_each):,.0f}-{max(both_each):,.0f})")
    print(f"floor: {PARSE_DECIDE_FLOOR:,} statements/s: {word('parse + decide')}")
    print(f"policy engine, {WILDCARD_STATEMENTS:,}-statement wildcard policy: parse {parse_ms:.1f} ms (median of "
          f"{args.rounds}; rounds {min(parses):.1f}-{max(parses):.1f}); parse and a first request every "
          f"statement's action matches: {decided_ms:.1f} ms")
    print(f"floor: {WILDCARD_FLOOR_MS:g} ms parse: {word('wildcard parse')}")
    failed = [name for name, ok in verdicts.items() if not ok]
    print(f"result: {'FAIL' if failed else 'PASS'}" + (f" ({', '.join(failed)})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
