"""Random documents and requests through parse_policy + evaluate: the only exception allowed is
MalformedPolicyDocument, at parse time (IAM rejects a bad document when it is saved; a saved one
always yields a decision)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamctl.core.base.errors import MalformedPolicyDocument
from iamctl.core.engine.decision import evaluate
from iamctl.core.engine.parse import KINDS, parse_policy
from iamctl.core.engine.request import PrincipalInfo, make_request

A = "111122223333"
SAMPLES = [
    "*", "s3:*", "s3:Get*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}/*", "${*}",
    "${aws:x, 'd'}", "10.0.0.0/8", "::1", "2026-01-01", "2026-06", "true", "QUJD", f"arn:aws:iam::{A}:root",
    A, "AIDAJQABLZS4A3QDU576Q", "arn:aws:*:*:*:x*y?", "*a*a*a*a*a*a*a*a",
]
scalar = st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.booleans(), st.none())
leaf = st.one_of(scalar, st.sampled_from(SAMPLES))
value = st.recursive(
    leaf, lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=8), c, max_size=3)),
    max_leaves=8,
)
OPS = [
    "StringEquals", "StringLike", "StringNotLike", "ForAllValues:StringEquals", "ForAnyValue:StringLikeIfExists",
    "NumericLessThan", "NumericNotEqualsIfExists", "DateGreaterThan", "Bool", "BinaryEquals", "IpAddress",
    "NotIpAddress", "ArnLike", "ArnNotEquals", "Null", "ForAnyValue:IpAddress", "ForAllValues:NumericEquals",
    "BoolIfExists", "StringEqualsIgnoreCase", "Nope",
]
condition = st.dictionaries(
    st.sampled_from(OPS), st.dictionaries(st.sampled_from(["k:a", "k:b", "aws:username", ""]), value, max_size=2),
    max_size=3,
)
some = st.one_of(leaf, st.lists(leaf, max_size=3))
statement = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny", "Maybe"]), "Action": some},
    optional={"Resource": some, "NotResource": some, "Principal": value, "NotPrincipal": value,
              "Condition": condition, "Sid": scalar, "NotAction": some},
)
document = st.fixed_dictionaries(
    {"Statement": st.one_of(statement, st.lists(statement, max_size=3))},
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", "1"]), "Id": scalar},
)
context_value = st.one_of(
    st.text(max_size=10), st.integers(), st.booleans(), st.floats(), st.binary(max_size=4),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3),
    st.sampled_from(["10.1.2.3", "::1", "2026-06-01", "QUJD", "arn:aws:s3:::b/x", "true", "a" * 40 + "b"]),
)
PRINCIPALS = [
    None,
    PrincipalInfo("Anonymous"),
    PrincipalInfo("User", arn=f"arn:aws:iam::{A}:user/u", account_id=A, username="u", userid="AIDAJQABLZS4A3QDU576Q"),
    PrincipalInfo("AssumedRole", arn=f"arn:aws:sts::{A}:assumed-role/r/s", account_id=A,
                  base_arn=f"arn:aws:iam::{A}:role/r", userid="AROAEXAMPLEEXAMPLE1:s"),
    PrincipalInfo("Service", service="ec2.amazonaws.com"),
    PrincipalInfo("Account", arn="arn:aws:iam::444455556666:root", account_id="444455556666"),
]


def _layer(kind: str, policy) -> dict:
    return {
        "identity": {"identity": [policy]}, "resource": {"resource": policy}, "trust": {"trust": policy},
        "boundary": {"boundary": policy}, "session": {"session": policy}, "scp": {"scps": [[policy]]},
        "rcp": {"rcps": [[policy]]},
    }[kind]


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    document,
    st.sampled_from(KINDS),
    st.one_of(st.text(max_size=20), st.sampled_from(["s3:GetObject", "iam:GetUser"])),
    st.one_of(st.text(max_size=30), st.sampled_from(["*", "arn:aws:s3:::b/u/x", f"arn:aws:iam::{A}:user/u"])),
    st.dictionaries(st.sampled_from(["k:a", "k:b", "aws:username", "aws:SourceIp"]), context_value, max_size=3),
    st.sampled_from(PRINCIPALS),
)
def test_random_documents_and_requests_never_crash(doc, kind, action, resource, context, principal) -> None:
    try:
        policy = parse_policy(doc, kind=kind)
    except MalformedPolicyDocument:
        return
    result = evaluate(make_request(action, resource, principal=principal, context=context), **_layer(kind, policy))
    assert result.decision in ("allowed", "explicitDeny", "implicitDeny")
    assert result.as_dict()["explanation"]


@pytest.mark.parametrize(
    "text",
    [b"\xff\xfe{}", "[" * 100_000 + "]" * 100_000, '{"Statement": ' + "[" * 50_000 + "]" * 50_000 + "}"],
    ids=["not-utf8", "deep-array", "deep-statement"],
)
def test_unreadable_documents_are_malformed_not_crashes(text) -> None:
    with pytest.raises(MalformedPolicyDocument):
        parse_policy(text)
