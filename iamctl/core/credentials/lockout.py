"""Checking a console password: one lockout for `login` and `change-password`, one cost and one
answer for every name.

Every console password check goes through `check_password`, so a guesser gains nothing by
switching commands, and learns nothing about which users exist:

* Wrong passwords are counted per user name as typed, for a user with a password, a user
  without one and a name that is no user's alike, in a `PasswordAttempts` record of their own
  (secrets/ACCOUNT/password-attempts/NAME.toml). `MAX_FAILURES` (5) in a row lock the name for
  `LOCKOUT_SECONDS` (300); meanwhile every password is refused, the right one too. A right
  password resets the count; the administrator's `unlock` and `set-password` clear it. The count
  of a name is the user's only while the name is that user's (by unique id): a user created
  again under the name starts afresh.
* The record is an attempt record (`Txn.put(attempt=True)`): the store commits it even though
  the check then raises, so the refusal is recorded before it is reported.
* Every check costs one Argon2 verification and one write: against the user's hash when there
  is one and the name is not locked, else against the account's decoy hash (`SignInDecoy`, a
  hash no password matches, made once per account and kept in its secrets). Every refusal is
  the same AccessDenied, whatever the reason.
* Locks are kept on the system clock (`clock.system_now`), never on IAMCTL_NOW: a clock pinned
  into the future neither lifts a lock nor sets one that outlasts its 300 seconds.

AWS locks the console sign-in of a user after repeated failures without documenting the
figures; these are iamctl's, and the same as its MFA throttle's.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from msgspec import structs

from iamctl.core.base import clock, names
from iamctl.core.base.errors import AccessDenied, IamError
from iamctl.core.credentials import hashing
from iamctl.core.store.records import PasswordAttempts, SignInDecoy

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import User

MAX_FAILURES = 5
LOCKOUT_SECONDS = 300
_DECOY = "decoy"

#: The one answer to every refused password: AWS's console wording, and what the lock does.
INCORRECT = (f"Your authentication information is incorrect. Please try again. (After {MAX_FAILURES} failures "
             f"in a row, sign-in is refused for {LOCKOUT_SECONDS} seconds.)")


def decoy_hash(txn: Txn) -> str:
    """The account's decoy password hash, made (and staged, to be kept) on first use.

    `iamctl init` makes it, so that no sign-in pays for hashing it; an account created otherwise
    gets it at its first password check."""
    found: SignInDecoy | None = txn.get("signin-decoy", _DECOY)
    if found is not None:
        return found.password_hash
    decoy = SignInDecoy(_DECOY, hashing.hash_password(secrets.token_urlsafe(32)))
    if txn.writable:
        txn.put("signin-decoy", decoy, attempt=True)
    return decoy.password_hash


def check_password(txn: Txn, user_name: str, password: str) -> User:
    """The user, when `password` is the current console password of `user_name` and the name is
    not locked. Otherwise the failure is recorded (an attempt record) and AccessDenied
    (`INCORRECT`) raised: for a wrong password, an unknown name, a user without a password and a
    locked name alike, at the same cost."""
    now = clock.system_now()
    user: User | None = txn.get("user", user_name)
    record = _record(txn, user_name, user, now)
    locked = _until(record) > now
    stored = None if locked or user is None or user.login_profile is None else current_hash(txn, user)
    # One verification whatever the case; `stored` decides, the decoy never matches.
    matched = hashing.verify_password(stored or decoy_hash(txn), password) and stored is not None
    if matched:
        assert user is not None
        if txn.exists("password-attempts", user_name):
            txn.delete("password-attempts", user_name)
        return user
    failures = record.failures + (0 if locked else 1)
    locked_until = record.locked_until
    if not locked and failures >= MAX_FAILURES:
        locked_until = clock.iso_precise(now + LOCKOUT_SECONDS)
    _save(txn, structs.replace(record, failures=failures, last_failure=clock.iso_precise(now),
                               locked_until=locked_until))
    raise AccessDenied(INCORRECT)


def _until(record: PasswordAttempts) -> float:
    """When the record's lock ends (0: not locked), on the system clock."""
    return 0.0 if record.locked_until is None else clock.parse_instant(record.locked_until)


def _record(txn: Txn, user_name: str, user: User | None, now: float) -> PasswordAttempts:
    """The name's attempts as they stand now: a fresh count when the lock has run out or the name
    has changed hands; a lock set by a clock later than the system's ends 300 s from now."""
    owner = user.user_id if user is not None else ""
    found: PasswordAttempts | None = txn.get("password-attempts", user_name) if _storable(user_name) else None
    if found is None or found.user_id != owner:
        return PasswordAttempts(name=user_name, user_id=owner)
    if found.locked_until is not None and now >= _until(found):
        return PasswordAttempts(name=user_name, user_id=owner)
    if _until(found) > now + LOCKOUT_SECONDS:
        return structs.replace(found, locked_until=clock.iso_precise(now + LOCKOUT_SECONDS))
    return found


def _save(txn: Txn, record: PasswordAttempts) -> None:
    # A name that cannot be stored cannot be a user's either: nothing to count it against.
    if _storable(record.name):
        txn.put("password-attempts", record, attempt=True)


def _storable(name: str) -> bool:
    try:
        names.check_name("user", name)
    except IamError:
        return False
    return True


def current_hash(txn: Txn, user: User) -> str:
    """The Argon2 hash of the user's current console password ("" when none is stored)."""
    return ((txn.get_secret("user", user.name) or {}).get("password") or {}).get("hash", "")


def locked(txn: Txn, user_name: str) -> bool:
    """Whether the name's sign-in is locked now (for `unlock`'s report; never for a decision)."""
    found: PasswordAttempts | None = txn.get("password-attempts", user_name) if _storable(user_name) else None
    return found is not None and _until(found) > clock.system_now()


def clear(txn: Txn, user_name: str) -> bool:
    """Forget the name's wrong passwords and lift its lock; True if it was locked."""
    was_locked = locked(txn, user_name)
    if _storable(user_name) and txn.exists("password-attempts", user_name):
        txn.delete("password-attempts", user_name)
    return was_locked
