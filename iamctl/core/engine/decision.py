"""The decision: AWS's policy evaluation logic over every policy type that applies.

IAM User Guide, "Policy evaluation logic" -> "How AWS enforcement code logic evaluates requests
to allow or deny access", "Cross-account policy evaluation logic" and "Permissions boundaries";
AWS Organizations, "Service control policies (SCPs)" and "Resource control policies (RCPs)".
`decide` is the whole rule in one function; `evaluate` gathers what it needs, each layer
scanned by the one evaluator (evaluator.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import cache, cached_property
from typing import Any, Final, Literal

from msgspec import Struct

from iamctl.core.engine import grammar
from iamctl.core.engine.evaluator import EvaluationError, Evaluator, Layer
from iamctl.core.engine.match import GRANT_DIRECT, GRANT_ROLE, NO_GRANT
from iamctl.core.engine.parse import MatchedStatement, Policy, parse_policy
from iamctl.core.engine.request import HAS_IDENTITY_POLICIES, Request

__all__ = ["ALLOWED", "EXPLICIT_DENY", "IMPLICIT_DENY", "TRUST_ACTIONS", "Decision", "EvaluationError", "Facts",
           "Level", "Result", "SettledBy", "decide", "evaluate"]

Decision = Literal["allowed", "explicitDeny", "implicitDeny"]
"""AWS's three answers (the simulator's EvalDecision)."""
ALLOWED: Final = "allowed"
EXPLICIT_DENY: Final = "explicitDeny"
IMPLICIT_DENY: Final = "implicitDeny"
SettledBy = Literal["deny", "scp", "rcp", "resource", "identity", "boundary", "session"]
"""The layer of the evaluation logic that settled a decision."""

# Actions for which a role's trust policy is the resource policy ("Roles terms and concepts":
# role trust policy; "Cross-account policy evaluation logic"), lower-cased.
TRUST_ACTIONS = grammar.TRUST_ACTIONS_LOWER


class Level(Struct, frozen=True):
    """One level of an SCP or RCP hierarchy (the organization root, an OU, the account): the
    policies attached there. Every level must allow; `name` says which one blocked."""

    name: str
    policies: tuple[Policy, ...]


class Facts(Struct, frozen=True):
    """What `decide` needs, each layer already reduced to a yes/no; built once per decision."""

    explicit_deny: bool
    scp_ok: bool | None  # None: no SCPs apply
    rcp_ok: bool | None  # None: no RCPs apply
    resource_grant: int  # best match.GRANT_* among matching resource/trust Allow statements
    resource_required: bool  # cross-account, or a trust policy: the resource side must allow
    cross_account: bool
    identity_applies: bool  # the caller has identity-based policies (users, role sessions, ...)
    identity_ok: bool
    boundary_ok: bool | None  # None: no permissions boundary
    session_ok: bool | None  # None: no session policy


def decide(f: Facts) -> tuple[Decision, SettledBy]:
    """AWS's combining rule -> (decision, the layer that settled it).

    Read top to bottom; each step is one paragraph of "Policy evaluation logic".
    """
    # 1. An explicit Deny in any policy of any type wins, whatever allows it elsewhere.
    if f.explicit_deny:
        return EXPLICIT_DENY, "deny"
    # 2. Organizations guardrails grant nothing, but every level of them must allow:
    #    RCPs for the resource's account, SCPs for the caller's.
    if f.rcp_ok is False:
        return IMPLICIT_DENY, "rcp"
    if f.scp_ok is False:
        return IMPLICIT_DENY, "scp"
    boundary_ok = f.boundary_ok is not False
    session_ok = f.session_ok is not False
    # 3. Cross-account requests and role assumption need the resource (trust) policy to allow.
    if f.resource_required and f.resource_grant == NO_GRANT:
        return IMPLICIT_DENY, "resource"
    # 4. Same account, a resource policy naming the caller itself (user ARN, session ARN, or
    #    everyone) is enough on its own: implicit denies elsewhere don't limit it. Naming the
    #    role behind a session (or the user behind a federated session) is limited by the
    #    boundary and the session policy, but needs no identity-based allow.
    if not f.cross_account:
        if f.resource_grant == GRANT_DIRECT:
            return ALLOWED, "resource"
        if f.resource_grant == GRANT_ROLE:
            if not boundary_ok:
                return IMPLICIT_DENY, "boundary"
            if not session_ok:
                return IMPLICIT_DENY, "session"
            return ALLOWED, "resource"
    # 5. Callers without identity-based policies (services, web-identity and SAML users,
    #    anonymous) get in only through a resource policy that names them.
    if not f.identity_applies:
        if f.identity_ok or f.resource_grant != NO_GRANT:
            return ALLOWED, "resource" if f.resource_grant else "identity"
        return IMPLICIT_DENY, "identity"
    # 6. Otherwise the identity-based policies must allow, and the boundary and the session
    #    policy (each only if present) must allow too: the result is their intersection.
    if not f.identity_ok:
        return IMPLICIT_DENY, "identity"
    if not boundary_ok:
        return IMPLICIT_DENY, "boundary"
    if not session_ok:
        return IMPLICIT_DENY, "session"
    return ALLOWED, "identity"


class Result(Struct, frozen=True, dict=True):
    """The answer for one request.

    `matched` holds the determining statements: every matching Deny for an explicit deny; for
    an allow, the statements each required layer allowed with. `*_allowed` is None when that
    layer was not part of the request, else whether it allows (AWS's AllowedByPermissionsBoundary
    etc.). `layers` are the scanned layers, in evaluation order (explanations read them);
    `notes` say what the evaluation set aside (RCPs for a service they do not apply to, ...).
    """

    decision: Decision
    request: Request
    settled_by: SettledBy
    matched: tuple[MatchedStatement, ...]
    identity_allowed: bool
    resource_allowed: bool | None
    boundary_allowed: bool | None
    scp_allowed: bool | None
    rcp_allowed: bool | None
    session_allowed: bool | None
    errors: tuple[EvaluationError, ...]
    layers: tuple[Layer, ...] = ()
    missing_keys: AbstractSet[str] = frozenset()
    notes: tuple[str, ...] = ()
    has_boundary: bool = False

    @property
    def missing_context_keys(self) -> tuple[str, ...]:
        """Context keys the request lacks that a statement matching its action, resource and
        principal reads (in a condition key or a policy variable), as the policies spell them,
        sorted (AWS's simulator calls these MissingContextValues). Every such key is listed,
        whether or not evaluation reached its condition: a statement whose first condition fails
        still names the keys of the others, so the caller learns everything to supply at once.
        Keys of statements for other actions or resources are not listed. (Computed once, kept
        without a cached_property, which takes a lock on Python 3.11.)"""
        found: tuple[str, ...] | None = self.__dict__.get("_missing_context_keys")
        if found is None:
            seen: dict[str, str] = {}
            for k in sorted(self.missing_keys):
                seen.setdefault(k.lower(), k)
            found = self.__dict__["_missing_context_keys"] = tuple(sorted(seen.values(), key=str.lower))
        return found

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    def layer_list(self, kind: str) -> list[Layer]:
        """The scanned layers of one kind ("resource" includes the trust policy)."""
        return [x for x in self.layers if x.kind == kind]

    @property
    def blocking_level(self) -> Layer | None:
        """For an implicit deny settled by SCPs or RCPs: the first level that did not allow."""
        if self.settled_by not in ("scp", "rcp"):
            return None
        return next((x for x in self.layer_list(self.settled_by) if not x.ok), None)

    @cached_property
    def explanation(self) -> tuple[str, ...]:
        """Plain-words lines: why this decision, and for an implicit deny what nearly matched."""
        from iamctl.core.engine.explain import explain  # lazy: only when asked for

        return tuple(explain(self))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view with stable keys."""
        return {
            "decision": self.decision,
            "action": self.request.action,
            "resource": self.request.resource,
            "matched": [m.as_dict() for m in self.matched],
            "missing_context_keys": list(self.missing_context_keys),
            "identity_allowed": self.identity_allowed,
            "resource_allowed": self.resource_allowed,
            "boundary_allowed": self.boundary_allowed,
            "scp_allowed": self.scp_allowed,
            "rcp_allowed": self.rcp_allowed,
            "session_allowed": self.session_allowed,
            "errors": [e.as_dict() for e in self.errors],
            "explanation": list(self.explanation),
        }


def _policies(value: Policy | Sequence[Policy] | None) -> tuple[Policy, ...]:
    if value is None:
        return ()
    if type(value) is tuple:
        return value
    if isinstance(value, Policy):
        return (value,)
    return tuple(value)


def levels(value: Sequence[Level | Policy | Sequence[Policy]] | None, what: str) -> tuple[Level, ...] | None:
    """SCP or RCP levels as `Level`s: each item a Level, or the policies of one level (named
    "level N" then, counted from 1)."""
    if value is None:
        return None
    out = []
    for n, item in enumerate(value, 1):
        if isinstance(item, Level):
            out.append(item)
        else:
            out.append(Level(f"{what} level {n}", _policies(item)))
    return tuple(out)


_NOTHING = Layer("none", None, (), [], [], NO_GRANT, [])  # read-only stand-in for a layer with no policies


def _service_linked(role_arn: str | None) -> bool:
    """A service-linked role: its path is /aws-service-role/ (IAM User Guide, "Using
    service-linked roles")."""
    return role_arn is not None and ":role/aws-service-role/" in role_arn


def _is_role_arn(resource: str) -> bool:
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5].startswith("role/")


@cache
def rcp_full_aws_access() -> Policy:
    """The AWS managed RCPFullAWSAccess, attached at every RCP level (see grammar.RCP_FULL_AWS_ACCESS)."""
    return parse_policy(grammar.RCP_FULL_AWS_ACCESS, name=grammar.RCP_FULL_AWS_ACCESS_NAME, kind="rcp")


def _rcps_apply(action: str) -> bool:
    """RCPs restrict only the services that support them ("Resource control policies (RCPs)":
    the list of AWS services that support RCPs, which the catalogue carries)."""
    from iamctl.core.engine import catalog  # lazy: AWS's catalogue, only when RCPs are given

    return action.partition(":")[0].lower() in catalog.rcp_services()


def evaluate(
    request: Request,
    *,
    identity: Sequence[Policy] = (),
    resource: Policy | Sequence[Policy] | None = None,
    trust: Policy | Sequence[Policy] | None = None,
    boundary: Policy | Sequence[Policy] | None = None,
    session: Policy | Sequence[Policy] | None = None,
    scps: Sequence[Level | Sequence[Policy]] | None = None,
    rcps: Sequence[Level | Sequence[Policy]] | None = None,
) -> Result:
    """Decide `request` against every policy that applies to it.

    - `identity`: the caller's identity-based policies (user, group and role policies, inline
      and managed; for a role session, the role's).
    - `resource`: resource-based policies attached to the resource. For sts:AssumeRole*,
      sts:TagSession, sts:SetSourceIdentity and sts:SetContext on a role ARN they are the role's
      trust policy, and must allow.
    - `trust`: the role's trust policy, when the caller knows the resource is a role. It is the
      resource policy and *must* allow; the caller's identity policies must allow too unless the
      same-account trust policy names the caller's own ARN.
    - `boundary`: the permissions boundary (allows if any of its policies allows).
    - `session`: session policies passed when the session was created (union of them).
    - `scps` / `rcps`: the levels (root, each OU, the account), each a `Level` or the policies of
      one level; every level must allow. None means the account has none. SCPs are the caller's
      account's and do not affect a service-linked role; RCPs are the resource's account's,
      apply only to the services that support them, do not restrict assuming a service-linked
      role, and every RCP level holds RCPFullAWSAccess (AWS attaches it everywhere and it cannot be detached), so
      an RCP level restricts only by Deny.

    Explicit deny in any of them wins; see `decide` for the rest.
    """
    boundaries = _policies(boundary)
    principal = request.principal
    linked = principal is not None and _service_linked(principal.base_arn)
    notes: list[str] = []
    scp_levels = levels(scps, "SCP")
    rcp_levels = levels(rcps, "RCP")
    if scp_levels is not None and linked:
        # AWS Organizations, "Service control policies": SCPs don't affect service-linked roles.
        scp_levels = None
        notes.append("SCPs do not affect service-linked roles")
    if rcp_levels is not None:
        if request.action_l in TRUST_ACTIONS and _service_linked(request.resource):
            # "Resource control policies (RCPs)": they do not restrict AWS services assuming
            # service-linked roles.
            rcp_levels = None
            notes.append("RCPs do not restrict assuming a service-linked role")
        elif not _rcps_apply(request.action):
            rcp_levels = None
            notes.append(f"RCPs do not apply to {request.action.partition(':')[0]} actions "
                         "(the service does not support them)")
    ev = Evaluator(request, has_boundary=bool(boundaries))
    errors: list[EvaluationError] = []

    ident = ev.scan(_policies(identity), errors, principals=False, kind="identity")
    trusts = _policies(trust)
    res_policies = _policies(resource) + trusts
    res = ev.scan(res_policies, errors, principals=True, kind="resource") if res_policies else _NOTHING
    bnd = ev.scan(boundaries, errors, principals=False, kind="boundary") if boundaries else None
    sessions = _policies(session)
    ses = ev.scan(sessions, errors, principals=False, kind="session") if sessions else None
    scp_layers = (
        [ev.scan(lv.policies, errors, principals=False, kind="scp", level=lv.name) for lv in scp_levels]
        if scp_levels is not None
        else None
    )
    rcp_layers = (
        [ev.scan((rcp_full_aws_access(), *lv.policies), errors, principals=True, kind="rcp", level=lv.name)
         for lv in rcp_levels]
        if rcp_levels is not None
        else None
    )

    denies = ident.denies + res.denies
    for layer in (bnd, ses):
        if layer is not None:
            denies += layer.denies
    for group in (scp_layers, rcp_layers):
        if group is not None:
            for layer in group:
                denies += layer.denies

    ptype = principal.type if principal is not None else "Anonymous"
    is_root = ptype == "Account"
    scp_ok = all(x.ok for x in scp_layers) if scp_layers is not None else None
    rcp_ok = all(x.ok for x in rcp_layers) if rcp_layers is not None else None
    # Role assumption: the role's trust policy is the resource policy, and it must allow, in the
    # same account too ("Cross-account policy evaluation logic"; "Roles terms and concepts").
    assuming = bool(trusts) or (
        bool(res_policies) and request.action_l in TRUST_ACTIONS and _is_role_arn(request.resource)
    )
    facts = Facts(
        explicit_deny=bool(denies),
        scp_ok=scp_ok,
        rcp_ok=rcp_ok,
        resource_grant=res.grant,
        resource_required=request.cross_account or assuming,
        cross_account=request.cross_account,
        identity_applies=ptype in HAS_IDENTITY_POLICIES or is_root,
        # The root user has every permission in its own account ("Policy evaluation logic");
        # only guardrails and explicit denies limit it.
        identity_ok=is_root or bool(ident.allows),
        boundary_ok=bnd.ok if bnd is not None else None,
        session_ok=ses.ok if ses is not None else None,
    )
    decision, settled_by = decide(facts)

    if decision == EXPLICIT_DENY:
        matched = tuple(denies)
    elif decision == ALLOWED:
        chosen: list[MatchedStatement] = []
        if settled_by == "resource":
            # Only the statements that granted as strongly as the decision needed.
            chosen += [m for m, g in zip(res.allows, res.grants, strict=True) if g == res.grant]
        elif facts.resource_required:
            chosen += res.allows
        if settled_by == "identity" and not is_root:  # the root user needs no statement
            chosen += ident.allows
        if bnd is not None and (settled_by == "identity" or res.grant == GRANT_ROLE):
            chosen += bnd.allows
        if ses is not None and (settled_by == "identity" or res.grant == GRANT_ROLE):
            chosen += ses.allows
        for group in (rcp_layers, scp_layers):
            if group is not None:
                for layer in group:
                    chosen += layer.allows
        matched = tuple(chosen)
    else:
        matched = ()

    scanned = [ident]
    if res_policies:
        scanned.append(res)
    scanned += [x for x in (bnd, ses) if x is not None]
    scanned += (scp_layers or []) + (rcp_layers or [])
    return Result(
        decision=decision,
        request=request,
        settled_by=settled_by,
        matched=matched,
        identity_allowed=facts.identity_ok and not ident.denies,
        resource_allowed=(res.grant != NO_GRANT and not res.denies) if res_policies else None,
        boundary_allowed=facts.boundary_ok,
        scp_allowed=scp_ok,
        rcp_allowed=rcp_ok,
        session_allowed=facts.session_ok,
        errors=tuple(errors),
        layers=tuple(scanned),
        missing_keys=ev.missing,  # the evaluator is discarded, so its set is not shared
        notes=tuple(notes),
        has_boundary=bool(boundaries),
    )
