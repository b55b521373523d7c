"""The password lockout shared by sign-in and change-password (credentials/lockout.py).

One count per name typed, kept on the system clock; one answer and one Argon2 verification for
every refusal. The figures (5 failures, 300 seconds) are iamctl's, as for its MFA throttle.
"""

from __future__ import annotations

import pytest

from iamctl.core.base import clock
from iamctl.core.base.errors import AccessDenied
from iamctl.core.credentials import hashing, lockout, passwords, signin
from iamctl.core.identities import users
from iamctl.core.store.directory import Store
from iamctl.core.store.records import PasswordAttempts

PASSWORD = "Lockout-test-pw-1"


@pytest.fixture
def store(tmp_path, now, wall):
    s = Store(tmp_path / "a")
    with s.write() as txn:
        users.create_user(txn, "alice")
        passwords.set_password(txn, "alice", PASSWORD)
    return s


def _try(store, name: str, password: str) -> bool:
    try:
        with store.write() as txn:
            lockout.check_password(txn, name, password)
    except AccessDenied as e:
        assert str(e) == lockout.INCORRECT
        return False
    return True


def test_five_failures_lock_a_name_for_300_seconds_of_the_system_clock(store, wall, now):
    for i in range(5):
        wall(1000 + i)
        assert not _try(store, "alice", "wrong")
    assert not _try(store, "alice", PASSWORD)
    now(clock.now() + 10_000)  # IAMCTL_NOW plays no part
    assert not _try(store, "alice", PASSWORD)
    wall(1004 + 299)
    assert not _try(store, "alice", PASSWORD)
    wall(1004 + 300)
    assert _try(store, "alice", PASSWORD)
    with store.read() as txn:
        assert txn.get("password-attempts", "alice") is None  # a right password resets the count


def test_a_name_that_is_no_users_is_counted_and_locked_the_same(store):
    for _ in range(5):
        assert not _try(store, "ghost", "wrong")
    with store.read() as txn:
        record = txn.get("password-attempts", "ghost")
    assert (record.failures, record.user_id) == (5, "") and record.locked_until is not None


def test_a_user_created_under_a_counted_name_starts_afresh(store):
    for _ in range(5):
        _try(store, "bob", "wrong")
    with store.write() as txn:
        users.create_user(txn, "bob")
        passwords.set_password(txn, "bob", PASSWORD)
        txn.put("password-attempts", PasswordAttempts(name="bob", user_id="AIDAEARLIERBOBXXXXXXX", failures=4))
    assert _try(store, "bob", PASSWORD)  # the count was an earlier bob's


def test_a_lock_set_by_a_clock_running_ahead_ends_300_seconds_from_now(store, wall):
    with store.write() as txn:
        txn.put("password-attempts", PasswordAttempts(name="alice", user_id=txn.get("user", "alice").user_id,
                                                      failures=5, locked_until="2099-01-01T00:00:00Z"))
    wall(5000)
    assert not _try(store, "alice", PASSWORD)
    wall(5000 + 300)
    assert _try(store, "alice", PASSWORD)


def test_every_refusal_costs_one_verification_and_no_hash(store, monkeypatch):
    with store.write() as txn:
        users.create_user(txn, "nopass")
        lockout.decoy_hash(txn)
    for _ in range(5):
        _try(store, "locked", "wrong")
    calls = {"hash": 0, "verify": 0}
    real_verify = hashing.verify_password
    monkeypatch.setattr(hashing, "hash_password", lambda p: calls.__setitem__("hash", calls["hash"] + 1))
    monkeypatch.setattr(hashing, "verify_password",
                        lambda h, p: calls.__setitem__("verify", calls["verify"] + 1) or real_verify(h, p))
    for name, password in [("alice", "wrong"), ("ghost", PASSWORD), ("nopass", PASSWORD), ("locked", "any")]:
        calls.update(hash=0, verify=0)
        assert not _try(store, name, password)
        assert calls == {"hash": 0, "verify": 1}, name


def test_unlock_lifts_the_lock_and_set_password_does_too(store):
    for _ in range(5):
        _try(store, "alice", "wrong")
    with store.write() as txn:
        done = signin.unlock(txn, "alice")
    assert done.sign_in_was_locked and done.devices == []
    assert _try(store, "alice", PASSWORD)
    for _ in range(5):
        _try(store, "alice", "wrong")
    with store.write() as txn:
        passwords.set_password(txn, "alice", "Another-Lockout-pw-2")
    assert _try(store, "alice", "Another-Lockout-pw-2")
