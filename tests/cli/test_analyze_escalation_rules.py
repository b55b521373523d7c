"""`analyze escalation` decides every edge with the engine: what AWS's evaluation logic lets a
principal do is what it can escalate with, and what the changed principal can do is where it ends.

Rules pinned here, each from the IAM User Guide: a permissions boundary caps what a policy
written for a principal gives it ("Permissions boundaries for IAM entities"); an explicit Deny
wins ("Policy evaluation logic"); conditions count ("IAM JSON policy elements: Condition");
role assumption needs the trust policy and, across accounts, the caller's own allow
("Cross-account policy evaluation logic").
"""

from __future__ import annotations

import json

import pytest

from .policy_docs import ACCOUNT, OTHER, allow, arn, doc


@pytest.fixture
def account(iam, tmp_path):
    iam("init", "--account-id", ACCOUNT)
    counter = iter(range(10_000))

    def put(kind: str, name: str, *statements: dict) -> None:
        path = tmp_path / f"p{next(counter)}.json"
        path.write_text(doc(*statements))
        iam(kind, "put-policy", name, f"P{next(counter)}", "--document", str(path))

    iam.put = put
    return iam


def escalations(iam, *args: str) -> dict[str, dict]:
    out = iam("analyze", "escalation", *args, "-o", "json").json()
    return {e["Principal"]: e for e in out["Escalations"]}


def test_writing_ones_own_policy_reaches_admin_and_replays(account):
    iam = account
    iam("user", "create", "ann")
    iam.put("user", "ann", allow("iam:PutUserPolicy", arn("user", "ann")))
    found = escalations(iam, "--replay")[arn("user", "ann")]
    assert (found["Reaches"], found["Conditional"], found["Techniques"]) == ("admin", False, ["iam-007"])
    assert found["Replay"]["Proved"] is True
    # the real account is unchanged: ann still has only her own policy
    assert iam("user", "list-policies", "ann", "-o", "json").json()["PolicyNames"] == ["P1"]


def test_a_boundary_caps_what_a_written_policy_gives(account):
    """With a boundary, a policy granting everything gives only what the boundary allows
    ("Permissions boundaries": the effective permissions are the intersection)."""
    iam = account
    iam("policy", "create", "Cap", "--document", "-", input=doc(allow(["iam:PutUserPolicy", "s3:*"])))
    iam("user", "create", "ben", "--permissions-boundary", f"arn:aws:iam::{ACCOUNT}:policy/Cap")
    iam.put("user", "ben", allow("iam:PutUserPolicy", arn("user", "ben")))
    found = escalations(iam)[arn("user", "ben")]
    assert found["Reaches"] == arn("user", "ben")  # itself, with more permissions, not admin
    gained = found["Gains"]["Action"]
    assert gained.startswith("s3:") or gained == "iam:PutUserPolicy"  # within the boundary
    iam("simulate", "principal", "--user", "ben", "-a", found["Gains"]["Action"], "-r", found["Gains"]["Resource"],
        expect=3)


def test_an_explicit_deny_of_the_step_leaves_no_path(account):
    iam = account
    iam("user", "create", "cat")
    iam.put("user", "cat", allow("iam:*"), {"Effect": "Deny", "Action": "iam:Put*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["iam:Attach*", "iam:Create*", "iam:Update*", "iam:Add*", "iam:Set*"],
             "Resource": "*"})
    assert arn("user", "cat") not in escalations(iam)


def test_a_step_that_needs_mfa_makes_a_conditional_path(account):
    iam = account
    iam("user", "create", "dan")
    iam.put("user", "dan", allow("iam:AttachUserPolicy", arn("user", "dan"),
                                 Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    found = escalations(iam, "--replay")[arn("user", "dan")]
    assert (found["Reaches"], found["Conditional"]) == ("admin", True)
    [cond] = found["Steps"][0]["Conditions"]
    assert (cond["Summary"], cond["Needs"]) == ("only with MFA", "mfa")
    assert found["Replay"]["Proved"] is None


def test_attach_limited_by_iam_policy_arn_to_a_harmless_policy_is_no_path(account):
    """iam:PolicyARN ("IAM condition keys"): attaching only ReadOnlyAccess gives nothing more."""
    iam = account
    iam("user", "create", "eve")
    iam.put("user", "eve", allow("iam:AttachUserPolicy", arn("user", "eve"), Condition={
        "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}))
    assert arn("user", "eve") not in escalations(iam)


def test_create_policy_version_on_a_policy_attached_to_a_group(account):
    iam = account
    iam("policy", "create", "Team", "--document", "-", input=doc(allow("iam:CreatePolicyVersion",
                                                                       f"arn:aws:iam::{ACCOUNT}:policy/Team")))
    iam("group", "create", "team")
    iam("group", "attach-policy", "team", f"arn:aws:iam::{ACCOUNT}:policy/Team")
    iam("user", "create", "fay")
    iam("group", "add-user", "team", "fay")
    found = escalations(iam, "--replay")[arn("user", "fay")]
    assert found["Techniques"] == ["iam-001"] and found["Replay"]["Proved"] is True


def test_assuming_a_role_with_more_permissions_is_an_escalation_to_that_role(account):
    iam = account
    iam("user", "create", "gus")
    iam("role", "create", "storage", "--trust-user", arn("user", "gus"))
    iam("role", "attach-policy", "storage", "arn:aws:iam::aws:policy/AmazonS3FullAccess")
    iam("role", "create", "empty", "--trust-user", arn("user", "gus"))
    found = escalations(iam, "--replay")
    gus = found[arn("user", "gus")]
    assert (gus["Reaches"], gus["Techniques"]) == (arn("role", "storage"), ["sts-001"])
    assert gus["Gains"]["Action"].startswith("s3:") and gus["Replay"]["Proved"] is True
    assert all(e["Reaches"] != arn("role", "empty") for e in found.values())  # nothing to gain there


def test_composite_techniques_are_named(account):
    """pathfinding.cloud iam-014: AttachRolePolicy on a role one can assume, then assume it."""
    iam = account
    iam("user", "create", "hal")
    iam("role", "create", "target", "--trust-user", arn("user", "hal"))
    iam.put("user", "hal", allow("iam:AttachRolePolicy", arn("role", "target")))
    found = escalations(iam)[arn("user", "hal")]
    assert found["Techniques"] == ["iam-009", "iam-014"]
    assert [s["Action"] for s in found["Steps"]] == ["iam:AttachRolePolicy", "sts:AssumeRole"]


def test_across_accounts_with_all_accounts(account):
    """A user of another account whose policy allows sts:AssumeRole on a role trusting that account."""
    iam = account
    iam("role", "create", "admin", "--trust-account", OTHER)
    iam("role", "attach-policy", "admin", "arn:aws:iam::aws:policy/AdministratorAccess")
    iam("init", "--account-id", OTHER)
    iam("--account", OTHER, "user", "create", "ida")
    path = f"{iam('account', 'show', '-o', 'json').json()['Account']['AccountId']}"
    assert path == ACCOUNT
    iam("--account", OTHER, "user", "put-policy", "ida", "Hop", "--document", "-",
        input=doc(allow("sts:AssumeRole", arn("role", "admin"))))
    found = escalations(iam, "--all-accounts", "--replay")
    ida = found[arn("user", "ida", OTHER)]
    assert ida["Reaches"] == "admin" and ida["Replay"]["Proved"] is True
    # one account at a time, the other account's user is not analysed
    assert arn("user", "ida", OTHER) not in escalations(iam, "--account", ACCOUNT)


def test_service_linked_roles_are_not_starting_points(account):
    """Only their AWS service can assume them ("Using service-linked roles")."""
    iam = account
    iam("role", "create", "AWSServiceRoleForX", "--path", "/aws-service-role/x.amazonaws.com/",
        "--trust-service", "x.amazonaws.com")
    iam("role", "put-policy", "AWSServiceRoleForX", "Keys", "--document", "-",
        input=doc(allow("iam:CreateAccessKey")))
    iam("user", "create", "root-like")
    iam("user", "attach-policy", "root-like", "arn:aws:iam::aws:policy/AdministratorAccess")
    out = iam("analyze", "escalation", "-o", "json").json()
    assert out["Escalations"] == []
    assert out["Admins"] == [{"Arn": arn("user", "root-like"), "Type": "User"}]


def test_table_lists_escalations_then_admins(account):
    iam = account
    iam("user", "create", "jo")
    iam.put("user", "jo", allow("iam:PutUserPolicy", arn("user", "jo")))
    iam("user", "create", "boss")
    iam("user", "attach-policy", "boss", "arn:aws:iam::aws:policy/AdministratorAccess")
    lines = iam("analyze", "escalation", "-o", "text").stdout.splitlines()
    assert lines[0].split("\t")[:4] == [arn("user", "jo"), "admin", "false", "iam-007"]
    assert lines[-1] == f"{arn('user', 'boss')}\tUser"


def test_a_confused_deputy_condition_on_a_new_resource_is_met_by_naming_it(account):
    """A service role's trust policy limited with aws:SourceAccount / aws:SourceArn ("The
    confused deputy problem"): whoever creates the function names it, so the condition is met."""
    iam = account
    iam("role", "create", "fn", "--trust-policy", "-", input=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:*:{ACCOUNT}:function:app-*"}}}]}))
    iam("role", "attach-policy", "fn", "arn:aws:iam::aws:policy/AdministratorAccess")
    iam("user", "create", "kit")
    iam.put("user", "kit", allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
            allow("iam:PassRole", arn("role", "fn")))
    found = escalations(iam)[arn("user", "kit")]
    assert (found["Reaches"], found["Techniques"], found["Conditional"]) == ("admin", ["lambda-001"], False)
    assert found["Steps"][-1]["Conditions"][0]["Key"] == "aws:SourceArn"


def test_a_value_the_caller_picks_is_no_condition_for_an_escalation(account):
    """aws:RequestedRegion is whatever region the caller sends the request to ("AWS global
    condition context keys"): who-can reports it, an escalation is not conditional on it."""
    iam = account
    iam("user", "create", "lou")
    iam.put("user", "lou", allow("iam:PutUserPolicy", arn("user", "lou"),
                                 Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    found = escalations(iam, "--replay")[arn("user", "lou")]
    assert (found["Conditional"], found["Replay"]["Proved"]) == (False, True)
    [cond] = found["Steps"][0]["Conditions"]
    assert (cond["Needs"], cond["Summary"]) == ("choice", "only when aws:RequestedRegion is eu-west-1")
    who = iam("analyze", "who-can", "-a", "iam:PutUserPolicy", "-r", arn("user", "lou"), "-o", "json").json()
    assert [(p["Arn"], p["Decision"]) for p in who["Principals"]] == [(arn("user", "lou"), "conditional")]
