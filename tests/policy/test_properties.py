"""Property tests of the decision's invariants (IAM User Guide, "Policy evaluation logic").

Policies are drawn from a small vocabulary of actions, resources and conditions so that random
requests often match, and the invariants are checked over every policy type:

- a matching explicit Deny always wins ("an explicit deny in any policy overrides any allow");
- adding an identity Allow never turns an allowed request into a denied one;
- a permissions boundary never widens access ("sets the maximum permissions");
- SCPs never widen access ("SCPs do not grant permissions"), nor do RCPs;
- one evaluator decides and explains: the scan `--explain` runs with a trace finds exactly the
  statements the decision's scan applied, and accounts for every other statement that matched
  the action (a near miss or an evaluation error); `Evaluator.statement_applies` agrees with it.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamctl.core.engine.conditions import ConditionEvaluationError
from iamctl.core.engine.decision import ALLOWED, EXPLICIT_DENY, evaluate
from iamctl.core.engine.evaluator import Evaluator
from iamctl.core.engine.parse import parse_policy
from iamctl.core.engine.request import PrincipalInfo, make_request

A = "111122223333"
PRINCIPALS = [
    PrincipalInfo(
        "User", arn=f"arn:aws:iam::{A}:user/alice", account_id=A, username="alice", tags={"team": "blue"}
    ),
    PrincipalInfo(
        "AssumedRole",
        arn=f"arn:aws:sts::{A}:assumed-role/dev/s1",
        account_id=A,
        base_arn=f"arn:aws:iam::{A}:role/dev",
        tags={"team": "red"},
    ),
    PrincipalInfo(
        "User", arn="arn:aws:iam::444455556666:user/erin", account_id="444455556666", username="erin"
    ),
]
ACTIONS = ["s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:GetUser", "sqs:SendMessage"]
RESOURCES = [
    "arn:aws:s3:::b/alice/k",
    "arn:aws:s3:::b/other",
    f"arn:aws:ec2:us-east-1:{A}:instance/i-1",
    f"arn:aws:sqs:us-east-1:{A}:q",
    "*",
]
ACTION_PATTERNS = ["*", "s3:*", "s3:Get*", "s3:GetObject", "ec2:*", "iam:?etUser", "sqs:Send*", "*:*"]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    f"arn:aws:ec2:*:{A}:instance/*",
]
CONDITIONS = [
    None,
    {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "team*"}},
]
CONTEXT_ITEMS = {
    "aws:MultiFactorAuthPresent": st.booleans(),
    "aws:RequestedRegion": st.sampled_from(["us-east-1", "eu-west-1"]),
    "aws:SourceIp": st.sampled_from(["10.1.2.3", "192.0.2.1"]),
    "aws:TagKeys": st.lists(st.sampled_from(["team", "env"]), max_size=2),
}


@st.composite
def statements(draw, *, principal: bool = False):
    stmt = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    acts = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2))
    stmt["NotAction" if draw(st.booleans()) and "*" not in acts else "Action"] = acts
    stmt["Resource"] = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    cond = draw(st.sampled_from(CONDITIONS))
    if cond:
        stmt["Condition"] = cond
    if principal:
        stmt["Principal"] = draw(
            st.sampled_from(
                ["*", {"AWS": A}, {"AWS": PRINCIPALS[0].arn}, {"AWS": f"arn:aws:iam::{A}:role/dev"}]
            )
        )
    return stmt


def policies(kind: str, *, principal: bool = False):
    return st.lists(statements(principal=principal), min_size=1, max_size=4).map(
        lambda stmts: parse_policy({"Version": "2012-10-17", "Statement": stmts}, name=kind, kind=kind)
    )


@st.composite
def rcp_statements(draw):
    stmt = {"Effect": "Deny", "Principal": "*",
            "Action": draw(st.lists(st.sampled_from(["*", "s3:*", "s3:Get*", "sqs:Send*"]), min_size=1, max_size=2)),
            "Resource": draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))}
    cond = draw(st.sampled_from(CONDITIONS))
    if cond:
        stmt["Condition"] = cond
    return stmt


rcp_policies = st.lists(rcp_statements(), min_size=1, max_size=3).map(
    lambda stmts: parse_policy({"Version": "2012-10-17", "Statement": stmts}, name="rcp", kind="rcp"))


@st.composite
def scenarios(draw):
    return {
        "identity": draw(st.lists(policies("identity"), max_size=3)),
        "resource": draw(st.lists(policies("resource", principal=True), max_size=1)),
        "boundary": draw(st.one_of(st.none(), policies("boundary"))),
        "session": draw(st.one_of(st.none(), policies("session"))),
        "scps": draw(
            st.one_of(
                st.none(), st.lists(st.lists(policies("scp"), min_size=1, max_size=2), min_size=1, max_size=2)
            )
        ),
        "rcps": draw(st.one_of(st.none(), st.lists(st.lists(rcp_policies, max_size=2), min_size=1, max_size=2))),
    }


@st.composite
def requests(draw):
    principal = draw(st.sampled_from(PRINCIPALS))
    keys = draw(st.lists(st.sampled_from(sorted(CONTEXT_ITEMS)), unique=True))
    context = {k: draw(CONTEXT_ITEMS[k]) for k in keys}
    return make_request(
        draw(st.sampled_from(ACTIONS)), draw(st.sampled_from(RESOURCES)), principal=principal, context=context
    )


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _deny_for(request, kind: str):
    stmt = {"Sid": "Injected", "Effect": "Deny", "Action": request.action, "Resource": "*"}
    if kind in ("resource", "rcp"):
        stmt["Principal"] = "*"
    return parse_policy({"Version": "2012-10-17", "Statement": [stmt]}, name="injected", kind=kind)


@SETTINGS
@given(scenarios(), requests(), st.sampled_from(["identity", "resource", "boundary", "session", "scp"]))
def test_a_matching_explicit_deny_always_wins(scn, request, where) -> None:
    deny = _deny_for(request, where)
    kw = dict(scn)
    if where in ("identity", "resource"):
        kw[where] = [*kw[where], deny]
    elif where == "scp":
        kw["scps"] = [*(kw["scps"] or []), [deny]]
    else:
        kw[where] = deny if kw[where] is None else [kw[where], deny]
    result = evaluate(request, **kw)
    assert result.decision == EXPLICIT_DENY
    assert any(m.sid == "Injected" for m in result.matched)


@SETTINGS
@given(scenarios(), requests(), statements())
def test_adding_an_allow_never_turns_allowed_into_denied(scn, request, stmt) -> None:
    stmt = dict(stmt, Effect="Allow")
    before = evaluate(request, **scn)
    extra = parse_policy({"Version": "2012-10-17", "Statement": [stmt]}, name="extra")
    after = evaluate(request, **dict(scn, identity=[*scn["identity"], extra]))
    if before.decision == ALLOWED:
        assert after.decision == ALLOWED


@SETTINGS
@given(scenarios(), requests(), st.sampled_from(["boundary", "session", "scps", "rcps"]))
def test_a_cap_never_widens_access(scn, request, cap) -> None:
    """A permissions boundary "sets the maximum permissions", a session policy limits the
    session, SCPs and RCPs "do not grant permissions": removing one never denies what it allowed."""
    with_cap = evaluate(request, **scn)
    without = evaluate(request, **dict(scn, **{cap: None}))
    if with_cap.decision == ALLOWED:
        assert without.decision == ALLOWED


@SETTINGS
@given(scenarios(), requests())
def test_the_explaining_scan_is_the_deciding_scan(scn, request) -> None:
    result = evaluate(request, **scn)
    result.explanation  # noqa: B018 - explaining must not fail on any scenario
    for layer in result.layers:
        principals = layer.kind in ("resource", "rcp")
        for pol in layer.policies:
            trace: list = []
            errors: list = []
            again = Evaluator(request, has_boundary=result.has_boundary, trace=trace).scan(
                (pol,), errors, principals=principals, kind=layer.kind)
            plain = Evaluator(request, has_boundary=result.has_boundary).scan((pol,), [], principals=principals)
            applied = {m.index for m in again.allows + again.denies}
            assert applied == {m.index for m in plain.allows + plain.denies}
            # ... and what the decision's scan found for this policy (its MatchedStatements are
            # the policy's own objects, so identity tells them apart from a namesake's).
            own = {id(r) for r in pol._refs}
            assert {id(m) for m in again.allows + again.denies} == {
                id(m) for m in layer.allows + layer.denies if id(m) in own}
            missed = {m.statement.index for m in trace}
            erred = {e.index for e in errors}
            matching = {s.index for s in pol.statements_for(request.action_l)}
            assert applied | missed | erred == matching
            assert not applied & missed and not applied & erred
            for stmt in pol.statements:
                try:
                    single = Evaluator(request, has_boundary=result.has_boundary).statement_applies(stmt)
                except ConditionEvaluationError:
                    assert stmt.index in erred
                    continue
                assert single == (stmt.index in applied)
