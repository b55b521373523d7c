"""The organization as a decision reads it: the path from the root to an account, the
policies attached to each target, the AWS managed SCP and RCP. Apart from the operations
(organizations.py), so that deciding a request loads only this (see organizations.py for the
rules and records.py for the files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from msgspec import Struct

from iamctl.core.base.errors import AWSOrganizationsNotInUse, StoreError
from iamctl.core.store.records import OrgAccount, Organization, OrgPolicy, OrgRoot, OrgUnit

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
POLICY_TYPES = (SCP, RCP)
# `--type scp|rcp` on the command line; AWS's names are accepted too.
TYPE_NAMES = {"scp": SCP, "rcp": RCP, SCP.lower(): SCP, RCP.lower(): RCP}
OrgPolicyKind = Literal["scp", "rcp"]
KIND_OF_TYPE: dict[str, OrgPolicyKind] = {SCP: "scp", RCP: "rcp"}  # the policy engine's kinds
ROOT, OU, ACCOUNT = "ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"

MAX_DEPTH = 5  # OU levels under the root (Quotas for AWS Organizations)

FULL_AWS_ACCESS = "p-FullAWSAccess"
RCP_FULL_AWS_ACCESS = "p-RCPFullAWSAccess"
# The AWS managed policies, as AWS shows them (DescribePolicy): not stored, not editable.
AWS_MANAGED = {
    FULL_AWS_ACCESS: OrgPolicy(
        id=FULL_AWS_ACCESS, name="FullAWSAccess", type=SCP, description="Allows access to every operation",
        content='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
                '      "Action": "*",\n      "Resource": "*"\n    }\n  ]\n}',
    ),
    RCP_FULL_AWS_ACCESS: OrgPolicy(
        id=RCP_FULL_AWS_ACCESS, name="RCPFullAWSAccess", type=RCP, description="Allows access to every operation",
        content='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
                '      "Principal": "*",\n      "Action": "*",\n      "Resource": "*"\n    }\n  ]\n}',
    ),
}



def is_account_id(text: str) -> bool:
    """12 ASCII digits (without a regex: this module is on every decision's path)."""
    return len(text) == 12 and text.isascii() and text.isdigit()


class Target(Struct, frozen=True):
    """A root, OU or account: what policies attach to and what the tree is made of."""

    type: str  # ROOT | ORGANIZATIONAL_UNIT | ACCOUNT
    id: str
    name: str
    parent: str | None  # None for the root
    policies: tuple[str, ...]  # ids of the attached policies, RCPFullAWSAccess not included

    @property
    def label(self) -> str:
        """How explanations name a level: `Root (r-ab12)`, `OU Workloads (ou-...)`, `account 1111... (Prod)`."""
        if self.type == ROOT:
            return f"Root {self.name} ({self.id})" if self.name != "Root" else f"Root ({self.id})"
        if self.type == OU:
            return f"OU {self.name} ({self.id})"
        return f"account {self.id}" + (f" ({self.name})" if self.name and self.name != self.id else "")


def find_organization(txn: Txn) -> Organization | None:
    """The directory's organization, or None (one small read)."""
    return txn.get("organization", "organization")


def require_organization(txn: Txn) -> Organization:
    org = find_organization(txn)
    if org is None:
        raise AWSOrganizationsNotInUse(
            "Your account is not a member of an organization. (This directory has no organization: create one "
            "with `iamctl org create`.)"
        )
    return org


def root(txn: Txn, org: Organization | None = None) -> OrgRoot:
    org = org or require_organization(txn)
    found = txn.get("org-root", org.root_id)
    if found is None:
        raise StoreError(f"organization/organization.toml names the root {org.root_id}, whose file "
                         f"organization/roots/{org.root_id}.toml is missing")
    return found


def enabled_types(txn: Txn, org: Organization | None = None) -> tuple[str, ...]:
    return tuple(t for t in POLICY_TYPES if t in root(txn, org).policy_types)


def root_target(r: OrgRoot) -> Target:
    return Target(ROOT, r.id, r.name, None, tuple(r.policies))


def ou_target(ou: OrgUnit) -> Target:
    return Target(OU, ou.id, ou.name, ou.parent, tuple(ou.policies))


def account_target(a: OrgAccount) -> Target:
    return Target(ACCOUNT, a.id, a.name or a.id, a.parent, tuple(a.policies))


def member(txn: Txn, account_id: str) -> OrgAccount | None:
    """The organization's record of a member account, or None (not a member)."""
    if not is_account_id(account_id):
        return None
    return txn.get("org-account", account_id)


def path(txn: Txn, account_id: str, org: Organization | None = None) -> tuple[Target, ...] | None:
    """The targets from the root down to the member account `account_id` (root first, the
    account last), reading only those files; None when the account is not a member."""
    org = org or find_organization(txn)
    if org is None:
        return None
    acct = member(txn, account_id)
    if acct is None:
        return None
    return _down_to(txn, org, account_target(acct), f"account {account_id}")


def _down_to(txn: Txn, org: Organization, target: Target, what: str) -> tuple[Target, ...]:
    """Root, the OUs above `target` and `target` itself, walking its parents up to the root."""
    links = [target]
    seen = {target.id}
    parent = target.parent
    while parent is not None and parent != org.root_id:
        if parent in seen:
            raise StoreError(f"organization/: the parents of {what} form a cycle at {parent} "
                             "(run `iamctl account check`)")
        seen.add(parent)
        ou = txn.get("org-ou", parent) if parent.startswith("ou-") else None
        if ou is None:
            raise StoreError(f"organization/: the parents of {what} name {parent}, which does not exist "
                             "(run `iamctl account check`)")
        links.append(ou_target(ou))
        parent = ou.parent
    links.append(root_target(root(txn, org)))
    return tuple(reversed(links))


def policy(txn: Txn, policy_id: str) -> OrgPolicy | None:
    """A policy by id: AWS managed (built in) or one of the organization's (one read)."""
    if policy_id in AWS_MANAGED:
        return AWS_MANAGED[policy_id]
    if not policy_id.startswith("p-"):
        return None
    found = txn.get("org-policy", policy_id)
    # File keys are lower case; customer policy ids are too, so the id must match as given.
    return found if found is not None and found.id == policy_id else None


def attached(txn: Txn, target: Target, policy_type: str) -> tuple[OrgPolicy, ...]:
    """The policies of `policy_type` attached to `target` (RCPFullAWSAccess first for RCPs)."""
    found = [AWS_MANAGED[RCP_FULL_AWS_ACCESS]] if policy_type == RCP else []
    for pid in target.policies:
        p = policy(txn, pid)
        if p is None:
            raise StoreError(f"organization/: {target.label} lists the policy {pid}, which does not exist "
                             "(run `iamctl account check`)")
        if p.type == policy_type:
            found.append(p)
    return tuple(found)


def entity_path(org: Organization, chain: tuple[Target, ...], *, inclusive: bool = False) -> str:
    """The organization entity path `o-.../r-.../ou-.../` of a chain (root first). Without
    `inclusive` the last target is left out: for an account's chain that is the value of
    aws:PrincipalOrgPaths / aws:ResourceOrgPaths, the path down to the account's parent (IAM User
    Guide, "AWS global condition context keys"); `inclusive` gives an OU's Path or an account's
    Paths as the Organizations API prints them."""
    ids = [t.id for t in (chain if inclusive else chain[:-1])]
    return "/".join([org.id, *ids]) + "/"


def chain(txn: Txn, target_id: str, org: Organization | None = None) -> tuple[Target, ...]:
    """The targets from the root down to an OU or member account (both included)."""
    org = org or require_organization(txn)
    if is_account_id(target_id):
        found = path(txn, target_id, org)
        if found is None:
            raise StoreError(f"organization/: {target_id} is not a member account")
        return found
    ou = txn.get("org-ou", target_id) if target_id.startswith("ou-") else None
    if ou is None:
        raise StoreError(f"organization/: {target_id} is no OU of the organization")
    return _down_to(txn, org, ou_target(ou), f"OU {target_id}")


class Lookup:
    """One transaction's reads of the organization for decisions, each file read once: the
    path of an account and the policies of each type on every level of it."""

    def __init__(self, txn: Txn, org: Organization):
        self.txn = txn
        self.org = org
        self._paths: dict[str, tuple[Target, ...] | None] = {}
        self._levels: dict[tuple[str, str], tuple[tuple[Target, tuple[OrgPolicy, ...]], ...]] = {}
        self._types: tuple[str, ...] | None = None

    def path(self, account_id: str) -> tuple[Target, ...] | None:
        """Root first, the account last; None when the account is not a member."""
        if account_id not in self._paths:
            self._paths[account_id] = path(self.txn, account_id, self.org)
        return self._paths[account_id]

    def enabled(self, policy_type: str) -> bool:
        if self._types is None:
            self._types = enabled_types(self.txn, self.org)
        return policy_type in self._types

    def levels(self, account_id: str, policy_type: str) -> tuple[tuple[Target, tuple[OrgPolicy, ...]], ...]:
        """Each level of a member account's path with the policies of `policy_type` attached there."""
        key = (account_id, policy_type)
        if key not in self._levels:
            self._levels[key] = tuple((t, attached(self.txn, t, policy_type)) for t in self.path(account_id) or ())
        return self._levels[key]

    def org_path(self, account_id: str) -> str | None:
        """The value of aws:PrincipalOrgPaths / aws:ResourceOrgPaths for a member account."""
        found = self.path(account_id)
        return None if found is None else entity_path(self.org, found)
