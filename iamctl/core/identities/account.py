"""Account-level operations: summary, alias, quotas."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from msgspec import Struct, structs

from iamctl.core.base import jsonload
from iamctl.core.base.errors import (
    IamError,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    StoreError,
    ValidationError,
)
from iamctl.core.store.directory import Txn
from iamctl.core.store.records import KINDS, SECRETS, Account, Kind, ManagedPolicy, Quotas, Role

if TYPE_CHECKING:
    from iamctl.core.engine.parse import PolicyKind

# AWS CreateAccountAlias: 3-63 characters, lower-case letters, digits and hyphens, starting and
# ending with a letter or digit, no two hyphens in a row (botocore's accountAliasType pattern).
_ALIAS = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")


class AccountSummary(Struct, frozen=True):
    account: Account
    counts: dict[str, int]


def summary(txn: Txn) -> AccountSummary:
    """The account with how many of each entity it holds (AWS GetAccountSummary, in part)."""
    counts = {
        "users": txn.count("user"),
        "groups": txn.count("group"),
        "roles": txn.count("role"),
        "policies": txn.count("policy"),
        "mfa_devices": txn.count("mfa"),
        "instance_profiles": txn.count("instance-profile"),
    }
    return AccountSummary(txn.account, counts)


def set_alias(txn: Txn, alias: str) -> Account:
    """Set (or replace) the account alias, checked against AWS's alias rules."""
    if not 3 <= len(alias) <= 63:
        raise ValidationError(f"account alias {alias!r} must be 3 to 63 characters long")
    if not _ALIAS.match(alias):
        raise ValidationError(
            f"account alias {alias!r} may contain only lower-case letters, digits and single hyphens, "
            "and must start and end with a letter or digit"
        )
    account = structs.replace(txn.account, alias=alias)
    txn.put_account(account)
    return account


def delete_alias(txn: Txn) -> Account:
    account = txn.account
    if account.alias is None:
        raise NoSuchEntity(f"the account {account.account_id} has no alias")
    account = structs.replace(account, alias=None)
    txn.put_account(account)
    return account


def quota_names() -> list[str]:
    """Quota names as the CLI spells them (`groups-per-user`)."""
    return [f.name.replace("_", "-") for f in structs.fields(Quotas)]


def set_quota(txn: Txn, name: str, value: int) -> Account:
    """Change one quota, e.g. raise `users` above AWS's 5,000 for a large local account."""
    field_name = name.replace("-", "_")
    if field_name not in {f.name for f in structs.fields(Quotas)}:
        raise InvalidInput(f"unknown quota {name!r}; known quotas: {', '.join(quota_names())}")
    if value < 0:
        raise InvalidInput(f"quota {name} must be zero or more, not {value}")
    account = txn.account
    quotas = structs.replace(account.quotas, **{field_name: value})
    account = structs.replace(account, quotas=quotas)
    txn.put_account(account)
    return account


def check_quota(txn: Txn, name: str, used: int, *, what: str) -> None:
    """Raise LimitExceeded when `used` has reached the quota `name` (AWS's error and wording)."""
    limit = getattr(txn.account.quotas, name)
    if used >= limit:
        raise LimitExceeded(f"Cannot exceed quota for {what}: {limit}.")


def check_directory(txn: Txn) -> list[str]:
    """Read and validate every file of every account, secrets included, and of the organization
    (each file, then the organization's consistency); return one line per problem found. Beyond
    each file's schema (which every read checks), the JSON kept in records is parsed: policy
    documents (against the policy grammar too) and imported fields."""
    from iamctl.core.identities import organizations  # lazy: start-up

    problems: list[str] = _check_files(txn, [k for k in KINDS.values() if k.workspace])
    if not problems:
        try:
            problems += organizations.check(txn)
        except StoreError as e:
            problems.append(str(e))
    for account_id in txn.account_ids():
        view = txn.in_account(account_id)
        try:
            view.account  # noqa: B018  # reading it validates it
        except StoreError as e:
            problems.append(str(e))
        problems += _check_files(view, [k for k in KINDS.values() if not k.workspace])
        for secret_kind in SECRETS:
            for key in view.secret_keys(secret_kind):
                try:
                    view.get_secret(secret_kind, key)
                except StoreError as e:
                    problems.append(str(e))
    return problems


def _check_files(view: Txn, kinds: list[Kind]) -> list[str]:
    """Every file of these kinds as `view` sees them: readable, named after what it holds, and
    the JSON texts it keeps sound."""
    problems: list[str] = []
    for kind in kinds:
        for key in view.keys(kind.name):
            try:
                obj = view.get(kind.name, key)
            except StoreError as e:
                problems.append(str(e))
                continue
            if obj is None:
                continue
            if getattr(obj, kind.key_field).lower() != key:
                problems.append(
                    f"{kind.folder}/{key}.toml: holds {kind.title} {getattr(obj, kind.key_field)!r}, "
                    "whose name does not match the file name"
                )
            problems += _check_texts(view.path_of(kind.name, key), obj)
    return problems


def _check_texts(path, obj) -> list[str]:
    """The JSON texts a record keeps (documents, imported fields), each parsed as its use would."""
    from iamctl.core.engine.parse import parse_policy  # lazy: the engine

    texts: list[tuple[str, str, PolicyKind | None]] = []  # (what, text, policy kind or None)
    for name, text in (getattr(obj, "inline_policies", None) or {}).items():
        texts.append((f"inline policy {name}", text, "identity"))
    if isinstance(obj, Role):
        texts.append(("trust policy", obj.assume_role_policy, "trust"))
    if isinstance(obj, ManagedPolicy):
        texts += [(f"version {v.version_id}", v.document, "identity") for v in obj.versions]
        texts += [(f"version {v.version_id}: {k}", t, None) for v in obj.versions for k, t in (v.extra or {}).items()
                  if not k.startswith("iamctl.")]
    texts += [(k, t, None) for k, t in (getattr(obj, "extra", None) or {}).items() if not k.startswith("iamctl.")]
    problems = []
    for what, text, policy_kind in texts:
        try:
            jsonload.stored(text, where=f"{path}: {what}")
            if policy_kind is not None:
                parse_policy(text, kind=policy_kind)
        except StoreError as e:
            problems.append(str(e))
        except IamError as e:
            problems.append(f"{path}: damaged: {what}: {e.message}")
    return problems
