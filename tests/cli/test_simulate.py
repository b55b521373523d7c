"""`iamctl simulate`: decisions, explanations, output shapes and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"

S3_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadBucket", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"},
    ],
}


@pytest.fixture
def s3_policy(tmp_path):
    path = tmp_path / "s3.json"
    path.write_text(json.dumps(S3_POLICY))
    return str(path)


def results(r):
    return {(x["action"], x["resource"]): x for x in r.json()["results"]}


def test_allowed_requests_exit_0_with_the_documented_json_shape(iam, s3_policy):
    r = iam("simulate", "policy", "-p", s3_policy, "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k", "-o", "json")
    (only,) = r.json()["results"]
    assert only["decision"] == "allowed"
    assert only["matched_statements"] == [{"policy": s3_policy, "sid": "ReadBucket", "effect": "Allow", "index": 0}]
    for key in ("action", "resource", "missing_context_keys", "boundary_allowed", "scp_allowed"):
        assert key in only


def test_any_denied_request_exits_3(iam, s3_policy):
    """Exit status 3 when any request is denied (README, Exit status)."""
    r = iam("simulate", "policy", "-p", s3_policy, "-a", "s3:GetObject", "-a", "s3:PutObject",
            "-r", "arn:aws:s3:::b/k", "-r", "arn:aws:s3:::b/secret/x", "-o", "json", expect=3)
    got = {k: v["decision"] for k, v in results(r).items()}
    assert got == {
        ("s3:GetObject", "arn:aws:s3:::b/k"): "allowed",
        ("s3:GetObject", "arn:aws:s3:::b/secret/x"): "explicitDeny",
        ("s3:PutObject", "arn:aws:s3:::b/k"): "implicitDeny",
        ("s3:PutObject", "arn:aws:s3:::b/secret/x"): "implicitDeny",
    }


def test_explicit_deny_names_the_deciding_statement(iam, s3_policy):
    """Policy evaluation logic: an explicit deny overrides any allow; the Deny is what decided."""
    r = iam("simulate", "policy", "-p", s3_policy, "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/secret/x",
            "-o", "json", expect=3)
    (only,) = r.json()["results"]
    assert [m["sid"] for m in only["matched_statements"]] == ["NoSecrets"]


def test_explain_says_why_in_plain_words(iam, s3_policy):
    r = iam("simulate", "policy", "-p", s3_policy, "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/secret/x",
            "--explain", "-o", "table", expect=3)
    assert 'denied by Sid "NoSecrets"' in r.stdout
    assert "\x1b[" not in r.stdout


def test_wildcard_actions_expand_to_the_aws_catalogue(iam, s3_policy):
    r = iam("simulate", "policy", "-p", s3_policy, "-a", "s3:GetObjectT*", "-r", "arn:aws:s3:::b/k", "-o", "json")
    actions = [x["action"] for x in r.json()["results"]]
    assert "s3:GetObjectTagging" in actions and "s3:GetObjectTorrent" in actions
    assert all(a.startswith("s3:GetObjectT") for a in actions)


def test_unknown_actions_are_evaluated_and_warned_about_with_explain(iam, tmp_path):
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "service-prefix:action-name", "Resource": "*"}]}))
    r = iam("simulate", "policy", "-p", str(policy), "-a", "service-prefix:action-name", "-e", "-o", "json")
    assert r.json()["results"][0]["decision"] == "allowed"
    assert "not in AWS's action catalogue" in r.stderr


def test_the_aws_cli_simulate_custom_policy_example(iam):
    """The AWS CLI's documented example: dynamodb:* allowed only after 2018-08-16T12:00:00Z."""
    policy = str(DATA / "awscli_simulate_custom_policy_dynamodb_date.json")
    before = iam("simulate", "policy", "-p", policy, "-a", "dynamodb:CreateBackup",
                 "-c", "aws:CurrentTime=2018-08-16T11:59:59Z", "-o", "json", expect=3)
    assert before.json()["results"][0]["decision"] == "implicitDeny"
    after = iam("simulate", "policy", "-p", policy, "-a", "dynamodb:CreateBackup",
                "-c", "aws:CurrentTime=2019-01-01T00:00:00Z", "-o", "json")
    assert after.json()["results"][0]["decision"] == "allowed"


def test_context_lists_and_context_file(iam, tmp_path):
    """IpAddress with the caller's source IP from --context and from --context-file."""
    deny = str(DATA / "deny_outside_source_ip.json")
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    args = ["simulate", "policy", "-p", deny, "-p", str(allow), "-a", "ec2:RunInstances", "-o", "json"]
    inside = iam(*args, "-c", "aws:SourceIp=192.0.2.10", "-c", "aws:ViaAWSService=false")
    assert inside.json()["results"][0]["decision"] == "allowed"
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"aws:SourceIp": "198.51.100.7", "aws:ViaAWSService": False}))
    outside = iam(*args, "--context-file", str(ctx), expect=3)
    assert outside.json()["results"][0]["decision"] == "explicitDeny"


def test_a_boundary_limits_what_identity_policies_allow(iam, tmp_path, s3_policy):
    """Permissions boundaries: the effective permissions are the intersection."""
    boundary = tmp_path / "b.json"
    boundary.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObjectTagging", "Resource": "*"}]}))
    r = iam("simulate", "policy", "-p", s3_policy, "--boundary-file", str(boundary), "-a", "s3:GetObject",
            "-a", "s3:GetObjectTagging", "-r", "arn:aws:s3:::b/k", "-o", "json", expect=3)
    got = {k[0]: (v["decision"], v["boundary_allowed"]) for k, v in results(r).items()}
    assert got == {"s3:GetObject": ("implicitDeny", False), "s3:GetObjectTagging": ("allowed", True)}


def test_an_scp_that_does_not_allow_denies(iam, tmp_path, s3_policy):
    scp = tmp_path / "scp.json"
    scp.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}))
    r = iam("simulate", "policy", "-p", s3_policy, "--scp-file", str(scp), "-a", "s3:GetObject",
            "-r", "arn:aws:s3:::b/k", "-o", "json", expect=3)
    only = r.json()["results"][0]
    assert (only["decision"], only["scp_allowed"]) == ("implicitDeny", False)


def test_cross_account_needs_the_resource_policy_too(iam, tmp_path, s3_policy):
    """Cross-account policy evaluation: both the caller's identity policy and the resource
    owner's resource-based policy must allow."""
    args = ["simulate", "policy", "-p", s3_policy, "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k",
            "--caller-arn", "arn:aws:iam::111122223333:user/alice", "--resource-owner", "444455556666", "-o", "json"]
    assert iam(*args, expect=3).json()["results"][0]["decision"] == "implicitDeny"
    bucket = tmp_path / "bucket.json"
    bucket.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::b/*"}]}))
    assert iam(*args, "--resource-policy-file", str(bucket)).json()["results"][0]["decision"] == "allowed"


@pytest.mark.parametrize("args, message", [
    (["simulate", "policy", "-a", "s3:GetObject", "-p", "/no/such.json"], "no such file"),
    (["simulate", "principal", "-a", "s3:GetObject"], "exactly one of --user"),
    (["simulate", "principal", "--user", "a", "--role", "b", "-a", "s3:GetObject"], "exactly one of --user"),
])
def test_usage_errors_exit_2(iam, args, message):
    r = iam(*args, expect=2)
    assert message in r.stderr and r.stderr.count("\n") == 1


def test_a_malformed_policy_exits_1_naming_the_fault(iam, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}')
    r = iam("simulate", "policy", "-p", str(bad), "-a", "s3:GetObject", expect=1)
    assert r.stderr.startswith("iamctl: error: MalformedPolicyDocument:")
    assert r.stderr.count("\n") == 1


def test_principal_user_gets_group_and_attached_policies(iam, s3_policy):
    iam("user", "create", "alice")
    iam("group", "create", "readers")
    iam("group", "add-user", "readers", "alice")
    iam("policy", "create", "S3Read", "--document", s3_policy)
    iam("group", "attach-policy", "readers", "arn:aws:iam::" + account(iam) + ":policy/S3Read")
    r = iam("simulate", "principal", "--user", "alice", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k", "-o", "json")
    assert r.json()["results"][0]["matched_statements"][0]["sid"] == "ReadBucket"
    assert iam("simulate", "principal", "--user", "alice", "-a", "s3:PutObject", "-r", "arn:aws:s3:::b/k",
               expect=3)
    group = iam("simulate", "principal", "--group", "readers", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k",
                "-o", "json")
    assert group.json()["results"][0]["decision"] == "allowed"


def account(iam):
    return iam("account", "show", "-o", "json").json()["Account"]["AccountId"]


def test_principal_user_with_policy_variables(iam):
    """${aws:username} resolves to the simulated user's name (Policy variables)."""
    iam("user", "create", "bob")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]}
    iam("user", "put-policy", "bob", "Home", "--document", "-", input=json.dumps(policy))
    own = iam("simulate", "principal", "--user", "bob", "-a", "s3:GetObject", "-r", "arn:aws:s3:::home/bob/x")
    assert own.json()["results"][0]["decision"] == "allowed"
    iam("simulate", "principal", "--user", "bob", "-a", "s3:GetObject", "-r", "arn:aws:s3:::home/carol/x",
        expect=3)


def test_principal_mfa_flag_satisfies_the_aws_mfa_policy(iam):
    """AWS's "block most access unless signed in with MFA" policy: without MFA the user gets
    only MFA self-service; with MFA, what its other policies allow."""
    iam("user", "create", "dana")
    iam("user", "put-policy", "dana", "BlockWithoutMfa", "--document",
        str(DATA / "block_most_access_unless_signed_in_with_mfa.json"))
    iam("user", "attach-policy", "dana", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    args = ["simulate", "principal", "--user", "dana", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k", "-o", "json"]
    assert iam(*args, expect=3).json()["results"][0]["decision"] == "explicitDeny"
    assert iam(*args, "--mfa").json()["results"][0]["decision"] == "allowed"


def test_principal_missing_user_is_no_such_entity(iam):
    iam("init")
    r = iam("simulate", "principal", "--user", "ghost", "-a", "s3:GetObject", expect=1)
    assert r.stderr == "iamctl: error: NoSuchEntity: The user with name ghost cannot be found.\n"


@pytest.mark.parametrize("fmt", ["json", "text", "table"])
def test_every_format_shows_the_same_decisions(iam, s3_policy, fmt):
    r = iam("simulate", "policy", "-p", s3_policy, "-a", "s3:GetObject", "-a", "s3:PutObject",
            "-r", "arn:aws:s3:::b/k", "-o", fmt, expect=3)
    for word in ("s3:GetObject", "allowed", "s3:PutObject", "implicitDeny"):
        assert word in r.stdout
