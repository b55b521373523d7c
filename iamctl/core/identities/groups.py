"""IAM groups: create, get, list, update (rename / move), delete, membership.

AWS semantics, from the IAM API Reference (CreateGroup, GetGroup, ListGroups, UpdateGroup,
DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser) and the User Guide's
"IAM object quotas": names are 1-128 characters, unique without regard to case; a user belongs
to at most 10 groups (GroupsPerUser); a group cannot be deleted while it has members or
policies. Membership is stored on both sides (the group's `members`, the user's `groups`), so
either side is one file to read; every operation here keeps the two in step.
"""

from __future__ import annotations

from msgspec import Struct, structs

from iamctl.core.base import clock, names
from iamctl.core.base.errors import DeleteConflict, EntityAlreadyExists, NoSuchEntity
from iamctl.core.identities import policies
from iamctl.core.identities.account import check_quota
from iamctl.core.identities.entities import Page, paginate
from iamctl.core.store.directory import Txn, file_key
from iamctl.core.store.records import Group, User


class GroupDetails(Struct, frozen=True):
    """What `group show` prints: the group, its ARN and its members' user records."""

    group: Group
    arn: str
    members: list[User]


def group_arn(txn: Txn, group: Group) -> str:
    """`arn:aws:iam::ACCOUNT:group{path}{name}`."""
    return names.arn(txn.account_id, "group", group.path, group.name)


def create_group(txn: Txn, name: str, *, path: str = "/") -> Group:
    """Create a group (AWS CreateGroup): EntityAlreadyExists for a name taken in any case,
    LimitExceeded at the `groups` quota (GroupsPerAccount)."""
    names.check_name("group", name)
    names.check_path(path)
    if txn.exists("group", name):
        raise EntityAlreadyExists(f"Group with name {name} already exists.")
    check_quota(txn, "groups", txn.count("group"), what="GroupsPerAccount")
    from iamctl.core.base.ids import new_unique_id  # lazy: start-up

    group = Group(name=name, group_id=new_unique_id("AGPA"), path=path, created=clock.iso())
    txn.put("group", group)
    return group


def get_group(txn: Txn, name: str) -> Group:
    """The group; NoSuchEntity "The group with name X cannot be found."."""
    return txn.require("group", name)


def group_details(txn: Txn, name: str) -> GroupDetails:
    """The group with its members' records (AWS GetGroup returns both)."""
    group = get_group(txn, name)
    members = [u for m in group.members if (u := txn.get("user", m)) is not None]
    return GroupDetails(group, group_arn(txn, group), members)


def list_groups(txn: Txn, *, path_prefix: str | None = None, max_items: int | None = None,
                starting_token: str | None = None) -> Page:
    """Groups sorted by name (AWS ListGroups), optionally under a path prefix, paginated."""
    return paginate(txn, "group", path_prefix=path_prefix, max_items=max_items, starting_token=starting_token)


def list_groups_for_user(txn: Txn, user_name: str) -> list[Group]:
    """The groups a user belongs to (AWS ListGroupsForUser), sorted by name."""
    user = txn.require("user", user_name)
    found = [g for name in user.groups if (g := txn.get("group", name)) is not None]
    return sorted(found, key=lambda g: g.name.lower())


def update_group(txn: Txn, name: str, *, new_name: str | None = None, new_path: str | None = None) -> Group:
    """Rename and/or move a group (AWS UpdateGroup); members' group lists and managed policy
    attachments follow the new name in the same transaction."""
    group = get_group(txn, name)
    if new_path is not None:
        names.check_path(new_path)
    path = new_path if new_path is not None else group.path
    if new_name is None or new_name == group.name:
        updated = structs.replace(group, path=path)
        txn.put("group", updated)
        return updated
    names.check_name("group", new_name)
    same_file = file_key(new_name) == file_key(group.name)
    if not same_file and txn.exists("group", new_name):
        raise EntityAlreadyExists(f"Group with name {new_name} already exists.")
    old = group.name
    for member in group.members:
        user = txn.get("user", member)
        if user is not None:
            groups = [new_name if g.lower() == old.lower() else g for g in user.groups]
            txn.put("user", structs.replace(user, groups=groups))

    policies.rename_attachments(txn, "group", old, new_name)
    if not same_file:
        txn.delete("group", old)
    updated = structs.replace(group, name=new_name, path=path)
    txn.put("group", updated)
    return updated


def delete_group(txn: Txn, name: str, *, force: bool = False) -> Group:
    """Delete a group (AWS DeleteGroup). Without `force`, DeleteConflict while it has members,
    inline or attached policies; with `force`, remove those first, in this transaction."""
    group = get_group(txn, name)
    if not force:
        _check_empty(group)
    for member in group.members:
        user = txn.get("user", member)
        if user is not None:
            groups = [g for g in user.groups if g.lower() != group.name.lower()]
            txn.put("user", structs.replace(user, groups=groups))

    policies.detach_all(txn, "group", group.name)
    txn.delete("group", group.name)
    return group


def _check_empty(group: Group) -> None:
    still = []
    if group.members:
        still.append(f"{len(group.members)} member(s) ({', '.join(group.members)})")
    if group.inline_policies:
        still.append(f"{len(group.inline_policies)} inline policy(ies)")
    if group.attached_policies:
        still.append(f"{len(group.attached_policies)} attached managed policy(ies)")
    if not still:
        return
    if group.members:
        wording = "must remove users from group first"
    elif group.inline_policies:
        wording = "must delete policies first"
    else:
        wording = "must detach all policies first"
    raise DeleteConflict(
        f"Cannot delete entity, {wording}. Still in group {group.name}: {'; '.join(still)}."
    )


def add_user_to_group(txn: Txn, group_name: str, user_name: str) -> Group:
    """Add a user to a group (AWS AddUserToGroup). Already a member: success, nothing changes.
    LimitExceeded "Cannot exceed quota for GroupsPerUser: 10." past the quota."""
    group = get_group(txn, group_name)
    user = txn.require("user", user_name)
    if any(m.lower() == user.name.lower() for m in group.members):
        return group
    check_quota(txn, "groups_per_user", len(user.groups), what="GroupsPerUser")
    updated = structs.replace(group, members=[*group.members, user.name])
    txn.put("group", updated)
    txn.put("user", structs.replace(user, groups=[*user.groups, group.name]))
    return updated


def remove_user_from_group(txn: Txn, group_name: str, user_name: str) -> Group:
    """Remove a user from a group (AWS RemoveUserFromGroup); NoSuchEntity if not a member."""
    group = get_group(txn, group_name)
    user = txn.require("user", user_name)
    if not any(m.lower() == user.name.lower() for m in group.members):
        raise NoSuchEntity(f"The user with name {user_name} cannot be found in group {group.name}.")
    updated = structs.replace(group, members=[m for m in group.members if m.lower() != user.name.lower()])
    txn.put("group", updated)
    txn.put("user", structs.replace(user, groups=[g for g in user.groups if g.lower() != group.name.lower()]))
    return updated
