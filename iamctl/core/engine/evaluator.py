"""Does one statement apply to one request? (No allow/deny combining here: see decision.py.)

`Evaluator` takes a `Request` once and answers per statement: action, resource, principal and
conditions. A request value that cannot be compared raises `ConditionEvaluationError`; the
decision skips that statement and reports the error, as Cedar's `ErrorHandling::Skip` does.

Unknown actions (not in AWS's catalogue) are matched like any other: the engine knows no list
of actions, and AWS's evaluation does not depend on one either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamctl.core.engine.conditions import ConditionEvaluationError
from iamctl.core.engine.match import GRANT_DIRECT, NO_GRANT, not_principal_applies, principal_grant

if TYPE_CHECKING:
    from iamctl.core.engine.parse import Statement
    from iamctl.core.engine.request import Request

__all__ = ["ConditionEvaluationError", "Evaluator"]


class Evaluator:
    """Per-request statement tests. `missing` collects context keys a condition or variable
    needed and the request lacked (AWS's simulator reports them as MissingContextValues)."""

    __slots__ = ("request", "action_l", "resource", "ctx", "principal", "has_boundary", "missing")

    def __init__(self, request: Request, *, has_boundary: bool = False) -> None:
        self.request = request
        self.action_l = request.action_l
        self.resource = request.resource
        self.ctx = request.ctx
        self.principal = request.principal
        self.has_boundary = has_boundary
        self.missing: set[str] = set()

    def action_matches(self, st: Statement) -> bool:
        """Action / NotAction ("IAM JSON policy elements: NotAction": NotAction matches every
        action except those listed)."""
        return st.matches_action(self.action_l)

    def resource_matches(self, st: Statement) -> bool:
        """Resource / NotResource. A resource policy statement without either element refers to
        the resource the policy is attached to, so it matches."""
        pats = st.resources
        if pats is None:
            return True
        if not st.not_resource:
            return pats.matches(self.resource, self.ctx, self.missing)
        unresolved: set[str] = set()
        hit = pats.matches(self.resource, self.ctx, unresolved, exhaustive=True)
        self.missing |= unresolved
        # An unresolved variable invalidates the statement; it must not turn NotResource into a match.
        return not hit and not unresolved

    def principal_grant(self, st: Statement) -> int:
        """How the statement's Principal/NotPrincipal names the caller (match.GRANT_*; 0: not at all)."""
        spec = st.principal
        if spec is None:
            return GRANT_DIRECT
        if st.not_principal:
            covered = not_principal_applies(
                spec, self.principal, has_boundary=self.has_boundary, deny=st.is_deny
            )
            return GRANT_DIRECT if covered else NO_GRANT
        return principal_grant(spec, self.principal)

    def conditions_hold(self, st: Statement) -> bool:
        """Every condition must hold (keys and operators are AND'ed). May raise
        ConditionEvaluationError."""
        ctx = self.ctx
        missing = self.missing
        for cond in st.conditions:
            if not cond.evaluate(ctx, missing):
                return False
        return True

    def statement_applies(self, st: Statement) -> bool:
        """Action, resource, principal and conditions all match. May raise ConditionEvaluationError."""
        return (
            self.action_matches(st)
            and self.resource_matches(st)
            and self.principal_grant(st) != NO_GRANT
            and self.conditions_hold(st)
        )
