"""Plain-words explanations of a `Result`, computed only when asked for.

For an implicit deny the useful answer is what *nearly* matched, so this module re-examines
every statement and reports the first element that failed: the action, the resource, the
principal, or the condition, with the request's value (e.g. "statement "OfficeOnly" in policy
"net" matched action and resource but condition aws:SourceIp IpAddress 10.0.0.0/8 failed:
request value 192.0.2.1").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamctl.core.engine.conditions import ConditionEvaluationError, describe
from iamctl.core.engine.evaluator import Evaluator
from iamctl.core.engine.match import NO_GRANT

if TYPE_CHECKING:
    from iamctl.core.engine.decision import Result
    from iamctl.core.engine.parse import Policy, Statement

_KIND_WORDS = {
    "identity": "identity-based policy",
    "resource": "resource-based policy",
    "trust": "trust policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "scp": "SCP",
    "rcp": "RCP",
}

_LAYER_REASON = {
    "scp": "no service control policy allows it at every level (SCPs set the maximum for the caller's account)",
    "rcp": "no resource control policy allows it at every level (RCPs set the maximum for the resource's account)",
    "resource": "the resource-based (or trust) policy does not allow this caller, and it must: "
    "cross-account access and role assumption need an allow on both sides",
    "identity": "no identity-based policy allows it",
    "boundary": "the permissions boundary does not allow it (a boundary caps identity-based permissions)",
    "session": "the session policy does not allow it (a session policy caps the session's permissions)",
}


def _value(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ", ".join(str(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _where(pol: Policy, st: Statement) -> str:
    return f'{st.label} in {_KIND_WORDS.get(pol.kind, pol.kind)} "{pol.name}"'


_ALL_KINDS = ("identity", "resource", "boundary", "session", "scp", "rcp")


def near_misses(result: Result, limit: int = 10, kinds: tuple[str, ...] = _ALL_KINDS) -> list[str]:
    """Statements of `kinds` that matched the action but failed on something else, closest
    first; for a condition miss, every condition that failed is named."""
    req = result.request
    ev = Evaluator(req, has_boundary=bool(result.policies.get("boundary")))
    conds: list[str] = []
    others: list[str] = []
    for kind in kinds:
        for pol in result.policies.get(kind, ()):
            for st in pol.statements:
                if not ev.action_matches(st):
                    continue
                if not ev.resource_matches(st):
                    want = ", ".join(st.resources.patterns) if st.resources else ""
                    neg = "NotResource" if st.not_resource else "Resource"
                    others.append(
                        f"{_where(pol, st)} matched the action but not the resource: {neg} {want}; "
                        f"request resource {req.resource}"
                    )
                    continue
                if ev.principal_grant(st) == NO_GRANT:
                    el = "NotPrincipal" if st.not_principal else "Principal"
                    who = req.principal.arn if req.principal and req.principal.arn else "the caller"
                    others.append(
                        f"{_where(pol, st)} matched action and resource but its {el} does not cover {who}"
                    )
                    continue
                failed: list[str] = []
                for cond in st.conditions:
                    try:
                        ok = cond.evaluate(ev.ctx)
                    except ConditionEvaluationError:
                        failed = []
                        break  # reported once, from result.errors, below
                    if not ok:
                        raw = ev.ctx.get(cond.key_l)
                        got = "key not present in the request" if raw is None else f"request value {_value(raw)}"
                        failed.append(f"condition {describe(cond)} failed: {got}")
                if failed:
                    conds.append(f"{_where(pol, st)} matched action and resource but " + "; and ".join(failed))
    return (conds + others)[:limit]


# Which policies to search for near misses, by the layer that settled an implicit deny.
_LAYER_KINDS = {
    "identity": ("identity", "resource"),
    "resource": ("resource",),
    "boundary": ("boundary",),
    "session": ("session",),
    "scp": ("scp",),
    "rcp": ("rcp",),
}
_LAYER_WORDS = {
    "identity": "identity-based (or resource-based) policies",
    "resource": "resource-based (or trust) policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "scp": "service control policies",
    "rcp": "resource control policies",
}


def result_allows(result: Result) -> list[str]:
    """For an implicit deny settled by a cap (boundary, session policy, SCP, RCP): the identity
    statements that did allow, so the reader sees which layer took the permission away."""
    if result.settled_by not in ("boundary", "session", "scp", "rcp"):
        return []
    ev = Evaluator(result.request, has_boundary=bool(result.policies.get("boundary")))
    out = []
    for pol in result.policies.get("identity", ()):
        for st in pol.statements:
            try:
                if st.effect == "Allow" and ev.statement_applies(st):
                    out.append(_where(pol, st))
            except ConditionEvaluationError:
                continue
    return out


def explain(result: Result) -> list[str]:
    """Lines that say, in plain words, why `result` is what it is."""
    req = result.request
    lines: list[str] = []
    subject = f"{req.action} on {req.resource}"
    if result.decision == "explicitDeny":
        lines.append(f"{subject}: explicitly denied (an explicit Deny overrides every Allow)")
        for m in result.matched:
            label = f'Sid "{m.sid}"' if m.sid else f"statement #{m.index + 1}"
            lines.append(f'denied by {label} in {_KIND_WORDS.get(m.kind, m.kind)} "{m.policy}"')
    elif result.decision == "allowed":
        how = {
            "resource": "a resource-based policy that names this caller allows it",
            "identity": "identity-based policies allow it",
        }.get(result.settled_by, "allowed")
        lines.append(f"{subject}: allowed ({how})")
        for m in result.matched:
            label = f'Sid "{m.sid}"' if m.sid else f"statement #{m.index + 1}"
            lines.append(f'allowed by {label} in {_KIND_WORDS.get(m.kind, m.kind)} "{m.policy}"')
    else:
        lines.append(
            f"{subject}: implicitly denied: {_LAYER_REASON.get(result.settled_by, 'no statement allows it')}"
        )
        layer = result.settled_by
        misses = near_misses(result, kinds=_LAYER_KINDS.get(layer, _ALL_KINDS))
        if misses:
            lines.extend(misses)
        else:
            where = _LAYER_WORDS.get(layer, "policies")
            lines.append(f"no statement applied to the action {req.action} in the {where} (implicit deny)")
        for allow in result_allows(result):
            lines.append(f"without that cap it would be allowed by {allow}")
    for e in result.errors:
        label = f'Sid "{e.sid}"' if e.sid else f"statement #{e.index + 1}"
        lines.append(f'{label} in "{e.policy}" was skipped because of an evaluation error: {e.message}')
    if result.missing_context_keys:
        lines.append(
            "context keys the policies ask for but the request lacks: "
            + ", ".join(result.missing_context_keys)
        )
    return lines
