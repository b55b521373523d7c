"""Instance profiles: create, get, list, add or remove their role, delete.

AWS semantics (IAM API Reference: CreateInstanceProfile, AddRoleToInstanceProfile,
RemoveRoleFromInstanceProfile, DeleteInstanceProfile): a profile holds at most one role
(InstanceProfileRolesQuota); both sides of the relationship are kept in step.
"""

from __future__ import annotations

from msgspec import structs

from iamctl.core.base import clock, names
from iamctl.core.base.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from iamctl.core.identities.account import check_quota
from iamctl.core.identities.entities import Page, paginate
from iamctl.core.store.directory import Txn
from iamctl.core.store.records import InstanceProfile


def instance_profile_arn(txn: Txn, profile: InstanceProfile) -> str:
    """`arn:aws:iam::ACCOUNT:instance-profile{path}{name}`."""
    return names.arn(txn.account_id, "instance-profile", profile.path, profile.name)


def create_instance_profile(txn: Txn, name: str, *, path: str = "/",
                            tags: dict[str, str] | None = None) -> InstanceProfile:
    """Create an instance profile (CreateInstanceProfile); LimitExceeded at the quota."""
    names.check_name("instance-profile", name, label="instance profile name")
    names.check_path(path)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    if txn.exists("instance-profile", name):
        raise EntityAlreadyExists(f"Instance Profile {name} already exists.")
    check_quota(txn, "instance_profiles", txn.count("instance-profile"), what="InstanceProfilesPerAccount")
    from iamctl.core.base.ids import new_unique_id  # lazy: start-up

    profile = InstanceProfile(name=name, instance_profile_id=new_unique_id("AIPA"), path=path,
                              created=clock.iso(), tags=tags)
    txn.put("instance-profile", profile)
    return profile


def get_instance_profile(txn: Txn, name: str) -> InstanceProfile:
    """The instance profile (GetInstanceProfile)."""
    return txn.require("instance-profile", name)


def list_instance_profiles(txn: Txn, *, path_prefix: str | None = None, max_items: int | None = None,
                           starting_token: str | None = None) -> Page:
    """Instance profiles sorted by name (ListInstanceProfiles), paginated."""
    return paginate(txn, "instance-profile", path_prefix=path_prefix, max_items=max_items,
                    starting_token=starting_token)


def add_role_to_instance_profile(txn: Txn, profile_name: str, role_name: str) -> InstanceProfile:
    """Put a role in an instance profile (AddRoleToInstanceProfile). A profile holds one role:
    LimitExceeded "Cannot exceed quota for InstanceProfileRolesQuota: 1" when it has one."""
    profile = get_instance_profile(txn, profile_name)
    role = txn.require("role", role_name)
    if any(r.lower() == role.name.lower() for r in profile.roles):
        raise LimitExceeded(f"Cannot exceed quota for InstanceProfileRolesQuota: "
                            f"{txn.account.quotas.roles_per_instance_profile} (role {role.name} is "
                            f"already in instance profile {profile.name}).")
    check_quota(txn, "roles_per_instance_profile", len(profile.roles), what="InstanceProfileRolesQuota")
    updated = structs.replace(profile, roles=[*profile.roles, role.name])
    txn.put("instance-profile", updated)
    txn.put("role", structs.replace(role, instance_profiles=[*role.instance_profiles, profile.name]))
    return updated


def remove_role_from_instance_profile(txn: Txn, profile_name: str, role_name: str) -> InstanceProfile:
    """Take a role out of an instance profile (RemoveRoleFromInstanceProfile)."""
    profile = get_instance_profile(txn, profile_name)
    if not any(r.lower() == role_name.lower() for r in profile.roles):
        raise NoSuchEntity(f"The role with name {role_name} cannot be found (it is not in instance "
                           f"profile {profile.name}).")
    updated = structs.replace(profile, roles=[r for r in profile.roles if r.lower() != role_name.lower()])
    txn.put("instance-profile", updated)
    role = txn.get("role", role_name)
    if role is not None:
        kept = [p for p in role.instance_profiles if p.lower() != profile.name.lower()]
        txn.put("role", structs.replace(role, instance_profiles=kept))
    return updated


def delete_instance_profile(txn: Txn, name: str, *, force: bool = False) -> InstanceProfile:
    """Delete an instance profile (DeleteInstanceProfile): DeleteConflict while it holds a role,
    unless `force` removes the role from it first."""
    profile = get_instance_profile(txn, name)
    if profile.roles and not force:
        raise DeleteConflict(f"Cannot delete entity, must remove roles from instance profile first. "
                             f"Instance profile {profile.name} holds role {', '.join(profile.roles)}.")
    for role_name in list(profile.roles):
        remove_role_from_instance_profile(txn, profile.name, role_name)
    txn.delete("instance-profile", profile.name)
    return profile
