"""From the account directory to the policy engine: who a caller is and which policies apply.

`resolve_*` turn a user, group, role or live session into a `Principal`: the engine's
`PrincipalInfo` (which fills aws:username, aws:PrincipalTag/*, MFA facts, ...) plus the parsed
identity policies, permissions boundary and session policies that AWS would evaluate for it.
`authorize` then decides one request. The simulator, `role assume` and `login` all use these,
so a decision is made the same way everywhere, the organization's guardrails included: a
principal resolved from the directory carries its organization (`Principal.org`), and
`authorize` adds that organization's SCPs, RCPs and condition keys to every request
(iamctl.core.authz.guardrails).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from iamctl.core.authz.guardrails import NONE, OrgView
from iamctl.core.base import clock, names

if TYPE_CHECKING:
    from iamctl.core.engine.decision import Level, Result
    from iamctl.core.engine.parse import Policy, PolicyKind
    from iamctl.core.engine.request import PrincipalInfo
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import EntityKind, Role


class Principal(Struct, frozen=True):
    """A caller as the engine sees it, with every policy that applies to it."""

    info: PrincipalInfo
    identity: tuple[Policy, ...]
    boundary: Policy | None = None
    session: tuple[Policy, ...] = ()
    label: str = ""  # "user/alice", "role/deploy", "session ASIA..."
    account_id: str = ""
    extra_context: dict[str, Any] = field(default_factory=dict)
    # The organization whose guardrails apply to this principal's requests; None: none at all
    # (documents given by hand, or `simulate principal --no-org`).
    org: OrgView | None = None


def organization(txn: Txn) -> OrgView:
    """The directory's organization as decisions see it (read lazily: nothing when there is none)."""
    return OrgView(txn)


@lru_cache(maxsize=8192)
def _parse(label: str, text: str, kind: PolicyKind) -> Policy:
    """A parsed policy, kept by (label, document, kind): a managed policy attached to thousands of
    principals is parsed once, and its Policy (immutable, with its per-action statement index)
    is shared by all of them, which is what account-wide analyses need to stay fast."""
    from iamctl.core.engine.parse import parse_policy  # lazy: the engine

    # strict=False: a stored document is evaluated as AWS's rules give, even one (imported, or
    # edited by hand) that AWS would now refuse to store; see grammar.TOLERABLE.
    return parse_policy(text, name=label, kind=kind, strict=False)


def _identity_policies(txn: Txn, kind: EntityKind, name: str) -> tuple[tuple[Policy, ...], Policy | None]:
    from iamctl.core.identities.documents import boundary_document, effective_policies  # lazy: start-up

    identity = tuple(_parse(d.label, d.document, "identity") for d in effective_policies(txn, kind, name))
    boundary = None
    if kind in ("user", "role"):
        doc = boundary_document(txn, kind, name)
        if doc is not None:
            boundary = _parse(doc.label, doc.document, "boundary")
    return identity, boundary


def _when(iso: str | None) -> datetime | None:
    return None if iso is None else clock.parse_datetime(iso)


def resolve_user(txn: Txn, name: str, *, mfa: bool | None = None, mfa_auth_time: str | None = None,
                 token_issue_time: str | None = None) -> Principal:
    """A user with its inline, attached and group policies and its boundary.

    `mfa` None means long-term credentials: AWS leaves aws:MultiFactorAuthPresent out of the
    request entirely (not false) when a request is signed with an access key.
    """
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    user = txn.require("user", name)
    identity, boundary = _identity_policies(txn, "user", user.name)
    arn = names.arn(txn.account_id, "user", user.path, user.name)
    info = PrincipalInfo(
        type="User", arn=arn, account_id=txn.account_id, username=user.name, userid=user.user_id,
        tags=dict(user.tags), mfa_authenticated=mfa, mfa_auth_time=_when(mfa_auth_time),
        token_issue_time=_when(token_issue_time),
    )
    return Principal(info, identity, boundary, label=f"user/{user.name}", account_id=txn.account_id,
                     org=organization(txn))


def resolve_group(txn: Txn, name: str) -> Principal:
    """A group's own policies, evaluated as if for an anonymous member (AWS's
    SimulatePrincipalPolicy with a group ARN)."""
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    group = txn.require("group", name)
    identity, _ = _identity_policies(txn, "group", group.name)
    info = PrincipalInfo(type="User", account_id=txn.account_id)
    return Principal(info, identity, None, label=f"group/{group.name}", account_id=txn.account_id,
                     org=organization(txn))


def role_session_arn(account_id: str, role_name: str, session_name: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION (the path is not part of it)."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def resolve_role(txn: Txn, name: str, *, session_name: str = "iamctl-simulation") -> Principal:
    """A role's policies and boundary, as a session of that role would be evaluated."""
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    role = txn.require("role", name)
    identity, boundary = _identity_policies(txn, "role", role.name)
    info = PrincipalInfo(
        type="AssumedRole", arn=role_session_arn(txn.account_id, role.name, session_name),
        account_id=txn.account_id, userid=f"{role.role_id}:{session_name}", tags=dict(role.tags),
        base_arn=names.arn(txn.account_id, "role", role.path, role.name), session_name=session_name,
    )
    return Principal(info, identity, boundary, label=f"role/{role.name}", account_id=txn.account_id,
                     org=organization(txn))


def trust_policy(role: Role) -> Policy:
    """A role's trust policy, parsed for evaluation: with the unique ids of the users and roles
    it named when it was saved (identities.roles.trust_policy_to_evaluate)."""
    from iamctl.core.identities.roles import trust_policy_to_evaluate  # lazy: start-up

    return _parse(f"role/{role.name} trust policy", trust_policy_to_evaluate(role), "trust")


def directory_role(txn: Txn, resource: str) -> tuple[Txn, Role] | None:
    """The role of the account directory that a resource ARN names exactly (in this account or
    another account of the directory), with the transaction view of its account; None when the
    ARN names no such role."""
    from iamctl.core.base.errors import NoSuchEntity  # lazy: start-up
    from iamctl.core.identities.roles import locate_role, role_arn  # lazy: start-up

    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    try:
        view, role = locate_role(txn, resource)
    except NoSuchEntity:
        return None
    return (view, role) if role_arn(view, role) == resource else None


def authorize_assume(principal: Principal, action: str, view: Txn, role: Role, *,
                     context: dict[str, Any] | None = None, scps: list[Level] | None = None,
                     rcps: list[Level] | None = None) -> Result:
    """May `principal` perform an STS action on the role (sts:AssumeRole, sts:TagSession, ...)?

    The one decision for role assumption, made by `role assume` and by `simulate` alike: the
    role's trust policy is the resource policy and must allow, and the caller's identity-based
    policies must allow too unless the role is in the caller's account and the trust policy names
    the caller itself ("Cross-account policy evaluation logic"; "Roles terms and concepts").
    `view` is the transaction's view of the role's account.
    """
    from iamctl.core.identities.roles import role_arn  # lazy: start-up

    return authorize(principal, action, role_arn(view, role), context=context, trust=trust_policy(role),
                     resource_account=view.account_id, scps=scps, rcps=rcps)


def authorize(
    principal: Principal,
    action: str,
    resource: str = "*",
    *,
    context: dict[str, Any] | None = None,
    resource_policies: list[Policy] | None = None,
    trust: Policy | None = None,
    resource_account: str | None = None,
    scps: list[Level] | list[list[Policy]] | None = None,
    rcps: list[Level] | list[list[Policy]] | None = None,
    resourceless: bool = False,
) -> Result:
    """Decide one request by `principal`, the way AWS would (see iamctl.core.engine.decision.evaluate).

    `scps` / `rcps` are levels (engine `Level`s, or lists of policies, one per level);
    `resourceless` says the action acts on no resource type (see engine `Request.resourceless`).
    The principal's organization (`Principal.org`) adds its SCP levels (for the caller's
    account), its RCP levels (for the resource's account) and its condition keys; `scps` and
    `rcps` given here are further levels that must allow too. aws:ResourceAccount is the
    resource's account: `resource_account`, else the ARN's, else the caller's (an S3 ARN names no
    account). Context keys given in `context` override any of these."""
    from iamctl.core.engine.decision import evaluate  # lazy: the engine
    from iamctl.core.engine.request import make_request  # lazy: the engine

    owner = resource_account or _account_of(resource) or principal.info.account_id or principal.account_id or None
    guard = NONE
    if principal.org is not None:
        guard = principal.org.guardrails(principal.info, caller_account=principal.info.account_id or principal.account_id,
                                         resource_account=owner, action=action, resource=resource)
    base = {**guard.context, "aws:ResourceAccount": owner} if owner else guard.context
    now = datetime.fromtimestamp(clock.now(), UTC)
    request = make_request(action, resource, principal=principal.info,
                           context={**base, **principal.extra_context, **(context or {})}, now=now,
                           resource_account=resource_account, resourceless=resourceless)
    return evaluate(request, identity=principal.identity, resource=resource_policies or None, trust=trust,
                    boundary=principal.boundary, session=principal.session or None,
                    scps=_levels(guard.scps, scps), rcps=_levels(guard.rcps, rcps))


def _levels(org_levels: tuple[Level, ...] | None,
            given: list[Level] | list[list[Policy]] | None) -> list[Level | list[Policy]] | None:
    """The organization's levels, then those given by hand; None when there are neither."""
    if org_levels is None and given is None:
        return None
    return [*(org_levels or ()), *(given or ())]


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None
