"""`iamctl policy validate`: findings, output shapes and the CI exit status (0 clean, 3 on ERROR)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"


def write(tmp_path, body, name="p.json") -> str:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body, indent=2))
    return str(path)


def test_a_clean_aws_example_policy_exits_0_with_no_findings(iam):
    r = iam("policy", "validate", str(DATA / "deny_outside_source_ip.json"), "-o", "json")
    assert r.json() == {"Findings": []}


def test_an_error_exits_3_with_the_documented_json_shape(iam, tmp_path):
    text = ('{\n  "Version": "2012-10-17",\n  "Statement": {"Effect": "Allow", '
            '"Action": "s3:GetObject", "Resource": "bucket"}\n}')
    r = iam("policy", "validate", write(tmp_path, text), "-o", "json", expect=3)
    (f,) = r.json()["Findings"]
    column = text.splitlines()[2].index('"bucket"') + 1
    # Statements count from 1 (statement #1), as in the AWS console; the JSON path is 0-based.
    assert f == {"FindingType": "ERROR", "IssueCode": "INVALID_ARN", "Statement": 1, "Path": "$.Statement.Resource",
                 "Line": 3, "Column": column, "Message": f["Message"]}
    assert "bucket" in f["Message"]


def test_warnings_alone_exit_0(iam, tmp_path):
    path = write(tmp_path, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]})
    r = iam("policy", "validate", path, "-o", "text")
    assert r.stdout.split("\t")[:2] == ["SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE"]


def test_json_syntax_error_exits_3(iam, tmp_path):
    r = iam("policy", "validate", write(tmp_path, '{"Version": '), "-o", "json", expect=3)
    assert r.json()["Findings"][0]["IssueCode"] == "JSON_SYNTAX_ERROR"


@pytest.mark.parametrize(("policy_type", "expect"), [("trust", 0), ("identity", 3)])
def test_policy_type_chooses_the_rules(iam, policy_type, expect):
    iam("policy", "validate", str(DATA / "trust_require_mfa.json"), "--policy-type", policy_type, expect=expect)


def test_unknown_policy_type_is_a_usage_error(iam, tmp_path):
    r = iam("policy", "validate", write(tmp_path, "{}"), "--policy-type", "bucket", expect=2)
    assert "bucket" in r.stderr


def test_stdin(iam):
    body = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    r = iam("policy", "validate", "-", "-o", "json", input=body)
    assert [f["IssueCode"] for f in r.json()["Findings"]] == ["MISSING_VERSION"]


def test_policy_create_refuses_a_document_with_an_error_finding(iam, tmp_path):
    path = write(tmp_path, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
         "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}]})
    r = iam("policy", "create", "bad", "--document", path, expect=1)
    assert "MalformedPolicyDocument" in r.stderr
    iam("policy", "show", "bad", expect=1)


def test_policy_create_shows_warnings_on_stderr_and_keeps_stdout_data(iam, tmp_path):
    path = write(tmp_path, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObjekt"], "Resource": "*"}]})
    r = iam("policy", "create", "loose", "--document", path, "-o", "json")
    assert r.json()["Policy"]["PolicyName"] == "loose"
    assert "SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE at $.Statement[0].Resource" in r.stderr
    assert "WARNING UNKNOWN_ACTION at $.Statement[0].Action[1]" in r.stderr
    r = iam("user", "create", "u")
    r = iam("user", "put-policy", "u", "inline", "--document", path)
    assert "PASS_ROLE_WITH_STAR_IN_RESOURCE" in r.stderr


def test_rcp_policy_type(iam, tmp_path):
    """AWS Organizations, "RCP syntax": `--policy-type rcp` takes Deny statements with Principal
    "*", and refuses an Allow outside RCPFullAWSAccess."""
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}]}
    assert iam("policy", "validate", write(tmp_path, deny), "--policy-type", "rcp", "-o", "json").json() == {
        "Findings": []}
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    r = iam("policy", "validate", write(tmp_path, allow, "a.json"), "--policy-type", "rcp", "-o", "json", expect=3)
    assert [f["IssueCode"] for f in r.json()["Findings"]] == ["RCP_SYNTAX_ERROR_EFFECT"]


def test_scp_policy_type_takes_todays_grammar(iam, tmp_path):
    """AWS Organizations, "SCP syntax" (September 2025): `ec2:*Instances` is a valid SCP action."""
    scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:*Instances", "Resource": "*"}]}
    assert iam("policy", "validate", write(tmp_path, scp), "--policy-type", "scp", "-o", "json").json() == {
        "Findings": []}


def test_table_and_text_number_statements_from_one(iam, tmp_path):
    """Issue 19.13: one numbering everywhere a person reads it: statement #1 is the first."""
    path = write(tmp_path, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]})
    r = iam("policy", "validate", path, "-o", "text")
    assert r.stdout.split("\t")[:3] == ["SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", "2"]
