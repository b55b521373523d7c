"""`simulate` decides the documented cases as the IAM User Guide documents them (issue 15), through
the CLI; the data-driven corpus (tests/policy/cases/27*-28*) holds the same rules case by case."""

from __future__ import annotations

import json

A = "123456789012"
ROLE = f"arn:aws:iam::{A}:role/R"
ALICE = f"arn:aws:iam::{A}:user/alice"


def write(tmp_path, name: str, *statements: dict, version: str | None = "2012-10-17") -> str:
    body: dict = {"Statement": list(statements)}
    if version:
        body = {"Version": version, **body}
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return str(path)


def results(r) -> list[dict]:
    return r.json()["results"]


def test_a_trust_policy_must_allow_role_assumption_in_the_same_account(iam, tmp_path):
    """Roles terms and concepts (role trust policy), Cross-account policy evaluation logic: for
    sts:AssumeRole on a role ARN the resource policy is the role's trust policy, and it must allow
    whatever the identity policy says (the issue's command, exactly)."""
    allow = write(tmp_path, "allow-assume.json", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    trust = write(tmp_path, "trust.json", {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                                           "Action": "sts:AssumeRole",
                                           "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    args = ["simulate", "policy", "-p", allow, "--resource-policy-file", trust, "-a", "sts:AssumeRole", "-r", ROLE,
            "--caller-arn", ALICE, "-o", "json"]
    (denied,) = results(iam(*args, expect=3))
    assert (denied["decision"], denied["resource_allowed"]) == ("implicitDeny", False)
    (allowed,) = results(iam(*args, "-c", "aws:MultiFactorAuthPresent=true"))
    assert allowed["decision"] == "allowed"


def test_not_principal_with_allow_grants_nothing(iam, tmp_path):
    """NotPrincipal "must be used with "Effect":"Deny""; with Allow it grants nothing, to bob whom
    it lists or to anyone else, and the simulator says so on stderr."""
    bucket = write(tmp_path, "bucket.json", {"Effect": "Allow",
                                             "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:user/bob"},
                                             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    for caller in (f"arn:aws:iam::{A}:user/bob", ALICE):
        r = iam("simulate", "policy", "--resource-policy-file", bucket, "--caller-arn", caller, "-a", "s3:GetObject",
                "-r", "arn:aws:s3:::b/k", "-o", "json", expect=3)
        assert results(r)[0]["decision"] == "implicitDeny"
        assert 'NotPrincipal must be used with "Effect": "Deny"' in r.stderr


def test_inverted_operators_match_an_unresolvable_variable(iam, tmp_path):
    """Variables, "Policy variables with no value": a Deny with StringNotEquals on
    ${aws:PrincipalTag/Team} denies a caller without the tag."""
    policy = write(tmp_path, "p.json",
                   {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                   {"Sid": "OwnTeam", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:ResourceTag/Team": "${aws:PrincipalTag/Team}"}}})
    r = iam("simulate", "policy", "-p", policy, "-a", "s3:GetObject", "-c", "aws:ResourceTag/Team=blue",
            "-o", "json", expect=3)
    assert results(r)[0]["decision"] == "explicitDeny"
    r = iam("simulate", "policy", "-p", policy, "-a", "s3:GetObject", "-c", "aws:ResourceTag/Team=blue",
            "-c", "aws:PrincipalTag/Team=blue", "-o", "json")
    assert results(r)[0]["decision"] == "allowed"


def test_for_all_values_is_true_for_a_null_data_set(iam, tmp_path):
    """Multivalued context keys: ForAllValues is true when the key resolves to a null data set,
    such as an empty string."""
    policy = write(tmp_path, "p.json", {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
                                        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}})
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"aws:TagKeys": [""]}))
    r = iam("simulate", "policy", "-p", policy, "-a", "ec2:CreateTags", "--context-file", str(ctx), "-o", "json")
    assert results(r)[0]["decision"] == "allowed"


def test_actions_without_resource_types_match_all_of_the_services_resources(iam, tmp_path):
    """Actions, resources, and condition keys: s3:ListAllMyBuckets has no resource type; the IAM
    User Guide's home-directory policy grants it with "arn:aws:s3:::*", and that works."""
    policy = write(tmp_path, "home.json",
                   {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
                    "Resource": "arn:aws:s3:::*"})
    r = iam("simulate", "policy", "-p", policy, "-a", "s3:ListAllMyBuckets", "-o", "json")
    assert results(r)[0]["decision"] == "allowed"
    one_bucket = write(tmp_path, "one.json", {"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                              "Resource": "arn:aws:s3:::mine"})
    r = iam("simulate", "policy", "-p", one_bucket, "-a", "s3:ListAllMyBuckets", "--explain", "-o", "json", expect=3)
    assert any("acts on no resource type" in line for line in results(r)[0]["explanation"])


def test_a_partly_wildcarded_principal_matches_no_one_with_a_warning(iam, tmp_path):
    """Principal: a wildcard cannot match part of a principal ARN; AWS refuses it; simulated, it
    matches nobody, with a warning; validate reports an ERROR."""
    queue = write(tmp_path, "queue.json", {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/*"},
                                           "Action": "sqs:SendMessage", "Resource": "*"})
    r = iam("simulate", "policy", "--resource-policy-file", queue, "--caller-arn", ALICE, "-a", "sqs:SendMessage",
            "-o", "json", expect=3)
    assert results(r)[0]["decision"] == "implicitDeny"
    assert "a wildcard cannot match part of a principal ARN" in r.stderr
    v = iam("policy", "validate", queue, "--policy-type", "resource", "-o", "json", expect=3)
    assert [f["IssueCode"] for f in v.json()["Findings"]] == ["INVALID_PRINCIPAL_WILDCARD"]


def test_resource_control_policies_in_simulate(iam, tmp_path):
    """AWS Organizations, Resource control policies: --rcp-file (each file one level) restricts
    the resource's account with Deny statements; rcp_allowed is in the JSON, and --explain names
    the level that denied."""
    policy = write(tmp_path, "p.json", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    rcp = write(tmp_path, "org-only.json", {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                            "Resource": "*",
                                            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}})
    base = ["simulate", "policy", "-p", policy, "--caller-arn", ALICE, "--rcp-file", rcp, "-o", "json"]
    r = iam(*base, "-a", "s3:GetObject", "--explain", expect=3)
    (only,) = results(r)
    assert (only["decision"], only["rcp_allowed"]) == ("explicitDeny", False)
    assert any(f'in RCP "{rcp}" at RCP level 1' in line for line in only["explanation"])
    (inside,) = results(iam(*base, "-a", "s3:GetObject", "-c", "aws:PrincipalOrgID=o-1"))
    assert (inside["decision"], inside["rcp_allowed"]) == ("allowed", True)
    (ec2,) = results(iam(*base, "-a", "ec2:RunInstances"))
    assert (ec2["decision"], ec2["rcp_allowed"]) == ("allowed", None)  # EC2 does not support RCPs
    bad = write(tmp_path, "allow.json", {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    r = iam("simulate", "policy", "-p", policy, "--rcp-file", bad, "-a", "s3:GetObject", expect=1)
    assert "RCP_SYNTAX_ERROR_EFFECT" in r.stderr


def test_scps_take_todays_grammar_in_simulate(iam, tmp_path):
    """SCP syntax: a wildcard inside an action and a condition on an Allow are fine in an SCP."""
    policy = write(tmp_path, "p.json", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    scp = write(tmp_path, "scp.json", {"Effect": "Allow", "Action": "ec2:*Instances", "Resource": "*",
                                       "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}})
    args = ["simulate", "policy", "-p", policy, "--scp-file", scp, "-a", "ec2:RunInstances", "-o", "json"]
    assert results(iam(*args, "-c", "aws:RequestedRegion=eu-west-1"))[0]["decision"] == "allowed"
    r = iam(*args, "--explain", expect=3)
    assert f'blocked at SCP level 1 (SCPs "{scp}"): no statement there allows it' in results(r)[0]["explanation"]


def test_misspelt_actions_warn_without_explain(iam, tmp_path):
    """Issue 19.9: an action or pattern AWS's catalogue does not know warns on stderr, always."""
    policy = write(tmp_path, "p.json", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    r = iam("simulate", "policy", "-p", policy, "-a", "s3:GetObjectt", "-a", "s3:Gett*", "-o", "json")
    assert "warning: s3:GetObjectt is not in AWS's action catalogue" in r.stderr
    assert "warning: s3:Gett* matches no action in AWS's catalogue" in r.stderr
    assert r.json()["results"][0]["warnings"] == ["s3:GetObjectt is not in AWS's action catalogue (evaluated anyway)"]
    clean = iam("simulate", "policy", "-p", policy, "-a", "s3:GetObject", "-o", "json")
    assert clean.stderr == ""


def test_statements_count_from_one_for_people_and_index_from_zero_in_json(iam, tmp_path):
    """Issue 19.13: the table names statement #1 (as the AWS console counts), JSON's `index` is 0-based."""
    policy = write(tmp_path, "p.json", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    table = iam("simulate", "policy", "-p", policy, "-a", "s3:GetObject", "-o", "text")
    assert f"{policy}#1" in table.stdout and f"{policy}#0" not in table.stdout
    explained = iam("simulate", "policy", "-p", policy, "-a", "s3:GetObject", "--explain", "-o", "json")
    (only,) = explained.json()["results"]
    assert only["matched_statements"][0]["index"] == 0
    assert any("statement #1" in line for line in only["explanation"])
