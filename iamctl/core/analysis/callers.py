"""Who can call a role: the callers a trust policy names, as principals the engine can evaluate.

A trust policy's Principal element says who *might* be let in; the engine decides who is. This
module turns each statement's principals into candidates: the directory's users and roles (all
of an account the policy trusts as a whole, the ones it names), sessions of a directory role
with a given name, and principals outside the directory (another account, an AWS service, an
OIDC or SAML provider, anyone). A candidate is only a question to ask; `Decider.assume` answers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct

from iamctl.core.analysis.decide import policy_may_allow
from iamctl.core.authz.principals import Principal, resolve_role

if TYPE_CHECKING:
    from iamctl.core.analysis.snapshot import Snapshot
    from iamctl.core.authz.guardrails import OrgView
    from iamctl.core.engine.parse import Policy
    from iamctl.core.engine.request import PrincipalInfo

ASSUME = "sts:AssumeRole"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
SAML = "sts:AssumeRoleWithSAML"


class Caller(Struct, frozen=True):
    """A candidate caller of a role: who, how the engine sees it, and with which STS action."""

    arn: str
    type: str  # User | Role | Session | Account | Service | WebIdentity | SAML | Everyone
    principal: Principal
    action: str = ASSUME
    node: str | None = None  # the directory user or role it is (a Session: its role)
    outside: bool = False  # not in the directory: its own policies are unknown


def _own_policies(action: str) -> tuple[Policy, ...]:
    """What a principal outside the directory is assumed to have: its own policies allow the call
    (who-can reports that as a condition). The role's side is then what the engine decides."""
    from iamctl.core.engine.parse import parse_policy  # lazy: the engine

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
    return (parse_policy(doc, name="its own policies (outside this directory)", kind="identity"),)


def _external(name: str, type_: str, info: PrincipalInfo, org: OrgView) -> Caller:
    # The organization too: the role's account's RCPs apply whoever calls, and SCPs to a caller
    # of a member account.
    action = WEB_IDENTITY if type_ == "WebIdentity" else SAML if type_ == "SAML" else ASSUME
    own = _own_policies(action) if info.type == "User" else ()
    return Caller(name, type_, Principal(info, own, label=name, org=org), action, outside=True)


def _info(type_: str, **facts: str) -> PrincipalInfo:
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    return PrincipalInfo(type=type_, account_id=facts.get("account_id"), service=facts.get("service"),
                         provider=facts.get("provider"))


def _federated(arn: str, org: OrgView) -> Caller:
    kind = "SAML" if ":saml-provider/" in arn else "WebIdentity"
    return _external(arn, kind, _info(kind, provider=arn), org)


def _everyone(org: OrgView) -> Caller:
    # Any principal of any account: an IAM user nobody knows, whose own policies allow the call.
    return _external("*", "Everyone", _info("User"), org)


def _account(account_id: str, org: OrgView) -> Caller:
    # Some principal of that account, whose own policies allow the call: the account delegates.
    return _external(f"arn:aws:iam::{account_id}:root", "Account", _info("User", account_id=account_id), org)


def callers(snapshot: Snapshot, role_arn: str, scope: set[str]) -> list[Caller]:
    """Every principal the role's trust policy could let in, for the accounts in `scope` (the
    directory's principals outside it are not listed; principals outside the directory are)."""
    trust = snapshot.trust(role_arn)
    found: dict[str, Caller] = {}

    def node(arn: str) -> None:
        n = snapshot.nodes.get(arn)
        if n is not None and n.account_id in scope and arn != role_arn:
            found.setdefault(arn, Caller(arn, n.type, n.principal, node=arn))

    def whole_account(account_id: str, *, needs_identity: bool) -> None:
        if account_id not in snapshot.account_ids:
            found.setdefault(f"arn:aws:iam::{account_id}:root", _account(account_id, snapshot.org))
            return
        if account_id not in scope:
            return
        if not needs_identity:
            for arn, n in snapshot.nodes.items():
                if n.account_id == account_id:
                    node(arn)
            return
        # Trusting an account delegates to its principals' own policies ("Principal": AWS account
        # principals): one with no statement that can allow sts:AssumeRole on the role is let in by
        # nothing, so only the holders of a policy that may are candidates.
        for pol, holders in snapshot.identity_policies(account_id):
            if policy_may_allow(pol, "sts:assumerole", role_arn):
                for arn in holders:
                    node(arn)

    for st in _allow_statements(trust):
        spec = st.principal
        if spec is None:
            continue
        if st.not_principal or spec.everyone or spec.aws_any:
            for account_id in scope:
                whole_account(account_id, needs_identity=False)
            found.setdefault("*", _everyone(snapshot.org))
            continue
        for account_id in sorted(spec.accounts):
            whole_account(account_id, needs_identity=True)
        for arn in sorted(spec.arns):
            _named(snapshot, arn, scope, role_arn, found, node)
        for unique_id in sorted(spec.unique_ids):
            resolved = snapshot.by_unique_id(unique_id)
            if resolved is not None:
                node(resolved)
        for service in sorted(spec.services):
            found.setdefault(service, _external(service, "Service", _info("Service", service=service), snapshot.org))
        for provider in sorted(spec.federated):
            found.setdefault(provider, _federated(provider, snapshot.org))
    return list(found.values())


def _allow_statements(trust: Policy):
    return [st for st in trust.statements if not st.is_deny]


def _named(snapshot: Snapshot, arn: str, scope: set[str], role_arn: str, found: dict[str, Caller], node) -> None:
    if arn in snapshot.nodes:
        node(arn)
        return
    parts = arn.split(":", 5)
    account_id, resource = (parts[4], parts[5]) if len(parts) == 6 else ("", "")
    if resource.startswith("assumed-role/") and account_id in snapshot.account_ids:
        role_name, _, session = resource[len("assumed-role/"):].partition("/")
        role = next((a for a, r in snapshot.roles.items()
                     if snapshot.account_of[a] == account_id and r.name == role_name), None)
        if role is not None and account_id in scope and role != role_arn:
            view = snapshot.views[account_id]
            found.setdefault(arn, Caller(arn, "Session", resolve_role(view, role_name, session_name=session),
                                         node=role))
        return
    if account_id in snapshot.account_ids:
        return  # a user or role of the directory that no longer exists: nobody
    from iamctl.core.authz.simulate import principal_from_arn  # lazy: start-up

    kind = "User" if resource.startswith("user/") else "Session" if resource.startswith("assumed-role/") else "Role"
    found.setdefault(arn, Caller(arn, kind, Principal(principal_from_arn(arn), _own_policies(ASSUME), label=arn, org=snapshot.org),
                                 outside=True))
