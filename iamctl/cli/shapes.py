"""Records in AWS's output shapes (the keys of `aws iam list-users`, `get-role`, ...): one
function per shape, shared by every command that prints one."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamctl.core.store.records import Group, Role, User


def user_item(user: "User", arn: str) -> dict:
    """A user as AWS ListUsers shows one."""
    item = {"UserName": user.name, "UserId": user.user_id, "Arn": arn, "Path": user.path,
            "CreateDate": user.created}
    if user.login_profile is not None and user.login_profile.password_last_used:
        item["PasswordLastUsed"] = user.login_profile.password_last_used
    return item


def tags_item(tags: dict[str, str]) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


GROUP_COLUMNS = ["GroupName", "Path", "GroupId", "Arn", "CreateDate"]
"""The columns of a listing of groups (`group list`, `user list-groups`)."""


def group_item(group: "Group", arn: str) -> dict:
    """A group as AWS ListGroups shows one."""
    return {"GroupName": group.name, "GroupId": group.group_id, "Arn": arn, "Path": group.path,
            "CreateDate": group.created}


def role_item(role: "Role", arn: str) -> dict:
    """A role as AWS ListRoles shows one."""
    item = {"RoleName": role.name, "RoleId": role.role_id, "Arn": arn, "Path": role.path,
            "CreateDate": role.created, "MaxSessionDuration": role.max_session_duration}
    if role.description is not None:
        item["Description"] = role.description
    return item
