"""The organization (AWS Organizations) the directory's accounts belong to: its tree, its SCPs
and RCPs and where they are attached, with AWS's rules and AWS's errors.

One organization per directory, stored in `organization/` next to iamctl.toml (records.py says
how). AWS Organizations User Guide and API Reference, as this module follows them:

- "Creating an organization": the creating account is the management account; the root gets
  every policy type of an all-features organization enabled. "SCP evaluation" / "RCP
  evaluation": AWS attaches `FullAWSAccess` (SCP) and `RCPFullAWSAccess` (RCP) to the root, and
  to every OU and account, when the type is enabled; a new OU or member account gets them too.
  `RCPFullAWSAccess` can never be detached (InvalidInputException, NON_DETACHABLE_POLICY), so it
  is implied on every target rather than stored; every root, OU and account keeps at least one
  SCP (DetachPolicy: ConstraintViolationException, MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED).
- "Quotas for AWS Organizations": a policy document of at most 5,120 characters (every
  character counts: the CLI and API store a policy exactly as given), at most 5 SCPs and 5 RCPs
  attached to one root, OU or account (RCPFullAWSAccess counts), OUs nested at most five levels
  under the root, at most 2,000 OUs, 10,000 SCPs and 1,000 RCPs in an organization.
- API Reference (botocore's model): ids `o-` + 10-32, `r-` + 4-32, `ou-<root>-` + 8-32 lower-case
  letters or digits, `p-` + 8-128 letters, digits or `_`, account ids 12 digits; names (OU,
  policy) 1-128 characters, descriptions at most 512.

Accounts are members explicitly: `create_organization` makes every account already in the
directory a member under the root, and an account added to the directory later stays outside
until `add_account` (AWS's invitation, accepted), so one directory can hold both the
organization and an outside account to test data perimeters against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from msgspec import Struct, structs

from iamctl.core.base import clock, ids
from iamctl.core.base.errors import (
    AccountNotFound,
    AlreadyInOrganization,
    ChildNotFound,
    DestinationParentNotFound,
    DuplicateAccount,
    DuplicateOrganizationalUnit,
    DuplicatePolicy,
    DuplicatePolicyAttachment,
    MalformedOrgPolicyDocument,
    MalformedPolicyDocument,
    MasterCannotLeaveOrganization,
    OrganizationalUnitNotEmpty,
    OrganizationalUnitNotFound,
    OrganizationNotEmpty,
    OrgConstraintViolation,
    OrgInvalidInput,
    ParentNotFound,
    PolicyInUse,
    PolicyNotAttached,
    PolicyNotFound,
    PolicyTypeNotAvailable,
    PolicyTypeNotEnabled,
    StoreError,
    TargetNotFound,
)
from iamctl.core.identities.org_lookup import (
    ACCOUNT,
    AWS_MANAGED,
    FULL_AWS_ACCESS,
    KIND_OF_TYPE,
    MAX_DEPTH,
    OU,
    POLICY_TYPES,
    RCP,
    RCP_FULL_AWS_ACCESS,
    ROOT,
    SCP,
    TYPE_NAMES,
    Target,
    account_target,
    attached,
    enabled_types,
    find_organization,
    member,
    ou_target,
    path,
    policy,
    require_organization,
    root,
    root_target,
)
from iamctl.core.store.records import OrgAccount, Organization, OrgPolicy, OrgRoot, OrgUnit

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

FEATURE_SETS = ("ALL", "CONSOLIDATED_BILLING")

POLICY_SIZE = 5120
MAX_ATTACHED = 5  # of each type, per root, OU or account
MAX_OUS = 2000
MAX_POLICIES = {SCP: 10000, RCP: 1000}
NAME_LIMIT = 128
DESCRIPTION_LIMIT = 512

ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
POLICY_ID = re.compile(r"^p-[0-9a-zA-Z_]{8,128}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


class Level(Struct, frozen=True):
    """One level of the path root -> OUs -> account, with the policies of one type attached there."""

    target: Target
    policies: tuple[OrgPolicy, ...]


class Effective(Struct, frozen=True):
    """Every SCP and RCP that applies to an account, level by level (root first)."""

    account: str
    organization: Organization
    path: tuple[Target, ...]
    management: bool  # the management account: exempt from SCPs and RCPs
    scps: tuple[Level, ...]  # empty when the policy type is not enabled
    rcps: tuple[Level, ...]


# -- reading ---------------------------------------------------------------------------------------


def effective(txn: Txn, account_id: str) -> Effective:
    """Every SCP and RCP that applies to a member account, level by level (`org effective`)."""
    org = require_organization(txn)
    require_member(txn, account_id)
    chain = path(txn, account_id, org) or ()
    types = enabled_types(txn, org)
    levels = {t: tuple(Level(target, attached(txn, target, t)) for target in chain) if t in types else ()
              for t in POLICY_TYPES}
    return Effective(account_id, org, chain, account_id == org.management_account, levels[SCP], levels[RCP])


def ous(txn: Txn) -> list[OrgUnit]:
    return txn.list("org-ou")


def members(txn: Txn) -> list[OrgAccount]:
    return txn.list("org-account")


def customer_policies(txn: Txn) -> list[OrgPolicy]:
    return txn.list("org-policy")


def all_policies(txn: Txn, policy_type: str | None = None) -> list[OrgPolicy]:
    """AWS managed and customer policies (of one type), AWS's first (ListPolicies)."""
    found = [p for p in AWS_MANAGED.values()] + sorted(customer_policies(txn), key=lambda p: (p.name, p.id))
    enabled = enabled_types(txn)
    return [p for p in found if (policy_type is None or p.type == policy_type)
            and (p.id not in AWS_MANAGED or p.type in enabled)]


def children(txn: Txn, parent_id: str) -> tuple[list[OrgUnit], list[OrgAccount]]:
    """The OUs and accounts directly under a root or OU (reads every OU and member)."""
    return ([o for o in ous(txn) if o.parent == parent_id], [a for a in members(txn) if a.parent == parent_id])


def targets(txn: Txn) -> Iterator[Target]:
    """Every root, OU and member account."""
    yield root_target(root(txn))
    for ou in ous(txn):
        yield ou_target(ou)
    for acct in members(txn):
        yield account_target(acct)


def targets_for_policy(txn: Txn, p: OrgPolicy) -> list[Target]:
    """Where a policy is attached (ListTargetsForPolicy): RCPFullAWSAccess is everywhere."""
    if p.id == RCP_FULL_AWS_ACCESS:
        return list(targets(txn)) if RCP in enabled_types(txn) else []
    return [t for t in targets(txn) if p.id in t.policies]


def arn(org: Organization, target_type: str, target_id: str) -> str:
    """The Organizations ARN of the root, an OU or a member account."""
    kind = {ROOT: "root", OU: "ou", ACCOUNT: "account"}[target_type]
    return f"arn:aws:organizations::{org.management_account}:{kind}/{org.id}/{target_id}"


def organization_arn(org: Organization) -> str:
    return f"arn:aws:organizations::{org.management_account}:organization/{org.id}"


def policy_arn(org: Organization, p: OrgPolicy) -> str:
    kind = p.type.lower()
    if p.id in AWS_MANAGED:
        return f"arn:aws:organizations::aws:policy/{kind}/{p.id}"
    return f"arn:aws:organizations::{org.management_account}:policy/{org.id}/{kind}/{p.id}"


def depth(txn: Txn, parent_id: str, org: Organization) -> int:
    """How many OU levels deep a child of `parent_id` would be (1 directly under the root)."""
    level = 1
    current = parent_id
    while current != org.root_id:
        ou = txn.get("org-ou", current)
        if ou is None or level > MAX_DEPTH + 1:
            raise StoreError(f"organization/: the parents of {parent_id} do not lead to the root "
                             "(run `iamctl account check`)")
        current = ou.parent
        level += 1
    return level


# -- resolving what the user typed -----------------------------------------------------------------


def policy_type(text: str) -> str:
    """`scp`, `rcp` (or AWS's SERVICE_CONTROL_POLICY / RESOURCE_CONTROL_POLICY)."""
    found = TYPE_NAMES.get(text.lower())
    if found is None:
        raise OrgInvalidInput(f"policy type {text!r} is not scp or rcp (SERVICE_CONTROL_POLICY, "
                              "RESOURCE_CONTROL_POLICY)", reason="INVALID_ENUM_POLICY_TYPE")
    return found


def _ou_by_name(txn: Txn, name: str) -> OrgUnit | None:
    found = [o for o in ous(txn) if o.name == name] or [o for o in ous(txn) if o.name.lower() == name.lower()]
    if len(found) > 1:
        raise OrgInvalidInput(f"{len(found)} OUs are named {name!r} ({', '.join(sorted(o.id for o in found))}); "
                              "give the OU's id")
    return found[0] if found else None


def resolve_target(txn: Txn, spec: str, *, error: type = TargetNotFound) -> Target:
    """A target as the user names it: `root` (or the root's name or id), an OU name or id
    (ou-...), or a member account id."""
    org = require_organization(txn)
    r = root(txn, org)
    if spec.lower() == "root" or spec in (r.id, r.name):
        return root_target(r)
    if ACCOUNT_ID.match(spec):
        acct = member(txn, spec)
        if acct is None:
            raise error(f"We can't find an account with the id {spec} in the organization {org.id} (add an "
                        "account of the directory with `iamctl org account add`).")
        return account_target(acct)
    if OU_ID.match(spec):
        ou = txn.get("org-ou", spec)
    else:
        ou = _ou_by_name(txn, spec)
    if ou is None:
        raise error(f"We can't find a root, OU or account named {spec!r} in the organization {org.id}.")
    return ou_target(ou)


def resolve_parent(txn: Txn, spec: str, *, error: type = ParentNotFound) -> Target:
    """A root or OU (where OUs and accounts live)."""
    found = resolve_target(txn, spec, error=error)
    if found.type == ACCOUNT:
        raise error(f"{spec} is an account; a parent is the root or an OU")
    return found


def resolve_ou(txn: Txn, spec: str) -> OrgUnit:
    require_organization(txn)
    ou = txn.get("org-ou", spec) if OU_ID.match(spec) else _ou_by_name(txn, spec)
    if ou is None:
        raise OrganizationalUnitNotFound(f"We can't find an OU with the name or id {spec!r}.")
    return ou


def resolve_policy(txn: Txn, spec: str, *, policy_type: str | None = None) -> OrgPolicy:
    """A policy by id (p-...) or name (with `policy_type` when two types share a name)."""
    require_organization(txn)
    if POLICY_ID.match(spec):
        found = policy(txn, spec)
        if found is not None:
            return found
    matches = [p for p in all_policies(txn, policy_type) if p.name == spec]
    if len(matches) > 1:
        raise OrgInvalidInput(f"an SCP and an RCP are both named {spec!r}: say which type, or give the policy id "
                              f"({', '.join(p.id for p in matches)})")
    if not matches:
        raise PolicyNotFound(f"We can't find a policy with the name or id {spec!r}.")
    return matches[0]


# -- checks ----------------------------------------------------------------------------------------


def _new_id(prefix: str, length: int, exists: Callable[[str], bool]) -> str:
    while True:
        candidate = ids.new_organizations_id(prefix, length)
        if not exists(candidate):
            return candidate


def check_name(name: str, *, what: str) -> str:
    """OU and policy names: 1-128 characters of the ASCII range (API Reference, Name)."""
    if not name:
        raise OrgInvalidInput(f"{what} name must not be empty", reason="MIN_LENGTH_EXCEEDED")
    if len(name) > NAME_LIMIT:
        raise OrgInvalidInput(f"{what} name {name[:40]!r}... is longer than {NAME_LIMIT} characters",
                              reason="MAX_LENGTH_EXCEEDED")
    if not all(" " <= c <= "~" for c in name):
        raise OrgInvalidInput(f"{what} name {name!r} may contain only printable ASCII characters",
                              reason="INVALID_PATTERN")
    return name


def check_description(text: str) -> str:
    if len(text) > DESCRIPTION_LIMIT:
        raise OrgInvalidInput(f"the description is longer than {DESCRIPTION_LIMIT} characters",
                              reason="MAX_LENGTH_EXCEEDED")
    return text


def check_content(text: str, policy_type: str) -> str:
    """A document for an SCP or RCP: at most 5,120 characters (all of them, whitespace too), and
    the policy grammar of its type (MalformedPolicyDocumentException)."""
    if len(text) > POLICY_SIZE:
        raise OrgConstraintViolation(
            f"You attempted to create a policy that is larger than the maximum size: {len(text)} characters, "
            f"at most {POLICY_SIZE} (every character counts, whitespace too)",
            reason="POLICY_CONTENT_LIMIT_EXCEEDED")
    from iamctl.core.engine.parse import parse_policy  # lazy: the policy engine
    from iamctl.core.engine.validate import validate_policy  # lazy: the policy engine

    kind = KIND_OF_TYPE[policy_type]
    try:
        parse_policy(text, kind=kind)
    except MalformedPolicyDocument as e:
        raise MalformedOrgPolicyDocument(f"the document is not a valid {kind.upper()}: {e.message}") from None
    # The catalogue-free ERROR checks of `policy validate --policy-type scp|rcp` too.
    errors = [f for f in validate_policy(text, policy_type=kind, catalogue=False) if f.type == "ERROR"]
    if errors:
        f = errors[0]
        raise MalformedOrgPolicyDocument(f"{f.message} ({f.code} at {f.path}, line {f.line}, column {f.column})")
    return text


def check_account_id(account_id: str) -> str:
    if not ACCOUNT_ID.match(account_id):
        raise OrgInvalidInput(f"account id {account_id!r} is not 12 digits", reason="INVALID_PATTERN")
    return account_id


def _writable_policy(p: OrgPolicy) -> OrgPolicy:
    if p.id in AWS_MANAGED:
        raise OrgInvalidInput(f"{p.name} ({p.id}) is managed by AWS and can't be modified",
                              reason="IMMUTABLE_POLICY")
    return p


# -- the organization ------------------------------------------------------------------------------


def create_organization(txn: Txn, management_account: str | None = None, *, feature_set: str = "ALL",
                        email: str | None = None) -> Organization:
    """Create the organization with `management_account` (default: the selected account) as its
    management account. Every account already in the directory becomes a member under the root;
    the root gets SCPs and RCPs enabled (all features) with FullAWSAccess attached, as AWS does."""
    if find_organization(txn) is not None:
        raise AlreadyInOrganization("This directory already has an organization (one per directory).")
    if feature_set not in FEATURE_SETS:
        raise OrgInvalidInput(f"feature set {feature_set!r} is not ALL or CONSOLIDATED_BILLING", reason="INVALID_ENUM")
    management = check_account_id(management_account or txn.account_id)
    if email is not None and not _EMAIL.match(email):
        raise OrgInvalidInput(f"{email!r} is not an email address", reason="INVALID_EMAIL_ADDRESS_TARGET")
    types = list(POLICY_TYPES) if feature_set == "ALL" else []
    org = Organization(key="organization", id=_new_id("o-", 10, lambda _: False), management_account=management,
                       root_id=_new_id("r-", 4, lambda _: False), created=clock.iso(), feature_set=feature_set,
                       management_email=email)
    txn.put("organization", org)
    txn.put("org-root", OrgRoot(id=org.root_id, policy_types=types, policies=_defaults(types)))
    now = clock.iso()
    for account_id in sorted({*txn.account_ids(), management}):
        txn.put("org-account", OrgAccount(id=account_id, parent=org.root_id, joined=now, policies=_defaults(types),
                                          joined_method="INVITED", email=email if account_id == management else None))
    return org


def _defaults(types: list[str] | tuple[str, ...]) -> list[str]:
    """What AWS attaches to a new root, OU or member account: FullAWSAccess, when SCPs are
    enabled (RCPFullAWSAccess is implied, never stored)."""
    return [FULL_AWS_ACCESS] if SCP in types else []


def delete_organization(txn: Txn) -> Organization:
    """Delete the organization: refused (OrganizationNotEmptyException) while it has OUs,
    customer policies or members other than the management account."""
    org = require_organization(txn)
    others = [a.id for a in members(txn) if a.id != org.management_account]
    if ous(txn) or customer_policies(txn) or others:
        raise OrganizationNotEmpty(
            "The organization isn't empty: remove its member accounts (`org account remove`), OUs and policies "
            f"first ({len(others)} other member account(s), {len(ous(txn))} OU(s), "
            f"{len(customer_policies(txn))} policy(ies)).")
    for acct in members(txn):
        txn.delete("org-account", acct.id)
    txn.delete("org-root", org.root_id)
    txn.delete("organization", "organization")
    return org


# -- accounts --------------------------------------------------------------------------------------


def add_account(txn: Txn, account_id: str, *, name: str | None = None, email: str | None = None,
                parent: str | None = None) -> OrgAccount:
    """Make an account a member (AWS's invitation, accepted), under the root or `parent`, with
    FullAWSAccess attached."""
    org = require_organization(txn)
    check_account_id(account_id)
    if member(txn, account_id) is not None:
        raise DuplicateAccount(f"The account {account_id} is already a member of the organization {org.id}.")
    if name is not None:
        check_name(name, what="account")
    if email is not None and not _EMAIL.match(email):
        raise OrgInvalidInput(f"{email!r} is not an email address", reason="INVALID_EMAIL_ADDRESS_TARGET")
    where = resolve_parent(txn, parent, error=ParentNotFound) if parent else root_target(root(txn, org))
    acct = OrgAccount(id=account_id, parent=where.id, joined=clock.iso(), joined_method="INVITED",
                      policies=_defaults(enabled_types(txn, org)), name=name, email=email)
    txn.put("org-account", acct)
    return acct


def require_member(txn: Txn, account_id: str) -> OrgAccount:
    """A member account's record, or AWS's AccountNotFoundException."""
    org = require_organization(txn)
    acct = member(txn, account_id)
    if acct is None:
        raise AccountNotFound(f"We can't find an account with the id {account_id} in the organization {org.id} "
                              "(add it first with `iamctl org account add`).")
    return acct


def remove_account(txn: Txn, account_id: str) -> OrgAccount:
    """Take a member account out of the organization (RemoveAccountFromOrganization): its SCPs
    and RCPs no longer apply. The management account cannot leave."""
    org = require_organization(txn)
    acct = require_member(txn, account_id)
    if account_id == org.management_account:
        raise MasterCannotLeaveOrganization(
            "You can't remove the management account from the organization; delete the organization instead.")
    txn.delete("org-account", account_id)
    return acct


def move_account(txn: Txn, account_id: str, destination: str) -> OrgAccount:
    """Move a member account under another root or OU (MoveAccount)."""
    acct = require_member(txn, account_id)
    where = resolve_parent(txn, destination, error=DestinationParentNotFound)
    if acct.parent == where.id:
        raise DuplicateAccount(f"The account {account_id} is already in {where.label}.")
    moved = structs.replace(acct, parent=where.id)
    txn.put("org-account", moved)
    return moved


# -- OUs -------------------------------------------------------------------------------------------


def create_ou(txn: Txn, name: str, parent: str | None = None) -> OrgUnit:
    """Create an OU under the root (or `parent`), with FullAWSAccess attached as AWS does."""
    org = require_organization(txn)
    check_name(name, what="OU")
    where = resolve_parent(txn, parent) if parent else root_target(root(txn, org))
    siblings, _ = children(txn, where.id)
    if any(o.name == name for o in siblings):
        raise DuplicateOrganizationalUnit(f"An OU named {name!r} already exists in {where.label}.")
    if depth(txn, where.id, org) > MAX_DEPTH:
        raise OrgConstraintViolation(
            f"You attempted to create an OU tree that is too many levels deep: OUs nest at most {MAX_DEPTH} "
            "levels under the root", reason="OU_DEPTH_LIMIT_EXCEEDED")
    if txn.count("org-ou") >= MAX_OUS:
        raise OrgConstraintViolation(f"An organization holds at most {MAX_OUS} OUs.", reason="OU_NUMBER_LIMIT_EXCEEDED")
    suffix = org.root_id.removeprefix("r-")
    ou = OrgUnit(id=_new_id(f"ou-{suffix}-", 8, lambda i: txn.exists("org-ou", i)), name=name, parent=where.id,
                 policies=_defaults(enabled_types(txn, org)))
    txn.put("org-ou", ou)
    return ou


def rename_ou(txn: Txn, spec: str, new_name: str) -> OrgUnit:
    """Rename an OU (UpdateOrganizationalUnit); names are unique among siblings."""
    ou = resolve_ou(txn, spec)
    check_name(new_name, what="OU")
    siblings, _ = children(txn, ou.parent)
    if any(o.name == new_name and o.id != ou.id for o in siblings):
        raise DuplicateOrganizationalUnit(f"An OU named {new_name!r} already exists beside {ou.name}.")
    renamed = structs.replace(ou, name=new_name)
    txn.put("org-ou", renamed)
    return renamed


def delete_ou(txn: Txn, spec: str) -> OrgUnit:
    """Delete an empty OU (no child OUs, no accounts); its attachments go with it."""
    ou = resolve_ou(txn, spec)
    child_ous, accounts = children(txn, ou.id)
    if child_ous or accounts:
        raise OrganizationalUnitNotEmpty(
            f"The OU {ou.name} ({ou.id}) is not empty: move its {len(accounts)} account(s) elsewhere and delete "
            f"its {len(child_ous)} child OU(s) first.")
    txn.delete("org-ou", ou.id)
    return ou


def find_child(txn: Txn, child_id: str) -> Target:
    """An OU or account by id (ListParents' ChildNotFoundException)."""
    if ACCOUNT_ID.match(child_id) and (acct := member(txn, child_id)) is not None:
        return account_target(acct)
    if OU_ID.match(child_id) and (ou := txn.get("org-ou", child_id)) is not None:
        return ou_target(ou)
    raise ChildNotFound(f"We can't find an OU or account with the id {child_id!r}.")


# -- policies --------------------------------------------------------------------------------------


def create_policy(txn: Txn, name: str, policy_type: str, content: str, *, description: str = "") -> OrgPolicy:
    """Create an SCP or RCP (CreatePolicy): name unique within its type, document checked."""
    org = require_organization(txn)
    if org.feature_set != "ALL":
        raise PolicyTypeNotAvailable(f"{policy_type} is not available to an organization with only the "
                                     f"{org.feature_set} features.")
    check_name(name, what="policy")
    check_description(description)
    check_content(content, policy_type)
    existing = [p for p in customer_policies(txn) if p.type == policy_type]
    if name in {p.name for p in existing} | {p.name for p in AWS_MANAGED.values() if p.type == policy_type}:
        raise DuplicatePolicy(f"A policy with the name {name!r} already exists.")
    if len(existing) >= MAX_POLICIES[policy_type]:
        raise OrgConstraintViolation(f"An organization holds at most {MAX_POLICIES[policy_type]} policies of type "
                                     f"{policy_type}.", reason="POLICY_NUMBER_LIMIT_EXCEEDED")
    p = OrgPolicy(id=_new_id("p-", 8, lambda i: txn.exists("org-policy", i)), name=name, type=policy_type,
                  content=content, description=description)
    txn.put("org-policy", p)
    return p


def update_policy(txn: Txn, spec: str, *, policy_type: str | None = None, name: str | None = None,
                  content: str | None = None, description: str | None = None) -> OrgPolicy:
    """Change a policy's name, description or document (UpdatePolicy)."""
    p = _writable_policy(resolve_policy(txn, spec, policy_type=policy_type))
    changes: dict[str, str] = {}
    if name is not None and name != p.name:
        check_name(name, what="policy")
        if any(o.name == name for o in all_policies(txn, p.type)):
            raise DuplicatePolicy(f"A policy with the name {name!r} already exists.")
        changes["name"] = name
    if description is not None:
        changes["description"] = check_description(description)
    if content is not None:
        changes["content"] = check_content(content, p.type)
    updated = structs.replace(p, **changes)
    txn.put("org-policy", updated)
    return updated


def delete_policy(txn: Txn, spec: str, *, policy_type: str | None = None) -> OrgPolicy:
    """Delete a policy that is attached nowhere (PolicyInUseException otherwise)."""
    p = _writable_policy(resolve_policy(txn, spec, policy_type=policy_type))
    where = targets_for_policy(txn, p)
    if where:
        raise PolicyInUse(f"The policy {p.name} ({p.id}) is attached to {len(where)} target(s) "
                          f"({', '.join(t.label for t in where[:3])}); detach it first.")
    txn.delete("org-policy", p.id)
    return p


def _put_target(txn: Txn, target: Target, policies: list[str]) -> None:
    if target.type == ROOT:
        txn.put("org-root", structs.replace(root(txn), policies=policies))
    elif target.type == OU:
        txn.put("org-ou", structs.replace(txn.require("org-ou", target.id), policies=policies))
    else:
        txn.put("org-account", structs.replace(require_member(txn, target.id), policies=policies))


def attach_policy(txn: Txn, spec: str, target_spec: str, *, policy_type: str | None = None) -> tuple[OrgPolicy, Target]:
    """Attach a policy to the root, an OU or a member account (AttachPolicy)."""
    p = resolve_policy(txn, spec, policy_type=policy_type)
    target = resolve_target(txn, target_spec)
    if p.type not in enabled_types(txn):
        raise PolicyTypeNotEnabled(f"The policy type {p.type} isn't enabled in the root.")
    if p.id in target.policies or p.id == RCP_FULL_AWS_ACCESS:
        raise DuplicatePolicyAttachment(f"The policy {p.name} ({p.id}) is already attached to {target.label}.")
    count = len(attached(txn, target, p.type))
    if count >= MAX_ATTACHED:
        raise OrgConstraintViolation(
            f"You attempted to exceed the number of policies of type {p.type} that can be attached to "
            f"{target.label}: at most {MAX_ATTACHED}" + (" (RCPFullAWSAccess counts)" if p.type == RCP else ""),
            reason="MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    _put_target(txn, target, [*target.policies, p.id])
    return p, target


def detach_policy(txn: Txn, spec: str, target_spec: str, *, policy_type: str | None = None) -> tuple[OrgPolicy, Target]:
    """Detach a policy (DetachPolicy): never RCPFullAWSAccess, never a target's last SCP."""
    p = resolve_policy(txn, spec, policy_type=policy_type)
    target = resolve_target(txn, target_spec)
    if p.id == RCP_FULL_AWS_ACCESS:
        raise OrgInvalidInput("You can't detach this AWS managed policy (RCPFullAWSAccess).",
                              reason="NON_DETACHABLE_POLICY")
    if p.id not in target.policies:
        raise PolicyNotAttached(f"The policy {p.name} ({p.id}) isn't attached to {target.label}.")
    if p.type == SCP and len(attached(txn, target, SCP)) <= 1:
        raise OrgConstraintViolation(
            f"You attempted to detach a policy from {target.label} that would leave it with fewer than the minimum "
            "number of policies of type SERVICE_CONTROL_POLICY (every root, OU and account keeps at least one SCP: "
            "attach the replacement first)", reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    _put_target(txn, target, [pid for pid in target.policies if pid != p.id])
    return p, target


# -- consistency (account check) ----------------------------------------------------------------------


def check(txn: Txn) -> list[str]:
    """Every inconsistency of the organization's files: dangling parents and policies, cycles,
    nesting too deep, quotas broken, a target without an SCP. One line each, naming the file."""
    org = find_organization(txn)
    if org is None:
        leftovers = [k for k in ("org-root", "org-ou", "org-account", "org-policy") if txn.keys(k)]
        return [f"organization/: {k.removeprefix('org-')} files exist but organization/organization.toml does not"
                for k in leftovers]
    problems: list[str] = []

    def bad(rel: str, text: str) -> None:
        problems.append(f"organization/{rel}: {text}")

    if not ORG_ID.match(org.id):
        bad("organization.toml", f"id {org.id!r} is not an organization id (o- and 10-32 letters or digits)")
    if not ACCOUNT_ID.match(org.management_account):
        bad("organization.toml", f"management_account {org.management_account!r} is not 12 digits")
    r = txn.get("org-root", org.root_id)
    if r is None:
        bad("organization.toml", f"root {org.root_id} has no file roots/{org.root_id}.toml")
        return problems
    extra_roots = [k for k in txn.keys("org-root") if k != org.root_id.lower()]
    for k in extra_roots:
        bad(f"roots/{k}.toml", f"a second root (the organization's root is {org.root_id}; AWS allows one)")
    for t in r.policy_types:
        if t not in POLICY_TYPES:
            bad(f"roots/{r.id}.toml", f"policy type {t!r} is not {SCP} or {RCP}")
    units = {o.id: o for o in ous(txn)}
    policies = {p.id: p for p in customer_policies(txn)}
    for p in policies.values():
        rel = f"policies/{p.id.lower()}.toml"
        if not POLICY_ID.match(p.id) or p.id in AWS_MANAGED:
            bad(rel, f"id {p.id!r} is not a customer policy id (p- and 8-128 letters, digits or _)")
        if p.type not in POLICY_TYPES:
            bad(rel, f"type {p.type!r} is not {SCP} or {RCP}")
            continue
        if len(p.content) > POLICY_SIZE:
            bad(rel, f"the document has {len(p.content)} characters; AWS allows at most {POLICY_SIZE}")
        try:
            from iamctl.core.engine.parse import parse_policy  # lazy: the policy engine

            parse_policy(p.content, name=p.name, kind=KIND_OF_TYPE[p.type])
        except MalformedPolicyDocument as e:
            bad(rel, f"the document is not a valid {KIND_OF_TYPE[p.type].upper()}: {e.message}")
    names: dict[tuple[str, str], str] = {}
    for p in policies.values():
        if (p.type, p.name) in names:
            bad(f"policies/{p.id.lower()}.toml", f"the name {p.name!r} is also {names[(p.type, p.name)]}'s")
        names[(p.type, p.name)] = p.id

    def check_target(rel: str, t: Target) -> None:
        if len(set(t.policies)) != len(t.policies):
            bad(rel, "a policy is listed twice in policies")
        known = []
        for pid in t.policies:
            found = AWS_MANAGED.get(pid) or policies.get(pid)
            if found is None:
                bad(rel, f"policies lists {pid}, which does not exist")
            elif found.id == RCP_FULL_AWS_ACCESS:
                bad(rel, "policies lists RCPFullAWSAccess, which is attached everywhere and is not stored")
            else:
                known.append(found)
        for ptype in r.policy_types:
            n = sum(1 for p in known if p.type == ptype) + (1 if ptype == RCP else 0)
            if ptype == SCP and n == 0:
                bad(rel, "no SCP is attached (AWS keeps at least one on every root, OU and account)")
            if n > MAX_ATTACHED:
                bad(rel, f"{n} policies of type {ptype} are attached; AWS allows at most {MAX_ATTACHED}")
        for p in known:
            if p.type not in r.policy_types:
                bad(rel, f"{p.name} ({p.id}) is a {p.type}, a type not enabled in the root")

    check_target(f"roots/{r.id}.toml", root_target(r))
    for o in units.values():
        rel = f"ous/{o.id.lower()}.toml"
        if not OU_ID.match(o.id) or not o.id.startswith(f"ou-{org.root_id.removeprefix('r-')}-"):
            bad(rel, f"id {o.id!r} is not an OU id of root {org.root_id} (ou-{org.root_id.removeprefix('r-')}-...)")
        check_target(rel, ou_target(o))
        level, current, seen = 0, o.id, set[str]()
        while current != org.root_id:
            if current in seen:
                bad(rel, f"its parents form a cycle ({' -> '.join(sorted(seen))})")
                break
            seen.add(current)
            parent = units.get(current)
            if parent is None:
                bad(rel, f"parent {current} does not exist")
                break
            level += 1
            current = parent.parent
        else:
            if level > MAX_DEPTH:
                bad(rel, f"nested {level} levels under the root; AWS allows at most {MAX_DEPTH}")
        siblings = [u for u in units.values() if u.parent == o.parent and u.name == o.name and u.id != o.id]
        if siblings:
            bad(rel, f"another OU under {o.parent} is also named {o.name!r}")
    for a in members(txn):
        rel = f"accounts/{a.id}.toml"
        check_target(rel, account_target(a))
        if a.parent != org.root_id and a.parent not in units:
            bad(rel, f"parent {a.parent} does not exist")
    if member(txn, org.management_account) is None:
        bad("organization.toml", f"the management account {org.management_account} is not a member "
                                 f"(accounts/{org.management_account}.toml is missing)")
    return problems


# -- the whole tree (org show, export) ----------------------------------------------------------------


class Node(Struct, frozen=True):
    """A root or OU with what is under it, or a member account (no children)."""

    target: Target
    ous: tuple[Node, ...] = ()
    accounts: tuple[Target, ...] = ()


class Snapshot(Struct, frozen=True):
    """The whole organization, read once: its tree and every policy (AWS managed first)."""

    organization: Organization
    root: OrgRoot
    tree: Node
    policies: tuple[OrgPolicy, ...]

    def targets(self) -> Iterator[Target]:
        """Every root, OU and account, parents before their children."""
        stack = [self.tree]
        while stack:
            node = stack.pop(0)
            yield node.target
            yield from node.accounts
            stack[:0] = list(node.ous)


def snapshot(txn: Txn) -> Snapshot:
    """The organization with its whole tree (reads every file in organization/)."""
    org = require_organization(txn)
    r = root(txn, org)
    units = ous(txn)
    accounts = members(txn)
    by_parent: dict[str, tuple[list[OrgUnit], list[OrgAccount]]] = {}
    for ou in units:
        by_parent.setdefault(ou.parent, ([], []))[0].append(ou)
    for acct in accounts:
        by_parent.setdefault(acct.parent, ([], []))[1].append(acct)

    def node(target: Target, seen: frozenset[str]) -> Node:
        if target.id in seen:  # a hand-edited cycle: stop here (account check names it)
            return Node(target)
        child_ous, child_accounts = by_parent.get(target.id, ([], []))
        return Node(target,
                    tuple(node(ou_target(o), seen | {target.id}) for o in sorted(child_ous, key=lambda o: o.name)),
                    tuple(account_target(a) for a in sorted(child_accounts, key=lambda a: a.id)))

    return Snapshot(org, r, node(root_target(r), frozenset()), tuple(all_policies(txn)))
