"""Console passwords (login profiles) and the account password policy.

A user's password is two things kept apart: the `LoginProfile` on the user (created, last
changed, reset required: diffable, no secret) and the Argon2id hash in the user's secret record
(``txn.get_secret("user", NAME)``), whose ``password`` section this module owns::

    [password]
    hash = "$argon2id$..."            # the current password
    history = ["$argon2id$...", ...]  # earlier passwords, most recent first (at most 24)

The history is kept even when the login profile is deleted, so that password reuse prevention
still applies when a password is set again.

The account password policy is ``Account.password_policy`` (None: no custom policy, AWS's
default policy applies). Every password set or changed is checked against it; a refusal names
every rule broken (PasswordPolicyViolation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import Struct, structs

from iamctl.core.base import clock
from iamctl.core.base.errors import AccessDenied, NoSuchEntity, PasswordPolicyViolation
from iamctl.core.base.names import arn
from iamctl.core.credentials import hashing, lockout, password_policy
from iamctl.core.store.records import LoginProfile, PasswordPolicy, User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

#: AWS keeps at most 24 earlier passwords for reuse prevention (PasswordReusePrevention 1-24).
HISTORY_LIMIT = 24
#: The AWS managed policy that grants iam:ChangePassword on one's own user.
CHANGE_PASSWORD_POLICY_ARN = "arn:aws:iam::aws:policy/IAMUserChangePassword"
_DAY = 86400


# --- the password policy ---------------------------------------------------------------------


def get_password_policy(txn: Txn) -> PasswordPolicy:
    """The account's custom password policy (GetAccountPasswordPolicy); NoSuchEntity when none."""
    policy = txn.account.password_policy
    if policy is None:
        raise NoSuchEntity(f"The Password Policy with domain name {txn.account_id} cannot be found.")
    return policy


def set_password_policy(txn: Txn, **settings: Any) -> PasswordPolicy:
    """Replace the password policy (UpdateAccountPasswordPolicy): not a partial update.

    Keyword arguments are `password_policy.validate_policy_settings`'s; each one omitted takes AWS's
    default (minimum length 6, flags false, no expiry, no reuse prevention). Out-of-range values
    raise ValidationError. Existing passwords are not re-checked, as in AWS; the policy applies
    from the next time a password is set or changed.
    """
    policy = password_policy.validate_policy_settings(**settings)
    txn.put_account(structs.replace(txn.account, password_policy=policy))
    return policy


def delete_password_policy(txn: Txn) -> None:
    """Remove the custom policy (DeleteAccountPasswordPolicy); AWS's default policy applies again."""
    get_password_policy(txn)
    txn.put_account(structs.replace(txn.account, password_policy=None))


# --- setting and changing passwords -----------------------------------------------------------


class PasswordSet(Struct, frozen=True):
    """What `set_password` did: the user's login profile, and the password if iamctl generated it."""

    user: User
    profile: LoginProfile
    created: bool
    generated: str | None = None


def set_password(
    txn: Txn, user_name: str, password: str | None, *, require_reset: bool = False,
    password_hash: str | None = None,
) -> PasswordSet:
    """Give a user a console password, or replace it: CreateLoginProfile / UpdateLoginProfile.

    `password` None generates a random one that satisfies the policy (returned once, in
    `PasswordSet.generated`). The password is checked against the account policy, including
    reuse prevention (the current password counts as the most recent). An administrator may set
    a password whatever AllowUsersToChangePassword says. The profile's `password_reset_required`
    becomes `require_reset`. `password_hash`, when given, is `hashing.hash_password(password)`
    computed beforehand (batch onboarding hashes many passwords in parallel before applying).
    A new password from the administrator also lifts a sign-in lockout (`lockout.clear`).
    """
    user = _require_user(txn, user_name)
    policy = txn.account.password_policy
    generated = None
    if password is None:
        password = generated = password_policy.generate_password(policy)
    secret = _secret(txn, user)
    _check(policy, password, user, secret)
    now = clock.iso()
    old = user.login_profile
    created = old is None
    profile = LoginProfile(
        created=now if old is None else old.created,
        password_reset_required=require_reset,
        password_last_changed=now,
        password_last_used=None if old is None else old.password_last_used,
    )
    _store_password(txn, user, secret, password, password_hash)
    lockout.clear(txn, user.name)
    user = structs.replace(user, login_profile=profile)
    txn.put("user", user)
    return PasswordSet(user, profile, created, generated)


def get_login_profile(txn: Txn, user_name: str) -> LoginProfile:
    """The user's login profile (GetLoginProfile); NoSuchEntity when the user has no password."""
    user = _require_user(txn, user_name)
    if user.login_profile is None:
        raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
    return user.login_profile


def delete_password(txn: Txn, user_name: str) -> User:
    """Remove the user's console password (DeleteLoginProfile). Access keys are not affected.

    The password hash moves into the history, so reuse prevention still sees it.
    """
    user = _require_user(txn, user_name)
    get_login_profile(txn, user.name)
    secret = _secret(txn, user)
    section = dict(secret.get("password") or {})
    current = section.pop("hash", None)
    if current:
        section["history"] = [current, *section.get("history", [])][:HISTORY_LIMIT]
    secret["password"] = section
    txn.put_secret("user", user.name, secret)
    user = structs.replace(user, login_profile=None)
    txn.put("user", user)
    return user


def change_password(txn: Txn, user_name: str, old_password: str, new_password: str) -> User:
    """A user changes their own password (ChangePassword): the old one must match.

    Refused with AccessDenied when the user may not change their own password: the account's
    policy has AllowUsersToChangePassword false (or there is no custom policy) and no IAM
    policy of the user allows iam:ChangePassword on the user's ARN, or one explicitly denies
    it (see `_may_change_own_password`); or the password has expired under a policy with HardExpiry, when only an
    administrator (`set_password`) can give a new one. The old password is checked as `login`
    checks it (`lockout.check_password`): a wrong one counts towards the same lockout, a locked
    user is refused even with the right one, and the refusal is login's, at login's cost. The
    new one is checked against the policy. Clears "reset required".
    """
    user = _require_user(txn, user_name)
    profile = get_login_profile(txn, user.name)
    policy = txn.account.password_policy
    if not _may_change_own_password(txn, user, policy):
        raise AccessDenied(
            f"User: {_arn(txn, user)} is not authorized to perform: iam:ChangePassword on resource: "
            f"user {user.name} (the account password policy does not allow users to change their "
            "own password)"
        )
    if policy is not None and policy.hard_expiry and password_expired(txn, user):
        raise AccessDenied(
            f"The password of user {user.name} has expired and the account password policy has "
            "hard expiry: an administrator must set a new one (iamctl user set-password)."
        )
    lockout.check_password(txn, user.name, old_password)
    secret = _secret(txn, user)
    _check(policy, new_password, user, secret)
    _store_password(txn, user, secret, new_password)
    profile = structs.replace(profile, password_reset_required=False, password_last_changed=clock.iso())
    user = structs.replace(user, login_profile=profile)
    txn.put("user", user)
    return user


def verify_user_password(txn: Txn, user: User, password: str) -> bool:
    """True if `password` is the user's current console password (constant-time Argon2 check).

    False for a user without a login profile. Does not look at expiry (`password_expired`).
    """
    if user.login_profile is None:
        return False
    return hashing.verify_password(lockout.current_hash(txn, user), password)


# --- expiry -----------------------------------------------------------------------------------


def password_expires_at(policy: PasswordPolicy | None, profile: LoginProfile | None) -> float | None:
    """Epoch seconds when the password expires: last changed + MaxPasswordAge days; None if never."""
    if policy is None or policy.max_password_age is None or profile is None:
        return None
    changed = profile.password_last_changed or profile.created
    return clock.parse_instant(changed) + policy.max_password_age * _DAY


def password_expired(txn: Txn, user: User) -> bool:
    """True when the account policy's MaxPasswordAge has passed since the password last changed."""
    expires = password_expires_at(txn.account.password_policy, user.login_profile)
    return expires is not None and clock.now() >= expires


# --- helpers ----------------------------------------------------------------------------------


def _require_user(txn: Txn, name: str) -> User:
    return txn.require("user", name)


def _arn(txn: Txn, user: User) -> str:
    return arn(txn.account_id, "user", user.path, user.name)


def _secret(txn: Txn, user: User) -> dict[str, Any]:
    return txn.get_secret("user", user.name) or {}


def _history(secret: dict[str, Any]) -> list[str]:
    section = secret.get("password") or {}
    current = [section["hash"]] if section.get("hash") else []
    return current + list(section.get("history", []))


def _check(policy: PasswordPolicy | None, password: str, user: User, secret: dict[str, Any]) -> None:
    problems = password_policy.password_violations(policy, password, username=user.name,
                                               previous_hashes=_history(secret))
    if problems:
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy: " + " ".join(problems)
        )


def _store_password(txn: Txn, user: User, secret: dict[str, Any], password: str,
                    password_hash: str | None = None) -> None:
    history = _history(secret)[:HISTORY_LIMIT]
    secret = dict(secret)
    secret["password"] = {"hash": password_hash or hashing.hash_password(password), "history": history}
    txn.put_secret("user", user.name, secret)


def _may_change_own_password(txn: Txn, user: User, policy: PasswordPolicy | None) -> bool:
    """AWS's rule ("Permit IAM users to change their own passwords"): every user may when the
    account password policy has AllowUsersToChangePassword, which grants iam:ChangePassword on
    the user's own ARN at account level; otherwise the user's IAM policies (own, groups', within
    its permissions boundary) must allow iam:ChangePassword on its ARN, as IAMUserChangePassword
    or a customer policy such as `Resource: arn:aws:iam::*:user/${aws:username}` does. An
    explicit Deny wins over either, as everywhere in AWS's evaluation."""
    from iamctl.core.authz import principals  # lazy: start-up
    from iamctl.core.engine.decision import EXPLICIT_DENY  # lazy: the engine

    result = principals.authorize(principals.resolve_user(txn, user.name), "iam:ChangePassword", _arn(txn, user))
    if result.decision == EXPLICIT_DENY:
        return False
    return bool(policy is not None and policy.allow_users_to_change_password) or result.allowed
