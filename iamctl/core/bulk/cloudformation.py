"""Export of an account as an AWS::IAM CloudFormation template."""

from __future__ import annotations

from typing import Any

from iamctl.core.base import jsonload, names
from iamctl.core.bulk.account_export import _Exporter
from iamctl.core.bulk.authdetails import DEFAULT_MAX_SESSION
from iamctl.core.identities.documents import policy_version


def logical_id(prefix: str, name: str, taken: set[str]) -> str:
    """A CloudFormation logical id for a resource: letters and digits only, unique, ≤ 255.

    `prefix` + the name's ASCII letters and digits; when characters had to be dropped (IAM names
    may hold `+=,.@_-`), a short hash of the full name follows, so `a-b` and `ab` stay distinct.
    """
    import hashlib  # lazy: start-up

    kept = "".join(c for c in name if c.isascii() and c.isalnum())
    base = prefix + kept[0:1].upper() + kept[1:]
    if kept != name:
        base += hashlib.sha256(name.encode()).hexdigest()[:8].upper()
    base = base[:240]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def export_cloudformation(txn) -> dict[str, Any]:
    """An AWS::IAM CloudFormation template of the account's users, groups, roles, customer managed
    policies (default versions), inline policies and instance profiles.

    References between them are `Ref`s (a managed policy's Ref is its ARN; a group's and a
    role's, their names); AWS managed policies are referenced by ARN. Nothing secret is written
    (no login profiles, no access keys), and tags AWS reserves (`aws:`) are left out since
    CloudFormation cannot set them.
    """
    ex = _Exporter(txn)
    taken: set[str] = set()
    resources: dict[str, Any] = {}
    policy_ids = {names.arn(ex.account_id, "policy", p.path, p.name): logical_id("Policy", p.name, taken)
                  for p in ex.policies}
    group_ids = {g.name.lower(): logical_id("Group", g.name, taken) for g in ex.groups}
    role_ids = {r.name.lower(): logical_id("Role", r.name, taken) for r in ex.roles}

    def arn_ref(arn: str) -> Any:
        return {"Ref": policy_ids[arn]} if arn in policy_ids else arn

    def common(entity: Any) -> dict[str, Any]:
        props: dict[str, Any] = {"Path": entity.path}
        if entity.attached_policies:
            props["ManagedPolicyArns"] = [arn_ref(a) for a in entity.attached_policies]
        if entity.inline_policies:
            props["Policies"] = ex.inline(entity)
        if getattr(entity, "permissions_boundary", None):
            props["PermissionsBoundary"] = arn_ref(entity.permissions_boundary)
        tags = {k: v for k, v in getattr(entity, "tags", {}).items() if not k.lower().startswith("aws:")}
        if tags:
            props["Tags"] = ex.tags(tags)
        return props

    for p in ex.policies:
        version = policy_version(p, p.default_version)
        props = {"ManagedPolicyName": p.name, "Path": p.path,
                 "PolicyDocument": jsonload.stored(version.document, where=f"policy {p.name} {version.version_id}")}
        if p.description:
            props["Description"] = p.description
        resources[policy_ids[names.arn(ex.account_id, "policy", p.path, p.name)]] = {
            "Type": "AWS::IAM::ManagedPolicy", "Properties": props}
    for g in ex.groups:
        resources[group_ids[g.name.lower()]] = {"Type": "AWS::IAM::Group",
                                                "Properties": {"GroupName": g.name, **common(g)}}
    for u in ex.users:
        props = {"UserName": u.name, **common(u)}
        if u.groups:
            props["Groups"] = [{"Ref": group_ids[n.lower()]} for n in u.groups if n.lower() in group_ids]
        resources[logical_id("User", u.name, taken)] = {"Type": "AWS::IAM::User", "Properties": props}
    for r in ex.roles:
        trust = jsonload.stored(r.assume_role_policy, where=f"role {r.name}: trust policy")
        props = {"RoleName": r.name, "AssumeRolePolicyDocument": trust, **common(r)}
        if r.description:
            props["Description"] = r.description
        if r.max_session_duration != DEFAULT_MAX_SESSION:
            props["MaxSessionDuration"] = r.max_session_duration
        resources[role_ids[r.name.lower()]] = {"Type": "AWS::IAM::Role", "Properties": props}
    for p in txn.list("instance-profile"):
        props = {"InstanceProfileName": p.name, "Path": p.path,
                 "Roles": [{"Ref": role_ids[n.lower()]} for n in p.roles if n.lower() in role_ids]}
        resources[logical_id("InstanceProfile", p.name, taken)] = {"Type": "AWS::IAM::InstanceProfile",
                                                                  "Properties": props}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"IAM users, groups, roles and policies of account {ex.account_id}, exported by iamctl",
        "Resources": resources,
    }
