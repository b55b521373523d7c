"""Export of an account as `aws iam get-account-authorization-details` JSON (see
account_import.py for the format's rules): the same shape, so import then export gives back
the input."""

from __future__ import annotations

import json
from typing import Any

from iamctl.core.base import jsonload, names
from iamctl.core.bulk.authdetails import (
    BOUNDARY_TYPE,
    DEFAULT_MAX_SESSION,
    NOT_LISTED,
    UNLISTED_ATTACHMENTS,
    UNLISTED_BOUNDARY_USES,
    normalise_date,
)
from iamctl.core.identities.roles import trust_policy_to_show
from iamctl.core.store.records import (
    AwsPolicyUse,
    Group,
    InstanceProfile,
    ManagedPolicy,
    Role,
    User,
)


def _fields(extra: dict[str, str] | None, where: str = "an imported field") -> dict[str, Any]:
    return {k: jsonload.stored(v, where=f"{where}: {k}") for k, v in (extra or {}).items() if not k.startswith("iamctl.")}


def _offset(extra: dict[str, str] | None, key: str) -> int:
    return int((extra or {}).get(key, "0"))


class _Exporter:
    """Reads the whole account once and renders it in AWS's shapes."""

    def __init__(self, txn):
        self.txn = txn
        self.account_id = txn.account_id
        self.users = txn.list("user")
        self.groups = txn.list("group")
        self.roles = txn.list("role")
        self.policies = txn.list("policy")
        self.aws = txn.list("aws-policy")
        self.roles_by_name = {r.name.lower(): r for r in self.roles}
        # local ARN -> ARN as exported (an imported policy keeps the ARN it came with)
        self.policy_arns = {
            names.arn(self.account_id, "policy", p.path, p.name): _fields(p.extra).get(
                "Arn", names.arn(self.account_id, "policy", p.path, p.name))
            for p in self.policies
        }

    def arn(self, kind: str, obj: Any) -> str:
        return _fields(obj.extra).get("Arn", names.arn(self.account_id, kind, obj.path, obj.name))

    def ref(self, arn: str) -> str:
        return self.policy_arns.get(arn, arn)

    def attached(self, entity: Any) -> list[dict]:
        return [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": self.ref(a)} for a in entity.attached_policies]

    @staticmethod
    def inline(entity: Any) -> list[dict]:
        return [{"PolicyName": n, "PolicyDocument": jsonload.stored(t, where=f"{entity.name}: inline policy {n}")}
                for n, t in entity.inline_policies.items()]

    @staticmethod
    def tags(tags: dict[str, str]) -> list[dict]:
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    def boundary(self, entity: Any) -> dict:
        if not entity.permissions_boundary:
            return {}
        return {"PermissionsBoundary": {"PermissionsBoundaryType": BOUNDARY_TYPE,
                                        "PermissionsBoundaryArn": self.ref(entity.permissions_boundary)}}

    def user(self, u: User) -> dict:
        item = {"Path": u.path, "UserName": u.name, "UserId": u.user_id, "Arn": self.arn("user", u),
                "CreateDate": u.created, "UserPolicyList": self.inline(u), "GroupList": list(u.groups),
                "AttachedManagedPolicies": self.attached(u), **self.boundary(u), "Tags": self.tags(u.tags)}
        return {**item, **_fields(u.extra)}

    def group(self, g: Group) -> dict:
        item = {"Path": g.path, "GroupName": g.name, "GroupId": g.group_id, "Arn": self.arn("group", g),
                "CreateDate": g.created, "GroupPolicyList": self.inline(g), "AttachedManagedPolicies": self.attached(g)}
        return {**item, **_fields(g.extra)}

    def role_summary(self, r: Role) -> dict:
        fields = _fields(r.extra)
        item = {"Path": fields.get("Path", r.path), "RoleName": r.name, "RoleId": r.role_id,
                "Arn": self.arn("role", r), "CreateDate": r.created,
                "AssumeRolePolicyDocument": jsonload.stored(trust_policy_to_show(self.txn, r),
                                                            where=f"role {r.name}: trust policy")}
        if r.description is not None:
            item["Description"] = r.description
        if r.max_session_duration != DEFAULT_MAX_SESSION:
            item["MaxSessionDuration"] = r.max_session_duration
        return item

    def profile(self, p: InstanceProfile) -> dict:
        roles = [self.role_summary(self.roles_by_name[n.lower()]) for n in p.roles if n.lower() in self.roles_by_name]
        item = {"Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.instance_profile_id,
                "Arn": self.arn("instance-profile", p), "CreateDate": p.created, "Roles": roles}
        if p.tags:
            item["Tags"] = self.tags(p.tags)
        return {**item, **_fields(p.extra)}

    def role(self, r: Role) -> dict:
        profiles = [self.txn.get("instance-profile", n) for n in r.instance_profiles]
        item = {**self.role_summary(r),
                "InstanceProfileList": [self.profile(p) for p in profiles if p is not None],
                "RolePolicyList": self.inline(r), "AttachedManagedPolicies": self.attached(r),
                **self.boundary(r), "Tags": self.tags(r.tags)}
        if r.last_used is not None:
            last = {}
            if r.last_used.last_used_date is not None:
                last["LastUsedDate"] = r.last_used.last_used_date
            if r.last_used.region is not None:
                last["Region"] = r.last_used.region
            item["RoleLastUsed"] = last
        return {**item, **_fields(r.extra)}

    def boundary_uses(self, arn: str) -> int:
        return sum(1 for e in [*self.users, *self.roles] if e.permissions_boundary == arn)

    def policy(self, p: ManagedPolicy) -> dict:
        local = names.arn(self.account_id, "policy", p.path, p.name)
        item = {"PolicyName": p.name, "PolicyId": p.policy_id, "Arn": local, "Path": p.path,
                "DefaultVersionId": p.default_version,
                "AttachmentCount": len(p.attachments) + _offset(p.extra, UNLISTED_ATTACHMENTS),
                "PermissionsBoundaryUsageCount": self.boundary_uses(local) + _offset(p.extra, UNLISTED_BOUNDARY_USES),
                "IsAttachable": True}
        if p.description is not None:
            item["Description"] = p.description
        item |= {"CreateDate": p.created, "UpdateDate": p.updated, "PolicyVersionList": [
            {"Document": jsonload.stored(v.document, where=f"policy {p.name} {v.version_id}"),
             "VersionId": v.version_id,
             "IsDefaultVersion": v.version_id == p.default_version, "CreateDate": v.created, **_fields(v.extra)}
            for v in p.versions]}
        if p.tags:
            item["Tags"] = self.tags(p.tags)
        return {**item, **_fields(p.extra)}

    def aws_policy(self, use: AwsPolicyUse) -> dict:
        from iamctl.core.engine import aws_managed  # lazy: start-up

        counts = {"AttachmentCount": len(use.attachments) + _offset(use.extra, UNLISTED_ATTACHMENTS),
                  "PermissionsBoundaryUsageCount": self.boundary_uses(use.arn)
                  + _offset(use.extra, UNLISTED_BOUNDARY_USES)}
        kept = _fields(use.extra)
        if kept:
            return kept | {k: v for k, v in counts.items() if type(kept.get(k)) is int}
        p = aws_managed.get(use.arn)
        if p is None:
            return {"PolicyName": use.name, "Arn": use.arn, **counts}
        created = normalise_date(p.create_date.isoformat())
        updated = normalise_date(p.update_date.isoformat())
        return {"PolicyName": p.name, "Arn": p.arn, "Path": p.path, "DefaultVersionId": p.default_version_id,
                **counts, "IsAttachable": True, "CreateDate": created, "UpdateDate": updated,
                "PolicyVersionList": [{"Document": json.loads(p.document), "VersionId": p.default_version_id,
                                       "IsDefaultVersion": True, "CreateDate": updated}]}


def export_details(txn) -> dict[str, Any]:
    """The account as `aws iam get-account-authorization-details` prints it (one page, whole).

    Policies lists every customer managed policy with all its versions, then every AWS managed
    policy in use (attached, or kept from an import), except those an imported file attached
    without listing them (a single page of a longer listing), so that a page exports as itself.
    """
    ex = _Exporter(txn)
    return {
        "UserDetailList": [ex.user(u) for u in ex.users],
        "GroupDetailList": [ex.group(g) for g in ex.groups],
        "RoleDetailList": [ex.role(r) for r in ex.roles],
        "Policies": [ex.policy(p) for p in ex.policies]
        # (an AWS managed policy in use only as a boundary is not listed, unless imported so)
        + [ex.aws_policy(a) for a in ex.aws if NOT_LISTED not in (a.extra or {}) and (a.attachments or a.extra)],
    }
