"""Signing in (password, MFA, GetSessionToken-like sessions) and what those sessions may do."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamctl.core.authz import principals
from iamctl.core.base.errors import (
    AccessDenied,
    InvalidAuthenticationCode,
    MfaCodeRequired,
    PasswordPolicyViolation,
    PasswordResetRequired,
    ValidationError,
)
from iamctl.core.credentials import hashing, mfa, passwords, sessions, signin, totp
from iamctl.core.identities import policies, users
from iamctl.core.store.directory import Store

T0 = 1_800_000_000
PASSWORD = "Correct-Horse-9"
DATA = Path(__file__).resolve().parents[2] / "data"




@pytest.fixture
def store(tmp_path, now):
    s = Store(tmp_path / "a")
    with s.write() as txn:
        users.create_user(txn, "alice")
        passwords.set_password(txn, "alice", PASSWORD)
    return s


def _enrol(store) -> str:
    with store.write() as txn:
        enrolment = mfa.prepare_enrolment(txn, "alice")
        mfa.complete_enrolment(txn, enrolment, totp.code_at(enrolment.seed, T0 - 30),
                               totp.code_at(enrolment.seed, T0))
    return enrolment.seed


def test_sign_in_issues_an_asia_session_of_12_hours_by_default(store):
    with store.write() as txn:
        creds = signin.sign_in(txn, "alice", PASSWORD)
    s = creds.session
    assert s.access_key_id.startswith("ASIA") and len(s.access_key_id) == 20
    assert (s.type, s.user, s.mfa_authenticated, s.mfa_auth_time) == ("user", "alice", False, None)
    assert s.issued == "2027-01-15T08:00:00Z" and s.expires == "2027-01-15T20:00:00Z"
    assert hashing.verify_secret(s.secret_hash, creds.secret_access_key)
    assert hashing.verify_secret(s.token_hash, creds.session_token)
    with store.read() as txn:
        assert sessions.authenticate_session(txn, creds.presented()).access_key_id == s.access_key_id
        assert txn.get("user", "alice").login_profile.password_last_used == s.issued


@pytest.mark.parametrize(("seconds", "ok"), [(899, False), (900, True), (129_600, True), (129_601, False)])
def test_session_duration_is_15_minutes_to_36_hours_like_get_session_token(store, seconds, ok):
    with store.write() as txn:
        if ok:
            assert signin.sign_in(txn, "alice", PASSWORD, duration_seconds=seconds).session
        else:
            with pytest.raises(ValidationError, match="durationSeconds"):
                signin.sign_in(txn, "alice", PASSWORD, duration_seconds=seconds)


def test_wrong_password_unknown_user_and_no_password_get_the_same_answer(store):
    with store.write() as txn:
        users.create_user(txn, "nopass")
    for user, password in [("alice", "wrong"), ("ghost", PASSWORD), ("nopass", PASSWORD)]:
        with pytest.raises(AccessDenied, match="authentication information is incorrect"), store.write() as txn:
            signin.sign_in(txn, user, password)


def test_a_user_with_mfa_needs_a_code_and_a_wrong_one_is_recorded(store, now):
    seed = _enrol(store)
    with pytest.raises(MfaCodeRequired), store.write() as txn:
        signin.sign_in(txn, "alice", PASSWORD)
    now(T0 + 60)
    with pytest.raises(InvalidAuthenticationCode), store.write() as txn:
        signin.sign_in(txn, "alice", PASSWORD, mfa_code="000000")
    with store.read() as txn:  # recorded though the sign-in was refused (the store's attempt records)
        assert txn.get_secret("mfa", "alice")["failures"] == 1
        assert txn.keys("session") == []
    with store.write() as txn:
        creds = signin.sign_in(txn, "alice", PASSWORD, mfa_code=totp.code_at(seed, T0 + 60))
    assert creds.session.mfa_authenticated and creds.session.mfa_auth_time == creds.session.issued


def test_reset_required_signs_in_only_with_a_new_password_that_meets_the_policy(store):
    with store.write() as txn:
        passwords.set_password_policy(txn, minimum_password_length=10, allow_users_to_change_password=True)
        passwords.set_password(txn, "alice", PASSWORD, require_reset=True)
    with pytest.raises(PasswordResetRequired), store.write() as txn:
        signin.sign_in(txn, "alice", PASSWORD)
    with pytest.raises(PasswordPolicyViolation), store.write() as txn:
        signin.sign_in(txn, "alice", PASSWORD, new_password="short")
    with store.write() as txn:
        signin.sign_in(txn, "alice", PASSWORD, new_password="Another-Good-1")
    with store.write() as txn:
        assert not txn.get("user", "alice").login_profile.password_reset_required
        signin.sign_in(txn, "alice", "Another-Good-1")


def test_expired_password_must_be_changed_and_hard_expiry_refuses(store, now):
    with store.write() as txn:
        passwords.set_password_policy(txn, max_password_age=1, allow_users_to_change_password=True)
    now(T0 + 2 * 86400)
    with pytest.raises(PasswordResetRequired, match="expired"), store.write() as txn:
        signin.sign_in(txn, "alice", PASSWORD)
    with store.write() as txn:
        passwords.set_password_policy(txn, max_password_age=1, allow_users_to_change_password=True, hard_expiry=True)
    with pytest.raises(AccessDenied, match="hard expiry"), store.write() as txn:
        signin.sign_in(txn, "alice", PASSWORD, new_password="Another-Good-1")


# -- "deny everything unless signed in with MFA" (AWS IAM User Guide example policy) ------------


@pytest.fixture
def guarded(store):
    """alice: the AWS example policy plus policies allowing S3 reads and her own user's IAM."""
    block = (DATA / "block_most_access_unless_signed_in_with_mfa.json").read_text()
    allow = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", '
             '"iam:GetUser", "iam:ListAccessKeys"], "Resource": "*"}]}')
    with store.write() as txn:
        policies.put_inline_policy(txn, "user", "alice", "BlockUnlessMFA", block)
        policies.put_inline_policy(txn, "user", "alice", "Work", allow)
    return store


def _decide(store, principal_of, action, resource):
    with store.read() as txn:
        account = txn.account_id
        principal = principal_of(txn)
    resource = resource.replace("ACCT", account)
    return principals.authorize(principal, action, resource).decision


REQUESTS = [
    # action, resource, without MFA, with MFA
    ("iam:ListMFADevices", "arn:aws:iam::ACCT:user/alice", "allowed", "allowed"),
    ("iam:EnableMFADevice", "arn:aws:iam::ACCT:user/alice", "allowed", "allowed"),
    ("iam:CreateVirtualMFADevice", "arn:aws:iam::ACCT:mfa/alice", "allowed", "allowed"),
    ("iam:ListUsers", "*", "allowed", "allowed"),
    ("iam:DeactivateMFADevice", "arn:aws:iam::ACCT:user/alice", "explicitDeny", "allowed"),
    ("s3:GetObject", "arn:aws:s3:::bucket/key", "explicitDeny", "allowed"),
    ("iam:GetUser", "arn:aws:iam::ACCT:user/alice", "explicitDeny", "allowed"),
    ("iam:ListAccessKeys", "arn:aws:iam::ACCT:user/alice", "explicitDeny", "allowed"),
    ("s3:PutObject", "arn:aws:s3:::bucket/key", "explicitDeny", "implicitDeny"),
    ("iam:ListMFADevices", "arn:aws:iam::ACCT:user/bob", "implicitDeny", "implicitDeny"),
]


@pytest.mark.parametrize(("action", "resource", "without", "with_mfa"), REQUESTS)
def test_block_most_access_unless_signed_in_with_mfa(guarded, now, action, resource, without, with_mfa):
    """AWS example policy: a session signed in without MFA may only do the MFA self-service
    actions; one signed in with MFA may do everything the user's other policies allow."""
    seed = _enrol(guarded)
    now(T0 + 60)
    with guarded.write() as txn:
        signed = signin.sign_in(txn, "alice", PASSWORD, mfa_code=totp.code_at(seed, T0 + 60))
    assert _decide(guarded, lambda txn: sessions.resolve_session(txn, signed.presented()),
                   action, resource) == with_mfa
    # A session without MFA: the same user once her device is deactivated.
    with guarded.write() as txn:
        mfa.deactivate_mfa_device(txn, "alice")
        no_mfa = signin.sign_in(txn, "alice", PASSWORD)
    assert _decide(guarded, lambda txn: sessions.resolve_session(txn, no_mfa.presented()),
                   action, resource) == without


def test_session_context_sets_mfa_keys_as_aws_does(guarded, now):
    """Temporary credentials carry aws:MultiFactorAuthPresent (false without MFA) and
    aws:TokenIssueTime; aws:MultiFactorAuthAge only with MFA. Long-term keys carry none."""
    from iamctl.core.engine.request import request_context

    seed = _enrol(guarded)
    now(T0 + 60)
    with guarded.write() as txn:
        with_mfa = signin.sign_in(txn, "alice", PASSWORD, mfa_code=totp.code_at(seed, T0 + 60))
        mfa.deactivate_mfa_device(txn, "alice")
        without = signin.sign_in(txn, "alice", PASSWORD)
    from datetime import UTC, datetime

    later = datetime.fromtimestamp(now(T0 + 600), UTC)
    with guarded.read() as txn:
        c1 = request_context(sessions.resolve_session(txn, with_mfa.presented()).info, now=later)
        c2 = request_context(sessions.resolve_session(txn, without.presented()).info, now=later)
        c3 = request_context(principals.resolve_user(txn, "alice").info, now=later)
    assert c1["aws:MultiFactorAuthPresent"] is True and c1["aws:MultiFactorAuthAge"] == "540"
    assert c1["aws:TokenIssueTime"] == "2027-01-15T08:01:00Z"
    assert c2["aws:MultiFactorAuthPresent"] is False and "aws:MultiFactorAuthAge" not in c2
    assert "aws:TokenIssueTime" in c2
    for key in ("aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:TokenIssueTime"):
        assert key not in c3


def test_long_term_keys_are_blocked_by_the_mfa_policy(guarded):
    """BoolIfExists matches when the key is absent, so access keys (no MFA key at all) are
    denied everything but the MFA self-service actions, as AWS's documentation warns."""
    assert _decide(guarded, lambda txn: principals.resolve_user(txn, "alice"), "s3:GetObject",
                   "arn:aws:s3:::bucket/key") == "explicitDeny"
