"""Tests for iamctl.core.credentials.passwords: console passwords and the account password policy (AWS rules)."""

from __future__ import annotations

import pytest

from iamctl.core.base.errors import AccessDenied, NoSuchEntity, PasswordPolicyViolation, ValidationError
from iamctl.core.credentials import passwords
from iamctl.core.identities import users
from iamctl.core.store.directory import Store

GOOD = "Corr3ct-Horse"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a")
    with s.write() as txn:
        users.create_user(txn, "alice")
    return s


def test_get_password_policy_without_one_is_no_such_entity(store):
    # GetAccountPasswordPolicy: NoSuchEntity when the account has no custom policy.
    with store.read() as txn, pytest.raises(NoSuchEntity, match="Password Policy with domain name"):
        passwords.get_password_policy(txn)


def test_update_account_password_policy_is_not_a_partial_update(store):
    with store.write() as txn:
        passwords.set_password_policy(txn, minimum_password_length=14, require_symbols=True)
    with store.write() as txn:
        passwords.set_password_policy(txn, require_numbers=True)
    with store.read() as txn:
        p = passwords.get_password_policy(txn)
    assert (p.minimum_password_length, p.require_symbols, p.require_numbers) == (6, False, True)


def test_password_policy_ranges_are_aws_ranges(store):
    with store.write() as txn, pytest.raises(ValidationError, match="maxPasswordAge"):
        passwords.set_password_policy(txn, max_password_age=1096)


def test_delete_password_policy_restores_default_and_twice_is_no_such_entity(store):
    with store.write() as txn:
        passwords.set_password_policy(txn, minimum_password_length=6)
    with store.write() as txn:
        passwords.delete_password_policy(txn)
    with store.write() as txn, pytest.raises(NoSuchEntity):
        passwords.delete_password_policy(txn)
    # The default policy (three of four character types) applies again.
    with store.write() as txn, pytest.raises(PasswordPolicyViolation, match="three of"):
        passwords.set_password(txn, "alice", "lowercaseonly")


def test_set_password_creates_then_updates_the_login_profile(store):
    with store.write() as txn:
        first = passwords.set_password(txn, "alice", GOOD, require_reset=True)
    assert first.created and first.profile.password_reset_required and first.generated is None
    with store.write() as txn:
        second = passwords.set_password(txn, "alice", GOOD + "2")
    assert not second.created and second.profile.created == first.profile.created
    with store.read() as txn:
        assert passwords.verify_user_password(txn, txn.require("user", "alice"), GOOD + "2")
        assert not passwords.verify_user_password(txn, txn.require("user", "alice"), GOOD)


def test_set_password_for_a_missing_user_is_no_such_entity(store):
    with store.write() as txn, pytest.raises(NoSuchEntity, match="The user with name bob cannot be found."):
        passwords.set_password(txn, "bob", GOOD)


def test_generated_password_satisfies_a_strict_policy(store):
    with store.write() as txn:
        passwords.set_password_policy(txn, minimum_password_length=40, require_symbols=True, require_numbers=True,
                                   require_uppercase_characters=True, require_lowercase_characters=True)
        done = passwords.set_password(txn, "alice", None)
    assert len(done.generated) >= 40
    with store.read() as txn:
        assert passwords.verify_user_password(txn, done.user, done.generated)


def test_password_hash_is_argon2id_in_the_secret_record_only(store):
    with store.write() as txn:
        passwords.set_password(txn, "alice", GOOD)
    with store.read() as txn:
        secret = txn.get_secret("user", "alice")
    assert secret["password"]["hash"].startswith("$argon2id$")


def test_reuse_prevention_counts_the_current_password(store):
    # PasswordReusePrevention: the last N passwords, the current one included, are refused.
    with store.write() as txn:
        passwords.set_password_policy(txn, password_reuse_prevention=2)
        passwords.set_password(txn, "alice", "first-pass")
        passwords.set_password(txn, "alice", "second-pass")
    for reused in ("second-pass", "first-pass"):
        with store.write() as txn, pytest.raises(PasswordPolicyViolation, match="last 2 passwords"):
            passwords.set_password(txn, "alice", reused)
    with store.write() as txn:
        passwords.set_password(txn, "alice", "third-pass")
        passwords.set_password(txn, "alice", "first-pass")  # now 3 passwords back: allowed


def test_delete_password_keeps_history_for_reuse_prevention(store):
    with store.write() as txn:
        passwords.set_password_policy(txn, password_reuse_prevention=1)
        passwords.set_password(txn, "alice", "first-pass")
        passwords.delete_password(txn, "alice")
    with store.write() as txn, pytest.raises(PasswordPolicyViolation):
        passwords.set_password(txn, "alice", "first-pass")
    with store.read() as txn:
        assert txn.require("user", "alice").login_profile is None


def test_delete_password_without_one_is_no_such_entity(store):
    with store.write() as txn, pytest.raises(NoSuchEntity, match="Login Profile for User alice cannot be found."):
        passwords.delete_password(txn, "alice")


def test_change_password_requires_the_old_password(store):
    with store.write() as txn:
        passwords.set_password_policy(txn, allow_users_to_change_password=True)
        passwords.set_password(txn, "alice", GOOD, require_reset=True)
    with store.write() as txn, pytest.raises(AccessDenied, match="authentication information is incorrect"):
        passwords.change_password(txn, "alice", "not-it", "Brand-new-1")
    with store.read() as txn:  # the wrong old password counts towards the sign-in lockout
        assert txn.get("password-attempts", "alice").failures == 1
    with store.write() as txn:
        user = passwords.change_password(txn, "alice", GOOD, "Brand-new-1")
    assert user.login_profile.password_reset_required is False
    with store.read() as txn:  # and the right one resets the count
        assert txn.get("password-attempts", "alice") is None


def test_change_password_refused_when_policy_does_not_allow_users_to_change(store):
    # AllowUsersToChangePassword false and no IAMUserChangePassword policy: AccessDenied.
    with store.write() as txn:
        passwords.set_password(txn, "alice", GOOD)
    with store.write() as txn, pytest.raises(AccessDenied, match="iam:ChangePassword"):
        passwords.change_password(txn, "alice", GOOD, "Brand-new-1")


def test_iam_user_change_password_policy_grants_change_through_a_group(store):
    from iamctl.core.identities import groups

    with store.write() as txn:
        passwords.set_password(txn, "alice", GOOD)
        groups.create_group(txn, "people")
        groups.add_user_to_group(txn, "people", "alice")
        group = txn.require("group", "people")
        group.attached_policies.append(passwords.CHANGE_PASSWORD_POLICY_ARN)
        txn.put("group", group)
    with store.write() as txn:
        passwords.change_password(txn, "alice", GOOD, "Brand-new-1")


def test_password_expires_after_max_password_age(store, monkeypatch):
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:00:00Z")
    with store.write() as txn:
        passwords.set_password_policy(txn, max_password_age=30, allow_users_to_change_password=True,
                                   hard_expiry=True)
        passwords.set_password(txn, "alice", GOOD)
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-30T23:59:59Z")
    with store.read() as txn:
        assert passwords.password_expired(txn, txn.require("user", "alice")) is False
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-31T00:00:00Z")
    with store.read() as txn:
        assert passwords.password_expired(txn, txn.require("user", "alice")) is True
    # HardExpiry: the user may no longer change it; an administrator still can.
    with store.write() as txn, pytest.raises(AccessDenied, match="hard expiry"):
        passwords.change_password(txn, "alice", GOOD, "Brand-new-1")
    with store.write() as txn:
        passwords.set_password(txn, "alice", "Brand-new-1")
        assert passwords.password_expired(txn, txn.require("user", "alice")) is False


def test_no_expiry_without_max_password_age(store, monkeypatch):
    with store.write() as txn:
        passwords.set_password(txn, "alice", GOOD)
    monkeypatch.setenv("IAMCTL_NOW", "2099-01-01T00:00:00Z")
    with store.read() as txn:
        assert passwords.password_expired(txn, txn.require("user", "alice")) is False


OWN_PASSWORD = """{"Version": "2012-10-17", "Statement": [{"Effect": "%s", "Action": "iam:ChangePassword",
  "Resource": "arn:aws:iam::*:user/${aws:username}"}]}"""


def test_a_customer_policy_allowing_change_password_on_own_user_is_enough(store):
    """"Permit IAM users to change their own passwords": with AllowUsersToChangePassword off, an
    IAM policy allowing iam:ChangePassword on the user's own ARN lets that user (only) change it."""
    with store.write() as txn:
        passwords.set_password(txn, "alice", GOOD)
        users.create_user(txn, "bob")
        passwords.set_password(txn, "bob", GOOD)
        from iamctl.core.identities import policies

        policies.put_inline_policy(txn, "user", "alice", "OwnPassword", OWN_PASSWORD % "Allow")
    with store.write() as txn:
        passwords.change_password(txn, "alice", GOOD, "Brand-new-1")
    with store.write() as txn, pytest.raises(AccessDenied, match="iam:ChangePassword"):
        passwords.change_password(txn, "bob", GOOD, "Brand-new-1")


def test_an_explicit_deny_of_change_password_wins_over_the_account_setting(store):
    """AWS policy evaluation: an explicit Deny overrides every Allow, the account-level
    iam:ChangePassword grant of AllowUsersToChangePassword included."""
    from iamctl.core.identities import policies

    with store.write() as txn:
        passwords.set_password_policy(txn, allow_users_to_change_password=True)
        passwords.set_password(txn, "alice", GOOD)
        policies.put_inline_policy(txn, "user", "alice", "NoPassword", OWN_PASSWORD % "Deny")
    with store.write() as txn, pytest.raises(AccessDenied, match="iam:ChangePassword"):
        passwords.change_password(txn, "alice", GOOD, "Brand-new-1")


def test_a_permissions_boundary_without_change_password_limits_the_managed_policy_grant(store):
    """Permissions boundaries: an identity policy's allow counts only where the boundary allows
    too, so IAMUserChangePassword under a boundary that omits iam:ChangePassword is not enough."""
    from iamctl.core.identities import policies

    boundary = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    with store.write() as txn:
        passwords.set_password(txn, "alice", GOOD)
        arn = policies.create_policy(txn, "S3Only", boundary).arn
        users.update_user(txn, "alice", permissions_boundary=arn)
        policies.attach_policy(txn, "user", "alice", passwords.CHANGE_PASSWORD_POLICY_ARN)
    with store.write() as txn, pytest.raises(AccessDenied, match="iam:ChangePassword"):
        passwords.change_password(txn, "alice", GOOD, "Brand-new-1")
