"""iamctl.core.identities.groups: membership is kept on both sides, through rename and delete."""

from __future__ import annotations

import pytest
from msgspec import structs

from iamctl.core.base.errors import DeleteConflict
from iamctl.core.identities import groups, users
from iamctl.core.store.directory import Store
from iamctl.core.store.records import ManagedPolicy, PolicyVersion

ACCOUNT = "123456789012"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/ReadStuff"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a")
    s.init(ACCOUNT)
    with s.write() as txn:
        users.create_user(txn, "alice")
        users.create_user(txn, "bob")
        groups.create_group(txn, "devs")
        groups.add_user_to_group(txn, "devs", "alice")
        groups.add_user_to_group(txn, "devs", "bob")
        txn.put("policy", ManagedPolicy(
            name="ReadStuff", policy_id="ANPA" + "X" * 17, path="/", created="2026-01-01T00:00:00Z", updated="2026-01-01T00:00:00Z",
            default_version="v1", versions=[PolicyVersion("v1", "{}", "2026-01-01T00:00:00Z")], attachments=["group/devs"]))
        group = txn.get("group", "devs")
        txn.put("group", structs.replace(group, attached_policies=[POLICY_ARN]))
    return s


def test_rename_group_updates_members_and_policy_attachments(store):
    """AWS UpdateGroup: the group's users and policies stay with it under the new name."""
    with store.write() as txn:
        groups.update_group(txn, "devs", new_name="engineers", new_path="/eng/")
    with store.read() as txn:
        assert txn.get("group", "devs") is None
        assert txn.require("group", "engineers").path == "/eng/"
        assert txn.require("user", "alice").groups == ["engineers"]
        assert txn.require("user", "bob").groups == ["engineers"]
        assert txn.require("policy", "ReadStuff").attachments == ["group/engineers"]


def test_rename_group_by_case_only_keeps_one_file(store):
    with store.write() as txn:
        groups.update_group(txn, "devs", new_name="Devs")
    with store.read() as txn:
        assert txn.keys("group") == ["devs"]
        assert txn.require("group", "devs").name == "Devs"
        assert txn.require("user", "alice").groups == ["Devs"]


def test_delete_group_refuses_while_it_has_members(store):
    """AWS DeleteGroup: "Cannot delete entity, must remove users from group first."."""
    with store.write() as txn, pytest.raises(DeleteConflict, match="must remove users from group first"):
        groups.delete_group(txn, "devs")


def test_force_delete_group_clears_members_and_attachments(store):
    with store.write() as txn:
        groups.delete_group(txn, "devs", force=True)
    with store.read() as txn:
        assert txn.get("group", "devs") is None
        assert txn.require("user", "alice").groups == []
        assert txn.require("policy", "ReadStuff").attachments == []


def test_deleting_a_user_leaves_the_group_consistent(store):
    with store.write() as txn:
        users.delete_user(txn, "alice", force=True)
    with store.read() as txn:
        assert txn.require("group", "devs").members == ["bob"]
