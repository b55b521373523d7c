"""IAM roles, their trust policies, instance profiles and identity providers.

AWS semantics, from the IAM API Reference (CreateRole, GetRole, ListRoles, UpdateRole,
UpdateAssumeRolePolicy, DeleteRole, TagRole, CreateInstanceProfile, AddRoleToInstanceProfile,
CreateOpenIDConnectProvider, CreateSAMLProvider) and the User Guide ("IAM and AWS STS quotas",
"Role terms and concepts", "Creating a role for OpenID Connect federation"):

* a role's trust policy is a resource policy on the role: it needs a `Principal`, has no
  `Resource`, and grants only the STS actions that use a role (sts:AssumeRole,
  sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity);
  at most 2,048 characters, whitespace not counted (AWS's default "role trust policy length");
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

import hashlib
import json
import re
from typing import Any

from msgspec import Struct, structs

from . import clock, names
from .account import check_quota
from .errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from .model import InstanceProfile, OidcProvider, Role, SamlProvider
from .store import Txn, file_key
from .users import Page, paginate, resolve_policy_arn, tag_list

MIN_MAX_SESSION_DURATION = 3600
MAX_MAX_SESSION_DURATION = 43200
DESCRIPTION_LIMIT = 1000
TRUST_POLICY_SIZE = 2048  # "IAM and AWS STS quotas": role trust policy length (default)
TRUST_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
)
_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")
_SAML_NAME = re.compile(r"^[\w._-]{1,128}$")
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")
_CONDITION = re.compile(r"^(?:(?P<op>[A-Za-z]+)\s+)?(?P<key>[^=\s]+)=(?P<value>.*)$", re.S)


class RoleDetails(Struct, frozen=True):
    """Everything `role show` prints: the role, its ARN and its instance profiles' ARNs."""

    role: Role
    arn: str
    instance_profile_arns: list[str]


# -- trust policies ------------------------------------------------------------------------------


def role_arn(txn: Txn, role: Role) -> str:
    """`arn:aws:iam::ACCOUNT:role{path}{name}`."""
    return names.arn(txn.account_id, "role", role.path, role.name)


def _action_allowed_in_trust(pattern: str) -> bool:
    # A pattern is acceptable when everything it can match is a role-using STS action:
    # "sts:AssumeRole*" is, "sts:*" (which matches sts:GetCallerIdentity too) is not.
    from .policy.match import glob_regex

    if not pattern.lower().startswith("sts:"):
        return False
    regex = glob_regex(pattern.lower(), arn=False)
    if not any(regex.fullmatch(a.lower()) for a in TRUST_ACTIONS):
        return False
    if "*" in pattern or "?" in pattern:
        # Any other STS action it would match makes it too broad.
        others = ("sts:getcalleridentity", "sts:getsessiontoken", "sts:getfederationtoken",
                  "sts:decodeauthorizationmessage", "sts:getaccesskeyinfo", "sts:getservicebearertoken")
        return not any(regex.fullmatch(o) for o in others)
    return any(pattern.lower() == a.lower() for a in TRUST_ACTIONS)


def validate_trust_policy(text: str) -> str:
    """Check a role trust policy on its way in; return the text unchanged.

    The policy grammar for kind "trust" (Principal required, no Resource), then AWS's extra
    rules for trust policies: Action (not NotAction) naming only the STS actions that use a
    role, and at most 2,048 characters not counting whitespace. MalformedPolicyDocument names
    the statement at fault.
    """
    from .policies import document_size, validate_document

    validate_document(text, kind="trust")
    size = document_size(text)
    if size > TRUST_POLICY_SIZE:
        raise LimitExceeded(
            f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE} (the trust policy has {size} "
            "characters, not counting whitespace)."
        )
    doc = json.loads(text)
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    for i, st in enumerate(statements):
        where = f"statement #{i + 1}" + (f' (Sid "{st["Sid"]}")' if "Sid" in st else "")
        if "NotAction" in st:
            raise MalformedPolicyDocument(f"{where}: a trust policy names its actions with Action, not NotAction")
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        for action in actions:
            if not _action_allowed_in_trust(action):
                raise MalformedPolicyDocument(
                    f"{where}: AssumeRolepolicy contained an invalid action: {action!r} (a trust policy "
                    f"may grant only {', '.join(TRUST_ACTIONS)})"
                )
    return text


def parse_condition(text: str) -> tuple[str, str, str]:
    """`[OPERATOR ]KEY=VALUE` from a command line → (operator, key, value); the operator
    defaults to StringEquals, e.g. "StringLike token.actions.githubusercontent.com:sub=repo:o/r:*"."""
    m = _CONDITION.match(text.strip())
    if m is None or not m.group("key"):
        raise InvalidInput(f"condition {text!r} must be written [OPERATOR ]KEY=VALUE, e.g. "
                           "'StringLike token.actions.githubusercontent.com:sub=repo:org/repo:*'")
    return m.group("op") or "StringEquals", m.group("key"), m.group("value")


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
    conditions: list[str] | None = None,
    require_mfa: bool = False,
    external_id: str | None = None,
) -> str:
    """A trust policy written from the `role create` shorthands, as JSON text.

    One statement per kind of principal: services (sts:AssumeRole), AWS accounts and ARNs
    (sts:AssumeRole, with `require_mfa` → Bool aws:MultiFactorAuthPresent true and
    `external_id` → StringEquals sts:ExternalId), and an OIDC provider of this account
    (sts:AssumeRoleWithWebIdentity). `conditions` ("[OPERATOR ]KEY=VALUE") go on the OIDC
    statement when there is one, else on the AWS statement; a web-identity trust without
    conditions is refused, since it would let every token of that provider in.
    """
    services, accounts, principal_arns = services or [], accounts or [], principal_arns or []
    parsed = [parse_condition(c) for c in conditions or []]
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
        raise InvalidInput("--require-mfa and --external-id apply to AWS principals: give --trust-account or "
                           "--trust-user as well")
    if oidc_provider:
        provider = require_oidc_provider(txn, oidc_provider)
        if not parsed:
            raise InvalidInput(
                f"a trust for {provider.url} needs --condition on its claims (e.g. "
                f"'StringEquals {oidc_identifier(provider.url)}:aud=...'); without one every token the "
                "provider issues could assume the role"
            )
        statements.append({"Effect": "Allow", "Principal": {"Federated": oidc_arn(txn, provider)},
                           "Action": "sts:AssumeRoleWithWebIdentity", "Condition": _condition_block(parsed)})
    elif parsed and not aws:
        raise InvalidInput("--condition needs --trust-oidc, --trust-account or --trust-user")
    if not statements:
        raise InvalidInput("give a trust policy (--trust-policy FILE) or at least one of --trust-service, "
                           "--trust-account, --trust-user, --trust-oidc")
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
) -> Role:
    """Create a role (AWS CreateRole) with a validated trust policy. EntityAlreadyExists when the
    name is taken in any case; LimitExceeded at the `roles` quota."""
    names.check_name("role", name)
    names.check_path(path)
    _check_description(description)
    _check_duration(max_session_duration)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    validate_trust_policy(trust_policy)
    if txn.exists("role", name):
        raise EntityAlreadyExists(f"Role with name {name} already exists.")
    if permissions_boundary is not None:
        resolve_policy_arn(txn, permissions_boundary)
    check_quota(txn, "roles", txn.count("role"), what="RolesPerAccount")
    from .credentials import new_unique_id

    role = Role(name=name, role_id=new_unique_id("AROA"), path=path, created=clock.iso(),
                assume_role_policy=trust_policy, description=description,
                max_session_duration=max_session_duration, tags=tags)
    txn.put("role", role)
    if permissions_boundary is not None:
        from .policies import set_boundary

        role = set_boundary(txn, "role", name, permissions_boundary)
    return role


def get_role(txn: Txn, name: str) -> Role:
    """The role (AWS GetRole); NoSuchEntity "The role with name X cannot be found."."""
    return txn.require("role", name)


def role_details(txn: Txn, name: str) -> RoleDetails:
    """The role with its ARN and its instance profiles' ARNs (one file plus one per profile)."""
    role = get_role(txn, name)
    arns = [instance_profile_arn(txn, p) for n in role.instance_profiles
            if (p := txn.get("instance-profile", n)) is not None]
    return RoleDetails(role, role_arn(txn, role), arns)


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
        from .policies import set_boundary

        role = set_boundary(txn, "role", role.name, permissions_boundary)
    updated = structs.replace(role, **changes)
    txn.put("role", updated)
    return updated


def update_trust_policy(txn: Txn, name: str, trust_policy: str) -> Role:
    """Replace a role's trust policy (UpdateAssumeRolePolicy), validated as a trust policy."""
    role = get_role(txn, name)
    validate_trust_policy(trust_policy)
    updated = structs.replace(role, assume_role_policy=trust_policy)
    txn.put("role", updated)
    return updated


def delete_role(txn: Txn, name: str, *, force: bool = False) -> Role:
    """Delete a role (AWS DeleteRole). Without `force`, DeleteConflict while it is in an
    instance profile or has inline or attached policies (AWS's order of checking); with
    `force`, remove it from its profiles and drop its policies first, in this transaction.
    Its sessions stop working: they are resolved through the role, which is gone."""
    from .policies import detach_all, set_boundary

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
                                 f"{'; '.join(what)} (use --force to remove them with the role).")
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
        raise InvalidInput("give at least one tag, as KEY=VALUE")
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
    from .credentials import new_unique_id

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
    role = get_role(txn, role_name)
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


# -- identity providers --------------------------------------------------------------------------


def oidc_identifier(url: str) -> str:
    """The provider's URL without `https://` and without a trailing `/`: the part of its ARN
    and of its condition keys (`token.actions.githubusercontent.com:sub`)."""
    return url.removeprefix("https://").rstrip("/")


def _oidc_key(url: str) -> str:
    ident = oidc_identifier(url).lower().replace("/", "+")
    try:
        if len(ident) <= 128:
            return file_key(ident)
    except InvalidInput:
        pass
    return "sha256-" + hashlib.sha256(ident.encode()).hexdigest()[:40]


def oidc_arn(txn: Txn, provider: OidcProvider) -> str:
    """arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH."""
    return f"arn:aws:iam::{txn.account_id}:oidc-provider/{oidc_identifier(provider.url)}"


def find_oidc_provider(txn: Txn, ref: str) -> OidcProvider | None:
    """An OIDC provider by ARN, URL, or URL without https:// (as in a token's `iss`)."""
    if ref.startswith("arn:"):
        head, _, ident = ref.partition(":oidc-provider/")
        if not ident or head.split(":")[4:5] != [txn.account_id]:
            return None
        ref = ident
    return txn.get("oidc-provider", _oidc_key("https://" + oidc_identifier(ref)))


def require_oidc_provider(txn: Txn, ref: str) -> OidcProvider:
    """Like `find_oidc_provider`, NoSuchEntity with AWS's wording when there is none."""
    found = find_oidc_provider(txn, ref)
    if found is None:
        raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {_as_arn(txn, ref)}")
    return found


def _as_arn(txn: Txn, ref: str) -> str:
    return ref if ref.startswith("arn:") else f"arn:aws:iam::{txn.account_id}:oidc-provider/{oidc_identifier(ref)}"


def check_jwks(text: str) -> str:
    """A JWKS document: JSON with a non-empty `keys` list of public keys (each with `kty`)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"JWKS is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    keys = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) and "kty" in k for k in keys):
        raise InvalidInput('JWKS must be a JSON object with a non-empty "keys" list of keys, each with "kty"')
    if any("d" in k for k in keys):
        raise InvalidInput("JWKS holds a private key (it has a \"d\" member): register the public keys only")
    return text


def create_oidc_provider(txn: Txn, url: str, client_ids: list[str], *, thumbprints: list[str] | None = None,
                         jwks: str | None = None, tags: dict[str, str] | None = None) -> OidcProvider:
    """Register an OpenID Connect provider (CreateOpenIDConnectProvider).

    `url` must begin with https:// and be at most 255 characters, with no query or fragment;
    1-100 client ids (audiences) of 1-255 characters; 0-5 thumbprints of 40 hex digits. `jwks`
    (the provider's public keys) lets `assume-web-identity` verify token signatures offline.
    """
    thumbprints = list(thumbprints or [])
    if not url.startswith("https://") or len(url) > 255 or len(url) <= len("https://") or any(
            c in url for c in "?#"):
        raise ValidationError(f"provider URL {url!r} must begin with https://, be at most 255 characters "
                              "and have no query or fragment")
    if not 1 <= len(client_ids) <= 100 or not all(1 <= len(c) <= 255 for c in client_ids):
        raise ValidationError("give 1 to 100 client ids (audiences), each 1 to 255 characters")
    if len(thumbprints) > 5 or not all(_THUMBPRINT.match(t) for t in thumbprints):
        raise ValidationError("give at most 5 thumbprints, each 40 hexadecimal digits (a SHA-1 fingerprint)")
    if jwks is not None:
        check_jwks(jwks)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    key = _oidc_key(url)
    if txn.exists("oidc-provider", key):
        raise EntityAlreadyExists(f"Provider with url {url} already exists.")
    check_quota(txn, "oidc_providers", txn.count("oidc-provider"), what="OpenIdConnectProvidersPerAccount")
    provider = OidcProvider(key=key, url=url.rstrip("/"), created=clock.iso(), client_ids=list(client_ids),
                            thumbprints=[t.lower() for t in thumbprints], jwks=jwks, tags=tags)
    txn.put("oidc-provider", provider)
    return provider


def saml_arn(txn: Txn, provider: SamlProvider) -> str:
    """arn:aws:iam::ACCOUNT:saml-provider/NAME."""
    return f"arn:aws:iam::{txn.account_id}:saml-provider/{provider.name}"


def _saml_valid_until(metadata: str) -> str | None:
    import xml.etree.ElementTree as ET  # noqa: S405  # expat ≥ 2.4.1 refuses entity expansion bombs

    try:
        root = ET.fromstring(metadata)  # noqa: S314  # see above; no external entities are fetched
    except ET.ParseError as e:
        raise InvalidInput(f"SAML metadata is not well-formed XML: {e}") from None
    if not root.tag.endswith("}EntityDescriptor") and root.tag != "EntityDescriptor":
        raise InvalidInput("SAML metadata must be an md:EntityDescriptor document (the IdP's metadata)")
    until = root.get("validUntil")
    if until is None:
        return None
    try:
        return clock.iso(clock.parse_instant(until))
    except ValueError:
        raise InvalidInput(f"SAML metadata validUntil {until!r} is not a date and time") from None


def create_saml_provider(txn: Txn, name: str, metadata: str, *,
                         tags: dict[str, str] | None = None) -> SamlProvider:
    """Register a SAML 2.0 provider (CreateSAMLProvider): a name of 1-128 letters, digits and
    . _ -, and the IdP's metadata document (1,000 to 10,000,000 characters of XML)."""
    if not _SAML_NAME.match(name):
        raise ValidationError(f"SAML provider name {name!r} must be 1 to 128 letters, digits and . _ -")
    if not 1000 <= len(metadata) <= 10_000_000:
        raise ValidationError(f"SAML metadata must be 1,000 to 10,000,000 characters, not {len(metadata)}")
    valid_until = _saml_valid_until(metadata)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    if txn.exists("saml-provider", name):
        raise EntityAlreadyExists(f"SAMLProvider {name} already exists.")
    check_quota(txn, "saml_providers", txn.count("saml-provider"), what="SAMLProvidersPerAccount")
    provider = SamlProvider(name=name, created=clock.iso(), metadata=metadata, valid_until=valid_until, tags=tags)
    txn.put("saml-provider", provider)
    return provider


def list_providers(txn: Txn) -> list[tuple[str, OidcProvider | SamlProvider]]:
    """Every OIDC and SAML provider of the account as (ARN, provider), OIDC first."""
    found: list[tuple[str, OidcProvider | SamlProvider]] = [
        (oidc_arn(txn, p), p) for p in txn.list("oidc-provider")]
    found += [(saml_arn(txn, p), p) for p in txn.list("saml-provider")]
    return found


def delete_provider(txn: Txn, ref: str) -> str:
    """Delete an OIDC provider (by ARN or URL) or a SAML provider (by ARN or name); return its
    ARN. Roles that trust it keep their trust policies, as in AWS, but no token of it is
    accepted any more."""
    if ":saml-provider/" in ref or (not ref.startswith("arn:") and _SAML_NAME.match(ref)
                                    and txn.exists("saml-provider", ref)):
        name = ref.rsplit("/", 1)[-1]
        provider = txn.get("saml-provider", name)
        if provider is None:
            raise NoSuchEntity(f"SAMLProvider {ref} not found.")
        txn.delete("saml-provider", provider.name)
        return saml_arn(txn, provider)
    oidc = require_oidc_provider(txn, ref)
    txn.delete("oidc-provider", oidc.key)
    return oidc_arn(txn, oidc)
