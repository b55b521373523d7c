"""Managed policies (customer managed, with versions), attachments and inline policies.

Written once for users, groups and roles: every attach/detach/inline operation takes the entity
`kind` ("user", "group" or "role") and its name. Sources: IAM API Reference (CreatePolicy,
CreatePolicyVersion, DeletePolicyVersion, SetDefaultPolicyVersion, DeletePolicy, AttachUserPolicy,
DetachUserPolicy, PutUserPolicy and their group/role twins) and the IAM User Guide's "IAM and
AWS STS quotas" page.

Both sides of an attachment are stored: the entity's `attached_policies` (ARNs) and the
policy's `attachments` ("user/NAME", ...), so that either can be shown from one file. AWS
managed policies have no file of their own; their attachments are kept in a small
`AwsPolicyUse` record per attached policy, so that `list --only-attached` and attachment counts
never read every user, group and role.

Documents are stored as the exact text the user gave, after validation (JSON syntax with line
and column, then the policy grammar through the policy engine's parser).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from msgspec import Struct, field

from iamctl.core.base import clock, names
from iamctl.core.base.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from iamctl.core.engine import aws_managed
from iamctl.core.identities import account
from iamctl.core.identities.documents import (
    find_customer,
    managed_target,
    policy_arn,
    policy_version,
    require_entity,
    resolve_policy_arn,
)
from iamctl.core.store.directory import Txn
from iamctl.core.store.records import AwsPolicyUse, EntityKind, ManagedPolicy, PolicyVersion

if TYPE_CHECKING:
    from iamctl.core.engine.grammar import Finding
    from iamctl.core.engine.parse import PolicyKind

# "IAM and AWS STS quotas", character limits, whitespace not counted. Managed policies are
# limited per policy (each version); inline policies by the aggregate of all of an entity's
# inline policies.
MANAGED_POLICY_SIZE = 6144
INLINE_AGGREGATE_SIZE = {"user": 2048, "group": 5120, "role": 10240}
_QUOTA_NAMES = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}
DESCRIPTION_LIMIT = 1000  # CreatePolicy: Description, 0-1000 characters

# Policy documents may hold only tab, line feed, carriage return and U+0020..U+00FF
# ("IAM name requirements" and the PolicyDocument pattern of the API reference).
_DOCUMENT_CHARS = re.compile(r"^[\t\n\r\u0020-\u00ff]*$")
_VERSION_ID = re.compile(r"^v[1-9][0-9]*$")


class PolicyInfo(Struct, frozen=True):
    """A managed policy as GetPolicy / ListPolicies show it (customer or AWS managed)."""

    name: str
    arn: str
    policy_id: str | None  # None for AWS managed policies (the bundle carries no ids)
    path: str
    default_version_id: str
    attachment_count: int
    created: str
    updated: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aws_managed: bool = False
    document: str | None = None  # the default version's text (filled by show only)
    boundary_usage_count: int = 0  # users and roles whose permissions boundary it is


class VersionInfo(Struct, frozen=True):
    """One version of a customer managed policy (GetPolicyVersion / ListPolicyVersions)."""

    version_id: str
    is_default: bool
    created: str
    document: str


class AttachedPolicy(Struct, frozen=True):
    """One managed policy attached to an entity (ListAttachedUserPolicies)."""

    name: str
    arn: str


class InlinePolicy(Struct, frozen=True):
    """One inline policy of an entity (GetUserPolicy / GetGroupPolicy / GetRolePolicy)."""

    kind: EntityKind
    entity: str
    name: str
    document: str


# -- documents -------------------------------------------------------------------------


# The characters str.isspace() is true for in U+0000-U+00FF, the only range a document may use.
_LATIN1_SPACE = "".join(c for c in map(chr, range(256)) if c.isspace())


def document_size(text: str) -> int:
    """A document's size as AWS counts it against its quotas: characters other than whitespace.

    Counted without a Python-level loop (str.count per whitespace character), so that sizing a
    48 MB document takes milliseconds: sizes are checked before anything parses the text."""
    if text.isascii() or max(text) <= "\u00ff":
        return len(text) - sum(map(text.count, _LATIN1_SPACE))
    return sum(1 for c in text if not c.isspace())


def validate_document(text: str, *, kind: PolicyKind = "identity", findings: list[Finding] | None = None) -> str:
    """Check a policy document on its way in; return the text unchanged.

    The allowed characters, then one walk of the policy grammar for `kind` ("identity" for
    managed and inline policies, which may not name a Principal; "trust" for a role's trust
    policy; "session"; ...): its first ERROR raises MalformedPolicyDocument (with the statement,
    the JSON path, line and column). When `findings` is a list, the document's other findings
    (warnings and suggestions, with AWS's catalogue checks, as `policy validate` reports them)
    are appended to it, from the same walk. Callers check the document's size first.
    """
    if not _DOCUMENT_CHARS.match(text):
        bad = next(c for c in text if not _DOCUMENT_CHARS.match(c))
        raise MalformedPolicyDocument(
            f"policy document contains the character U+{ord(bad):04X}; only tab, line feed, "
            "carriage return and U+0020 to U+00FF are allowed"
        )
    if not text.strip():
        raise MalformedPolicyDocument("policy document is empty")
    from iamctl.core.engine.parse import check_policy, finding_message  # lazy: the engine

    analysis = check_policy(text, kind=kind)
    errors = analysis.errors
    if errors:
        raise MalformedPolicyDocument(finding_message(errors[0], analysis))
    if findings is not None:
        from iamctl.core.engine.validate import findings_for  # lazy: the engine

        findings.extend(f for f in findings_for(analysis, policy_type=_validate_type(kind)) if f.type != "ERROR")
    return text


def _validate_type(kind: PolicyKind) -> PolicyKind:
    return "identity" if kind in ("boundary", "session") else kind


# -- ARNs and lookups ------------------------------------------------------------------


def require_policy(txn: Txn, name_or_arn: str) -> ManagedPolicy:
    """The customer managed policy with this name or ARN, or NoSuchEntity."""
    found = find_customer(txn, name_or_arn)
    if found is None:
        if name_or_arn.startswith("arn:"):
            raise NoSuchEntity(f"Policy {name_or_arn} was not found.")
        raise NoSuchEntity(f"The policy with name {name_or_arn} cannot be found.")
    return found


def _info(txn: Txn, policy: ManagedPolicy, *, document: bool = False) -> PolicyInfo:
    return PolicyInfo(
        name=policy.name,
        arn=policy_arn(txn, policy),
        policy_id=policy.policy_id,
        path=policy.path,
        default_version_id=policy.default_version,
        attachment_count=len(policy.attachments),
        created=policy.created,
        updated=policy.updated,
        description=policy.description,
        tags=dict(policy.tags),
        document=policy_version(policy, policy.default_version).document if document else None,
        boundary_usage_count=len(policy.boundary_uses),
    )


def _aws_info(p: aws_managed.AwsManagedPolicy, attachments: int, *, document: bool = False,
              boundary_uses: int = 0) -> PolicyInfo:
    return PolicyInfo(
        name=p.name,
        arn=p.arn,
        policy_id=None,
        path=p.path,
        default_version_id=p.default_version_id,
        attachment_count=attachments,
        created=clock.iso(p.create_date.timestamp()),
        updated=clock.iso(p.update_date.timestamp()),
        aws_managed=True,
        document=p.document if document else None,
        boundary_usage_count=boundary_uses,
    )


def _aws_use(txn: Txn, p: aws_managed.AwsManagedPolicy) -> AwsPolicyUse | None:
    return txn.get("aws-policy", p.name)


def get_policy(txn: Txn, name_or_arn: str) -> PolicyInfo:
    """A managed policy's metadata and default version's document (GetPolicy + GetPolicyVersion).

    Takes a customer managed policy's name or ARN, or an AWS managed policy's ARN
    (`arn:aws:iam::aws:policy/ReadOnlyAccess`).
    """
    if name_or_arn.startswith(aws_managed.ARN_PREFIX + "/"):
        p = aws_managed.get(name_or_arn)
        if p is None:
            raise NoSuchEntity(f"Policy {name_or_arn} was not found.")
        use = _aws_use(txn, p)
        return _aws_info(p, len(use.attachments) if use else 0, document=True,
                         boundary_uses=len(use.boundary_uses) if use else 0)
    return _info(txn, require_policy(txn, name_or_arn), document=True)


# -- customer managed policies ---------------------------------------------------------


def _check_managed_size(text: str) -> None:
    if document_size(text) > MANAGED_POLICY_SIZE:
        raise LimitExceeded(
            f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}. (the document has "
            f"{document_size(text)} characters, not counting whitespace)"
        )


def create_policy(
    txn: Txn,
    name: str,
    document: str,
    *,
    path: str = "/",
    description: str | None = None,
    tags: dict[str, str] | None = None,
    findings: list[Finding] | None = None,
) -> PolicyInfo:
    """Create a customer managed policy with its first version, v1, as the default (CreatePolicy).

    Names are 1-128 characters of `A-Za-z0-9+=,.@_-`, unique in the account without regard to
    case; at most `quotas.policies` (1,500) per account; the document at most 6,144 characters
    not counting whitespace (checked before it is parsed). The document's warnings go to
    `findings` when given (see `validate_document`).
    """
    names.check_name("policy", name, label="policy name")
    names.check_policy_path(path)
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise ValidationError(f"policy description must be at most {DESCRIPTION_LIMIT} characters long")
    names.check_tags(tags or {}, limit=txn.account.quotas.tags_per_entity)
    if txn.exists("policy", name):
        raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
    account.check_quota(txn, "policies", txn.count("policy"), what="PoliciesPerAccount")
    _check_managed_size(document)
    validate_document(document, findings=findings)
    from iamctl.core.base.ids import new_unique_id  # lazy: start-up

    now = clock.iso()
    policy = ManagedPolicy(
        name=name,
        policy_id=new_unique_id("ANPA"),
        path=path,
        created=now,
        updated=now,
        default_version="v1",
        versions=[PolicyVersion(version_id="v1", document=document, created=now)],
        next_version=2,
        description=description,
        tags=dict(tags or {}),
    )
    txn.put("policy", policy)
    return _info(txn, policy)


def list_policies(
    txn: Txn, *, scope: str = "All", path_prefix: str | None = None, only_attached: bool = False
) -> list[PolicyInfo]:
    """Managed policies (ListPolicies): `scope` "Local" (customer managed), "AWS" or "All".

    `path_prefix` filters on the policy's path; `only_attached` keeps those attached to at least
    one user, group or role. Sorted by name (AWS managed first on a tie, as names may repeat
    across the two scopes).
    """
    if scope not in ("All", "AWS", "Local"):
        raise InvalidInput(f"scope must be All, AWS or Local, not {scope!r}")
    if path_prefix is not None and not path_prefix.startswith("/"):
        raise ValidationError(f"path prefix {path_prefix!r} must begin with /")
    found: list[PolicyInfo] = []
    if scope in ("All", "AWS"):
        used = {u.arn: u for u in txn.list("aws-policy")}
        found += [_aws_info(p, len(u.attachments) if (u := used.get(p.arn)) else 0,
                            boundary_uses=len(u.boundary_uses) if u else 0) for p in aws_managed.list(path_prefix)]
    if scope in ("All", "Local"):
        found += [
            _info(txn, p)
            for p in txn.list("policy")
            if path_prefix is None or p.path.startswith(path_prefix)
        ]
    if only_attached:
        found = [p for p in found if p.attachment_count > 0]
    return sorted(found, key=lambda p: (p.name.lower(), not p.aws_managed))


def delete_policy(txn: Txn, name_or_arn: str) -> None:
    """Delete a customer managed policy and all its versions (DeletePolicy).

    DeleteConflict while it is attached to any user, group or role, or is the permissions
    boundary of a user or role (AWS counts that in PermissionsBoundaryUsageCount and refuses too).
    """
    policy = require_policy(txn, name_or_arn)
    if policy.attachments:
        raise DeleteConflict(
            f"Cannot delete a policy attached to entities. ({policy.name} is attached to "
            f"{', '.join(policy.attachments)}; detach it first)"
        )
    if policy.boundary_uses:
        raise DeleteConflict(
            f"Cannot delete a policy attached to entities. ({policy.name} is the permissions boundary of "
            f"{', '.join(policy.boundary_uses)}; remove it from them first)"
        )
    txn.delete("policy", policy.name)


# -- versions --------------------------------------------------------------------------


def _check_version_id(version_id: str) -> None:
    if not _VERSION_ID.match(version_id):
        raise ValidationError(f"version id {version_id!r} must be written v1, v2, ...")


def _version_info(policy: ManagedPolicy, v: PolicyVersion) -> VersionInfo:
    return VersionInfo(v.version_id, v.version_id == policy.default_version, v.created, v.document)


def create_version(txn: Txn, name_or_arn: str, document: str, *, set_as_default: bool = False,
                   findings: list[Finding] | None = None) -> VersionInfo:
    """Add a version to a customer managed policy (CreatePolicyVersion).

    At most `quotas.versions_per_policy` (5) versions: LimitExceeded. Version ids go up by one
    and are never reused, even after a version is deleted. Warnings go to `findings`, as for
    `create_policy`.
    """
    policy = require_policy(txn, name_or_arn)
    account.check_quota(txn, "versions_per_policy", len(policy.versions), what="PolicyVersionsPerPolicy")
    _check_managed_size(document)
    validate_document(document, findings=findings)
    now = clock.iso()
    version = PolicyVersion(version_id=f"v{policy.next_version}", document=document, created=now)
    policy.versions.append(version)
    policy.next_version += 1
    if set_as_default:
        policy.default_version = version.version_id
    policy.updated = now
    txn.put("policy", policy)
    return _version_info(policy, version)


def set_default_version(txn: Txn, name_or_arn: str, version_id: str) -> VersionInfo:
    """Make an existing version the one in effect (SetDefaultPolicyVersion)."""
    _check_version_id(version_id)
    policy = require_policy(txn, name_or_arn)
    version = policy_version(policy, version_id)
    policy.default_version = version_id
    policy.updated = clock.iso()
    txn.put("policy", policy)
    return _version_info(policy, version)


def delete_version(txn: Txn, name_or_arn: str, version_id: str) -> None:
    """Delete a non-default version (DeletePolicyVersion): the default one is a DeleteConflict."""
    _check_version_id(version_id)
    policy = require_policy(txn, name_or_arn)
    policy_version(policy, version_id)
    if version_id == policy.default_version:
        raise DeleteConflict(
            "Cannot delete the default version of a policy. (set another version as the default "
            "first, or delete the policy)"
        )
    policy.versions = [v for v in policy.versions if v.version_id != version_id]
    txn.put("policy", policy)


def list_versions(txn: Txn, name_or_arn: str) -> list[VersionInfo]:
    """Every version of a customer managed policy, newest first (ListPolicyVersions)."""
    policy = require_policy(txn, name_or_arn)
    ordered = sorted(policy.versions, key=lambda v: int(v.version_id[1:]), reverse=True)
    return [_version_info(policy, v) for v in ordered]


def get_version(txn: Txn, name_or_arn: str, version_id: str) -> VersionInfo:
    """One version of a customer managed policy, with its document as written (GetPolicyVersion)."""
    _check_version_id(version_id)
    policy = require_policy(txn, name_or_arn)
    return _version_info(policy, policy_version(policy, version_id))


# -- attachments -----------------------------------------------------------------------


def _record_attachment(txn: Txn, arn: str, target: str, *, attach: bool, uses: str = "attachments") -> None:
    """Keep the policy side of an attachment ("user/alice") in step with the entity side.

    `uses` is the policy's list to keep: "attachments" (attached policies) or "boundary_uses"
    (the policy is the entity's permissions boundary).
    """
    holder: AwsPolicyUse | ManagedPolicy | None
    if arn.startswith(aws_managed.ARN_PREFIX + "/"):
        name = arn.rsplit("/", 1)[-1]
        use = txn.get("aws-policy", name) or AwsPolicyUse(name=name, arn=arn)
        holder = use
    else:
        holder = find_customer(txn, arn)
        if holder is None:
            return  # the policy file is gone (damaged directory): nothing to keep in step
    targets = getattr(holder, uses)
    if attach and target not in targets:
        targets.append(target)
    elif not attach:
        # Entity names are unique without regard to case: "user/Alice" is "user/alice".
        targets[:] = [a for a in targets if a.lower() != target.lower()]
    if isinstance(holder, AwsPolicyUse):
        if holder.attachments or holder.boundary_uses:
            txn.put("aws-policy", holder)
        elif txn.exists("aws-policy", holder.name):
            txn.delete("aws-policy", holder.name)
    else:
        txn.put("policy", holder)


def set_boundary(txn: Txn, kind: Literal["user", "role"], name: str, arn: str | None):
    """Set (`arn`) or remove (None) the permissions boundary of a user or role, keeping the
    policy's boundary-use list in step (PutUserPermissionsBoundary, DeleteRolePermissionsBoundary
    and twins). The ARN must name an existing managed policy. Returns the updated entity."""
    if kind not in ("user", "role"):
        raise ValueError(f"permissions boundaries are for users and roles, not {kind!r}")

    entity = txn.require(kind, name)
    if arn is not None:
        resolve_policy_arn(txn, arn)
    old = entity.permissions_boundary
    if old == arn:
        return entity
    target = f"{kind}/{entity.name}"
    if old:
        _record_attachment(txn, old, target, attach=False, uses="boundary_uses")
    if arn:
        _record_attachment(txn, arn, target, attach=True, uses="boundary_uses")
    entity.permissions_boundary = arn
    txn.put(kind, entity)
    return entity


def attach_policy(txn: Txn, kind: EntityKind, name: str, arn: str) -> None:
    """Attach a managed policy to a user, group or role (AttachUserPolicy and twins).

    The ARN must name an existing customer managed policy of this account or an AWS managed
    policy (NoSuchEntity otherwise). Attaching an attached policy again changes nothing. At
    most `quotas.managed_policies_per_<kind>` (10) per entity: LimitExceeded.
    """
    entity = require_entity(txn, kind, name)
    managed_target(txn, arn)
    if arn in entity.attached_policies:
        return
    quota = f"managed_policies_per_{kind}"
    account.check_quota(txn, quota, len(entity.attached_policies), what=_QUOTA_NAMES[kind])
    entity.attached_policies.append(arn)
    txn.put(kind, entity)
    _record_attachment(txn, arn, f"{kind}/{entity.name}", attach=True)


def detach_policy(txn: Txn, kind: EntityKind, name: str, arn: str) -> None:
    """Detach a managed policy (DetachUserPolicy and twins): NoSuchEntity if it is not attached."""
    entity = require_entity(txn, kind, name)
    if arn not in entity.attached_policies:
        raise NoSuchEntity(f"Policy {arn} was not found (it is not attached to {kind} {entity.name}).")
    entity.attached_policies.remove(arn)
    txn.put(kind, entity)
    _record_attachment(txn, arn, f"{kind}/{entity.name}", attach=False)


def list_attached_policies(txn: Txn, kind: EntityKind, name: str) -> list[AttachedPolicy]:
    """The managed policies attached to an entity, in attachment order (ListAttachedUserPolicies)."""
    entity = require_entity(txn, kind, name)
    return [AttachedPolicy(arn.rsplit("/", 1)[-1], arn) for arn in entity.attached_policies]


def detach_all(txn: Txn, kind: EntityKind, name: str) -> list[str]:
    """Detach every managed policy from an entity and delete its inline policies; return the
    detached ARNs. For `delete --force` of users, groups and roles (the entity itself stays)."""
    entity = require_entity(txn, kind, name)
    detached = list(entity.attached_policies)
    for arn in detached:
        _record_attachment(txn, arn, f"{kind}/{entity.name}", attach=False)
    entity.attached_policies.clear()
    entity.inline_policies.clear()
    txn.put(kind, entity)
    return detached


def rename_attachments(txn: Txn, kind: EntityKind, old: str, new: str) -> None:
    """After an entity is renamed `old` -> `new`, rewrite "KIND/old" to "KIND/new" in the
    attachment lists of every managed policy attached to it (and its boundary's use list). Works whether called before or
    after the entity itself is renamed (it reads whichever of the two names exists)."""
    entity = txn.get(kind, new) or require_entity(txn, kind, old)
    for arn in entity.attached_policies:
        _record_attachment(txn, arn, f"{kind}/{old}", attach=False)
        _record_attachment(txn, arn, f"{kind}/{new}", attach=True)
    boundary = getattr(entity, "permissions_boundary", None)  # groups have none
    if boundary:
        _record_attachment(txn, boundary, f"{kind}/{old}", attach=False, uses="boundary_uses")
        _record_attachment(txn, boundary, f"{kind}/{new}", attach=True, uses="boundary_uses")


# -- inline policies -------------------------------------------------------------------


def put_inline_policy(txn: Txn, kind: EntityKind, name: str, policy_name: str, document: str, *,
                      findings: list[Finding] | None = None) -> None:
    """Add or replace an inline policy (PutUserPolicy and twins).

    The aggregate size of all of the entity's inline policies, whitespace not counted, may not
    exceed 2,048 (user), 5,120 (group) or 10,240 (role) characters: LimitExceeded, checked
    before the document is parsed. Warnings go to `findings`, as for `create_policy`.
    """
    names.check_name("policy", policy_name, label="policy name")
    entity = require_entity(txn, kind, name)
    others = sum(document_size(t) for n, t in entity.inline_policies.items() if n != policy_name)
    total = others + document_size(document)
    limit = INLINE_AGGREGATE_SIZE[kind]
    if total > limit:
        raise LimitExceeded(
            f"Maximum policy size of {limit} bytes exceeded for {kind} {entity.name}. (its inline "
            f"policies would total {total} characters, not counting whitespace)"
        )
    validate_document(document, findings=findings)
    entity.inline_policies[policy_name] = document
    txn.put(kind, entity)


def _inline_missing(kind: EntityKind, entity: str, policy_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {kind} policy with name {policy_name} cannot be found. ({kind} {entity})")


def get_inline_policy(txn: Txn, kind: EntityKind, name: str, policy_name: str) -> InlinePolicy:
    """One inline policy with its document exactly as written (GetUserPolicy and twins)."""
    entity = require_entity(txn, kind, name)
    if policy_name not in entity.inline_policies:
        raise _inline_missing(kind, entity.name, policy_name)
    return InlinePolicy(kind, entity.name, policy_name, entity.inline_policies[policy_name])


def delete_inline_policy(txn: Txn, kind: EntityKind, name: str, policy_name: str) -> None:
    """Delete an inline policy (DeleteUserPolicy and twins): NoSuchEntity if there is none."""
    entity = require_entity(txn, kind, name)
    if policy_name not in entity.inline_policies:
        raise _inline_missing(kind, entity.name, policy_name)
    del entity.inline_policies[policy_name]
    txn.put(kind, entity)


def list_inline_policies(txn: Txn, kind: EntityKind, name: str) -> list[str]:
    """The names of an entity's inline policies, sorted (ListUserPolicies and twins)."""
    return sorted(require_entity(txn, kind, name).inline_policies)
