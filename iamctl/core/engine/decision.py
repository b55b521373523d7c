"""The decision: AWS's policy evaluation logic over every policy type that applies.

IAM User Guide, "Policy evaluation logic" → "How AWS enforcement code logic evaluates requests
to allow or deny access", "Cross-account policy evaluation logic" and "Permissions boundaries".
`decide` is the whole rule in one function; `evaluate` gathers what it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import cached_property
from typing import Any, Final, Literal

from msgspec import Struct

from iamctl.core.engine.conditions import ConditionEvaluationError
from iamctl.core.engine.evaluator import Evaluator
from iamctl.core.engine.match import GRANT_DIRECT, GRANT_ROLE, NO_GRANT
from iamctl.core.engine.parse import MatchedStatement, Policy, PolicyKind
from iamctl.core.engine.request import HAS_IDENTITY_POLICIES, Request

Decision = Literal["allowed", "explicitDeny", "implicitDeny"]
"""AWS's three answers (the simulator's EvalDecision)."""
ALLOWED: Final = "allowed"
EXPLICIT_DENY: Final = "explicitDeny"
IMPLICIT_DENY: Final = "implicitDeny"
SettledBy = Literal["deny", "scp", "rcp", "resource", "identity", "boundary", "session"]
"""The layer of the evaluation logic that settled a decision."""

# Actions for which a role's trust policy is the resource policy ("Roles terms and concepts":
# role trust policy; "Cross-account policy evaluation logic").
TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
    }
)




class EvaluationError(Struct, frozen=True):
    """A statement skipped because a request value could not be compared."""

    policy: str
    kind: PolicyKind
    sid: str | None
    index: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "kind": self.kind,
            "sid": self.sid,
            "index": self.index,
            "message": self.message,
        }


class Facts(Struct, frozen=True):
    """What `decide` needs, each layer already reduced to a yes/no; built once per decision."""

    explicit_deny: bool
    scp_ok: bool | None  # None: no SCPs given
    rcp_ok: bool | None  # None: no RCPs given
    resource_grant: int  # best match.GRANT_* among matching resource/trust Allow statements
    resource_required: bool  # cross-account, or a trust policy: the resource side must allow
    cross_account: bool
    identity_applies: bool  # the caller has identity-based policies (users, role sessions, ...)
    identity_ok: bool
    boundary_ok: bool | None  # None: no permissions boundary
    session_ok: bool | None  # None: no session policy


def decide(f: Facts) -> tuple[Decision, SettledBy]:
    """AWS's combining rule → (decision, the layer that settled it).

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
    layer was not given, else whether it allows (AWS's AllowedByPermissionsBoundary etc.).
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
    policies: _PolicyArgs
    missing_keys: AbstractSet[str] = frozenset()

    @cached_property
    def missing_context_keys(self) -> tuple[str, ...]:
        """Context keys the request lacks that a statement matching its action, resource and
        principal reads (in a condition key or a policy variable), as the policies spell them,
        sorted (AWS's simulator calls these MissingContextValues). Every such key is listed,
        whether or not evaluation reached its condition: a statement whose first condition fails
        still names the keys of the others, so the caller learns everything to supply at once.
        Keys of statements for other actions or resources are not listed."""
        seen: dict[str, str] = {}
        for k in sorted(self.missing_keys):
            seen.setdefault(k.lower(), k)
        return tuple(sorted(seen.values(), key=str.lower))

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

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


class _PolicyArgs:
    """The policies a Result was decided with, grouped by kind on demand (for explanations)."""

    __slots__ = ("_args", "_groups")

    def __init__(self, *args: Any) -> None:
        self._args = args
        self._groups: dict[str, tuple[Policy, ...]] | None = None

    def get(self, kind: str, default: tuple[Policy, ...] = ()) -> tuple[Policy, ...]:
        if self._groups is None:
            identity, resource, trust, boundary, session, scps, rcps = self._args
            self._groups = {
                "identity": _policies(identity),
                "resource": _policies(resource) + _policies(trust),
                "boundary": _policies(boundary),
                "session": _policies(session),
                "scp": tuple(p for level in scps or () for p in _policies(level)),
                "rcp": tuple(p for level in rcps or () for p in _policies(level)),
            }
        return self._groups.get(kind, default)


def _policies(value: Policy | Sequence[Policy] | None) -> tuple[Policy, ...]:
    if value is None:
        return ()
    if type(value) is tuple:
        return value
    if isinstance(value, Policy):
        return (value,)
    return tuple(value)


class _Layer:
    """Matching Allow/Deny statements of one set of policies."""

    __slots__ = ("allows", "denies", "grant", "grants")

    def __init__(
        self, allows: list[MatchedStatement], denies: list[MatchedStatement], grant: int, grants: list[int]
    ) -> None:
        self.allows = allows
        self.denies = denies
        self.grant = grant  # the strongest grant among `allows`
        self.grants = grants  # the grant of each of `allows`, in order


def _scan(
    ev: Evaluator, policies: tuple[Policy, ...], errors: list[EvaluationError], *, principals: bool
) -> _Layer:
    # The hot loop of the engine: the checks of Evaluator.statement_applies, inlined for the
    # common shapes (Resource "*", exact ARNs, one wildcard regex) to save calls per statement.
    allows: list[MatchedStatement] = []
    denies: list[MatchedStatement] = []
    grants: list[int] = []
    best = NO_GRANT
    action_l = ev.action_l
    resource = ev.resource
    ctx = ev.ctx
    missing = ev.missing
    for pol in policies:
        for st, ref, pats, conds, deny in pol.entries_for(action_l):
            if pats is not None:
                if st.not_resource:
                    if not ev.resource_matches(st):
                        continue
                elif not (
                    resource in pats.exact
                    or resource.startswith(pats.prefixes)
                    or (pats.regex is not None and pats.regex.fullmatch(resource) is not None)
                    or (
                        pats.skeleton is not None
                        and pats.skeleton.fullmatch(resource) is not None
                        and pats.matches_templates(resource, ctx, missing)
                    )
                ):
                    continue
            grant = ev.principal_grant(st) if principals else GRANT_DIRECT
            if grant == NO_GRANT:
                continue
            if conds:
                try:
                    ok = True
                    for cond in conds:
                        # An absent key is the commonest case and needs no call (Condition.evaluate
                        # gives the same answer: `absent`).
                        if cond.key_l not in ctx:
                            missing.add(cond.key)
                            if cond.absent:
                                continue
                            ok = False
                            break
                        if not cond.evaluate(ctx, missing):
                            ok = False
                            break
                    if not ok:
                        # Report every key the statement reads, not only those read before the
                        # failing condition (AWS's simulator lists them all).
                        if len(conds) > 1:
                            for cond in conds:
                                if cond.key_l not in ctx:
                                    missing.add(cond.key)
                                if cond.variables:
                                    missing.update(cond.absent_keys(ctx))
                        continue
                except ConditionEvaluationError as e:
                    errors.append(EvaluationError(pol.name, pol.kind, st.sid, st.index, str(e)))
                    continue
            if deny:
                denies.append(ref)
            else:
                allows.append(ref)
                grants.append(grant)
                if grant > best:
                    best = grant
    return _Layer(allows, denies, best, grants)


_NOTHING = _Layer([], [], NO_GRANT, [])  # read-only stand-in for a layer with no policies


def _service_linked(role_arn: str | None) -> bool:
    """A service-linked role: its path is /aws-service-role/ (IAM User Guide, "Using
    service-linked roles")."""
    return role_arn is not None and ":role/aws-service-role/" in role_arn


def _ok(layer: _Layer) -> bool:
    return bool(layer.allows) and not layer.denies


def evaluate(
    request: Request,
    *,
    identity: Sequence[Policy] = (),
    resource: Policy | Sequence[Policy] | None = None,
    trust: Policy | Sequence[Policy] | None = None,
    boundary: Policy | Sequence[Policy] | None = None,
    session: Policy | Sequence[Policy] | None = None,
    scps: Sequence[Sequence[Policy]] | None = None,
    rcps: Sequence[Sequence[Policy]] | None = None,
) -> Result:
    """Decide `request` against every policy that applies to it.

    - `identity`: the caller's identity-based policies (user, group and role policies, inline
      and managed; for a role session, the role's).
    - `resource`: resource-based policies attached to the resource.
    - `trust`: the role's trust policy, for sts:AssumeRole / AssumeRoleWithSAML /
      AssumeRoleWithWebIdentity / TagSession / SetSourceIdentity on that role. It is the
      resource policy and *must* allow; the caller's identity policies must allow too unless the
      same-account trust policy names the caller's own ARN.
    - `boundary`: the permissions boundary (allows if any of its policies allows).
    - `session`: session policies passed when the session was created (union of them).
    - `scps` / `rcps`: one sequence of policies per level (root, each OU, the account); every
      level must allow. None means the caller's account has none. SCPs are ignored for a
      session of a service-linked role (path /aws-service-role/), which they don't affect.

    Explicit deny in any of them wins; see `decide` for the rest.
    """
    boundaries = _policies(boundary)
    principal = request.principal
    if scps is not None and principal is not None and _service_linked(principal.base_arn):
        # AWS Organizations, "Service control policies": SCPs don't affect service-linked roles.
        scps = None
    ev = Evaluator(request, has_boundary=bool(boundaries))
    errors: list[EvaluationError] = []

    ident = _scan(ev, _policies(identity), errors, principals=False)
    trusts = _policies(trust)
    res_policies = _policies(resource) + trusts
    res = _scan(ev, res_policies, errors, principals=True) if res_policies else _NOTHING
    bnd = _scan(ev, boundaries, errors, principals=False) if boundaries else None
    sessions = _policies(session)
    ses = _scan(ev, sessions, errors, principals=False) if sessions else None
    scp_layers = (
        [_scan(ev, _policies(level), errors, principals=False) for level in scps]
        if scps is not None
        else None
    )
    rcp_layers = (
        [_scan(ev, _policies(level), errors, principals=True) for level in rcps] if rcps is not None else None
    )

    denies = ident.denies + res.denies
    for layer in (bnd, ses):
        if layer is not None:
            denies += layer.denies
    for layers in (scp_layers, rcp_layers):
        if layers is not None:
            for layer in layers:
                denies += layer.denies

    ptype = principal.type if principal is not None else "Anonymous"
    is_root = ptype == "Account"
    scp_ok = all(_ok(x) for x in scp_layers) if scp_layers is not None else None
    rcp_ok = all(_ok(x) for x in rcp_layers) if rcp_layers is not None else None
    facts = Facts(
        explicit_deny=bool(denies),
        scp_ok=scp_ok,
        rcp_ok=rcp_ok,
        resource_grant=res.grant,
        resource_required=request.cross_account or bool(trusts),
        cross_account=request.cross_account,
        identity_applies=ptype in HAS_IDENTITY_POLICIES or is_root,
        # The root user has every permission in its own account ("Policy evaluation logic");
        # only guardrails and explicit denies limit it.
        identity_ok=is_root or bool(ident.allows),
        boundary_ok=_ok(bnd) if bnd is not None else None,
        session_ok=_ok(ses) if ses is not None else None,
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
        for layers in (rcp_layers, scp_layers):
            if layers is not None:
                for layer in layers:
                    chosen += layer.allows
        matched = tuple(chosen)
    else:
        matched = ()

    return Result(
        decision=decision,
        request=request,
        settled_by=settled_by,
        matched=matched,
        identity_allowed=facts.identity_ok and not ident.denies,
        resource_allowed=(res.grant != NO_GRANT and not res.denies)
        if (resource is not None or trusts)
        else None,
        boundary_allowed=facts.boundary_ok,
        scp_allowed=scp_ok,
        rcp_allowed=rcp_ok,
        session_allowed=facts.session_ok,
        errors=tuple(errors),
        policies=_PolicyArgs(identity, resource, trust, boundary, session, scps, rcps),
        missing_keys=ev.missing,  # the evaluator is discarded, so its set is not shared
    )
