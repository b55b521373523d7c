"""The credential report (GenerateCredentialReport / GetCredentialReport): one CSV row per user.

Columns, order and placeholder values follow AWS's "Getting credential reports" page:

* ``N/A`` where the credential does not exist (no password, no key, a key never used, no
  rotation required), ``no_information`` for a password that exists but was never used;
* the first row is the account root user, ``<root_account>`` with ARN
  ``arn:aws:iam::ACCOUNT:root``, created with the account. iamctl has no root password or root
  keys of its own, so, as AWS does for the root user, its ``password_enabled``,
  ``password_last_changed`` and ``password_next_rotation`` are ``not_supported``,
  ``password_last_used`` is ``no_information``, and its keys and MFA are ``false`` / ``N/A``;
* booleans are ``true`` / ``false``; times are ISO 8601 with ``+00:00``, as AWS writes them;
* access key 1 and 2 are the user's keys in creation order; the "last used region" is ``N/A``
  (a local account has no regions); X.509 signing certificates are not modelled, so
  ``cert_*_active`` is ``false`` and ``cert_*_last_rotated`` ``N/A``.

The report reads every user: that is what it is for.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from iamctl.core.base import clock
from iamctl.core.base.names import arn
from iamctl.core.bulk import spreadsheet
from iamctl.core.credentials.passwords import password_expires_at
from iamctl.core.store.records import AccessKeyMeta, User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)
ROOT_USER = "<root_account>"
NA = "N/A"
NO_INFORMATION = "no_information"
NOT_SUPPORTED = "not_supported"


def credential_report_rows(txn: Txn) -> list[dict[str, str]]:
    """The report as rows (dicts keyed by `COLUMNS`): the root user first, then users by name."""
    rows = [_root_row(txn)]
    policy = txn.account.password_policy
    for user in txn.list("user"):
        rows.append(_user_row(txn, user, policy))
    return rows


def credential_report(txn: Txn) -> str:
    """The report as CSV text with AWS's header line (what GetCredentialReport's Content decodes to)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: spreadsheet.neutralise(v) for k, v in row.items()} for row in credential_report_rows(txn))
    return out.getvalue()


def _time(value: str | None, missing: str = NA) -> str:
    if not value:
        return missing
    return clock.iso(clock.parse_instant(value)).replace("Z", "+00:00")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _key_columns(n: int, key: AccessKeyMeta | None) -> dict[str, str]:
    prefix = f"access_key_{n}_"
    if key is None:
        return {prefix + "active": "false", prefix + "last_rotated": NA, prefix + "last_used_date": NA,
                prefix + "last_used_region": NA, prefix + "last_used_service": NA}
    return {
        prefix + "active": _flag(key.status == "Active"),
        prefix + "last_rotated": _time(key.created),
        prefix + "last_used_date": _time(key.last_used),
        prefix + "last_used_region": NA,
        prefix + "last_used_service": (key.last_used_service or NA) if key.last_used else NA,
    }


def _certs() -> dict[str, str]:
    return {"cert_1_active": "false", "cert_1_last_rotated": NA,
            "cert_2_active": "false", "cert_2_last_rotated": NA}


def _root_row(txn: Txn) -> dict[str, str]:
    account = txn.account
    return {
        "user": ROOT_USER,
        "arn": f"arn:aws:iam::{account.account_id}:root",
        "user_creation_time": _time(account.created),
        "password_enabled": NOT_SUPPORTED,
        "password_last_used": NO_INFORMATION,
        "password_last_changed": NOT_SUPPORTED,
        "password_next_rotation": NOT_SUPPORTED,
        "mfa_active": "false",
        **_key_columns(1, None),
        **_key_columns(2, None),
        **_certs(),
    }


def _user_row(txn: Txn, user: User, policy) -> dict[str, str]:
    profile = user.login_profile
    keys: list[AccessKeyMeta | None] = [*user.access_keys[:2], None, None]
    expires = password_expires_at(policy, profile)
    return {
        "user": user.name,
        "arn": arn(txn.account_id, "user", user.path, user.name),
        "user_creation_time": _time(user.created),
        "password_enabled": _flag(profile is not None),
        "password_last_used": NA if profile is None else _time(profile.password_last_used, NO_INFORMATION),
        "password_last_changed": NA if profile is None else _time(profile.password_last_changed or profile.created),
        "password_next_rotation": NA if expires is None else _time(clock.iso(expires)),
        "mfa_active": _flag(bool(user.mfa_devices)),
        **_key_columns(1, keys[0]),
        **_key_columns(2, keys[1]),
        **_certs(),
    }
