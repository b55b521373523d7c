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
  "Resource control policies (RCPs)": RCPs don't affect resources in the management account;
  the engine applies them only to the services AWS lists and not to assuming a service-linked
  role, and adds RCPFullAWSAccess to every level.
- IAM User Guide, "AWS global condition context keys": aws:PrincipalOrgID and
  aws:PrincipalOrgPaths when the caller's account is a member, aws:ResourceOrgID and
  aws:ResourceOrgPaths when the resource's account is, aws:ResourceAccount always. An org path is
  `o-.../r-.../ou-.../` down to the account's parent (a one-element list: the key is multivalued).

Only the files on the path root -> account are read (the organization, the account's record,
its OUs, the root and their policies), once per account per transaction.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct, field

if TYPE_CHECKING:
    from iamctl.core.engine.decision import Level
    from iamctl.core.engine.parse import Policy
    from iamctl.core.engine.request import PrincipalInfo
    from iamctl.core.identities.org_lookup import Lookup
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import Organization

# Callers whose requests SCPs limit: IAM principals of an account (and its root user). Service,
# web-identity, SAML and anonymous callers belong to no account of the organization.
_IAM_CALLERS = frozenset({"User", "AssumedRole", "FederatedUser", "Account"})
# Organizations' policy types (org_lookup.SCP / RCP) and the engine's kind for each.
_SCP, _RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
_KINDS: dict[str, Literal["scp", "rcp"]] = {_SCP: "scp", _RCP: "rcp"}
_RCP_FULL_AWS_ACCESS = "p-RCPFullAWSAccess"  # org_lookup.RCP_FULL_AWS_ACCESS


class Guardrails(Struct, frozen=True):
    """What the organization adds to one request: the policy engine's `Level`s, named after
    their target ("OU Workloads (ou-ab12-34567890)") so that explanations say where it blocked."""

    scps: tuple[Level, ...] | None = None  # None: no SCP applies to this caller
    rcps: tuple[Level, ...] | None = None  # None: no RCP applies to this resource
    context: dict[str, Any] = field(default_factory=dict)


NONE = Guardrails()


@functools.lru_cache(maxsize=1024)
def _parse(name: str, text: str, kind: Literal["scp", "rcp"]) -> Policy:
    """A stored SCP or RCP, parsed once (FullAWSAccess sits on every level). strict=False: a
    stored document is evaluated as AWS's rules give (see principals._parse)."""
    from iamctl.core.engine.parse import parse_policy  # lazy: the engine

    return parse_policy(text, name=name, kind=kind, strict=False)


class OrgView:
    """The organization as decisions see it, read lazily from one transaction: a directory
    without one costs a failed open; with one, only the files on the paths asked for."""

    def __init__(self, txn: Txn):
        self._txn = txn
        self._org: Organization | None | bool = False  # False: not read yet
        self._lookup: Lookup | None = None
        self._levels: dict[tuple[str, str], tuple[Level, ...]] = {}

    @property
    def organization(self) -> Organization | None:
        if self._org is False:
            self._org = self._txn.get("organization", "organization")
        return self._org  # type: ignore[return-value]

    def _reads(self) -> Lookup:
        if self._lookup is None:
            from iamctl.core.identities.org_lookup import (
                Lookup,  # lazy: only directories with an organization
            )

            assert self.organization is not None
            self._lookup = Lookup(self._txn, self.organization)
        return self._lookup

    def levels(self, account_id: str, policy_type: str) -> tuple[Level, ...]:
        """The parsed policies of `policy_type` on each level of a member account's path. For
        RCPs the engine adds RCPFullAWSAccess to every level itself, so it is left out here."""
        from iamctl.core.engine.decision import Level  # lazy: the engine

        key = (account_id, policy_type)
        if key not in self._levels:
            kind = _KINDS[policy_type]
            self._levels[key] = tuple(
                Level(t.label, tuple(_parse(p.name, p.content, kind) for p in found if p.id != _RCP_FULL_AWS_ACCESS))
                for t, found in self._reads().levels(account_id, policy_type))
        return self._levels[key]

    def guardrails(self, info: PrincipalInfo, *, caller_account: str | None, resource_account: str | None,
                   action: str, resource: str = "*") -> Guardrails:
        """The SCP levels for the caller's account, the RCP levels for the resource's account,
        and the organization's condition keys, for one request."""
        org = self.organization
        if org is None:
            return NONE
        reads = self._reads()
        iam_caller = info.type in _IAM_CALLERS
        context: dict[str, Any] = {}
        caller_path = reads.org_path(caller_account) if caller_account and iam_caller else None
        if caller_path is not None:
            context.update({"aws:PrincipalOrgID": org.id, "aws:PrincipalOrgPaths": [caller_path]})
        resource_path = reads.org_path(resource_account) if resource_account else None
        if resource_path is not None:
            context.update({"aws:ResourceOrgID": org.id, "aws:ResourceOrgPaths": [resource_path]})
        scps = None
        if caller_account and caller_path is not None and caller_account != org.management_account \
                and reads.enabled(_SCP):
            scps = self.levels(caller_account, _SCP)
        rcps = None
        # The engine applies them only to the services that support RCPs, and not to assuming
        # a service-linked role.
        if resource_account and resource_path is not None and resource_account != org.management_account \
                and reads.enabled(_RCP):
            rcps = self.levels(resource_account, _RCP)
        return Guardrails(scps, rcps, context)
