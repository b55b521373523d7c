"""Policy validation findings (iamctl.core.engine.validate), after IAM Access Analyzer's policy checks."""

from __future__ import annotations

import json

import pytest

from iamctl.core.base.errors import MalformedPolicyDocument
from iamctl.core.engine.validate import arn_problem, validate_policy
from iamctl.core.identities import policies


def doc(*statements, version="2012-10-17") -> str:
    body = {"Statement": list(statements)}
    if version:
        body = {"Version": version, **body}
    return json.dumps(body, indent=2)


def codes(text: str, policy_type: str = "identity") -> list[tuple[str, str]]:
    return [(f.type, f.code) for f in validate_policy(text, policy_type=policy_type)]


ALLOW_GET = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


def test_a_clean_identity_policy_has_no_findings():
    assert codes(doc(ALLOW_GET)) == []


def test_json_syntax_error_has_line_and_column():
    (f,) = validate_policy('{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}')
    assert (f.type, f.code, f.line, f.column) == ("ERROR", "JSON_SYNTAX_ERROR", 3, 17)


def test_each_finding_carries_statement_index_json_path_line_and_column():
    text = doc(ALLOW_GET, {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjekt"], "Resource": "*"})
    (f,) = [f for f in validate_policy(text) if f.code == "UNKNOWN_ACTION"]
    assert (f.type, f.statement, f.path) == ("WARNING", 1, "$.Statement[1].Action[1]")
    line = text.splitlines()[f.line - 1]
    assert line[f.column - 1:].startswith('"s3:GetObjekt"')


@pytest.mark.parametrize(("statement", "code"), [
    ({"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}, "INVALID_EFFECT"),
    ({"Action": "s3:GetObject", "Resource": "*"}, "MISSING_EFFECT"),
    ({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}, "INVALID_ACTION"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket"}, "INVALID_ARN"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3"}, "INVALID_ARN"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:nope:s3:::b"}, "INVALID_ARN"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Extra": 1}, "INVALID_POLICY_ELEMENT"),
    ({"Effect": "Allow", "Action": "s3:GetObject"}, "MISSING_RESOURCE"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}, "UNSUPPORTED_PRINCIPAL"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
      "Condition": {"StringEqualz": {"aws:username": "a"}}}, "INVALID_CONDITION_OPERATOR"),
    ({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
      "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}, "INVALID_CONDITION_DATA_TYPE"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
      "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}, "INVALID_CONDITION_DATA_TYPE"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
      "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}}, "INVALID_CONDITION_DATA_TYPE"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
      "Condition": {"DateGreaterThan": {"aws:CurrentTime": "next tuesday"}}}, "INVALID_CONDITION_DATA_TYPE"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
      "Condition": {"NullIfExists": {"aws:username": "true"}}}, "NULL_WITH_IF_EXISTS"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
      "Condition": {"StringEquals": {"username": "a"}}}, "INVALID_CONDITION_KEY_FORMAT"),
])
def test_errors(statement, code):
    assert ("ERROR", code) in codes(doc(statement))


def test_invalid_version_is_an_error_and_a_missing_one_a_suggestion():
    assert ("ERROR", "INVALID_VERSION") in codes(doc(ALLOW_GET, version="2020-01-01"))
    assert codes(doc(ALLOW_GET, version=None)) == [("SUGGESTION", "MISSING_VERSION")]


def test_duplicate_sids_are_an_error_and_an_empty_sid_a_suggestion():
    found = codes(doc({**ALLOW_GET, "Sid": "A"}, {**ALLOW_GET, "Sid": "A", "Resource": "*"}))
    assert ("ERROR", "UNIQUE_SIDS_REQUIRED") in found
    assert codes(doc({**ALLOW_GET, "Sid": ""})) == [("SUGGESTION", "EMPTY_SID")]


def test_duplicate_keys_are_an_error():
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}}'
    (f,) = [f for f in validate_policy(text) if f.code == "DUPLICATE_KEYS"]
    assert f.path == "$.Statement.Effect" and f.statement is None


def test_security_warnings():
    assert ("SECURITY_WARNING", "ALLOW_WITH_NOT_ACTION") in codes(
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    assert ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE") in codes(
        doc({"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"}))
    assert codes(doc({"Effect": "Allow", "Action": "iam:PassRole",
                      "Resource": "arn:aws:iam::111122223333:role/app"})) == []
    # Deny with NotAction is the usual guard-rail shape: no warning.
    assert codes(doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})) == []


def test_principal_star_without_condition_in_a_resource_policy():
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    assert ("SECURITY_WARNING", "PUBLIC_ACCESS_WITHOUT_CONDITION") in codes(doc(public), "resource")
    guarded = {**public, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
    assert codes(doc(guarded), "resource") == []


def test_policy_type_changes_which_rules_apply():
    trust = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert codes(doc(trust), "trust") == []
    assert ("ERROR", "UNSUPPORTED_PRINCIPAL") in codes(doc(trust), "identity")
    assert ("ERROR", "MISSING_PRINCIPAL") in codes(doc(ALLOW_GET), "resource")
    assert ("ERROR", "INVALID_POLICY_ELEMENT") in codes(doc({**trust, "Resource": "*"}), "trust")
    # Creating such a role fails (MalformedPolicyDocument), so validate reports an ERROR too.
    assert ("ERROR", "UNSUPPORTED_ACTION_IN_TRUST_POLICY") in codes(doc({**trust, "Action": "s3:GetObject"}),
                                                                     "trust")
    scp = {"Effect": "Deny", "Action": "s3:*Object", "Resource": "*"}
    assert ("ERROR", "SCP_SYNTAX_ERROR_PRINCIPAL") in codes(doc({**scp, "Action": "s3:*", "Principal": "*"}), "scp")
    # SCPs grant nothing, so the grant-shaped security warnings do not apply.
    assert codes(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "scp") == []


def test_scps_take_the_full_policy_language_since_september_2025():
    """AWS Organizations, "SCP syntax": wildcards anywhere in an action, NotResource, and
    conditions on Allow statements (the full IAM policy language)."""
    allow = {"Effect": "Allow", "Action": ["ec2:*Instances", "s3:Get*Tagging"], "NotResource": "arn:aws:s3:::x/*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
    assert codes(doc(allow), "scp") == []
    assert codes(doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}), "scp") == []


def test_rcp_grammar():
    """AWS Organizations, "RCP syntax": Version 2012-10-17, Principal "*", Effect Deny except the
    AWS managed RCPFullAWSAccess, no NotAction/NotPrincipal, only the services RCPs support."""
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}
    assert codes(doc(deny), "rcp") == []
    full = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    assert codes(doc(full), "rcp") == []  # RCPFullAWSAccess itself
    assert ("ERROR", "RCP_SYNTAX_ERROR_EFFECT") in codes(doc({**full, "Action": "s3:*"}), "rcp")
    assert ("ERROR", "RCP_SYNTAX_ERROR_PRINCIPAL") in codes(doc({**deny, "Principal": {"AWS": "111122223333"}}),
                                                             "rcp")
    not_principal = {k: v for k, v in deny.items() if k != "Principal"} | {"NotPrincipal": {"AWS": "111122223333"}}
    assert ("ERROR", "RCP_SYNTAX_ERROR_PRINCIPAL") in codes(doc(not_principal), "rcp")
    not_action = {k: v for k, v in deny.items() if k != "Action"} | {"NotAction": "s3:GetObject"}
    assert ("ERROR", "RCP_SYNTAX_ERROR_NOT_ACTION") in codes(doc(not_action), "rcp")
    assert ("ERROR", "RCP_SYNTAX_ERROR_SERVICE") in codes(doc({**deny, "Action": "ec2:RunInstances"}), "rcp")
    assert ("ERROR", "RCP_SYNTAX_ERROR_VERSION") in codes(doc(deny, version=None), "rcp")
    assert ("ERROR", "MISSING_PRINCIPAL") in codes(doc({k: v for k, v in deny.items() if k != "Principal"}), "rcp")


def test_trust_grammar_is_the_one_role_create_enforces():
    """One grammar: the trust actions validate accepts are those `role create` accepts (the STS
    actions whose resource type is `role`, sts:SetContext among them), and NotPrincipal is an
    ERROR in a trust policy ("NotPrincipal": not in an IAM role trust policy)."""
    for action in ("sts:AssumeRole", "sts:SetContext", "sts:TagSession", "sts:SetSourceIdentity",
                   "sts:AssumeRole*"):
        trust = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": action}
        assert codes(doc(trust), "trust") == [], action
        policies.validate_document(doc(trust), kind="trust")
    for action in ("sts:*", "sts:GetCallerIdentity", "s3:GetObject"):
        trust = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": action}
        assert ("ERROR", "UNSUPPORTED_ACTION_IN_TRUST_POLICY") in codes(doc(trust), "trust"), action
        with pytest.raises(MalformedPolicyDocument, match="UNSUPPORTED_ACTION_IN_TRUST_POLICY"):
            policies.validate_document(doc(trust), kind="trust")
    denied = {"Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}
    assert ("ERROR", "NOT_PRINCIPAL_IN_TRUST_POLICY") in codes(doc(denied), "trust")


def test_allow_with_not_principal_and_partial_principal_wildcards_are_errors():
    """"NotPrincipal": with Allow "is not supported"; "Principal": a wildcard cannot match part
    of a principal ARN."""
    allow = {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    assert ("ERROR", "NOT_PRINCIPAL_WITH_ALLOW") in codes(doc(allow), "resource")
    partial = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"},
               "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    assert ("ERROR", "INVALID_PRINCIPAL_WILDCARD") in codes(doc(partial), "resource")


def test_a_trust_policy_anyone_can_assume_is_a_security_warning():
    """A trust policy with "Principal": "*" (or {"AWS": "*"}) and no condition lets anyone assume the role."""
    for principal in ("*", {"AWS": "*"}):
        open_trust = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        (f,) = validate_policy(doc(open_trust), policy_type="trust")
        assert (f.type, f.code) == ("SECURITY_WARNING", "PUBLIC_ACCESS_WITHOUT_CONDITION")
        assert "anyone" in f.message and "assume" in f.message


def test_many_copies_of_a_wildcard_are_expanded_once():
    """Issue 20.19: 600 copies of "*:*" cost one expansion, not 600."""
    from iamctl.core.engine import catalog

    catalog._expand.cache_clear()
    text = doc({"Effect": "Allow", "Action": ["*:*"] * 600, "Resource": "*"})
    validate_policy(text)
    assert catalog._expand.cache_info().misses == 1


def test_catalogue_warnings():
    found = codes(doc({"Effect": "Allow", "Action": ["foo:Bar", "s3:GetObjekt", "s3:Zzz*"], "Resource": "*"}))
    assert ("WARNING", "UNKNOWN_SERVICE") in found
    assert ("WARNING", "UNKNOWN_ACTION") in found
    assert ("WARNING", "ACTION_MATCHES_NOTHING") in found


def test_condition_keys_are_checked_against_the_service_and_the_actions():
    unknown = {**ALLOW_GET, "Condition": {"StringEquals": {"s3:NoSuchKey": "x", "aws:Bogus": "y"}}}
    assert codes(doc(unknown)).count(("WARNING", "UNKNOWN_CONDITION_KEY")) == 2
    wrong_action = {**ALLOW_GET, "Condition": {"StringEquals": {"s3:prefix": "home/"}}}  # a ListBucket key
    assert ("WARNING", "CONDITION_KEY_NOT_SUPPORTED_BY_ACTION") in codes(doc(wrong_action))
    tag = {**ALLOW_GET, "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "a", "aws:PrincipalTag/x": "b"}}}
    assert codes(doc(tag)) == []


def test_redundant_statement():
    found = validate_policy(doc(ALLOW_GET, {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}))
    (f,) = [f for f in found if f.code == "REDUNDANT_STATEMENT"]
    assert (f.type, f.statement) == ("WARNING", 0)


def test_policy_variable_without_version_is_a_warning():
    text = doc({**ALLOW_GET, "Resource": "arn:aws:s3:::b/${aws:username}/*"}, version=None)
    assert ("WARNING", "VARIABLE_WITHOUT_VERSION") in codes(text)


def test_arn_shapes():
    assert arn_problem("arn:aws:s3:::bucket/*") is None
    assert arn_problem("arn:aws:iam::*:role/${aws:username}") is None
    assert arn_problem("arn:aws:iam::12345:role/x") is not None


def test_policy_creation_blocks_on_validation_errors():
    """The same checks run when a policy is created: an ERROR finding is refused."""
    bad = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:nope:s3:::b"})
    with pytest.raises(MalformedPolicyDocument, match=r"INVALID_ARN at \$.Statement\[0\].Resource, line"):
        policies.validate_document(bad)
    assert policies.validate_document(doc(ALLOW_GET)) == doc(ALLOW_GET)
