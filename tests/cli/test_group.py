"""`iamctl group ...` through the real CLI; each test names the AWS rule it checks."""

from __future__ import annotations

import re

import pytest
from msgspec import structs

from iamctl.core.store.directory import Store


def account_id(iam) -> str:
    """The id of the test's account, created by `init` if it does not exist yet."""
    return iam("init", "-o", "json").json()["Account"]["AccountId"]


def members(iam, group: str) -> list[str]:
    return [u["UserName"] for u in iam("group", "show", group, "-o", "json").json()["Group"]["Users"]]


def test_create_and_show_group(iam):
    acct = account_id(iam)
    created = iam("group", "create", "devs", "--path", "/eng/", "-o", "json").json()["Group"]
    assert created["Arn"] == f"arn:aws:iam::{acct}:group/eng/devs"
    assert re.fullmatch(r"AGPA[A-Z2-7]{17}", created["GroupId"])
    shown = iam("group", "show", "devs", "-o", "json").json()["Group"]
    assert shown == {**created, "Users": [], "AttachedPolicies": [], "InlinePolicies": []}


def test_group_names_are_unique_without_regard_to_case(iam):
    iam("group", "create", "devs")
    r = iam("group", "create", "DEVS", expect=1)
    assert r.stderr == "iamctl: error: EntityAlreadyExists: Group with name DEVS already exists.\n"


@pytest.mark.parametrize("name, ok", [("g" * 128, True), ("g" * 129, False), ("a b", False)])
def test_group_name_is_1_to_128_characters(iam, name, ok):
    iam("group", "create", name, expect=0 if ok else 1)


def test_groups_quota_is_enforced(iam):
    """IAM quota GroupsPerAccount (300 by default; lowered here)."""
    iam("account", "set-quota", "groups", "1")
    iam("group", "create", "a")
    r = iam("group", "create", "b", expect=1)
    assert r.stderr == "iamctl: error: LimitExceeded: Cannot exceed quota for GroupsPerAccount: 1.\n"


def test_a_user_belongs_to_at_most_10_groups(iam):
    """IAM quota GroupsPerUser: 10."""
    iam("user", "create", "alice")
    for i in range(11):
        iam("group", "create", f"g{i:02d}")
    for i in range(10):
        iam("group", "add-user", f"g{i:02d}", "alice")
    r = iam("group", "add-user", "g10", "alice", expect=1)
    assert r.stderr == "iamctl: error: LimitExceeded: Cannot exceed quota for GroupsPerUser: 10.\n"
    assert members(iam, "g10") == []


def test_adding_a_member_again_is_a_no_op_success(iam):
    """AWS AddUserToGroup succeeds, changing nothing, for a user already in the group."""
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    iam("group", "add-user", "devs", "ALICE")
    assert members(iam, "devs") == ["alice"]
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["Groups"] == ["devs"]


def test_removing_a_non_member_is_no_such_entity(iam):
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    r = iam("group", "remove-user", "devs", "alice", expect=1)
    assert r.stderr.startswith("iamctl: error: NoSuchEntity:")


def test_add_and_remove_keep_both_sides_in_step(iam):
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    iam("group", "remove-user", "devs", "alice")
    assert members(iam, "devs") == []
    assert iam("group", "list-for-user", "alice", "-o", "json").json() == {"Groups": []}


@pytest.mark.parametrize("args", [("add-user", "ghosts", "alice"), ("add-user", "devs", "ghost")])
def test_membership_needs_an_existing_user_and_group(iam, args):
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    assert "NoSuchEntity" in iam("group", *args, expect=1).stderr


def test_list_groups_sorted_with_path_prefix_and_pages(iam):
    for name, path in [("ops", "/it/"), ("Devs", "/eng/"), ("admins", "/")]:
        iam("group", "create", name, "--path", path)
    listed = [g["GroupName"] for g in iam("group", "list", "-o", "json").json()["Groups"]]
    assert listed == ["admins", "Devs", "ops"]
    assert [g["GroupName"] for g in iam("group", "list", "--path-prefix", "/it/", "-o", "json").json()["Groups"]] == ["ops"]
    page = iam("group", "list", "--max-items", "2", "-o", "json").json()
    rest = iam("group", "list", "--starting-token", page["NextToken"], "-o", "json").json()
    assert [g["GroupName"] for g in page["Groups"] + rest["Groups"]] == listed


def test_list_for_user(iam):
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "create", "ops")
    iam("group", "add-user", "ops", "alice")
    assert [g["GroupName"] for g in iam("group", "list-for-user", "alice", "-o", "json").json()["Groups"]] == ["ops"]


def test_rename_group_updates_its_members(iam):
    """AWS UpdateGroup: members follow the group to its new name."""
    acct = account_id(iam)
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    iam("group", "update", "devs", "--new-name", "engineers", "--new-path", "/eng/")
    iam("group", "show", "devs", expect=1)
    shown = iam("group", "show", "engineers", "-o", "json").json()["Group"]
    assert shown["Arn"] == f"arn:aws:iam::{acct}:group/eng/engineers"
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["Groups"] == ["engineers"]


def test_rename_group_onto_an_existing_one_is_refused(iam):
    iam("group", "create", "devs")
    iam("group", "create", "ops")
    assert "EntityAlreadyExists" in iam("group", "update", "devs", "--new-name", "OPS", expect=1).stderr


def test_delete_group_is_a_conflict_while_it_has_members_or_policies(iam, account_dir):
    """AWS DeleteGroup: the group must have no users and no policies; --force removes them."""
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    r = iam("group", "delete", "devs", expect=1)
    assert r.stderr.startswith(
        "iamctl: error: DeleteConflict: Cannot delete entity, must remove users from group first.")
    iam("group", "remove-user", "devs", "alice")
    with Store(account_dir).write() as txn:
        txn.put("group", structs.replace(txn.get("group", "devs"), inline_policies={"p": "{}"}))
    r = iam("group", "delete", "devs", expect=1)
    assert "must delete policies first" in r.stderr
    iam("group", "add-user", "devs", "alice")
    iam("group", "delete", "devs", "--force")
    iam("group", "show", "devs", expect=1)
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["Groups"] == []


def test_group_show_same_members_in_every_format(iam):
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    for form in ("json", "text", "table"):
        assert "alice" in iam("group", "show", "devs", "-o", form).stdout


POLICY_DOC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'


def test_group_policies_follow_a_rename_and_block_delete_until_forced(iam):
    """AWS UpdateGroup keeps attachments; DeleteGroup: "must detach all policies first"."""
    arn = iam("policy", "create", "ReadStuff", "--document", "-", "-o", "json", input=POLICY_DOC).json()["Policy"]["Arn"]
    iam("group", "create", "devs")
    iam("group", "attach-policy", "devs", arn)
    iam("group", "update", "devs", "--new-name", "engineers")
    shown = iam("group", "show", "engineers", "-o", "json").json()["Group"]
    assert shown["AttachedPolicies"] == [{"PolicyName": "ReadStuff", "PolicyArn": arn}]
    r = iam("group", "delete", "engineers", expect=1)
    assert "must detach all policies first" in r.stderr
    iam("policy", "delete", arn, expect=1)
    iam("group", "delete", "engineers", "--force")
    iam("policy", "delete", arn)
