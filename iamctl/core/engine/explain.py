"""Plain-words explanations of a `Result`, computed only when asked for.

Everything here is read from what the decision's own scan found (`Result.layers`); for an
implicit deny the useful answer is what *nearly* matched, and that comes from the same scan run
again with a trace (`Evaluator(trace=...)`), which records, for each statement that matched the
action, the first element that failed: the resource, the principal, or every condition that
failed with the request's value (e.g. 'statement "OfficeOnly" in identity-based policy "net"
matched action and resource but condition aws:SourceIp IpAddress 10.0.0.0/8 failed: request
value 192.0.2.1'). One evaluator decides and explains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamctl.core.engine.conditions import describe
from iamctl.core.engine.evaluator import Evaluator, Layer, Miss

if TYPE_CHECKING:
    from iamctl.core.engine.decision import Result
    from iamctl.core.engine.parse import MatchedStatement, Policy, Statement

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
    "rcp": "a resource control policy does not allow it (RCPs set the maximum for the resource's account)",
    "resource": "the resource-based (or trust) policy does not allow this caller, and it must: "
    "cross-account access and role assumption need an allow on both sides",
    "identity": "no identity-based policy allows it",
    "boundary": "the permissions boundary does not allow it (a boundary caps identity-based permissions)",
    "session": "the session policy does not allow it (a session policy caps the session's permissions)",
}

# Which layers to search for near misses, by the layer that settled an implicit deny.
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


def _value(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ", ".join(str(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _where(pol: Policy, st: Statement, level: str | None = None) -> str:
    at = f" at {level}" if level else ""
    return f'{st.label} in {_KIND_WORDS.get(pol.kind, pol.kind)} "{pol.name}"{at}'


def _ref_label(m: MatchedStatement) -> str:
    return f'Sid "{m.sid}"' if m.sid else f"statement #{m.index + 1}"


def _miss_line(miss: Miss, result: Result, level: str | None) -> tuple[bool, str]:
    """(is a condition miss, the line) for one traced near miss."""
    pol, st, req = miss.policy, miss.statement, result.request
    where = _where(pol, st, level)
    if miss.element == "resource":
        want = ", ".join(st.resources.patterns) if st.resources else ""
        neg = "NotResource" if st.not_resource else "Resource"
        extra = (" (the action acts on no resource type, so a statement must name all of the service's "
                 "resources)") if req.resourceless and req.resource == "*" else ""
        return False, (f"{where} matched the action but not the resource: {neg} {want}; request resource "
                       f"{req.resource}{extra}")
    if miss.element == "principal":
        el = "NotPrincipal" if st.not_principal else "Principal"
        who = req.principal.arn if req.principal and req.principal.arn else "the caller"
        if st.not_principal and not st.is_deny:
            return False, f'{where} uses NotPrincipal with "Allow", which grants nothing'
        return False, f"{where} matched action and resource but its {el} does not cover {who}"
    failed = []
    for cond, raw in miss.failed:
        got = "key not present in the request" if raw is None else f"request value {_value(raw)}"
        failed.append(f"condition {describe(cond)} failed: {got}")
    return True, f"{where} matched action and resource but " + "; and ".join(failed)


def near_misses(result: Result, kinds: tuple[str, ...], limit: int = 10) -> list[str]:
    """Statements of the layers of `kinds` that matched the action but did not apply, closest
    (a failed condition) first, from the decision's scan run again with a trace."""
    conds: list[str] = []
    others: list[str] = []
    for layer in result.layers:
        if layer.kind not in kinds or not layer.policies:
            continue
        trace: list[Miss] = []
        ev = Evaluator(result.request, has_boundary=result.has_boundary, trace=trace)
        ev.scan(layer.policies, [], principals=layer.kind in ("resource", "rcp"), kind=layer.kind,
                level=layer.level)
        for miss in trace:
            is_condition, line = _miss_line(miss, result, layer.level)
            (conds if is_condition else others).append(line)
    return (conds + others)[:limit]


def _allows_under_cap(result: Result) -> list[str]:
    """For an implicit deny settled by a cap (boundary, session policy, SCP, RCP): the identity
    statements that did allow, so the reader sees which layer took the permission away."""
    if result.settled_by not in ("boundary", "session", "scp", "rcp"):
        return []
    out = []
    for layer in result.layer_list("identity"):
        by_name = {p.name: p for p in layer.policies}
        for m in layer.allows:
            pol = by_name.get(m.policy)
            st = pol.statements[m.index] if pol is not None and m.index < len(pol.statements) else None
            out.append(_where(pol, st) if pol is not None and st is not None else f'{_ref_label(m)} in "{m.policy}"')
    return out


def _deciding(result: Result, denies: bool) -> list[str]:
    """One line per matched statement, naming its policy's kind and, for SCPs and RCPs, its level."""
    verb = "denied" if denies else "allowed"
    lines = []
    matched = set(map(id, result.matched))
    for layer in result.layers:
        for m in layer.denies if denies else layer.allows:
            if id(m) not in matched:
                continue
            at = f" at {layer.level}" if layer.level else ""
            lines.append(f'{verb} by {_ref_label(m)} in {_KIND_WORDS.get(m.kind, m.kind)} "{m.policy}"{at}')
    return lines


def _blocking(layer: Layer) -> str:
    names = ", ".join(f'"{p.name}"' for p in layer.policies) or "no policies"
    kind = "SCP" if layer.kind == "scp" else "RCP"
    return f"blocked at {layer.level} ({kind}s {names}): no statement there allows it"


def explain(result: Result) -> list[str]:
    """Lines that say, in plain words, why `result` is what it is."""
    req = result.request
    lines: list[str] = []
    subject = f"{req.action} on {req.resource}"
    if result.decision == "explicitDeny":
        lines.append(f"{subject}: explicitly denied (an explicit Deny overrides every Allow)")
        lines += _deciding(result, denies=True)
    elif result.decision == "allowed":
        how = {
            "resource": "a resource-based policy that names this caller allows it",
            "identity": "identity-based policies allow it",
        }.get(result.settled_by, "allowed")
        lines.append(f"{subject}: allowed ({how})")
        lines += _deciding(result, denies=False)
    else:
        layer_kind = result.settled_by
        lines.append(
            f"{subject}: implicitly denied: {_LAYER_REASON.get(layer_kind, 'no statement allows it')}"
        )
        blocking = result.blocking_level
        if blocking is not None:
            lines.append(_blocking(blocking))
        misses = near_misses(result, _LAYER_KINDS.get(layer_kind, tuple(_LAYER_KINDS)))
        if misses:
            lines.extend(misses)
        else:
            where = _LAYER_WORDS.get(layer_kind, "policies")
            lines.append(f"no statement applied to the action {req.action} in the {where} (implicit deny)")
        for m in _allows_under_cap(result):
            lines.append(f"without that cap it would be allowed by {m}")
    for e in result.errors:
        label = f'Sid "{e.sid}"' if e.sid else f"statement #{e.index + 1}"
        lines.append(f'{label} in "{e.policy}" was skipped because of an evaluation error: {e.message}')
    for note in result.notes:
        lines.append(f"note: {note}")
    if result.missing_context_keys:
        lines.append(
            "context keys the policies ask for but the request lacks: "
            + ", ".join(result.missing_context_keys)
        )
    return lines
