"""Attempt records: "record the attempt, then refuse" as one store feature (issue 14).

An operation that must remember a failed try (a wrong password, a wrong MFA code) stages the
record with ``attempt=True`` and raises its refusal; the store commits the attempt records, alone
and as they were staged, before the refusal goes on.
"""

from __future__ import annotations

import pytest

from iamctl.core.base import clock
from iamctl.core.base.errors import AccessDenied
from iamctl.core.store.directory import Store
from iamctl.core.store.records import PasswordAttempts, User


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "acct")
    s.init("123456789012")
    return s


def _user(name: str) -> User:
    return User(name=name, user_id="AIDA" + name.upper().ljust(17, "X")[:17], path="/", created=clock.iso())


def test_a_refusal_keeps_the_attempt_record_and_nothing_else(store):
    with pytest.raises(AccessDenied, match="refused"), store.write() as txn:
        txn.put("user", _user("bob"))
        txn.put("password-attempts", PasswordAttempts(name="bob", failures=1), attempt=True)
        txn.put_secret("mfa", "phone", {"seed": "S", "failures": 3}, attempt=True)
        raise AccessDenied("refused")
    with store.read() as txn:
        assert txn.get("password-attempts", "bob").failures == 1
        assert txn.get_secret("mfa", "phone") == {"seed": "S", "failures": 3}
        assert txn.get("user", "bob") is None  # not an attempt: dropped with the failed operation


def test_the_attempt_is_kept_as_it_was_staged_whatever_follows_it(store):
    with pytest.raises(RuntimeError), store.write() as txn:
        txn.put("password-attempts", PasswordAttempts(name="bob", failures=1), attempt=True)
        txn.put("password-attempts", PasswordAttempts(name="bob", failures=99))  # a later, ordinary write
        raise RuntimeError("any failure, not only an IAM refusal")
    with store.read() as txn:
        assert txn.get("password-attempts", "bob").failures == 1


def test_a_successful_transaction_commits_attempts_with_everything_else(store):
    with store.write() as txn:
        txn.put("user", _user("bob"))
        txn.put("password-attempts", PasswordAttempts(name="bob", failures=2), attempt=True)
        txn.delete("password-attempts", "bob")  # a success that follows clears it
    with store.read() as txn:
        assert txn.get("user", "bob") is not None and txn.get("password-attempts", "bob") is None


def test_deleting_can_be_an_attempt_too_and_read_only_transactions_refuse_attempts(store):
    with store.write() as txn:
        txn.put("password-attempts", PasswordAttempts(name="bob", failures=2))
    with pytest.raises(AccessDenied), store.write() as txn:
        txn.delete("password-attempts", "bob", attempt=True)
        raise AccessDenied("refused")
    with store.read() as txn:
        assert txn.get("password-attempts", "bob") is None
        with pytest.raises(RuntimeError, match="read-only"):
            txn.put("password-attempts", PasswordAttempts(name="bob"), attempt=True)
