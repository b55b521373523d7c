"""Which policy documents apply to a user, group or role, read from the account directory.

The lookups shared by the policy operations (policies.py) and the simulator (principals.py):
a managed policy found by ARN (customer managed in this account, or AWS managed) and its default
version's text. Apart from the operations, so that deciding a request loads only this.
"""

from __future__ import annotations

import re

from msgspec import Struct

from iamctl.core.base import clock, names
from iamctl.core.base.errors import InvalidInput, NoSuchEntity
from iamctl.core.engine import aws_managed
from iamctl.core.store.directory import Txn
from iamctl.core.store.records import EntityKind, Group, ManagedPolicy, PolicyVersion, Role, User

ENTITY_KINDS = ("user", "group", "role")


class NamedDocument(Struct, frozen=True):
    """A policy document with a label saying where it came from.

    The label is the policy ARN for a managed policy (or a permissions boundary), and
    "KIND/NAME inline POLICY" for an inline one, e.g. "user/alice inline AllowS3".
    """

    label: str
    document: str


def policy_arn(txn: Txn, policy: ManagedPolicy) -> str:
    """`arn:aws:iam::ACCOUNT:policy{path}{name}`."""
    return names.arn(txn.account_id, "policy", policy.path, policy.name)


def _customer_name(txn: Txn, arn: str) -> str | None:
    """The policy name in a customer managed policy ARN of this account, or None."""
    prefix = f"arn:aws:iam::{txn.account_id}:policy/"
    if not arn.startswith(prefix):
        return None
    return arn.rsplit("/", 1)[-1] or None


def find_customer(txn: Txn, name_or_arn: str) -> ManagedPolicy | None:
    """The customer managed policy with this name or ARN in this account, or None."""
    if name_or_arn.startswith("arn:"):
        name = _customer_name(txn, name_or_arn)
        if name is None:
            return None
        found = txn.get("policy", name)
        # The ARN must match exactly, path and case included, as IAM's ARN lookups do.
        return found if found is not None and policy_arn(txn, found) == name_or_arn else None
    return txn.get("policy", name_or_arn)


def require_entity(txn: Txn, kind: EntityKind, name: str) -> User | Group | Role:
    """The user, group or role policies attach to, or NoSuchEntity."""
    if kind not in ENTITY_KINDS:
        raise ValueError(f"policies attach to users, groups and roles, not {kind!r}")
    return txn.require(kind, name)


def _not_attachable(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")


def managed_target(txn: Txn, arn: str) -> ManagedPolicy | aws_managed.AwsManagedPolicy:
    """The managed policy an ARN names: customer managed (this account) or AWS managed."""
    found: ManagedPolicy | aws_managed.AwsManagedPolicy | None
    if arn.startswith(aws_managed.ARN_PREFIX + "/"):
        found = aws_managed.get(arn)
        if found is None:  # retired from AWS's catalogue, but kept by `account import`
            found = imported_aws_policy(txn, arn)
    elif not arn.startswith("arn:"):
        raise InvalidInput(f"{arn!r} is not a policy ARN (e.g. arn:aws:iam::aws:policy/ReadOnlyAccess)")
    else:
        found = find_customer(txn, arn)
    if found is None:
        raise _not_attachable(arn)
    return found


def policy_version(policy: ManagedPolicy, version_id: str) -> PolicyVersion:
    """One version of a customer managed policy, or NoSuchEntity."""
    for v in policy.versions:
        if v.version_id == version_id:
            return v
    raise NoSuchEntity(f"Policy {policy.name} version {version_id} does not exist.")


def managed_document(txn: Txn, arn: str) -> str:
    """The default version's document of a managed policy (customer or AWS managed)."""
    target = managed_target(txn, arn)
    if isinstance(target, ManagedPolicy):
        return policy_version(target, target.default_version).document
    return target.document


def _own_policies(txn: Txn, kind: EntityKind, entity: User | Group | Role) -> list[NamedDocument]:
    docs = [
        NamedDocument(f"{kind}/{entity.name} inline {pname}", text)
        for pname, text in entity.inline_policies.items()
    ]
    docs += [NamedDocument(arn, managed_document(txn, arn)) for arn in entity.attached_policies]
    return docs


def effective_policies(txn: Txn, kind: EntityKind, name: str) -> list[NamedDocument]:
    """Every identity-based policy that applies to an entity, labelled.

    For a user: its inline policies, its attached managed policies, then for each of its
    groups the group's inline and attached policies. For a group or a role: its own. A
    managed policy reached twice (attached to the user and to a group) is listed once.
    """
    entity = require_entity(txn, kind, name)
    docs = _own_policies(txn, kind, entity)
    if isinstance(entity, User):  # kind == "user"
        for group_name in entity.groups:
            group = txn.get("group", group_name)
            if group is not None:
                docs += _own_policies(txn, "group", group)
    seen: set[str] = set()
    unique = []
    for doc in docs:
        if doc.label not in seen:
            seen.add(doc.label)
            unique.append(doc)
    return unique


def boundary_document(txn: Txn, kind: EntityKind, name: str) -> NamedDocument | None:
    """The permissions boundary of a user or role (labelled with its ARN), or None.

    Groups cannot have a permissions boundary.
    """
    entity = require_entity(txn, kind, name)
    arn = getattr(entity, "permissions_boundary", None)
    if not arn:
        return None
    return NamedDocument(arn, managed_document(txn, arn))


def imported_aws_policy(txn, arn: str):
    """An AWS managed policy known only from an import (retired from AWS's catalogue), or None.

    Built from the file's copy kept in the policy's `AwsPolicyUse` record: its default
    version's document, so that simulation can evaluate it.
    """
    from iamctl.core.base import jsonload  # lazy: start-up

    use = txn.get("aws-policy", arn.rsplit("/", 1)[-1])
    if use is None or use.arn != arn or not use.extra or "PolicyVersionList" not in use.extra:
        return None
    kept = {k: jsonload.stored(v, where=f"AWS managed policy {use.name}: {k}")
            for k, v in use.extra.items() if not k.startswith("iamctl.")}
    default = kept.get("DefaultVersionId")
    version = next((v for v in kept["PolicyVersionList"] if v.get("VersionId") == default), None)
    if version is None or default is None:  # the import keeps neither without the other
        return None
    from datetime import UTC, datetime  # lazy: start-up

    # The import checked these dates and this document when it kept them.
    when = datetime.fromtimestamp(clock.parse_instant(kept.get("CreateDate") or "1970-01-01T00:00:00Z"), UTC)
    updated = kept.get("UpdateDate")
    return aws_managed.AwsManagedPolicy(
        arn=arn, name=use.name, path=kept.get("Path", "/"), default_version_id=default,
        document=document_text(version.get("Document")) or "", create_date=when,
        update_date=datetime.fromtimestamp(clock.parse_instant(updated), UTC) if updated else when)


def document_text(value: dict | str) -> str | None:
    """A policy document as JSON text, from a decoded object, JSON text or URL-encoded JSON text
    (as the IAM API returns documents); None when it is none of these."""
    import json  # lazy: start-up
    import urllib.parse  # lazy: start-up

    from iamctl.core.base import jsonload  # lazy: start-up

    if isinstance(value, dict):
        return json.dumps(value, indent=4)
    if not isinstance(value, str):
        return None
    for text in (value, urllib.parse.unquote(value)):
        try:
            jsonload.loads(text)
            return text
        except json.JSONDecodeError:
            continue
    return None


_POLICY_ARN = re.compile(r"^arn:aws:iam::(aws|\d{12}):policy(/(?:[\x21-\x7e]+/)*)?([A-Za-z0-9+=,.@_-]{1,128})$")


def resolve_policy_arn(txn: Txn, arn: str) -> str:
    """Check that `arn` names an existing managed policy (customer managed in this account, or an
    AWS managed one from the bundle); NoSuchEntity as AWS words it otherwise."""
    match = _POLICY_ARN.match(arn)
    if not match:
        raise InvalidInput(f"ARN {arn} is not valid.")
    owner, path, name = match.group(1), match.group(2) or "/", match.group(3)
    missing = NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    if owner == "aws":
        if aws_managed.get(arn) is None:
            raise missing
        return arn
    if owner != txn.account_id:
        raise missing
    policy = txn.get("policy", name)
    if policy is None or policy.path != path or policy.name != name:
        raise missing
    return arn
