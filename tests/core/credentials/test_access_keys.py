"""Tests for iamctl.core.credentials.access_keys: AWS's access-key rules and key-pair authentication."""

from __future__ import annotations

import re

import pytest

from iamctl.core.base.errors import (
    InvalidClientTokenId,
    LimitExceeded,
    NoSuchEntity,
    SignatureDoesNotMatch,
    ValidationError,
)
from iamctl.core.credentials import access_keys
from iamctl.core.identities import account, users
from iamctl.core.store.directory import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a")
    with s.write() as txn:
        users.create_user(txn, "alice")
    return s


def _create(store, user="alice"):
    with store.write() as txn:
        return access_keys.create_access_key(txn, user)


def test_create_access_key_shapes_and_storage(store):
    new = _create(store)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", new.key.access_key_id)
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", new.secret_access_key)
    assert new.key.status == "Active"
    with store.read() as txn:
        assert txn.get("access-key", new.key.access_key_id).user == "alice"
        stored = txn.get_secret("user", "alice")["access_keys"][new.key.access_key_id]["hash"]
    assert new.secret_access_key not in stored and stored.startswith("sha256$")


def test_create_access_key_for_missing_user_is_no_such_entity(store):
    with store.write() as txn, pytest.raises(NoSuchEntity, match="The user with name bob cannot be found."):
        access_keys.create_access_key(txn, "bob")


def test_at_most_two_keys_per_user_inactive_included(store):
    first = _create(store)
    with store.write() as txn:
        access_keys.update_access_key(txn, "alice", first.key.access_key_id, "Inactive")
    _create(store)
    with store.write() as txn, pytest.raises(LimitExceeded, match="AccessKeysPerUser: 2"):
        access_keys.create_access_key(txn, "alice")


def test_access_key_quota_can_be_raised(store):
    with store.write() as txn:
        account.set_quota(txn, "access-keys-per-user", 3)
    for _ in range(3):
        _create(store)


def test_update_access_key_status_must_be_active_or_inactive(store):
    new = _create(store)
    with store.write() as txn, pytest.raises(ValidationError, match="Active, Inactive"):
        access_keys.update_access_key(txn, "alice", new.key.access_key_id, "Disabled")


def test_unknown_key_id_is_no_such_entity_for_update_and_delete(store):
    with store.write() as txn, pytest.raises(NoSuchEntity, match="The Access Key with id AKIANOPE cannot be found."):
        access_keys.delete_access_key(txn, "alice", "AKIANOPE")


def test_key_of_another_user_is_not_found_under_this_user(store):
    with store.write() as txn:
        users.create_user(txn, "bob")
    new = _create(store, "bob")
    with store.write() as txn, pytest.raises(NoSuchEntity):
        access_keys.update_access_key(txn, "alice", new.key.access_key_id, "Inactive")


def test_delete_access_key_removes_index_and_hash(store):
    new = _create(store)
    key_id = new.key.access_key_id
    with store.write() as txn:
        access_keys.delete_access_key(txn, "alice", key_id)
    with store.read() as txn:
        assert not txn.exists("access-key", key_id)
        assert key_id not in (txn.get_secret("user", "alice").get("access_keys") or {})
        assert access_keys.list_access_keys(txn, "alice") == []
    with store.write() as txn, pytest.raises(InvalidClientTokenId):
        access_keys.authenticate_access_key(txn, key_id, new.secret_access_key)


def test_authenticate_returns_user_and_records_last_use(store, monkeypatch):
    new = _create(store)
    monkeypatch.setenv("IAMCTL_NOW", "2026-05-01T12:00:00Z")
    with store.write() as txn:
        user = access_keys.authenticate_access_key(txn, new.key.access_key_id, new.secret_access_key)
    assert user.name == "alice"
    with store.read() as txn:
        (key,) = access_keys.list_access_keys(txn, "alice")
    assert (key.last_used, key.last_used_service) == ("2026-05-01T12:00:00Z", "sts")


def test_authenticate_in_a_read_transaction_records_nothing(store):
    new = _create(store)
    with store.read() as txn:
        assert access_keys.authenticate_access_key(txn, new.key.access_key_id, new.secret_access_key).name == "alice"
        assert access_keys.list_access_keys(txn, "alice")[0].last_used is None


def test_wrong_secret_is_signature_does_not_match(store):
    new = _create(store)
    with store.write() as txn, pytest.raises(SignatureDoesNotMatch):
        access_keys.authenticate_access_key(txn, new.key.access_key_id, _one_char_off(new.secret_access_key))


def test_inactive_key_is_invalid_client_token_id_even_with_the_right_secret(store):
    new = _create(store)
    with store.write() as txn:
        access_keys.update_access_key(txn, "alice", new.key.access_key_id, "Inactive")
    with store.write() as txn, pytest.raises(InvalidClientTokenId,
                                             match="The security token included in the request is invalid."):
        access_keys.authenticate_access_key(txn, new.key.access_key_id, new.secret_access_key)


def test_key_id_is_case_sensitive(store):
    new = _create(store)
    with store.write() as txn, pytest.raises(InvalidClientTokenId):
        access_keys.authenticate_access_key(txn, new.key.access_key_id.lower(), new.secret_access_key)


def test_keys_follow_a_renamed_user(store):
    new = _create(store)
    with store.write() as txn:
        users.update_user(txn, "alice", new_name="alicia")
    with store.write() as txn:
        assert access_keys.authenticate_access_key(txn, new.key.access_key_id, new.secret_access_key).name == "alicia"


def _one_char_off(secret: str) -> str:
    """The secret with its last character changed (to one it surely is not)."""
    return secret[:-1] + ("y" if secret.endswith("x") else "x")
