"""Signing in: password, then an MFA code when the user has an enabled device, then a session.

`sign_in` is a console sign-in followed by GetSessionToken: it issues temporary credentials
(an ASIA... access key id, a secret access key and a session token) that act as the user until
they expire. Durations follow GetSessionToken for IAM users: 900 s (15 minutes) to 129,600 s
(36 hours), default 43,200 s (12 hours).

The session is stored as a `Session` record (kind "session", kept with the secrets) holding
only salted hashes of the secret key and of the token, and the user's unique id: it acts as
the user only while a user of that name has that id, and only for a caller presenting all
three parts (`sessions.authenticate_session`). Sessions carry the MFA facts
AWS puts in the request context of temporary credentials: aws:MultiFactorAuthPresent is true
with MFA and *false* without it (present, unlike long-term access keys, where it is absent),
aws:MultiFactorAuthAge counts from the sign-in, and aws:TokenIssueTime is the issue time.

Password rules, from the account password policy (iamctl.core.credentials.passwords): an
expired password under HardExpiry cannot sign in (an administrator must set a new one); an
expired password otherwise, or one marked "reset required", signs in only together with a new
password, which must satisfy the policy.

The password is checked by `lockout.check_password` (shared with change-password: 5 wrong
passwords in a row lock the name for 300 seconds, one answer and one cost for every name) and
the MFA code by `mfa.check_code` (drift window, replay guard, throttle). Both record a failure
as an attempt record before they raise, so a refused sign-in is remembered.

A sign-in can be taken in steps, so that nothing typed is asked for in vain: `check_password`,
then `check_mfa_code` (which spends the code and returns an `MfaProof`), then `sign_in` with the
proof and, when due, the new password. `sign_in` checks the password again, and the proof
against the user and device, so the steps may be separate transactions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct, structs

from iamctl.core.base import clock, ids, names
from iamctl.core.base.errors import (
    AccessDenied,
    InvalidInput,
    MfaCodeRequired,
    PasswordResetRequired,
    ValidationError,
)
from iamctl.core.credentials import hashing, lockout, mfa, passwords, sessions
from iamctl.core.credentials.sessions import SessionCredentials
from iamctl.core.store.records import MfaDevice, Session, User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

MIN_DURATION = 900  # GetSessionToken DurationSeconds: 15 minutes ...
MAX_DURATION = 129_600  # ... to 36 hours for IAM users
DEFAULT_DURATION = 43_200  # 12 hours


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

    def presented(self) -> SessionCredentials:
        """The three parts a caller presents to use the session."""
        return SessionCredentials(self.session.access_key_id, self.secret_access_key, self.session_token)


class MfaProof(Struct, frozen=True):
    """An MFA code accepted for a sign-in (`check_mfa_code`): the code is spent, this stands for it."""

    user_id: str
    serial: str
    auth_time: str


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


def check_password(txn: Txn, user_name: str, password: str, *, mfa_serial: str | None = None) -> Precheck:
    """Verify the password and say what else signing in needs: an MFA code, a new password.

    The password goes through `lockout.check_password`: a wrong one is recorded towards the
    lockout before AccessDenied is raised, with one message for an unknown user, a user without
    a password, a wrong password and a locked name. AccessDenied too when the password has
    expired under a HardExpiry policy. A writable transaction is needed (the attempt is kept).
    """
    user = lockout.check_password(txn, user_name, password)
    reason = _new_password_reason(txn, user)
    return Precheck(user, mfa.enabled_device(txn, user, mfa_serial), reason)


def check_mfa_code(txn: Txn, pre: Precheck, code: str) -> MfaProof:
    """Check the MFA code of a sign-in whose password `pre` accepted; the code is spent.

    A wrong or replayed code is recorded (replay guard, throttle) and refused
    (InvalidAuthenticationCode); a locked device is EntityTemporarilyUnmodifiable. InvalidInput
    when the user has no enabled MFA device."""
    if pre.mfa_device is None:
        raise InvalidInput(f"user {pre.user.name} has no enabled MFA device; sign in without an MFA code")
    device = mfa.check_code(txn, pre.user.name, code, serial=pre.mfa_device.serial)
    return MfaProof(pre.user.user_id, device.serial, clock.iso())


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
            mfa_proof: MfaProof | None = None, mfa_serial: str | None = None, new_password: str | None = None,
            duration_seconds: int | None = None) -> Credentials:
    """Sign a user in and issue a session (console sign-in + GetSessionToken).

    Checks, in order: the duration (ValidationError), the password (`check_password`'s errors),
    a new password when one is due (PasswordResetRequired when missing), MFA when the user has
    an enabled device: `mfa_proof` from `check_mfa_code` for this user and device, else
    `mfa_code`, checked here (MfaCodeRequired when neither is given; a wrong or replayed code is
    recorded, then refused). Then the new password is set (passwords.change_password: policy and
    permission checks), the session stored and the password's last use recorded.
    """
    duration = check_duration(duration_seconds)
    pre = check_password(txn, user_name, password, mfa_serial=mfa_serial)
    user = pre.user
    if pre.new_password_reason and new_password is None:
        raise PasswordResetRequired(f"The password of user {user.name} must be changed to sign in "
                                    f"({pre.new_password_reason}); give a new password.")
    mfa_time = None
    if pre.mfa_device is not None:
        if mfa_proof is None and mfa_code is None:
            raise MfaCodeRequired(f"MultiFactorAuthentication failed: user {user.name} has MFA device "
                                  f"{pre.mfa_device.serial}; give a code from it.")
        if mfa_proof is None:
            mfa_proof = check_mfa_code(txn, pre, mfa_code or "")
        if (mfa_proof.user_id, mfa_proof.serial) != (user.user_id, pre.mfa_device.serial):
            raise AccessDenied(f"MultiFactorAuthentication failed: the code was accepted for another user or "
                               f"device than {user.name}'s {pre.mfa_device.serial}.")
        mfa_time = mfa_proof.auth_time
    elif mfa_code is not None or mfa_proof is not None:
        raise InvalidInput(f"user {user.name} has no enabled MFA device; sign in without an MFA code")
    if pre.new_password_reason:
        user = passwords.change_password(txn, user.name, password, new_password or "")
    return _issue(txn, user, duration, mfa_auth_time=mfa_time)


class Unlocked(Struct, frozen=True):
    """What `unlock` lifted: the user's sign-in lock (if it was locked) and throttled devices."""

    user: User
    sign_in_was_locked: bool
    devices: list[MfaDevice]


def unlock(txn: Txn, user_name: str) -> Unlocked:
    """The administrator's unlock: forget the user's wrong passwords and lift the sign-in lock
    (`lockout.clear`), and lift the throttle of the user's MFA devices, keeping their replay
    guard (`mfa.clear_throttles`). NoSuchEntity for an unknown user."""
    user: User = txn.require("user", user_name)
    was_locked = lockout.clear(txn, user.name)
    return Unlocked(user, was_locked, mfa.clear_throttles(txn, user.name))


def _issue(txn: Txn, user: User, duration: int, *, mfa_auth_time: str | None) -> Credentials:
    now = clock.now()
    key_id = ids.new_access_key_id("ASIA")
    while txn.exists("session", key_id):
        key_id = ids.new_access_key_id("ASIA")
    secret = hashing.new_secret_access_key()
    token = hashing.new_session_token()
    arn = names.arn(txn.account_id, "user", user.path, user.name)
    session = Session(
        access_key_id=key_id, type="user", arn=arn, issued=clock.iso_precise(now),
        expires=clock.iso(now + duration), user=user.name, user_id=user.user_id, caller_arn=arn,
        mfa_authenticated=mfa_auth_time is not None, mfa_auth_time=mfa_auth_time,
        secret_hash=hashing.hash_secret(secret), token_hash=hashing.hash_secret(token),
    )
    txn.put("session", session)
    sessions.index_session_token(txn, token, key_id)
    if user.login_profile is not None:
        profile = structs.replace(user.login_profile, password_last_used=clock.iso(now))
        txn.put("user", structs.replace(user, login_profile=profile))
    return Credentials(session, secret, token)
