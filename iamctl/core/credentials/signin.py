"""Signing in: password, then an MFA code when the user has an enabled device, then a session.

`sign_in` is a console sign-in followed by GetSessionToken: it issues temporary credentials
(an ASIA... access key id, a secret access key and a session token) that act as the user until
they expire. Durations follow GetSessionToken for IAM users: 900 s (15 minutes) to 129,600 s
(36 hours), default 43,200 s (12 hours).

The session is stored as a `Session` record (kind "session", kept with the secrets) holding
only salted hashes of the secret key and of the token, plus an index entry from the token's
hash to the session, so `--session TOKEN` finds it in one read. Sessions carry the MFA facts
AWS puts in the request context of temporary credentials: aws:MultiFactorAuthPresent is true
with MFA and *false* without it (present, unlike long-term access keys, where it is absent),
aws:MultiFactorAuthAge counts from the sign-in, and aws:TokenIssueTime is the issue time.

Password rules, from the account password policy (iamctl.core.logins): an expired password
under HardExpiry cannot sign in (an administrator must set a new one); an expired password
otherwise, or one marked "reset required", signs in only together with a new password, which
must satisfy the policy. A wrong MFA code is recorded (replay guard, throttle) even though the
sign-in fails: `sign_in` returns a `SignIn` whose `result()` raises after the caller commits.

Throttle: 5 wrong passwords in a row lock the user's sign-in for 300 seconds (the count and the
lock live in the user's secret record, section ``signin``), as the AWS console locks out
repeated failures; a right password resets the count.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

from msgspec import Struct, structs

from iamctl.core.base import clock, ids, names
from iamctl.core.base.errors import (
    AccessDenied,
    IamError,
    InvalidInput,
    MfaCodeRequired,
    PasswordResetRequired,
    ValidationError,
)
from iamctl.core.credentials import hashing, mfa, passwords, sessions
from iamctl.core.store.records import MfaDevice, Session, User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

MIN_DURATION = 900  # GetSessionToken DurationSeconds: 15 minutes ...
MAX_DURATION = 129_600  # ... to 36 hours for IAM users
DEFAULT_DURATION = 43_200  # 12 hours
# Consecutive wrong passwords that lock a user's sign-in, and for how long (as the MFA throttle).
MAX_PASSWORD_FAILURES = 5
PASSWORD_LOCKOUT_SECONDS = 300

_INCORRECT = "Your authentication information is incorrect. Please try again."


class Precheck(Struct, frozen=True):
    """What a sign-in will ask for, learnt from a correct password (nothing is stored)."""

    user: User
    mfa_device: MfaDevice | None  # the device whose code is needed; None: no MFA
    new_password_reason: str | None  # "reset required" | "expired" | None


class Credentials(Struct, frozen=True):
    """Temporary credentials, shown once: only hashes of the secret and the token are kept."""

    session: Session
    secret_access_key: str
    session_token: str


class SignIn(Struct, frozen=True):
    """The outcome of `sign_in`: credentials, or the error to raise once the state is saved."""

    credentials: Credentials | None
    error: IamError | None = None

    def result(self) -> Credentials:
        if self.error is not None:
            raise self.error
        assert self.credentials is not None
        return self.credentials


def check_duration(duration_seconds: int | None) -> int:
    """The session duration: `duration_seconds` within 900..129,600, or the 12-hour default."""
    if duration_seconds is None:
        return DEFAULT_DURATION
    for bound, ok, word in ((MIN_DURATION, duration_seconds >= MIN_DURATION, "greater"),
                            (MAX_DURATION, duration_seconds <= MAX_DURATION, "less")):
        if not ok:
            raise ValidationError(f"1 validation error detected: Value '{duration_seconds}' at 'durationSeconds' "
                                  f"failed to satisfy constraint: Member must have value {word} than or equal "
                                  f"to {bound}")
    return duration_seconds


class PasswordCheck(Struct, frozen=True):
    """The outcome of `check_password`: a `Precheck`, or the error to raise once the state is saved."""

    precheck: Precheck | None
    error: IamError | None = None

    def result(self) -> Precheck:
        if self.error is not None:
            raise self.error
        assert self.precheck is not None
        return self.precheck


def precheck(txn: Txn, user_name: str, password: str, *, mfa_serial: str | None = None) -> Precheck:
    """Verify the password and say what else signing in needs: an MFA code, a new password.

    AccessDenied with AWS's console wording for an unknown user, a user without a password or a
    wrong password (one message for all three); AccessDenied when the password has expired
    under a HardExpiry policy, or while sign-in is locked (`check_password`).
    """
    return check_password(txn, user_name, password, mfa_serial=mfa_serial).result()


def check_password(txn: Txn, user_name: str, password: str, *, mfa_serial: str | None = None) -> PasswordCheck:
    """`precheck` that records the outcome: in a writable transaction a wrong password counts
    as a failure, and `MAX_PASSWORD_FAILURES` (5) in a row lock the user's sign-in for
    `PASSWORD_LOCKOUT_SECONDS` (300 s), during which even the right password is refused without
    being looked at; a right password resets the count. Commit, then call `result()`.

    An unknown user or one without a password costs the same Argon2 verification as a wrong
    password, so the time taken does not tell whether the user exists.
    """
    user = txn.get("user", user_name)
    if user is None or user.login_profile is None:
        hashing.verify_password(_decoy_hash(), password)
        return PasswordCheck(None, AccessDenied(_INCORRECT))
    secret = txn.get_secret("user", user.name) or {}
    throttle = dict(secret.get("signin") or {})
    now = clock.now()
    locked_until = throttle.get("locked_until")
    if locked_until is not None and now < locked_until:
        return PasswordCheck(None, AccessDenied(
            f"Sign-in for user {user.name} is locked after {MAX_PASSWORD_FAILURES} failed attempts; try "
            f"again in {math.ceil(locked_until - now)} seconds."))
    if locked_until is not None:
        throttle = {}  # the lock has run out: the count restarts
    if not passwords.verify_user_password(txn, user, password):
        failures = int(throttle.get("failures", 0)) + 1
        throttle = {"failures": failures}
        if failures >= MAX_PASSWORD_FAILURES:
            throttle["locked_until"] = now + PASSWORD_LOCKOUT_SECONDS
        _save_throttle(txn, user, secret, throttle)
        return PasswordCheck(None, AccessDenied(_INCORRECT))
    if "signin" in secret:
        _save_throttle(txn, user, secret, None)
    try:
        reason = _new_password_reason(txn, user)
    except IamError as e:
        return PasswordCheck(None, e)
    return PasswordCheck(Precheck(user, mfa.enabled_device(txn, user, mfa_serial), reason))


def _save_throttle(txn: Txn, user: User, secret: dict, throttle: dict | None) -> None:
    """Stage the sign-in failure count in the user's secret record (read-only: nothing to do)."""
    if not txn.writable:
        return
    record = dict(secret)
    if throttle:
        record["signin"] = throttle
    else:
        record.pop("signin", None)
    txn.put_secret("user", user.name, record)


@functools.cache
def _decoy_hash() -> str:
    return hashing.hash_password("iamctl decoy password")


def _new_password_reason(txn: Txn, user: User) -> str | None:
    expired = passwords.password_expired(txn, user)
    policy = txn.account.password_policy
    if expired and policy is not None and policy.hard_expiry:
        raise AccessDenied(f"The password of user {user.name} has expired and the account password policy has "
                           "hard expiry: an administrator must set a new one (iamctl user set-password).")
    if expired:
        return "expired"
    if user.login_profile is not None and user.login_profile.password_reset_required:
        return "reset required"
    return None


def sign_in(txn: Txn, user_name: str, password: str, *, mfa_code: str | None = None,
            mfa_serial: str | None = None, new_password: str | None = None,
            duration_seconds: int | None = None) -> SignIn:
    """Sign a user in and issue a session (console sign-in + GetSessionToken).

    Checks, in order: the duration (ValidationError), the password (`precheck`'s errors), a
    new password when one is due (PasswordResetRequired when missing), the MFA code when the
    user has an enabled device (MfaCodeRequired when missing; a wrong or replayed code is
    returned as the `SignIn.error`, with the device's failure count staged). Then the new
    password is set (passwords.change_password: policy and permission checks), the session stored
    and the password's last use recorded.
    """
    duration = check_duration(duration_seconds)
    pre = precheck(txn, user_name, password, mfa_serial=mfa_serial)
    user = pre.user
    if pre.new_password_reason and new_password is None:
        raise PasswordResetRequired(f"The password of user {user.name} must be changed to sign in "
                                    f"({pre.new_password_reason}); give a new password.")
    mfa_used = False
    if pre.mfa_device is not None:
        if mfa_code is None:
            raise MfaCodeRequired(f"MultiFactorAuthentication failed: user {user.name} has MFA device "
                                  f"{pre.mfa_device.serial}; give a code from it.")
        check = mfa.check_code(txn, user.name, mfa_code, serial=pre.mfa_device.serial)
        if not check.ok:
            try:
                check.result()
            except IamError as e:
                return SignIn(None, e)
        mfa_used = True
    elif mfa_code is not None:
        raise InvalidInput(f"user {user.name} has no enabled MFA device; sign in without an MFA code")
    if pre.new_password_reason:
        user = passwords.change_password(txn, user.name, password, new_password or "")
    return SignIn(_issue(txn, user, duration, mfa=mfa_used))


def _issue(txn: Txn, user: User, duration: int, *, mfa: bool) -> Credentials:
    now = clock.now()
    key_id = ids.new_access_key_id("ASIA")
    while txn.exists("session", key_id):
        key_id = ids.new_access_key_id("ASIA")
    secret = hashing.new_secret_access_key()
    token = hashing.new_session_token()
    arn = names.arn(txn.account_id, "user", user.path, user.name)
    session = Session(
        access_key_id=key_id, type="user", arn=arn, issued=clock.iso(now), expires=clock.iso(now + duration),
        user=user.name, caller_arn=arn, mfa_authenticated=mfa, mfa_auth_time=clock.iso(now) if mfa else None,
        secret_hash=hashing.hash_secret(secret), token_hash=hashing.hash_secret(token),
    )
    txn.put("session", session)
    sessions.index_session_token(txn, token, key_id)
    if user.login_profile is not None:
        profile = structs.replace(user.login_profile, password_last_used=clock.iso(now))
        txn.put("user", structs.replace(user, login_profile=profile))
    return Credentials(session, secret, token)
