"""Does a statement apply to a request? The one evaluator: the decision and `--explain` both use it.

`Evaluator` takes a `Request` once; `scan` runs every statement of a set of policies (one layer:
the identity policies, the boundary, one SCP level, ...) through `applies` and sorts the ones
that apply into Allow and Deny. No allow/deny combining happens here (see decision.py).

With a `trace` list, `applies` also records why each statement that matched the action did not
apply (the resource, the principal, or every condition that failed, with the request's value):
that record is `--explain`'s near-miss search, made by the same code that decided.

A request value that cannot be compared raises `ConditionEvaluationError`; the scan skips that
statement and reports the error, as Cedar's `ErrorHandling::Skip` does.

Unknown actions (not in AWS's catalogue) are matched like any other: the engine knows no list
of actions, and AWS's evaluation does not depend on one either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import Struct

from iamctl.core.engine.conditions import ConditionEvaluationError
from iamctl.core.engine.match import GRANT_DIRECT, NO_GRANT, not_principal_applies, principal_grant
from iamctl.core.engine.parse import MatchedStatement

if TYPE_CHECKING:
    from iamctl.core.engine.parse import Policy, PolicyKind, Statement
    from iamctl.core.engine.request import Request

__all__ = ["ConditionEvaluationError", "EvaluationError", "Evaluator", "Layer", "Miss"]


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


class Miss(Struct, frozen=True):
    """A statement that matched the action but did not apply, and why: `element` is "resource",
    "principal" or "condition"; for a condition, `failed` holds (condition, request value or
    None when the key is absent) for every condition that failed."""

    policy: Policy
    statement: Statement
    element: str
    failed: tuple[tuple[Any, Any], ...] = ()


class Layer:
    """The statements of one set of policies that apply to a request, sorted by effect.

    `kind` is the policies' kind ("identity", "scp", ...); `level` names one level of an SCP or
    RCP hierarchy (None for the other layers); `policies` are what was scanned."""

    __slots__ = ("allows", "denies", "grant", "grants", "kind", "level", "policies")

    def __init__(self, kind: str, level: str | None, policies: tuple[Policy, ...], allows: list[MatchedStatement],
                 denies: list[MatchedStatement], grant: int, grants: list[int]) -> None:
        self.kind = kind
        self.level = level
        self.policies = policies
        self.allows = allows
        self.denies = denies
        self.grant = grant  # the strongest grant among `allows`
        self.grants = grants  # the grant of each of `allows`, in order

    @property
    def ok(self) -> bool:
        """An Allow applies and no Deny does."""
        return bool(self.allows) and not self.denies


class Evaluator:
    """Per-request statement tests. `missing` collects context keys a condition or variable
    needed and the request lacked (AWS's simulator reports them as MissingContextValues)."""

    __slots__ = ("request", "action_l", "resource", "ctx", "principal", "has_boundary", "missing", "trace",
                 "_covers")

    def __init__(self, request: Request, *, has_boundary: bool = False, trace: list[Miss] | None = None) -> None:
        self.request = request
        self.action_l = request.action_l
        self.resource = request.resource
        self.ctx = request.ctx
        self.principal = request.principal
        self.has_boundary = has_boundary
        self.missing: set[str] = set()
        self.trace = trace
        # An action that acts on no resource type, requested for every resource: a Resource
        # pattern matches when it covers every resource of the service (see `Request.resourceless`).
        self._covers = request.resourceless and request.resource == "*"

    def scan(self, policies: tuple[Policy, ...], errors: list[EvaluationError], *, principals: bool,
             kind: str = "identity", level: str | None = None) -> Layer:
        """Every statement of `policies` that applies, as Allow and Deny lists; `principals` when
        the statements name principals (resource-based, trust and RCP policies).

        The engine's hot loop, and its only statement test: for each statement whose Action
        matched (`Policy.entries_for`), the resource, then the principal, then every condition.
        The common shapes (Resource "*", exact ARNs, prefixes, wildcard patterns, an absent
        condition key) are tested inline to save calls per statement; with a trace, each
        statement that failed is recorded with why (see the module docstring)."""
        allows: list[MatchedStatement] = []
        denies: list[MatchedStatement] = []
        grants: list[int] = []
        best = NO_GRANT
        action_l = self.action_l
        resource = self.resource
        ctx = self.ctx
        missing = self.missing
        trace = self.trace
        covers = self._covers
        for pol in policies:
            entries = pol._by_action.get(action_l)  # the per-action cache, read without a call
            if entries is None:
                entries = pol.entries_for(action_l)
            for st, ref, pats, conds, deny in entries:
                # Resource / NotResource. A resource policy statement without either element
                # refers to the resource the policy is attached to, so it matches.
                if pats is not None:
                    if covers or st.not_resource:
                        hit = self._resource_matches(st, pats)
                    else:
                        hit = (
                            resource in pats.exact
                            or resource.startswith(pats.prefixes)
                            or (pats.globs is not None and pats.globs.fullmatch(resource) is not None)
                            or (
                                bool(pats.templates)
                                and resource.startswith(pats.template_heads)
                                and pats.matches_templates(resource, ctx, missing)
                            )
                        )
                    if not hit:
                        if trace is not None:
                            trace.append(Miss(pol, st, "resource"))
                        continue
                grant = self.principal_grant(st) if principals else GRANT_DIRECT
                if grant == NO_GRANT:
                    if trace is not None:
                        trace.append(Miss(pol, st, "principal"))
                    continue
                if conds:
                    try:
                        ok = True
                        for cond in conds:
                            # An absent key is the commonest case and needs no call
                            # (Condition.evaluate gives the same answer: `absent`).
                            if cond.key_l not in ctx:
                                missing.add(cond.key)
                                if cond.absent:
                                    continue
                                ok = False
                                break
                            if not cond.evaluate(ctx, missing):
                                ok = False
                                break
                    except ConditionEvaluationError as e:
                        errors.append(EvaluationError(pol.name, pol.kind, st.sid, st.index, str(e)))
                        continue
                    if not ok:
                        # Report every key the statement reads, not only those read before the
                        # failing condition (AWS's simulator lists them all).
                        if len(conds) > 1:
                            for cond in conds:
                                if cond.key_l not in ctx:
                                    missing.add(cond.key)
                                if cond.variables:
                                    missing.update(cond.absent_keys(ctx))
                        if trace is not None:
                            trace.append(Miss(pol, st, "condition", self._failed(conds)))
                        continue
                if deny:
                    denies.append(ref)
                else:
                    allows.append(ref)
                    grants.append(grant)
                    if grant > best:
                        best = grant
        return Layer(kind, level, policies, allows, denies, best, grants)

    def _failed(self, conds: tuple[Any, ...]) -> tuple[tuple[Any, Any], ...]:
        """For a trace: every condition of a statement that failed, with the request's value (None
        when its key is absent). The scan stopped at the first failure, which decided; a later
        condition whose request value cannot be compared is left out here, not made an error."""
        ctx = self.ctx
        out = []
        for cond in conds:
            raw = ctx.get(cond.key_l)
            try:
                ok = cond.absent if raw is None else cond.evaluate(ctx, None)
            except ConditionEvaluationError:
                continue
            if not ok:
                out.append((cond, raw))
        return tuple(out)

    def _resource_matches(self, st: Statement, pats: Any) -> bool:
        """The uncommon resource tests: NotResource, and a resourceless action's `*` request."""
        if self._covers:
            hit = pats.covers_everything(self.action_l.partition(":")[0], self._account(), self.ctx)
            return hit != st.not_resource
        unresolved: set[str] = set()
        hit = pats.matches(self.resource, self.ctx, unresolved, exhaustive=True)
        self.missing |= unresolved
        # An unresolved variable invalidates the statement; it must not turn NotResource into a match.
        return not hit and not unresolved

    def _account(self) -> str | None:
        req = self.request
        if req.resource_account is not None:
            return req.resource_account
        return self.principal.account_id if self.principal is not None else None

    def principal_grant(self, st: Statement) -> int:
        """How the statement's Principal/NotPrincipal names the caller (match.GRANT_*; 0: not at all)."""
        spec = st.principal
        if spec is None:
            return GRANT_DIRECT
        if st.not_principal:
            # "NotPrincipal": it "must be used with "Effect":"Deny"", so an Allow with it grants nothing.
            if not st.is_deny:
                return NO_GRANT
            covered = not_principal_applies(spec, self.principal, has_boundary=self.has_boundary, deny=True)
            return GRANT_DIRECT if covered else NO_GRANT
        return principal_grant(spec, self.principal)

    def statement_applies(self, st: Statement) -> bool:
        """Action, resource, principal and conditions all match: `scan`'s test, for one statement.
        May raise ConditionEvaluationError."""
        errors: list[EvaluationError] = []
        layer = self.scan((_One(st),), errors, principals=True)  # type: ignore[arg-type]
        if errors:
            raise ConditionEvaluationError(errors[0].message)
        return bool(layer.allows or layer.denies)


class _One:
    """One statement posing as a policy, for `Evaluator.statement_applies`."""

    __slots__ = ("kind", "name", "_entries", "_by_action")

    def __init__(self, st: Statement) -> None:
        self.name, self.kind = "statement", "identity"
        self._by_action: dict[str, Any] = {}  # always asks `entries_for`
        pats = st.resources
        if pats is not None and pats.any and not st.not_resource:
            pats = None
        self._entries = ((st, MatchedStatement("statement", "identity", st.sid, st.effect, st.index), pats,
                          st.conditions, st.is_deny),)

    def entries_for(self, action_l: str) -> tuple[tuple[Any, ...], ...]:
        return self._entries if self._entries[0][0].matches_action(action_l) else ()
