"""iamctl.core.identities.users: rename and delete keep every related record consistent (AWS UpdateUser,
DeleteUser), plus the core rules the CLI tests cannot reach directly."""

from __future__ import annotations

import pytest
from msgspec import structs

from iamctl.core.base.errors import DeleteConflict, EntityAlreadyExists, InvalidInput, NoSuchEntity
from iamctl.core.identities import groups, policies, users
from iamctl.core.store.directory import Store
from iamctl.core.store.records import (
    AccessKeyMeta,
    AccessKeyRecord,
    LoginProfile,
    ManagedPolicy,
    MfaDevice,
    PolicyVersion,
)

ACCOUNT = "123456789012"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/ReadStuff"
AWS_POLICY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a")
    s.init(ACCOUNT)
    return s


def equip(txn, name: str) -> None:
    """Give a user one of everything that DeleteUser checks for, with the other side of each
    relation stored as engineers E and F store it."""
    policy = ManagedPolicy(name="ReadStuff", policy_id="ANPA" + "X" * 17, path="/", created="2026-01-01T00:00:00Z",
                           updated="2026-01-01T00:00:00Z", default_version="v1",
                           versions=[PolicyVersion("v1", '{"Version":"2012-10-17","Statement":[]}', "2026-01-01T00:00:00Z")],
                           attachments=["role/other"])
    txn.put("policy", policy)
    groups.create_group(txn, "devs")
    groups.add_user_to_group(txn, "devs", name)
    user = txn.get("user", name)
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/{name}-phone"
    txn.put("mfa", MfaDevice(name=f"{name}-phone", serial=serial, path="/", created="2026-01-01T00:00:00Z", user=name, enabled="2026-01-01T00:00:00Z"))
    txn.put_secret("mfa", f"{name}-phone", {"seed": "JBSWY3DPEHPK3PXP"})
    txn.put("access-key", AccessKeyRecord(access_key_id="AKIAAAAAAAAAAAAAAAAA", user=name))
    txn.put_secret("access-key", "AKIAAAAAAAAAAAAAAAAA", {"hash": "h"})
    txn.put_secret("user", name, {"password": {"hash": "$argon2id$..."}})
    policy = txn.get("policy", "ReadStuff")
    txn.put("policy", structs.replace(policy, attachments=[*policy.attachments, f"user/{name}"]))
    txn.put("user", structs.replace(
        user,
        login_profile=LoginProfile(created="2026-01-01T00:00:00Z", password_reset_required=True),
        access_keys=[AccessKeyMeta("AKIAAAAAAAAAAAAAAAAA", "Active", "2026-01-01T00:00:00Z")],
        mfa_devices=[serial],
        inline_policies={"inline1": "{}"},
        attached_policies=[POLICY_ARN, AWS_POLICY_ARN],
    ))


def test_rename_user_carries_groups_policies_mfa_keys_and_secret_record(store):
    """AWS UpdateUser: the renamed user keeps its groups, policies, keys and devices."""
    with store.write() as txn:
        users.create_user(txn, "alice")
        equip(txn, "alice")
    with store.write() as txn:
        users.update_user(txn, "alice", new_name="alicia", new_path="/sales/")
    with store.read() as txn:
        assert txn.get("user", "alice") is None
        renamed = txn.require("user", "alicia")
        assert renamed.path == "/sales/" and renamed.groups == ["devs"] and renamed.login_profile
        assert txn.require("group", "devs").members == ["alicia"]
        assert sorted(txn.require("policy", "ReadStuff").attachments) == ["role/other", "user/alicia"]
        assert txn.require("mfa", "alice-phone").user == "alicia"
        assert txn.require("access-key", "AKIAAAAAAAAAAAAAAAAA").user == "alicia"
        assert txn.get_secret("user", "alicia") == {"password": {"hash": "$argon2id$..."}}
        assert txn.get_secret("user", "alice") is None


def test_rename_differing_only_by_case_keeps_the_same_file_and_secret(store):
    """AWS UpdateUser allows a new name that differs only in case from the old one."""
    with store.write() as txn:
        users.create_user(txn, "alice")
        equip(txn, "alice")
    with store.write() as txn:
        users.update_user(txn, "alice", new_name="Alice")
    with store.read() as txn:
        assert txn.require("user", "alice").name == "Alice"
        assert txn.keys("user") == ["alice"]
        assert txn.get_secret("user", "Alice") == {"password": {"hash": "$argon2id$..."}}
        assert txn.require("group", "devs").members == ["Alice"]
        assert "user/Alice" in txn.require("policy", "ReadStuff").attachments


def test_rename_onto_another_user_is_entity_already_exists(store):
    with store.write() as txn:
        users.create_user(txn, "alice")
        users.create_user(txn, "bob")
        with pytest.raises(EntityAlreadyExists, match="User with name BOB already exists."):
            users.update_user(txn, "alice", new_name="BOB")


def test_delete_refuses_while_anything_is_attached_and_names_it_all(store):
    """AWS DeleteUser: DeleteConflict, first obstacle in AWS's order (login profile first)."""
    with store.write() as txn:
        users.create_user(txn, "alice")
        equip(txn, "alice")
    with store.write() as txn, pytest.raises(DeleteConflict) as err:
        users.delete_user(txn, "alice")
    message = str(err.value)
    assert message.startswith("Cannot delete entity, must delete login profile first.")
    for part in ("login profile", "1 access key", "1 MFA device", "1 inline policy",
                 "2 attached managed policies", "membership of 1 group (devs)"):
        assert part in message


def test_force_delete_removes_every_related_record_in_one_transaction(store):
    with store.write() as txn:
        users.create_user(txn, "alice")
        equip(txn, "alice")
    with store.write() as txn:
        users.delete_user(txn, "alice", force=True)
    with store.read() as txn:
        assert txn.get("user", "alice") is None
        assert txn.require("group", "devs").members == []
        assert txn.require("policy", "ReadStuff").attachments == ["role/other"]
        assert txn.get("mfa", "alice-phone") is None and txn.get_secret("mfa", "alice-phone") is None
        assert txn.get("access-key", "AKIAAAAAAAAAAAAAAAAA") is None
        assert txn.get_secret("access-key", "AKIAAAAAAAAAAAAAAAAA") is None
        assert txn.get_secret("user", "alice") is None


def test_a_failed_force_delete_changes_nothing(store, monkeypatch):
    """One transaction: an error half-way leaves the directory as it was."""
    with store.write() as txn:
        users.create_user(txn, "alice")
        equip(txn, "alice")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(policies, "detach_all", boom)
    with pytest.raises(RuntimeError), store.write() as txn:
        users.delete_user(txn, "alice", force=True)
    with store.read() as txn:
        assert txn.require("group", "devs").members == ["alice"]
        assert txn.get("mfa", "alice-phone") is not None


def test_pagination_tokens_resume_after_the_last_item(store):
    """AWS CLI --max-items / --starting-token: pages are disjoint and cover everything in order."""
    with store.write() as txn:
        for name in ["dave", "Carol", "alice", "bob", "eve"]:
            users.create_user(txn, name)
    with store.read() as txn:
        seen, token = [], None
        while True:
            page = users.list_users(txn, max_items=2, starting_token=token)
            seen += [u.name for u in page.items]
            token = page.next_token
            if token is None:
                break
        assert seen == ["alice", "bob", "Carol", "dave", "eve"]
        with pytest.raises(InvalidInput):
            users.list_users(txn, starting_token="!!not-a-token!!")


def test_boundary_of_another_account_does_not_exist(store):
    with store.write() as txn, pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        users.create_user(txn, "alice", permissions_boundary="arn:aws:iam::999999999999:policy/ReadStuff")


@pytest.mark.parametrize("value", ["tab\there", "line\nbreak", "cr\r"])
def test_tags_allow_space_separators_but_not_tabs_or_line_breaks(store, value):
    """TagUser: tag keys and values match [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]; \\p{Z} holds spaces
    (U+0020, U+00A0, ...) but not tab, LF or CR."""
    from iamctl.core.base.errors import ValidationError

    with store.write() as txn:
        users.create_user(txn, "alice")
    with store.write() as txn, pytest.raises(ValidationError):
        users.tag_user(txn, "alice", {"note": value})
    with store.write() as txn:
        assert users.tag_user(txn, "alice", {"note": "a b\u00a0c 数字 ٣"}).tags["note"] == "a b\u00a0c 数字 ٣"
