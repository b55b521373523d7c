"""Parsing and validation: IAM User Guide, "IAM JSON policy element reference" and "Grammar of the
IAM JSON policy language". Every malformed document must raise MalformedPolicyDocument naming
the statement and the fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamctl.core.base.errors import MalformedPolicyDocument
from iamctl.core.engine.parse import parse_policy

DATA = Path(__file__).parent.parent / "data" / "policy"


def doc(*statements, version="2012-10-17", **top):
    d = {"Version": version, "Statement": list(statements)} if version else {"Statement": list(statements)}
    d.update(top)
    return d


ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.stem)
def test_aws_example_and_managed_policies_parse(path: Path) -> None:
    text = path.read_text()
    kind = "trust" if path.stem.startswith("trust_") else "identity"
    policy = parse_policy(text, name=path.stem, kind=kind)
    assert policy.statements, "every AWS example has at least one statement"


def test_statement_object_and_string_or_list_are_normalised_once() -> None:
    # Grammar: Statement may be one object; Action/Resource may be a string or a list.
    p = parse_policy({"Version": "2012-10-17", "Statement": ALLOW})
    st = p.statements[0]
    assert st.actions.patterns == ("s3:GetObject",)
    assert st.resources is not None and st.resources.patterns == ("*",)
    assert st.index == 0 and st.sid is None and st.effect == "Allow"


def test_json_syntax_error_reports_line_and_column() -> None:
    with pytest.raises(MalformedPolicyDocument, match=r"line 3 column \d+"):
        parse_policy('{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}')


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (doc(dict(ALLOW, Sid="A", Effekt="Allow")), r'statement #1 \(Sid "A"\): unknown element \'Effekt\''),
        (doc(ALLOW, dict(ALLOW, Effect="allow")), r'statement #2: Effect must be "Allow" or "Deny"'),
        (doc(dict(ALLOW, NotAction="s3:*")), "both Action and NotAction"),
        (doc({"Effect": "Allow", "Resource": "*"}), "missing Action"),
        (doc({"Effect": "Allow", "Action": "s3:*"}), "missing Resource"),
        (doc(dict(ALLOW, NotResource="arn:aws:s3:::x")), "both Resource and NotResource"),
        (doc(dict(ALLOW, Action="GetObject")), "prefaced by a service"),
        (doc(dict(ALLOW, Resource="bucket")), 'must be an ARN or "\\*"'),
        (doc(dict(ALLOW, Action=[])), "must not be empty"),
        (doc(dict(ALLOW, Principal="*")), "identity policy cannot have a Principal"),
        (doc(dict(ALLOW, Sid="X"), dict(ALLOW, Sid="X")), "duplicate Sid"),
        (
            doc(dict(ALLOW, Condition={"StringEqualz": {"a:b": "c"}})),
            "invalid condition operator 'StringEqualz'",
        ),
        (
            doc(dict(ALLOW, Condition={"ForSomeValues:StringEquals": {"a:b": "c"}})),
            "invalid condition operator 'ForSomeValues:StringEquals'",
        ),
        (doc(dict(ALLOW, Condition={"NullIfExists": {"a:b": "true"}})), "Null cannot take IfExists"),
        (doc(dict(ALLOW, Condition={"NumericEquals": {"a:b": "ten"}})), "invalid value for NumericEquals"),
        (
            doc(dict(ALLOW, Condition={"DateLessThan": {"aws:CurrentTime": "soon"}})),
            "invalid value for DateLessThan",
        ),
        (
            doc(dict(ALLOW, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}})),
            "invalid value for IpAddress",
        ),
        (doc(dict(ALLOW, Condition={"Bool": {"aws:SecureTransport": "yes"}})), "invalid value for Bool"),
        (doc(dict(ALLOW, Condition={"BinaryEquals": {"a:b": "!!"}})), "invalid value for BinaryEquals"),
        (
            doc(dict(ALLOW, Condition={"StringEquals": {"a:b": {"nested": 1}}})),
            "must be strings, numbers or booleans",
        ),
        (doc(dict(ALLOW, Condition={"StringEquals": "x"})), "must map condition keys to values"),
        (doc(ALLOW, version="2010-01-01"), "Version must be one of"),
        (doc(ALLOW, Extra=1), "unknown top-level element 'Extra'"),
        ({"Version": "2012-10-17"}, "missing Statement"),
        ({"Version": "2012-10-17", "Statement": []}, "non-empty list"),
    ],
)
def test_malformed_documents_are_rejected_with_the_statement_and_fault(document, message) -> None:
    with pytest.raises(MalformedPolicyDocument, match=message):
        parse_policy(document)


def test_duplicate_json_keys_are_rejected() -> None:
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}}'
    with pytest.raises(MalformedPolicyDocument, match="duplicate key 'Effect'"):
        parse_policy(text)


def test_resource_policies_need_a_principal_and_trust_policies_take_no_resource() -> None:
    # IAM User Guide, "Principal": resource-based policies must name a principal.
    with pytest.raises(MalformedPolicyDocument, match="missing Principal"):
        parse_policy(doc(ALLOW), kind="resource")
    with pytest.raises(MalformedPolicyDocument, match="no Resource element"):
        parse_policy(doc(dict(ALLOW, Principal="*", Action="sts:AssumeRole")), kind="trust")
    ok = parse_policy(
        doc({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}),
        kind="trust",
    )
    assert ok.statements[0].principal is not None


@pytest.mark.parametrize(
    "value",
    ["arn:aws:iam::111122223333:user/*", "arn:aws:iam::12345:user/x", "alice", "arn:aws:s3:::bucket"],
)
def test_invalid_or_partially_wildcarded_principals_are_rejected(value) -> None:
    # "Principal": you cannot use a wildcard to match part of a principal name or ARN.
    with pytest.raises(MalformedPolicyDocument, match="invalid principal"):
        parse_policy(doc(dict(ALLOW, Principal={"AWS": value})), kind="resource")


def test_account_root_arn_and_account_id_are_the_same_principal() -> None:
    a = parse_policy(doc(dict(ALLOW, Principal={"AWS": "arn:aws:iam::111122223333:root"})), kind="resource")
    b = parse_policy(doc(dict(ALLOW, Principal={"AWS": "111122223333"})), kind="resource")
    assert (
        a.statements[0].principal.accounts
        == b.statements[0].principal.accounts
        == frozenset({"111122223333"})
    )


def test_unknown_policy_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown policy kind"):
        parse_policy(doc(ALLOW), kind="bucket")


def test_condition_values_keep_their_written_form() -> None:
    p = parse_policy(json.dumps(doc(dict(ALLOW, Condition={"Bool": {"aws:SecureTransport": True}}))))
    cond = p.statements[0].conditions[0]
    assert (
        cond.values == ("true",) and cond.key == "aws:SecureTransport" and cond.key_l == "aws:securetransport"
    )
