"""IAM users: create, get, list, update (rename / move), delete, tags, permissions boundary.

AWS semantics, from the IAM API Reference (CreateUser, GetUser, ListUsers, UpdateUser,
DeleteUser, TagUser, UntagUser, ListUserTags) and the User Guide ("IAM object quotas",
"Deleting an IAM user"):

* names are 1-64 characters of `A-Za-z0-9+=,.@_-`, unique without regard to case;
* a rename carries everything that names the user along with it, in one transaction;
* DeleteUser refuses (DeleteConflict) while anything is still attached to the user, and says
  what; `force=True` removes all of it first, as the console's delete does.

A user is one file, and its groups, policies, keys and MFA devices are listed in it, so
`get_user` and `user_details` read a bounded number of files whatever the account's size.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct, structs

from iamctl.core.base import clock, names
from iamctl.core.base.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    ValidationError,
)
from iamctl.core.identities import policies
from iamctl.core.identities.account import check_quota
from iamctl.core.identities.documents import resolve_policy_arn
from iamctl.core.identities.entities import Page, paginate, tag_list
from iamctl.core.identities.policies import set_boundary
from iamctl.core.store.directory import Txn, file_key
from iamctl.core.store.records import MfaDevice, User


class UserDetails(Struct, frozen=True):
    """Everything `user show` prints: the user, its ARN, and its MFA devices' records."""

    user: User
    arn: str
    mfa_devices: list[MfaDevice]


# -- shared helpers (groups.py uses them too) ---------------------------------------------------


def user_arn(txn: Txn, user: User) -> str:
    """`arn:aws:iam::ACCOUNT:user{path}{name}`."""
    return names.arn(txn.account_id, "user", user.path, user.name)














def _require(txn: Txn, name: str) -> User:
    return txn.require("user", name)


# -- operations ---------------------------------------------------------------------------------


def create_user(txn: Txn, name: str, *, path: str = "/", tags: dict[str, str] | None = None,
                permissions_boundary: str | None = None) -> User:
    """Create a user (AWS CreateUser). EntityAlreadyExists if the name is taken in any case,
    LimitExceeded at the `users` quota, NoSuchEntity for a boundary policy that does not exist."""
    names.check_name("user", name)
    names.check_path(path)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    if txn.exists("user", name):
        raise EntityAlreadyExists(f"User with name {name} already exists.")
    if permissions_boundary is not None:
        resolve_policy_arn(txn, permissions_boundary)
    check_quota(txn, "users", txn.count("user"), what="UsersPerAccount")
    from iamctl.core.base.ids import new_unique_id  # lazy: start-up

    user = User(name=name, user_id=new_unique_id("AIDA"), path=path, created=clock.iso(), tags=tags)
    txn.put("user", user)
    if permissions_boundary is not None:

        user = set_boundary(txn, "user", name, permissions_boundary)
    return user


def get_user(txn: Txn, name: str) -> User:
    """The user (AWS GetUser); NoSuchEntity "The user with name X cannot be found."."""
    return _require(txn, name)


def user_details(txn: Txn, name: str) -> UserDetails:
    """The user with its ARN and MFA device records: one file plus one per MFA device."""
    user = _require(txn, name)
    devices = [d for serial in user.mfa_devices if (d := txn.get("mfa", _device_name(serial))) is not None]
    return UserDetails(user, user_arn(txn, user), devices)


def list_users(txn: Txn, *, path_prefix: str | None = None, max_items: int | None = None,
               starting_token: str | None = None) -> Page:
    """Users sorted by name (AWS ListUsers), optionally under a path prefix, paginated."""
    return paginate(txn, "user", path_prefix=path_prefix, max_items=max_items, starting_token=starting_token)


_UNSET: Any = object()


def update_user(txn: Txn, name: str, *, new_name: str | None = None, new_path: str | None = None,
                permissions_boundary: str | None = _UNSET) -> User:
    """Rename and/or move a user (AWS UpdateUser), carrying along everything that names it:
    group member lists, managed policy attachments, MFA devices, access-key index records and
    its secret record. A new name differing only by case is allowed. `permissions_boundary`
    sets (an ARN) or removes (None) the boundary first (PutUserPermissionsBoundary,
    DeleteUserPermissionsBoundary)."""
    if permissions_boundary is not _UNSET:

        set_boundary(txn, "user", name, permissions_boundary)
    user = _require(txn, name)
    if new_path is not None:
        names.check_path(new_path)
    if new_name is None or new_name == user.name:
        updated = structs.replace(user, path=new_path if new_path is not None else user.path)
        txn.put("user", updated)
        return updated
    names.check_name("user", new_name)
    same_file = file_key(new_name) == file_key(user.name)
    if not same_file and txn.exists("user", new_name):
        raise EntityAlreadyExists(f"User with name {new_name} already exists.")
    old = user.name
    updated = structs.replace(user, name=new_name, path=new_path if new_path is not None else user.path)
    for group_name in user.groups:
        group = txn.get("group", group_name)
        if group is not None:
            members = [new_name if m.lower() == old.lower() else m for m in group.members]
            txn.put("group", structs.replace(group, members=members))

    policies.rename_attachments(txn, "user", old, new_name)
    for serial in user.mfa_devices:
        device = txn.get("mfa", _device_name(serial))
        if device is not None:
            txn.put("mfa", structs.replace(device, user=new_name))
    for key in user.access_keys:
        record = txn.get("access-key", key.access_key_id)
        if record is not None:
            txn.put("access-key", structs.replace(record, user=new_name))
    secret = txn.get_secret("user", old)
    if not same_file:
        txn.delete("user", old)
        if secret is not None:
            txn.delete_secret("user", old)
    if secret is not None:
        txn.put_secret("user", new_name, secret)
    txn.put("user", updated)
    return updated


def attached_items(user: User) -> list[str]:
    """What still hangs off a user, in the order AWS's DeleteUser checks it."""
    found = []
    if user.login_profile is not None:
        found.append("login profile")
    if user.access_keys:
        found.append(_count(len(user.access_keys), "access key"))
    if user.mfa_devices:
        found.append(_count(len(user.mfa_devices), "MFA device"))
    if user.inline_policies:
        found.append(_count(len(user.inline_policies), "inline policy", "inline policies"))
    if user.attached_policies:
        found.append(_count(len(user.attached_policies), "attached managed policy", "attached managed policies"))
    if user.groups:
        found.append(f"membership of {_count(len(user.groups), 'group')} ({', '.join(user.groups)})")
    return found


# AWS's DeleteConflict wording for the first obstacle it finds, in its order of checking.
_FIRST_CONFLICT = [
    (lambda u: u.login_profile is not None, "must delete login profile first"),
    (lambda u: bool(u.access_keys), "must delete access keys first"),
    (lambda u: bool(u.mfa_devices), "must delete MFA device first"),
    (lambda u: bool(u.inline_policies), "must delete policies first"),
    (lambda u: bool(u.attached_policies), "must detach all policies first"),
    (lambda u: bool(u.groups), "must remove user from group first"),
]


def delete_user(txn: Txn, name: str, *, force: bool = False) -> User:
    """Delete a user (AWS DeleteUser). Without `force`, DeleteConflict while anything is attached
    (the message names all of it); with `force`, remove all of it first, in this transaction."""
    user = _require(txn, name)
    if not force:
        for test, wording in _FIRST_CONFLICT:
            if test(user):
                raise DeleteConflict(
                    f"Cannot delete entity, {wording}. Still attached to user {user.name}: "
                    f"{'; '.join(attached_items(user))}."
                )
    _detach_everything(txn, user)

    set_boundary(txn, "user", user.name, None)  # a boundary does not block DeleteUser
    txn.delete("user", user.name)
    if txn.get_secret("user", user.name) is not None:
        txn.delete_secret("user", user.name)
    return user


def _detach_everything(txn: Txn, user: User) -> None:
    for group_name in user.groups:
        group = txn.get("group", group_name)
        if group is not None:
            members = [m for m in group.members if m.lower() != user.name.lower()]
            txn.put("group", structs.replace(group, members=members))

    policies.detach_all(txn, "user", user.name)  # both sides, AWS managed ones included
    for key in user.access_keys:
        if txn.exists("access-key", key.access_key_id):
            txn.delete("access-key", key.access_key_id)
        if txn.get_secret("access-key", key.access_key_id) is not None:
            txn.delete_secret("access-key", key.access_key_id)
    for serial in user.mfa_devices:
        device_name = _device_name(serial)
        if txn.exists("mfa", device_name):
            txn.delete("mfa", device_name)
        if txn.get_secret("mfa", device_name) is not None:
            txn.delete_secret("mfa", device_name)


def tag_user(txn: Txn, name: str, tags: dict[str, str]) -> User:
    """Add or overwrite tags (AWS TagUser); at most `tags_per_entity` (50) in all."""
    user = _require(txn, name)
    if not tags:
        raise InvalidInput("give at least one tag")
    limit = txn.account.quotas.tags_per_entity
    names.check_tags(tags, limit=limit)
    merged = names.check_tags(tag_list(user.tags, tags), limit=limit)
    updated = structs.replace(user, tags=merged)
    txn.put("user", updated)
    return updated


def untag_user(txn: Txn, name: str, keys: list[str]) -> User:
    """Remove tags by key, matched without regard to case (AWS UntagUser; absent keys are ignored)."""
    user = _require(txn, name)
    if not keys:
        raise InvalidInput("give at least one tag key to remove")
    for key in keys:
        if not 1 <= len(key) <= 128:
            raise ValidationError(f"tag key {key!r} must be 1 to 128 characters long")
    drop = {k.lower() for k in keys}
    updated = structs.replace(user, tags={k: v for k, v in user.tags.items() if k.lower() not in drop})
    txn.put("user", updated)
    return updated


def list_user_tags(txn: Txn, name: str) -> dict[str, str]:
    """The user's tags (AWS ListUserTags)."""
    return dict(_require(txn, name).tags)


def _device_name(serial: str) -> str:
    # arn:aws:iam::ACCOUNT:mfa/PATH/NAME -> NAME (the mfa entity's file is keyed by name).
    return serial.rsplit("/", 1)[-1]


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
