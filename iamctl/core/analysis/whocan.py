"""`analyze who-can`: every principal for which one request is allowed, and how.

1. Every user and role of the accounts in scope is asked the request directly, as `simulate
   principal --user/--role` asks it (decide.Decider: the plain request first, then a session
   issued now, with MFA, with caller-controlled condition values); a role ARN with an STS role
   action is decided with the role's trust policy, as `role assume` decides it.
2. Then, backwards from each role that can, every principal its trust policy could let in
   (callers.callers) is asked whether it may assume that role (principals.authorize_assume: trust policy
   and the caller's policies, boundary, session rules, in one evaluation); each one let in is
   listed with the chain of hops, and, if it is a role, asked about in turn. A principal reached
   several ways is listed once, by its best route: unconditional before conditional, then fewest hops.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from iamctl.core.analysis.callers import Caller, callers
from iamctl.core.analysis.decide import ALLOWED, CONDITIONAL, REQUEST, Answer, Decider, Requirement, may_allow
from iamctl.core.analysis.snapshot import Snapshot
from iamctl.core.base.errors import InvalidInput

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

# The STS actions for which a role's trust policy is the resource policy (engine.decision.TRUST_ACTIONS).
_TRUST_ACTIONS = frozenset({"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
                            "sts:tagsession", "sts:setsourceidentity"})


class Hop(Struct, frozen=True):
    """`source` assumes the role `target`, as the engine decided it."""

    source: str
    target: str
    action: str
    answer: Answer

    def as_dict(self) -> dict[str, Any]:
        return {"From": self.source, "To": self.target, "Action": self.action, "Decision": self.answer.decision,
                "Conditions": [r.as_dict() for r in self.answer.requirements],
                "MatchedStatements": self.answer.matched()}


class Route(Struct, frozen=True):
    """How a principal gets the request allowed: hops (none: directly), then the request."""

    final: Answer
    hops: tuple[Hop, ...] = ()

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return tuple(r for h in self.hops for r in h.answer.requirements) + self.final.requirements

    @property
    def unconditional(self) -> bool:
        return not self.requirements

    def rank(self) -> tuple[bool, int]:
        return (not self.unconditional, len(self.hops))


class Entry(Struct, frozen=True):
    arn: str
    type: str
    route: Route

    def as_dict(self) -> dict[str, Any]:
        return {"Arn": self.arn, "Type": self.type,
                "Decision": ALLOWED if self.route.unconditional else CONDITIONAL,
                "Via": [h.as_dict() for h in self.route.hops],
                "Conditions": [r.as_dict() for r in self.route.requirements],
                "MatchedStatements": self.route.final.matched()}


def _outside_requirement(caller: Caller, role_arn: str) -> Requirement:
    """What a principal outside the directory needs beyond the role's trust policy."""
    if caller.type == "Everyone":
        text = f"any principal of any account whose own policies allow {caller.action} on {role_arn}"
    elif caller.type == "Account":
        text = f"principals of account {caller.arn.split(':')[4]} whose own policies allow {caller.action} on {role_arn}"
    elif caller.type in ("Service", "WebIdentity", "SAML"):
        text = ""
    else:
        text = f"{caller.arn}, if its own policies (outside this directory) allow {caller.action} on {role_arn}"
    return Requirement("", "", (), "", "Allow", None, REQUEST, text)


def who_can_in(txn: Txn, action: str, resource: str, *, context: dict[str, Any] | None = None,
               all_accounts: bool = False) -> list[Entry]:
    """`analyze who-can` on the selected account (or every account of the directory)."""
    accounts = txn.account_ids() if all_accounts else [txn.account_id]
    return who_can(Snapshot(txn, accounts), action, resource, context=context, scope=accounts)


def who_can(snapshot: Snapshot, action: str, resource: str, *, context: dict[str, Any] | None = None,
            scope: list[str] | None = None, resource_owner: str | None = None) -> list[Entry]:
    """Every principal for which `action` on `resource` is allowed (see the module docstring),
    sorted by ARN. `scope`: the accounts whose principals are asked (default: all the snapshot's)."""
    if not action or ":" not in action or "*" in action or "?" in action:
        raise InvalidInput(f"action {action!r} must be one action written service:Action, without wildcards")
    accounts = set(scope or snapshot.account_ids)
    decider = Decider(context, directory=snapshot.txn)
    best: dict[str, tuple[str, Route]] = {}

    # A role's trust policy can let a caller in on its own: only then is every principal asked.
    trusting = action.lower() in _TRUST_ACTIONS and resource in snapshot.roles
    for arn, node in snapshot.nodes.items():
        if node.account_id not in accounts:
            continue
        if not trusting and not may_allow(node.principal, action, resource):
            continue  # no statement of its own can allow it, and the directory holds no resource policy
        answer = decider.request(node.principal, action, resource, resource_owner=resource_owner)
        if answer.ok:
            best[arn] = (node.type, Route(answer))

    hops: dict[tuple[str, str], Answer] = {}
    queue = deque(arn for arn, (kind, _) in best.items() if kind == "Role")
    while queue:
        target = queue.popleft()
        route = best[target][1]
        role = snapshot.roles[target]
        view = snapshot.view(target)
        for caller in callers(snapshot, target, accounts):
            key = (caller.arn, target)
            known = hops.get(key)
            if known is None:
                known = decider.assume(caller.principal, view, role, action=caller.action, outside=caller.outside)
                if known.ok and caller.outside and caller.type not in ("Service", "WebIdentity", "SAML"):
                    known = Answer(CONDITIONAL, known.result, known.context,
                                   known.requirements + (_outside_requirement(caller, target),))
                hops[key] = known
            answer = known
            if not answer.ok:
                continue
            hop = Hop(caller.arn, target, caller.action, answer)
            # A named session of a directory role reaches the target for that role.
            who, kind = (caller.node, "Role") if caller.type == "Session" and caller.node else (caller.arn, caller.type)
            if who == target:
                continue
            new = Route(route.final, (hop, *route.hops))
            old = best.get(who)
            if old is None or new.rank() < old[1].rank():
                best[who] = (kind, new)
                if kind == "Role" and who in snapshot.roles:
                    queue.append(who)
    return [Entry(arn, kind, route) for arn, (kind, route) in sorted(best.items())]
