"""`iamctl account import|export`, and `simulate principal` on imported real accounts.

Inputs: published get-account-authorization-details files (tests/data/authdetails/, sources in
tests/data/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data" / "authdetails"


def imported(iam, name: str):
    return iam("account", "import", str(DATA / name), "-o", "json").json()["Import"]


def decisions(iam, *args: str, expect: int) -> dict[str, str]:
    r = iam("simulate", "principal", *args, "-o", "json", expect=expect)
    return {x["action"]: x["decision"] for x in r.json()["results"]}


def test_import_reports_the_account_and_counts(iam):
    report = imported(iam, "awscli-docs-example.json")
    assert report["AccountId"] == "123456789012"
    assert (report["Users"], report["Groups"], report["Roles"], report["Policies"]) == (3, 3, 1, 2)
    shown = iam("account", "show", "-o", "json").json()["Account"]
    assert shown["AccountId"] == "123456789012" and shown["Users"] == 3


def test_imported_admin_is_allowed_and_inline_deny_wins(iam):
    """AWS CLI docs example: Alice is in Admins (AdministratorAccess); Bob too, but his inline
    policy denies iam:* (an explicit deny overrides any allow)."""
    imported(iam, "awscli-docs-example.json")
    assert decisions(iam, "--user", "Alice", "-a", "iam:CreateUser", expect=0) == {"iam:CreateUser": "allowed"}
    assert decisions(iam, "--user", "Bob", "-a", "iam:CreateUser", expect=3) == {"iam:CreateUser": "explicitDeny"}
    # Charlie is in Dev (PowerUserAccess): everything but most of IAM.
    got = decisions(iam, "--user", "Charlie", "-a", "iam:CreateUser", "-a", "s3:PutObject", expect=3)
    assert got == {"iam:CreateUser": "implicitDeny", "s3:PutObject": "allowed"}


def test_cloudsplaining_admin_and_read_only_principals(iam):
    """cloudsplaining's example account: obama has AdministratorAccess; the SSO ViewOnly role has
    only ReadOnlyAccess and ViewOnlyAccess, so it may read S3 but not write."""
    imported(iam, "cloudsplaining-example-iamvulnerable.json")
    assert decisions(iam, "--user", "obama", "-a", "iam:CreateUser", expect=0) == {"iam:CreateUser": "allowed"}
    role = "AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8"
    got = decisions(iam, "--role", role, "-a", "s3:GetObject", "-a", "s3:PutObject", expect=3)
    assert got == {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny"}


def test_a_retired_aws_managed_policy_from_the_file_still_decides(iam):
    """biden's AWSLambdaFullAccess is no longer in AWS's catalogue; the file's copy is used."""
    imported(iam, "cloudsplaining-test-example-authz-details.json")
    got = decisions(iam, "--user", "biden", "-a", "lambda:InvokeFunction", "-a", "iam:CreateUser", expect=3)
    assert got == {"lambda:InvokeFunction": "allowed", "iam:CreateUser": "implicitDeny"}


def test_malformed_input_exits_1_with_the_json_path_and_writes_nothing(iam, account_dir, tmp_path):
    doc = json.loads((DATA / "awscli-docs-example.json").read_text())
    doc["UserDetailList"][1]["UserName"] = ["Bob"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = iam("account", "import", str(bad), expect=1)
    assert "$.UserDetailList[1].UserName: expected a string, found an array" in r.stderr
    assert not account_dir.exists()


def test_import_into_a_non_empty_account_is_refused(iam):
    imported(iam, "cloudmapper-demo.json")
    r = iam("account", "import", str(DATA / "cloudmapper-demo.json"), expect=1)
    assert r.stdout == ""
    assert "InvalidInput: account 123456789012 is not empty (2 users" in r.stderr


def test_a_directory_holding_another_account_gets_the_files_account_added(iam):
    iam("user", "create", "someone")  # creates the default account, with a generated id
    imported(iam, "cloudmapper-demo.json")
    ids = {a["AccountId"] for a in iam("account", "list", "-o", "json").json()["Accounts"]}
    assert "123456789012" in ids and len(ids) == 2
    users = iam("--account", "123456789012", "user", "list", "-o", "json").json()["Users"]
    assert {u["UserName"] for u in users} == {"USER", "USER_WITH_BAD_INLINE_POLICY"}


def test_several_pages_import_together(iam, tmp_path):
    doc = json.loads((DATA / "awscli-docs-example.json").read_text())
    first = {"UserDetailList": doc["UserDetailList"], "GroupDetailList": doc["GroupDetailList"],
             "IsTruncated": True, "Marker": "abc"}
    second = {"RoleDetailList": doc["RoleDetailList"], "Policies": doc["Policies"], "IsTruncated": False}
    paths = []
    for n, page in enumerate((first, second)):
        paths.append(tmp_path / f"page{n}.json")
        paths[-1].write_text(json.dumps(page))
    report = iam("account", "import", *map(str, paths), "-o", "json").json()["Import"]
    assert (report["Users"], report["Roles"], report["InstanceProfiles"]) == (3, 1, 1)


def test_export_writes_aws_json_to_a_file(iam, tmp_path):
    imported(iam, "cloudmapper-demo.json")
    out = tmp_path / "out.json"
    iam("account", "export", "--out", str(out))
    data = json.loads(out.read_text())
    assert sorted(data) == ["GroupDetailList", "Policies", "RoleDetailList", "UserDetailList"]
    assert {u["UserName"] for u in data["UserDetailList"]} == {"USER", "USER_WITH_BAD_INLINE_POLICY"}


def test_export_cloudformation_of_a_locally_built_account(iam, tmp_path):
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}))
    iam("policy", "create", "read-b", "--document", str(policy))
    iam("group", "create", "readers")
    iam("user", "create", "ann.lee")
    iam("group", "add-user", "readers", "ann.lee")
    r = iam("account", "export", "--format", "cloudformation")
    template = json.loads(r.stdout)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    res = template["Resources"]
    (user_id,) = [k for k, v in res.items() if v["Type"] == "AWS::IAM::User"]
    assert user_id.startswith("UserAnnlee") and user_id.isalnum()
    assert res[user_id]["Properties"]["Groups"] == [{"Ref": "GroupReaders"}]
    (pid,) = [k for k, v in res.items() if v["Type"] == "AWS::IAM::ManagedPolicy"]
    assert res[pid]["Properties"]["PolicyDocument"]["Statement"][0]["Action"] == "s3:GetObject"


def test_export_rejects_an_unknown_format(iam):
    r = iam("account", "export", "--format", "yaml", expect=2)
    assert "yaml" in r.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.json")))
def test_every_real_file_imports_through_the_cli(iam, name):
    assert imported(iam, name)["Users"] >= 2
