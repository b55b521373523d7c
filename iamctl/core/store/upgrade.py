"""Upgrading an account directory written by an older iamctl, in place.

`Store.write` (and `init`) runs `upgrade` under the exclusive lock when the manifest's
schema_version is older than `SCHEMA_VERSION`: the steps from that version on, and the new
version in the manifest, staged in one transaction, so the upgrade commits whole or not at all
(the journal). Readers read an older directory as it is; the first command that writes upgrades
it. Each step is `_vN_to_vN+1(txn)` and has a test with a directory as version N left it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import structs

from iamctl.core.base import clock
from iamctl.core.store.records import SCHEMA_VERSION, PasswordAttempts, User
from iamctl.core.store.trust import trust_principal_ids

if TYPE_CHECKING:
    from collections.abc import Callable

    from iamctl.core.store.directory import Txn

_LOCK_SECONDS = 300  # the sign-in lockout and the MFA throttle (lockout.py, totp.py)


def upgrade(txn: Txn, version: int) -> None:
    """Stage every step from `version` to SCHEMA_VERSION, then the manifest's new version."""
    for step in range(version, SCHEMA_VERSION):
        for account_id in txn.account_ids():
            STEPS[step](txn.in_account(account_id))
    txn.set_schema_version(SCHEMA_VERSION)


def _v1_to_v2(txn: Txn) -> None:
    """Version 2 binds sessions and trust policies to unique ids, and keeps locks on the system
    clock (issue 20):

    * a session records the unique id of its user or role; an old session is bound to the entity
      of its name when that entity is older than the session, and dropped otherwise (it was
      issued to an earlier namesake);
    * a trust policy records the unique ids of the users and roles it names: those they have now;
    * the sign-in failure count moves from the user's secret record to a record of its own
      (`PasswordAttempts`); a lock, and an MFA device's throttle, set by a clock running ahead
      (IAMCTL_NOW) ends at most 300 seconds from now.
    """
    now = clock.system_now()
    for session in txn.list("session"):
        entity = txn.get("user", session.user or "") if session.type == "user" else txn.get("role", session.role or "")
        if entity is not None and clock.parse_instant(entity.created) <= clock.parse_instant(session.issued):
            ids = {"user_id": entity.user_id} if isinstance(entity, User) else {"role_id": entity.role_id}
            txn.put("session", structs.replace(session, **ids))
        else:
            txn.delete("session", session.access_key_id)
            if session.token_key and txn.exists("session-token", session.token_key):
                txn.delete("session-token", session.token_key)
    for role in txn.list("role"):
        ids = trust_principal_ids(txn, role.assume_role_policy)
        if ids:
            txn.put("role", structs.replace(role, trust_principal_ids=ids))
    for user in txn.list("user"):
        secret = txn.get_secret("user", user.name)
        if secret is None or "signin" not in secret:
            continue
        old: dict[str, Any] = secret.pop("signin") or {}
        txn.put_secret("user", user.name, secret)
        locked_until = _shortened(old.get("locked_until"), now)
        if old.get("failures") or locked_until is not None:
            txn.put("password-attempts", PasswordAttempts(
                name=user.name, user_id=user.user_id, failures=int(old.get("failures", 0)),
                locked_until=None if locked_until is None else clock.iso_precise(locked_until)))
    for device in txn.list("mfa"):
        secret = txn.get_secret("mfa", device.name)
        if secret is not None and secret.get("locked_until") is not None:
            shortened = _shortened(secret["locked_until"], now)
            if shortened != secret["locked_until"]:
                txn.put_secret("mfa", device.name, {**secret, "locked_until": shortened})


def _shortened(locked_until: Any, now: float) -> float | None:
    if not isinstance(locked_until, int | float):
        return None
    return min(float(locked_until), now + _LOCK_SECONDS)


STEPS: dict[int, Callable[[Txn], None]] = {1: _v1_to_v2}
