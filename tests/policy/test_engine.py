"""Unit tests of the engine's pieces, each citing the AWS rule it checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iamctl.core.engine.decision import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY, Facts, Level, decide, evaluate
from iamctl.core.engine.evaluator import Evaluator
from iamctl.core.engine.match import GRANT_ACCOUNT, GRANT_DIRECT, GRANT_ROLE, NO_GRANT
from iamctl.core.engine.parse import parse_policy
from iamctl.core.engine.request import PrincipalInfo, make_request, request_context

A = "111122223333"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ALICE = PrincipalInfo(
    "User",
    arn=f"arn:aws:iam::{A}:user/alice",
    account_id=A,
    username="alice",
    userid="AIDAALICE",
    tags={"team": "blue"},
)
SESSION = PrincipalInfo(
    "AssumedRole",
    arn=f"arn:aws:sts::{A}:assumed-role/dev/s1",
    account_id=A,
    userid="AROADEV:s1",
    base_arn=f"arn:aws:iam::{A}:role/dev",
    tags={"team": "blue"},
    session_tags={"team": "green"},
    mfa_authenticated=True,
    mfa_auth_time=NOW - timedelta(minutes=5),
    token_issue_time=NOW - timedelta(minutes=10),
    source_identity="alice",
)


def pol(*statements, kind="identity", name="p"):
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name=name, kind=kind)


# --- request context ----------------------------------------------------------------------------


def test_request_context_for_an_iam_user() -> None:
    # Variables and tags, principal key table: aws:username only for IAM users.
    ctx = request_context(ALICE, now=NOW)
    assert ctx["aws:username"] == "alice"
    assert ctx["aws:userid"] == "AIDAALICE"
    assert ctx["aws:PrincipalType"] == "User"
    assert ctx["aws:PrincipalArn"] == ALICE.arn
    assert ctx["aws:PrincipalAccount"] == A
    assert ctx["aws:PrincipalTag/team"] == "blue"
    assert ctx["aws:CurrentTime"] == "2026-06-15T12:00:00Z"
    assert ctx["aws:EpochTime"] == str(int(NOW.timestamp()))
    assert "aws:MultiFactorAuthPresent" not in ctx  # long-term credentials carry no MFA key


def test_request_context_for_a_role_session() -> None:
    # Global condition keys: aws:PrincipalArn is the role ARN for a role session; session tags
    # override the role's tags; no aws:username.
    ctx = request_context(SESSION, now=NOW)
    assert "aws:username" not in ctx
    assert ctx["aws:PrincipalArn"] == f"arn:aws:iam::{A}:role/dev"
    assert ctx["aws:PrincipalType"] == "AssumedRole"
    assert ctx["aws:userid"] == "AROADEV:s1"
    assert ctx["aws:PrincipalTag/team"] == "green"
    assert ctx["aws:MultiFactorAuthPresent"] is True
    assert ctx["aws:MultiFactorAuthAge"] == "300"
    assert ctx["aws:TokenIssueTime"] == "2026-06-15T11:50:00Z"
    assert ctx["aws:SourceIdentity"] == "alice"


def test_root_user_context_and_anonymous_context() -> None:
    root = PrincipalInfo("Account", arn=f"arn:aws:iam::{A}:root", account_id=A)
    assert request_context(root, now=NOW)["aws:userid"] == A
    anon = request_context(PrincipalInfo("Anonymous"), now=NOW)
    assert set(anon) == {"aws:CurrentTime", "aws:EpochTime"}


def test_make_request_overrides_keys_case_insensitively_and_none_removes() -> None:
    r = make_request(
        "s3:GetObject",
        principal=ALICE,
        now=NOW,
        context={"AWS:CURRENTTIME": "2020-01-01T00:00:00Z", "aws:username": None},
    )
    assert r.ctx["aws:currenttime"] == "2020-01-01T00:00:00Z"
    assert "aws:username" not in r.ctx


def test_unknown_principal_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown principal type"):
        PrincipalInfo("Robot")


def test_cross_account_is_read_from_the_resource_arn_or_given() -> None:
    # Cross-account policy evaluation logic applies when the resource's account differs.
    assert make_request(
        "sqs:SendMessage", "arn:aws:sqs:us-east-1:444455556666:q", principal=ALICE
    ).cross_account
    assert not make_request("s3:GetObject", "arn:aws:s3:::bucket/k", principal=ALICE).cross_account
    assert make_request(
        "s3:GetObject", "arn:aws:s3:::b/k", principal=ALICE, resource_account="444455556666"
    ).cross_account


# --- statement_applies ---------------------------------------------------------------------------


def test_statement_applies_checks_action_resource_principal_and_conditions() -> None:
    p = pol(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ALICE.arn},
            "Action": "s3:Get*",
            "Resource": "arn:aws:s3:::home/${aws:username}/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
        },
        kind="resource",
    )
    st = p.statements[0]
    ev = Evaluator(make_request("s3:GetObject", "arn:aws:s3:::home/alice/x", principal=ALICE, now=NOW))
    assert ev.statement_applies(st)
    assert not Evaluator(
        make_request("s3:PutObject", "arn:aws:s3:::home/alice/x", principal=ALICE)
    ).statement_applies(st)
    assert not Evaluator(
        make_request("s3:GetObject", "arn:aws:s3:::home/bob/x", principal=ALICE)
    ).statement_applies(st)
    bob = PrincipalInfo(
        "User", arn=f"arn:aws:iam::{A}:user/bob", account_id=A, username="alice", tags={"team": "blue"}
    )
    assert not Evaluator(
        make_request("s3:GetObject", "arn:aws:s3:::home/alice/x", principal=bob)
    ).statement_applies(st)


@pytest.mark.parametrize(
    ("principal_value", "caller", "grant"),
    [
        ("*", ALICE, GRANT_DIRECT),
        ({"AWS": ALICE.arn}, ALICE, GRANT_DIRECT),
        ({"AWS": A}, ALICE, GRANT_ACCOUNT),
        ({"AWS": f"arn:aws:iam::{A}:role/dev"}, SESSION, GRANT_ROLE),
        ({"AWS": SESSION.arn}, SESSION, GRANT_DIRECT),
        ({"AWS": "444455556666"}, ALICE, NO_GRANT),
        (
            {"Service": "ec2.amazonaws.com"},
            PrincipalInfo("Service", service="ec2.amazonaws.com"),
            GRANT_DIRECT,
        ),
        ({"Service": "ec2.amazonaws.com"}, ALICE, NO_GRANT),
        ({"AWS": "*"}, PrincipalInfo("Anonymous"), GRANT_DIRECT),  # Principal: equivalent to "*" for anonymous
        ({"CanonicalUser": "abc"}, PrincipalInfo("CanonicalUser", canonical_user="abc"), GRANT_DIRECT),
    ],
)
def test_principal_grants(principal_value, caller, grant) -> None:
    # "Principal" element and "Policy evaluation logic": how a resource policy names the caller.
    p = pol(
        {"Effect": "Allow", "Principal": principal_value, "Action": "*", "Resource": "*"}, kind="resource"
    )
    assert Evaluator(make_request("s3:GetObject", principal=caller)).principal_grant(p.statements[0]) == grant


# --- decide ---------------------------------------------------------------------------------------


def facts(**kw) -> Facts:
    base = dict(
        explicit_deny=False,
        scp_ok=None,
        rcp_ok=None,
        resource_grant=NO_GRANT,
        resource_required=False,
        cross_account=False,
        identity_applies=True,
        identity_ok=False,
        boundary_ok=None,
        session_ok=None,
    )
    base.update(kw)
    return Facts(**base)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        (dict(explicit_deny=True, identity_ok=True, resource_grant=GRANT_DIRECT), (EXPLICIT_DENY, "deny")),
        (dict(identity_ok=True, scp_ok=False), (IMPLICIT_DENY, "scp")),
        (dict(identity_ok=True, rcp_ok=False), (IMPLICIT_DENY, "rcp")),
        (dict(identity_ok=True), (ALLOWED, "identity")),
        (dict(identity_ok=False), (IMPLICIT_DENY, "identity")),
        (dict(identity_ok=True, boundary_ok=False), (IMPLICIT_DENY, "boundary")),
        (dict(identity_ok=True, session_ok=False), (IMPLICIT_DENY, "session")),
        (dict(resource_grant=GRANT_DIRECT, boundary_ok=False, session_ok=False), (ALLOWED, "resource")),
        (dict(resource_grant=GRANT_ROLE, boundary_ok=False), (IMPLICIT_DENY, "boundary")),
        (dict(resource_grant=GRANT_ROLE, session_ok=False), (IMPLICIT_DENY, "session")),
        (dict(resource_grant=GRANT_ROLE), (ALLOWED, "resource")),
        (dict(resource_grant=GRANT_ACCOUNT), (IMPLICIT_DENY, "identity")),
        (dict(cross_account=True, resource_required=True, identity_ok=True), (IMPLICIT_DENY, "resource")),
        (
            dict(cross_account=True, resource_required=True, resource_grant=GRANT_DIRECT),
            (IMPLICIT_DENY, "identity"),
        ),
        (
            dict(cross_account=True, resource_required=True, resource_grant=GRANT_DIRECT, identity_ok=True),
            (ALLOWED, "identity"),
        ),
        (dict(identity_applies=False, resource_grant=GRANT_DIRECT), (ALLOWED, "resource")),
        (dict(identity_applies=False), (IMPLICIT_DENY, "identity")),
    ],
)
def test_decide_follows_the_documented_order(kw, expected) -> None:
    # "Policy evaluation logic": deny → SCP/RCP → resource-based → identity → boundary → session.
    assert decide(facts(**kw)) == expected


# --- evaluate: results, errors, explanations ---------------------------------------------------------


def test_deny_overrides_reports_every_matching_deny_and_no_allow() -> None:
    # "Policy evaluation logic": an explicit deny in any policy wins; the reasons are the denies.
    allow = pol({"Sid": "Allow", "Effect": "Allow", "Action": "*", "Resource": "*"}, name="allow")
    deny1 = pol({"Sid": "D1", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}, name="d1")
    deny2 = pol(
        {"Sid": "D2", "Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}, kind="boundary", name="d2"
    )
    r = evaluate(make_request("s3:GetObject", principal=ALICE), identity=[allow, deny1], boundary=deny2)
    assert r.decision == EXPLICIT_DENY
    assert {(m.policy, m.sid, m.effect, m.kind) for m in r.matched} == {
        ("d1", "D1", "Deny", "identity"),
        ("d2", "D2", "Deny", "boundary"),
    }
    assert r.boundary_allowed is False
    assert r.explanation[0].endswith("explicitly denied (an explicit Deny overrides every Allow)")


def test_an_evaluation_error_skips_only_that_statement() -> None:
    # Cedar's ErrorHandling::Skip: a Deny that cannot be evaluated does not apply; the error is reported.
    p = pol(
        {"Sid": "Allow", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "DenyOld",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"test:d": "2020-01-01"}},
        },
    )
    r = evaluate(
        make_request("s3:GetObject", principal=ALICE, context={"test:d": "not a date"}), identity=[p]
    )
    assert r.decision == ALLOWED
    assert [(e.sid, e.policy) for e in r.errors] == [("DenyOld", "p")]
    assert "not a valid date" in r.errors[0].message
    assert any("evaluation error" in line for line in r.explanation)


def test_implicit_deny_explanation_names_the_failed_condition_and_value() -> None:
    p = pol(
        {
            "Sid": "OfficeOnly",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
        name="net",
    )
    r = evaluate(
        make_request("s3:GetObject", principal=ALICE, context={"aws:SourceIp": "192.0.2.1"}), identity=[p]
    )
    assert r.decision == IMPLICIT_DENY
    assert (
        'statement "OfficeOnly" in identity-based policy "net" matched action and resource but condition '
        "aws:SourceIp IpAddress 10.0.0.0/8 failed: request value 192.0.2.1"
    ) in r.explanation


def test_result_as_dict_has_stable_keys() -> None:
    r = evaluate(
        make_request("s3:GetObject", principal=ALICE),
        identity=[pol({"Effect": "Allow", "Action": "*", "Resource": "*"})],
    )
    d = r.as_dict()
    assert list(d) == [
        "decision",
        "action",
        "resource",
        "matched",
        "missing_context_keys",
        "identity_allowed",
        "resource_allowed",
        "boundary_allowed",
        "scp_allowed",
        "rcp_allowed",
        "session_allowed",
        "errors",
        "explanation",
    ]
    assert d["matched"] == [{"policy": "p", "kind": "identity", "sid": None, "effect": "Allow", "index": 0}]
    assert d["boundary_allowed"] is None and d["resource_allowed"] is None


def test_rcp_levels_restrict_only_by_deny_and_name_the_level_that_blocked() -> None:
    """AWS Organizations, "RCP syntax": RCPFullAWSAccess is attached at every level and cannot be
    detached, so a level restricts only with a Deny; "Policy evaluation logic": an explicit deny
    in an RCP wins."""
    p = pol({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny_puts = pol(
        {"Sid": "NoPuts", "Effect": "Deny", "Principal": "*", "Action": "s3:Put*", "Resource": "*"},
        kind="rcp",
        name="no-puts",
    )
    get = make_request("s3:GetObject", "arn:aws:s3:::b/k", principal=ALICE)
    r = evaluate(get, identity=[p], rcps=[[], [deny_puts]])
    assert (r.decision, r.rcp_allowed) == (ALLOWED, True)
    assert {m.policy for m in r.matched} >= {"RCPFullAWSAccess"}
    put = make_request("s3:PutObject", "arn:aws:s3:::b/k", principal=ALICE)
    r = evaluate(put, identity=[p], rcps=[Level("root", ()), Level("ou-prod", (deny_puts,))])
    assert (r.decision, r.rcp_allowed) == (EXPLICIT_DENY, False)
    assert 'denied by Sid "NoPuts" in RCP "no-puts" at ou-prod' in r.explanation


def test_rcps_apply_only_to_the_services_that_support_them() -> None:
    """AWS Organizations, "Resource control policies (RCPs)": RCPs apply to the listed services only."""
    p = pol({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny_all = pol({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}, kind="rcp", name="deny")
    r = evaluate(make_request("ec2:RunInstances", principal=ALICE), identity=[p], rcps=[[deny_all]])
    assert (r.decision, r.rcp_allowed) == (ALLOWED, None)
    assert any("RCPs do not apply to ec2 actions" in line for line in r.explanation)
    r = evaluate(make_request("s3:GetObject", principal=ALICE), identity=[p], rcps=[[deny_all]])
    assert r.decision == EXPLICIT_DENY


def test_an_scp_level_that_does_not_allow_is_named() -> None:
    """--explain names the SCP level and its policies that blocked ("Service control policies":
    every level must allow)."""
    p = pol({"Effect": "Allow", "Action": "*", "Resource": "*"})
    full = pol({"Effect": "Allow", "Action": "*", "Resource": "*"}, kind="scp", name="FullAWSAccess")
    ec2 = pol({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}, kind="scp", name="ec2-only")
    r = evaluate(make_request("s3:GetObject", principal=ALICE), identity=[p],
                 scps=[Level("root", (full,)), Level("ou-sandbox", (ec2,))])
    assert (r.decision, r.settled_by) == (IMPLICIT_DENY, "scp")
    assert r.blocking_level is not None and r.blocking_level.level == "ou-sandbox"
    assert 'blocked at ou-sandbox (SCPs "ec2-only"): no statement there allows it' in r.explanation


def test_the_per_action_statement_index_is_per_action() -> None:
    p = pol(
        {"Sid": "A", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
        {"Sid": "B", "Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
    )
    assert [s.sid for s in p.statements_for("s3:getobject")] == ["A"]
    assert [s.sid for s in p.statements_for("ec2:runinstances")] == ["B"]
    assert [s.sid for s in p.statements_for("s3:getobject")] == ["A"]  # cached answer is the same
