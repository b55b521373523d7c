"""IAM roles, their trust policies, instance profiles and identity providers.

AWS semantics, from the IAM API Reference (CreateRole, GetRole, ListRoles, UpdateRole,
UpdateAssumeRolePolicy, DeleteRole, TagRole, CreateInstanceProfile, AddRoleToInstanceProfile,
CreateOpenIDConnectProvider, CreateSAMLProvider) and the User Guide ("IAM and AWS STS quotas",
"Role terms and concepts", "Creating a role for OpenID Connect federation"):

* a role's trust policy is a resource policy on the role: it needs a `Principal`, has no
  `Resource`, and grants only the STS actions that use a role (the policy grammar,
  iamctl.core.engine.grammar, says which: sts:AssumeRole*, sts:TagSession, sts:SetSourceIdentity,
  sts:SetContext); at most 2,048 characters, whitespace not counted (AWS's default "role trust
  policy length");
* MaxSessionDuration is 3,600 to 43,200 seconds; a description at most 1,000 characters of tab,
  LF, CR, U+0020-U+007E and U+00A1-U+00FF;
* DeleteRole refuses (DeleteConflict) while the role is in an instance profile or has policies;
* an instance profile holds at most one role (InstanceProfileRolesQuota);
* an OIDC provider's URL begins with https://, it has 1-100 client ids and 0-5 thumbprints
  (40 hex digits each); its ARN is arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH.

A role is one file; its instance profiles and policies are listed in it, so single-role
operations read a bounded number of files whatever the account's size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct, structs

from iamctl.core.base import clock, names
from iamctl.core.base.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    ValidationError,
)
from iamctl.core.identities.account import check_quota
from iamctl.core.identities.documents import resolve_policy_arn
from iamctl.core.identities.entities import Page, paginate, tag_list
from iamctl.core.identities.instance_profiles import instance_profile_arn
from iamctl.core.identities.policies import detach_all, document_size, set_boundary, validate_document
from iamctl.core.identities.providers import oidc_arn, oidc_identifier, require_oidc_provider
from iamctl.core.store import trust
from iamctl.core.store.directory import Txn
from iamctl.core.store.records import Role

if TYPE_CHECKING:
    from iamctl.core.engine.grammar import Finding

MIN_MAX_SESSION_DURATION = 3600
MAX_MAX_SESSION_DURATION = 43200
DESCRIPTION_LIMIT = 1000
TRUST_POLICY_SIZE = 2048  # "IAM and AWS STS quotas": role trust policy length (default)
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")


class RoleDetails(Struct, frozen=True):
    """Everything `role show` prints: the role, its ARN, its instance profiles' ARNs, and its
    trust policy as IAM shows it (`trust_policy_to_show`)."""

    role: Role
    arn: str
    instance_profile_arns: list[str]
    trust_policy: str


# -- trust policies ------------------------------------------------------------------------------


def role_arn(txn: Txn, role: Role) -> str:
    """`arn:aws:iam::ACCOUNT:role{path}{name}`."""
    return names.arn(txn.account_id, "role", role.path, role.name)


def validate_trust_policy(text: str, *, findings: list[Finding] | None = None) -> str:
    """Check a role trust policy on its way in; return the text unchanged.

    At most 2,048 characters not counting whitespace (checked first, before anything parses the
    text), then the policy grammar for kind "trust" (grammar.py: a Principal, no Resource, only
    the STS actions that use a role, no NotAction, no NotPrincipal), whose first ERROR raises
    MalformedPolicyDocument naming the statement. Warnings, such as a Principal "*" without a
    condition (anyone could assume the role), go to `findings` when given.
    """
    size = document_size(text)
    if size > TRUST_POLICY_SIZE:
        raise LimitExceeded(
            f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE} (the trust policy has {size} "
            "characters, not counting whitespace)."
        )
    return validate_document(text, kind="trust", findings=findings)


def locate_role(txn: Txn, ref: str) -> tuple[Txn, Role]:
    """A role by name (this account) or by ARN (any account of the directory: cross-account).
    NoSuchEntity when there is none; InvalidInput for an ARN that names no role."""
    if ref.startswith("arn:"):
        m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([^/]+)", ref)
        if m is None:
            raise InvalidInput(f"{ref!r} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        view = txn if m.group(1) == txn.account_id else txn.in_account(m.group(1))
        return view, view.require("role", m.group(2))
    return txn, txn.require("role", ref)


def _condition_block(conditions: list[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for op, key, value in conditions:
        keys = block.setdefault(op, {})
        if key in keys:
            old = keys[key]
            keys[key] = [*old, value] if isinstance(old, list) else [old, value]
        else:
            keys[key] = value
    return block


def trust_policy_document(
    txn: Txn,
    *,
    services: list[str] | None = None,
    accounts: list[str] | None = None,
    principal_arns: list[str] | None = None,
    oidc_provider: str | None = None,
    conditions: Sequence[tuple[str, str, str]] | None = None,
    require_mfa: bool = False,
    external_id: str | None = None,
) -> str:
    """A trust policy written from the `role create` shorthands, as JSON text.

    One statement per kind of principal: services (sts:AssumeRole), AWS accounts and ARNs
    (sts:AssumeRole, with `require_mfa` → Bool aws:MultiFactorAuthPresent true and
    `external_id` → StringEquals sts:ExternalId), and an OIDC provider of this account
    (sts:AssumeRoleWithWebIdentity). `conditions`, (operator, key, value) triples, go on the OIDC
    statement when there is one, else on the AWS statement; a web-identity trust without
    conditions is refused, since it would let every token of that provider in.
    """
    services, accounts, principal_arns = services or [], accounts or [], principal_arns or []
    parsed = [(op, key, value) for op, key, value in conditions or []]
    statements: list[dict[str, Any]] = []
    for service in services:
        if not _SERVICE.match(service):
            raise InvalidInput(f"service principal {service!r} must look like ec2.amazonaws.com")
    if services:
        statements.append({"Effect": "Allow", "Principal": {"Service": _one_or_list(services)},
                           "Action": "sts:AssumeRole"})
    aws = []
    for account in accounts:
        if not re.fullmatch(r"\d{12}", account):
            raise InvalidInput(f"account id {account!r} must be 12 digits")
        aws.append(f"arn:aws:iam::{account}:root")
    aws += principal_arns
    if aws:
        aws_conditions = [] if oidc_provider else list(parsed)
        if require_mfa:
            aws_conditions.append(("Bool", "aws:MultiFactorAuthPresent", "true"))
        if external_id is not None:
            check_external_id(external_id)
            aws_conditions.append(("StringEquals", "sts:ExternalId", external_id))
        st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": _one_or_list(aws)}, "Action": "sts:AssumeRole"}
        if aws_conditions:
            st["Condition"] = _condition_block(aws_conditions)
        statements.append(st)
    elif require_mfa or external_id is not None:
        raise InvalidInput("MFA and external-id conditions apply to AWS principals: trust an account or a "
                           "principal ARN as well")
    if oidc_provider:
        provider = require_oidc_provider(txn, oidc_provider)
        if not parsed:
            raise InvalidInput(
                f"a trust for {provider.url} needs a condition on its claims (e.g. "
                f"'StringEquals {oidc_identifier(provider.url)}:aud=...'); without one every token the "
                "provider issues could assume the role"
            )
        statements.append({"Effect": "Allow", "Principal": {"Federated": oidc_arn(txn, provider)},
                           "Action": "sts:AssumeRoleWithWebIdentity", "Condition": _condition_block(parsed)})
    elif parsed and not aws:
        raise InvalidInput("conditions need a principal to apply to: an OIDC provider, an account or a "
                           "principal ARN")
    if not statements:
        raise InvalidInput("a trust policy needs at least one principal: a service, an account, a principal "
                           "ARN or an OIDC provider")
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2) + "\n"


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def check_external_id(value: str) -> str:
    """AWS's ExternalId: 2-1,224 characters of letters, digits and + = , . @ : / -."""
    if not 2 <= len(value) <= 1224 or not re.fullmatch(r"[\w+=,.@:/-]+", value, re.ASCII):
        raise ValidationError(
            f"external id {value!r} must be 2 to 1,224 characters of letters, digits and + = , . @ : / -"
        )
    return value


# -- roles ---------------------------------------------------------------------------------------


def _check_duration(seconds: int) -> int:
    if not MIN_MAX_SESSION_DURATION <= seconds <= MAX_MAX_SESSION_DURATION:
        raise ValidationError(
            f"max session duration {seconds} must be between {MIN_MAX_SESSION_DURATION} and "
            f"{MAX_MAX_SESSION_DURATION} seconds (1 to 12 hours)"
        )
    return seconds


# roleDescriptionType: tab, LF, CR, printable ASCII and U+00A1-U+00FF (no DEL, no C1 controls).
_DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$")


def _check_description(text: str | None) -> str | None:
    if text is not None and len(text) > DESCRIPTION_LIMIT:
        raise ValidationError(f"description is longer than {DESCRIPTION_LIMIT} characters")
    if text is not None and not _DESCRIPTION.match(text):
        bad = next(c for c in text if not _DESCRIPTION.match(c))
        raise ValidationError(f"description contains the character U+{ord(bad):04X}; a role description may hold "
                              "tab, line feed, carriage return and U+0020-U+007E, U+00A1-U+00FF only")
    return text


def create_role(
    txn: Txn,
    name: str,
    trust_policy: str,
    *,
    path: str = "/",
    description: str | None = None,
    max_session_duration: int = 3600,
    tags: dict[str, str] | None = None,
    permissions_boundary: str | None = None,
    findings: list[Finding] | None = None,
) -> Role:
    """Create a role (AWS CreateRole) with a validated trust policy (its warnings to `findings`,
    see `validate_trust_policy`). EntityAlreadyExists when the name is taken in any case;
    LimitExceeded at the `roles` quota."""
    names.check_name("role", name)
    names.check_path(path)
    _check_description(description)
    _check_duration(max_session_duration)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    validate_trust_policy(trust_policy, findings=findings)
    if txn.exists("role", name):
        raise EntityAlreadyExists(f"Role with name {name} already exists.")
    if permissions_boundary is not None:
        resolve_policy_arn(txn, permissions_boundary)
    check_quota(txn, "roles", txn.count("role"), what="RolesPerAccount")
    from iamctl.core.base.ids import new_unique_id  # lazy: start-up

    role = Role(name=name, role_id=new_unique_id("AROA"), path=path, created=clock.iso(),
                assume_role_policy=trust_policy, description=description,
                max_session_duration=max_session_duration, tags=tags,
                trust_principal_ids=trust.trust_principal_ids(txn, trust_policy))
    txn.put("role", role)
    if permissions_boundary is not None:

        role = set_boundary(txn, "role", name, permissions_boundary)
    return role


# -- trust policy principals ------------------------------------------------------------------
#
# IAM User Guide, "AWS JSON policy elements: Principal" (IAM role and user principals): when a
# trust policy naming a user or role ARN is saved, IAM stores the principal's unique id; the ARN
# is shown while it still names that principal, the id once it no longer does (the principal was
# deleted; a namesake created later is another principal and is not trusted). The ids are kept
# in `Role.trust_principal_ids` (store/trust.py, which the store's upgrade uses too).


def trust_policy_to_evaluate(role: Role) -> str:
    """The trust policy as IAM evaluates it: the users and roles it names by ARN stand for the
    principals they were when it was saved (their unique ids), so a later namesake matches
    nothing and a renamed user still matches."""
    return trust.with_unique_ids(role, lambda arn, unique_id: False)


def trust_policy_to_show(txn: Txn, role: Role) -> str:
    """The trust policy as IAM shows it: the ARN while it names the principal it named when the
    policy was saved, that principal's unique id once it no longer does (deleted, or replaced by
    a namesake). The text as written when every ARN still holds."""
    return trust.with_unique_ids(role, lambda arn, unique_id: trust.principal_unique_id(txn, arn) == unique_id)


def get_role(txn: Txn, name: str) -> Role:
    """The role (AWS GetRole); NoSuchEntity "The role with name X cannot be found."."""
    return txn.require("role", name)


def role_details(txn: Txn, name: str) -> RoleDetails:
    """The role with its ARN and its instance profiles' ARNs (one file plus one per profile)."""
    role = get_role(txn, name)
    arns = [instance_profile_arn(txn, p) for n in role.instance_profiles
            if (p := txn.get("instance-profile", n)) is not None]
    return RoleDetails(role, role_arn(txn, role), arns, trust_policy_to_show(txn, role))


def list_roles(txn: Txn, *, path_prefix: str | None = None, max_items: int | None = None,
               starting_token: str | None = None) -> Page:
    """Roles sorted by name (AWS ListRoles), optionally under a path prefix, paginated."""
    return paginate(txn, "role", path_prefix=path_prefix, max_items=max_items, starting_token=starting_token)


_UNSET: Any = object()


def update_role(txn: Txn, name: str, *, description: str | None = _UNSET, max_session_duration: int | None = None,
                permissions_boundary: str | None = _UNSET) -> Role:
    """Change a role's description, maximum session duration and/or permissions boundary
    (UpdateRole, PutRolePermissionsBoundary; None for the boundary removes it, as
    DeleteRolePermissionsBoundary does). Sessions already issued keep their expiry."""
    role = get_role(txn, name)
    changes: dict[str, Any] = {}
    if description is not _UNSET:
        changes["description"] = _check_description(description)
    if max_session_duration is not None:
        changes["max_session_duration"] = _check_duration(max_session_duration)
    if permissions_boundary is not _UNSET:

        role = set_boundary(txn, "role", role.name, permissions_boundary)
    updated = structs.replace(role, **changes)
    txn.put("role", updated)
    return updated


def update_trust_policy(txn: Txn, name: str, trust_policy: str, *, findings: list[Finding] | None = None) -> Role:
    """Replace a role's trust policy (UpdateAssumeRolePolicy), validated as a trust policy (its
    warnings to `findings`); the users and roles it names are bound to their unique ids now
    (`trust_principal_ids`)."""
    role = get_role(txn, name)
    validate_trust_policy(trust_policy, findings=findings)
    updated = structs.replace(role, assume_role_policy=trust_policy,
                              trust_principal_ids=trust.trust_principal_ids(txn, trust_policy))
    txn.put("role", updated)
    return updated


def delete_role(txn: Txn, name: str, *, force: bool = False) -> Role:
    """Delete a role (AWS DeleteRole). Without `force`, DeleteConflict while it is in an
    instance profile or has inline or attached policies (AWS's order of checking); with
    `force`, remove it from its profiles and drop its policies first, in this transaction.
    Its sessions stop working: they are resolved through the role, which is gone."""

    role = get_role(txn, name)
    if not force:
        conflict = None
        if role.instance_profiles:
            conflict = "must remove roles from instance profile first"
        elif role.inline_policies:
            conflict = "must delete policies first"
        elif role.attached_policies:
            conflict = "must detach all policies first"
        if conflict:
            what = []
            if role.instance_profiles:
                what.append(f"instance profiles {', '.join(role.instance_profiles)}")
            if role.inline_policies:
                what.append(f"inline policies {', '.join(sorted(role.inline_policies))}")
            if role.attached_policies:
                what.append(f"attached policies {', '.join(role.attached_policies)}")
            raise DeleteConflict(f"Cannot delete entity, {conflict}. Role {role.name} still has "
                                 f"{'; '.join(what)}.")
    for profile_name in role.instance_profiles:
        profile = txn.get("instance-profile", profile_name)
        if profile is not None:
            kept = [r for r in profile.roles if r.lower() != role.name.lower()]
            txn.put("instance-profile", structs.replace(profile, roles=kept))
    detach_all(txn, "role", role.name)
    set_boundary(txn, "role", role.name, None)  # a boundary does not block DeleteRole
    txn.delete("role", role.name)
    return role


def tag_role(txn: Txn, name: str, tags: dict[str, str]) -> Role:
    """Add or overwrite tags (AWS TagRole); at most `tags_per_entity` (50) in all."""
    role = get_role(txn, name)
    if not tags:
        raise InvalidInput("give at least one tag")
    limit = txn.account.quotas.tags_per_entity
    names.check_tags(tags, limit=limit)
    updated = structs.replace(role, tags=names.check_tags(tag_list(role.tags, tags), limit=limit))
    txn.put("role", updated)
    return updated


def untag_role(txn: Txn, name: str, keys: list[str]) -> Role:
    """Remove tags by key, without regard to case (AWS UntagRole; absent keys are ignored)."""
    role = get_role(txn, name)
    if not keys:
        raise InvalidInput("give at least one tag key to remove")
    drop = {k.lower() for k in keys}
    updated = structs.replace(role, tags={k: v for k, v in role.tags.items() if k.lower() not in drop})
    txn.put("role", updated)
    return updated


# -- instance profiles ---------------------------------------------------------------------------
















# -- identity providers --------------------------------------------------------------------------


























