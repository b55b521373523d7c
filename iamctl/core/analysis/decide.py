"""One request, decided by the engine, with the conditions its answer depends on.

Every answer here is the simulator's decision on one request (`simulate.decide`, which `simulate
principal` makes for each of its requests), or, for a role assumption, `principals.authorize_assume`
(the decision `role assume` makes: the role's trust policy as the resource policy and the
caller's policies, in one evaluation). What this module adds is *which requests to ask*:

1. the request exactly as `simulate principal` makes it (long-term credentials for a user, a
   plain session for a role): an "allowed" here is an unconditional yes;
2. the same request from a session issued now (`aws:TokenIssueTime` now,
   `aws:MultiFactorAuthPresent` false), which every present-day principal can have (a sign-in,
   sts:GetSessionToken, a role session);
3. the same session signed in with MFA;
4. for a request still denied, values for the condition keys the caller controls
   (`aws:SourceIp`, `sts:ExternalId`, an OIDC token's claims, ...), read off the conditions of
   the statements that match the request's action, resource and principal: a value that makes
   an Allow's conditions hold, or a Deny's fail (each value checked with the condition itself),
   and the request decided again with them.

A yes at 2-4 is a conditional answer; its `requirements` are the conditions of the deciding
statements (and of the Deny statements avoided) on the keys that were added, as the policies
wrote them, with the value that satisfied them. Keys that describe the caller or the present
(`aws:PrincipalTag/*`, `aws:CurrentTime`, `aws:TokenIssueTime`, ...) are never invented: a
condition on them that a present-day session cannot meet is no answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from msgspec import Struct, structs

from iamctl.core.authz.principals import authorize_assume
from iamctl.core.authz.simulate import decide
from iamctl.core.base import clock

if TYPE_CHECKING:
    from iamctl.core.authz.principals import Principal
    from iamctl.core.engine.conditions import Condition
    from iamctl.core.engine.decision import Result
    from iamctl.core.engine.parse import Policy, Statement
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import Role

ALLOWED = "allowed"
CONDITIONAL = "conditional"
DENIED = "denied"

# What a requirement needs: "session" is met by any session issued now, "choice" by a value the
# caller picks in its own request (a region, a session name, request tags): neither is a
# condition for an escalation. "mfa" needs a session signed in with MFA, "request" a value the
# caller may not have (a source address, an external id, a token claim, an unseen resource's tag).
SESSION, CHOICE, MFA, REQUEST = "session", "choice", "mfa", "request"
CHOICE_KEYS = frozenset({"aws:requestedregion", "aws:securetransport", "aws:useragent", "aws:referer",
                         "sts:rolesessionname", "sts:sourceidentity", "sts:transitivetagkeys", "aws:tagkeys"})
CHOICE_PREFIXES = ("aws:requesttag/",)

# Condition keys that describe the caller, the time or the accounts: the caller cannot choose
# them, so the solver never invents a value for them (lower case).
FACT_KEYS = frozenset({
    "aws:username", "aws:userid", "aws:principalarn", "aws:principalaccount", "aws:principaltype",
    "aws:principaltagkeys", "aws:principalorgid", "aws:principalorgpaths", "aws:principalisawsservice",
    "aws:principalservicename", "aws:principalservicenameslist", "aws:currenttime", "aws:epochtime",
    "aws:tokenissuetime", "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:resourceaccount",
    "aws:resourceorgid", "aws:resourceorgpaths", "aws:viaawsservice", "aws:calledvia", "aws:calledviafirst",
    "aws:calledvialast", "aws:federatedprovider", "aws:ec2instancesourceprivateipv4",
    "aws:ec2instancesourcevpc", "aws:sourceowner",
})
FACT_PREFIXES = ("aws:principaltag/",)
_MFA_KEYS = frozenset({"aws:multifactorauthpresent", "aws:multifactorauthage"})
_NO_MATCH = "iamctl-no-match"


_TIME_KEYS = frozenset({"aws:currenttime", "aws:epochtime", "aws:tokenissuetime"})


# What a principal outside the directory cannot choose either: the time, the resource's account
# and organization (the resource is in the directory), and, when its account is known (an
# account trusted by id, a named ARN), that account and whether it is in the organization.
_OUTSIDE_FACTS = _TIME_KEYS | {"aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths"}
_ACCOUNT_FACTS = frozenset({"aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths"})


def is_fact(key_l: str, *, outside: bool = False, account_known: bool = False) -> bool:
    """Whether the caller cannot choose `key_l`. For a principal outside the directory, who it is
    (its ARN, tags) is open too; its account and organization only when its account is unknown."""
    if outside:
        return key_l in _OUTSIDE_FACTS or (account_known and key_l in _ACCOUNT_FACTS)
    return key_l in FACT_KEYS or key_l.startswith(FACT_PREFIXES)


class Requirement(Struct, frozen=True):
    """A condition an answer depends on, in the words of the policy that holds it."""

    key: str
    operator: str
    values: tuple[str, ...]
    statement: str  # 'policy "NAME" statement "SID"'
    effect: str  # Allow: must hold; Deny: must not hold
    value: Any  # the request value that met it (a witness: `simulate principal -c KEY=VALUE`)
    need: str  # SESSION | MFA | REQUEST
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {"Key": self.key, "Operator": self.operator, "Values": list(self.values),
                "Statement": self.statement, "Effect": self.effect, "Value": self.value,
                "Needs": self.need, "Summary": self.summary}


class Answer(Struct, frozen=True):
    """The engine's answer to one request, with what it depends on."""

    decision: str  # ALLOWED | CONDITIONAL | DENIED
    result: Result  # the evaluation that decided (the allowing one when not DENIED)
    context: dict[str, Any]  # the context added to the simulate-principal request
    requirements: tuple[Requirement, ...] = ()

    @property
    def ok(self) -> bool:
        return self.decision != DENIED

    @property
    def unconditional(self) -> bool:
        """Allowed for a present-day session making its own choices: no MFA, no value it may not
        have, no unseen resource."""
        return self.ok and all(r.need in (SESSION, CHOICE) for r in self.requirements)

    def matched(self) -> list[dict[str, Any]]:
        """The deciding statements, in `simulate`'s shape."""
        return [{"policy": m.policy, "sid": m.sid, "effect": m.effect, "index": m.index}
                for m in self.result.matched]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(cond: Condition, effect: str, value: Any) -> str:
    """The condition as a person would say it: "only with MFA", "only from 203.0.113.0/24"."""
    from iamctl.core.engine.conditions import describe  # lazy: the engine

    key = cond.key_l
    if key == "aws:tokenissuetime":
        return ("only with temporary credentials issued now (a sign-in, sts:GetSessionToken or a role "
                "session), not long-term access keys")
    if key == "aws:multifactorauthpresent":
        return "only with MFA" if str(value).lower() == "true" else "only without MFA"
    if key == "aws:multifactorauthage":
        return f"only with MFA, signed in recently ({describe(cond)})"
    # An Allow's condition must hold; a Deny's must not: either way, does the value have to match?
    must_match = (effect == "Allow") != cond.negated
    values = " or ".join(cond.values)
    if cond.family == "ip":
        return f"only from {values}" if must_match else f"only from outside {values}"
    if cond.family == "bool":
        return f"only when {cond.key} is {_shown(value)}"
    if cond.family in ("string", "arn") and cond.qualifier is None:
        like = cond.family == "arn" or cond.base.endswith("Like")
        verb = ("matches" if must_match else "does not match") if like else ("is" if must_match else "is not")
        return f"only when {cond.key} {verb} {values}"
    if effect == "Deny":
        return f"only when not ({describe(cond)})"
    return f"only when {describe(cond)}"


def _shown(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _candidates(cond: Condition) -> list[Any]:
    """Request values worth trying against `cond`: derived from its own values first."""
    out: list[Any] = []
    for text in cond.values:
        if cond.family in ("string", "arn"):
            out.append(text.replace("*", "x").replace("?", "x"))
            out.append(text)
        elif cond.family in ("numeric", "date"):
            try:
                from iamctl.core.engine.conditions import parse_date, parse_number  # lazy: the engine

                n = parse_number(text) if cond.family == "numeric" else parse_date(text)
            except (TypeError, ValueError):
                continue
            for v in (n, n - 1, n + 1):
                out.append(_iso(v) if cond.family == "date" else (str(int(v)) if v == int(v) else str(v)))
        elif cond.family == "ip":
            try:
                net = ipaddress.ip_network(text.strip(), strict=False)
            except ValueError:
                continue
            hosts = net.num_addresses > 2
            out.append(str(net.network_address + 1 if hosts else net.network_address))
        else:
            out.append(text)
    out += [_NO_MATCH, "true", "false", "0", "192.0.2.1", "2001:db8::1", _iso(0)]
    if cond.qualifier is not None:
        out = [[v] for v in out]
    return out


def witness(cond: Condition, want: bool) -> tuple[bool, Any]:
    """(found, value): a request value for `cond`'s key that makes the condition `want`, checked
    by the condition itself; (True, None) when leaving the key out does it."""
    from iamctl.core.engine.conditions import ConditionEvaluationError  # lazy: the engine

    if cond.templated:
        return False, None  # a policy variable: its value depends on other keys
    if cond.absent == want:
        return True, None
    for value in _candidates(cond):
        try:
            if cond.evaluate({cond.key_l: value}) == want:
                return True, value
        except ConditionEvaluationError:
            continue
    return False, None


def applicable(result: Result) -> list[tuple[Policy, Statement]]:
    """The statements of every layer of `result` whose action, resource and principal match its
    request, conditions aside: those that applied, and the near misses that failed only on a
    condition, from the decision's scan run again with a trace (as `--explain` finds them)."""
    from iamctl.core.engine.evaluator import Evaluator, Miss  # lazy: the engine

    out: list[tuple[Policy, Statement]] = []
    for layer in result.layers:
        if not layer.policies:
            continue
        trace: list[Miss] = []
        ev = Evaluator(result.request, has_boundary=result.has_boundary, trace=trace)
        scanned = ev.scan(layer.policies, [], principals=layer.kind in ("resource", "rcp"), kind=layer.kind,
                          level=layer.level)
        by_name = {pol.name: pol for pol in layer.policies}
        for ref in (*scanned.allows, *scanned.denies):
            pol = by_name[ref.policy]
            out.append((pol, pol.statements[ref.index]))
        out += [(miss.policy, miss.statement) for miss in trace if miss.element == "condition"]
    return out


def _label(pol: Policy, st: Statement) -> str:
    return f'policy "{pol.name}" {st.label}'


def requirements(result: Result, added: dict[str, Any], *, outside: bool = False,
                 account_known: bool = False) -> tuple[Requirement, ...]:
    """The conditions on the keys in `added` that the allowing `result` depends on: those of its
    deciding Allow statements, and those of the matching Deny statements they kept from applying."""
    keys = {k.lower(): v for k, v in added.items()}
    if not keys:
        return ()
    matched = {(m.policy, m.kind, m.index) for m in result.matched}
    out: list[Requirement] = []
    seen: set[tuple[str, str, str]] = set()
    for pol, st in applicable(result):
        deciding = (pol.name, pol.kind, st.index) in matched
        if not (deciding or st.is_deny):
            continue
        for cond in st.conditions:
            if cond.key_l not in keys:
                continue
            sig = (cond.key_l, cond.operator, ",".join(cond.values))
            if sig in seen:
                continue
            seen.add(sig)
            value = keys[cond.key_l]
            fact = is_fact(cond.key_l, outside=outside, account_known=account_known)
            need = (MFA if cond.key_l in _MFA_KEYS else SESSION if fact
                    else CHOICE if cond.key_l in CHOICE_KEYS or cond.key_l.startswith(CHOICE_PREFIXES) else REQUEST)
            out.append(Requirement(cond.key, cond.operator, cond.values, _label(pol, st), st.effect, value, need,
                                   _summary(cond, st.effect, value)))
    return tuple(out)


def solve(result: Result, *, outside: bool = False, account_known: bool = False) -> list[dict[str, Any]]:
    """Contexts worth trying for a denied `result`: values for caller-controlled keys that make
    a matching Allow statement's conditions hold, and a matching Deny's fail, most promising first."""
    ctx = result.request.ctx
    allow_sets: list[dict[str, Any]] = []
    deny_set: dict[str, Any] = {}
    for _pol, st in applicable(result):
        if not st.conditions:
            continue
        if st.is_deny:
            for cond in st.conditions:  # one failing condition keeps the Deny away
                if cond.key_l in ctx or is_fact(cond.key_l, outside=outside, account_known=account_known):
                    continue
                found, value = witness(cond, False)
                if found and value is not None:
                    deny_set.setdefault(cond.key, value)
                    break
            continue
        wanted: dict[str, Any] = {}
        for cond in st.conditions:
            if cond.key_l in ctx or is_fact(cond.key_l, outside=outside, account_known=account_known):
                wanted = {}
                if not _holds(cond, ctx):
                    break  # a condition on a key the caller cannot set fails: this statement is out
                continue
            found, value = witness(cond, True)
            if not found:
                wanted = {}
                break
            if value is not None:
                wanted[cond.key] = value
        else:
            if wanted:
                allow_sets.append(wanted)
    if not allow_sets and not deny_set:
        return []
    union: dict[str, Any] = dict(deny_set)
    for s in allow_sets:
        for k, v in s.items():
            union.setdefault(k, v)
    tries = [union] + [{**deny_set, **s} for s in allow_sets if len(allow_sets) > 1]
    out: list[dict[str, Any]] = []
    for t in tries:
        if t and t not in out:
            out.append(t)
    return out


def _holds(cond: Condition, ctx: dict[str, Any]) -> bool:
    from iamctl.core.engine.conditions import ConditionEvaluationError  # lazy: the engine

    try:
        return cond.evaluate(ctx)
    except ConditionEvaluationError:
        return False


def policy_may_allow(pol: Policy, action_l: str, resource: str | None = None) -> bool:
    """False when no Allow statement of `pol` can match `action_l` (lower case) on `resource`:
    the engine's per-action statement index, and each resource pattern's necessary condition
    (a pattern's policy variables widened to match anything; NotResource always may)."""
    for st, _, pats, _, deny in pol.entries_for(action_l):
        if deny:
            continue
        if resource is None or pats is None or st.not_resource:
            return True
        if (resource in pats.exact or resource.startswith(pats.prefixes)
                or (pats.regex is not None and pats.regex.fullmatch(resource) is not None)
                or (pats.skeleton is not None and pats.skeleton.fullmatch(resource) is not None)):
            return True
    return False


def may_allow(principal: Principal, action: str, resource: str | None = None) -> bool:
    """False when no identity-based statement of `principal` can allow `action` (on `resource`):
    such a request, with no resource-based policy, is denied for sure, so it need not be asked."""
    action_l = action.lower()
    return any(policy_may_allow(pol, action_l, resource) for pol in principal.identity)


class Decider:
    """Decides requests for the analyses: the session variants, the solver, and `context` (the
    user's `-c KEY=VALUE` pairs), which overrides what the variants put in. `directory`: the
    transaction of the account directory, so that an STS action on one of its roles is decided
    with the role's trust policy, as `simulate principal` decides it."""

    def __init__(self, context: dict[str, Any] | None = None, *, now: float | None = None,
                 directory: Txn | None = None) -> None:
        self.context = dict(context or {})
        self.directory = directory
        issued = _iso(clock.now() if now is None else now)
        self.session_context = {"aws:TokenIssueTime": issued, "aws:MultiFactorAuthPresent": "false"}
        self.mfa_context = {"aws:TokenIssueTime": issued, "aws:MultiFactorAuthPresent": "true",
                            "aws:MultiFactorAuthAge": "0"}
        self.decisions = 0

    def _decide(self, principal: Principal, action: str, resource: str, ctx: dict[str, Any],
                resource_owner: str | None = None) -> Result:
        self.decisions += 1
        return decide(principal, action, resource, context=ctx, resource_owner=resource_owner,
                      directory=self.directory)

    def request(self, principal: Principal, action: str, resource: str = "*", *,
                extra: dict[str, Any] | None = None, resource_owner: str | None = None) -> Answer:
        """`principal` calling `action` on `resource`, as `simulate principal` asks it (the
        directory holds no resource-based policies besides trust policies)."""
        def evaluate(ctx: dict[str, Any]) -> Result:
            return self._decide(principal, action, resource, ctx, resource_owner)

        return self._answer(evaluate, principal, extra)

    def allows(self, principal: Principal, action: str, resource: str = "*", *,
               extra: dict[str, Any] | None = None, mfa: bool = False) -> bool:
        """Whether the engine allows the request for `principal` as simulated or from a session
        issued now (with `mfa`, also one signed in with MFA); no condition values are invented."""
        if not may_allow(principal, action, resource):
            return False
        variants: list[dict[str, Any]] = [{}]
        if principal.info.type in ("User", "AssumedRole"):
            variants += [self.session_context, self.mfa_context] if mfa else [self.session_context]
        for overlay in variants:
            result = self._decide(principal, action, resource, {**overlay, **self.context, **(extra or {})})
            if result.allowed:
                return True
            if not result.missing_context_keys:
                return False  # no added key can change it (see _answer)
        return False

    def assume(self, principal: Principal, view: Txn, role: Role, *, action: str = "sts:AssumeRole",
               extra: dict[str, Any] | None = None, trust_document: str | None = None,
               outside: bool = False) -> Answer:
        """`principal` assuming `role` (of the account `view`), as `role assume` decides it; with
        `trust_document`, as it would decide it were that the role's trust policy."""
        base = {"sts:RoleSessionName": "iamctl-analysis", **(extra or {})}
        target = role if trust_document is None else structs.replace(role, assume_role_policy=trust_document)

        def evaluate(ctx: dict[str, Any], sts_action: str = action) -> Result:
            self.decisions += 1
            return authorize_assume(principal, sts_action, view, target, context=ctx)

        answer = self._answer(evaluate, principal, base, outside=outside)
        if not answer.ok or action != "sts:AssumeRole":
            return answer
        # Session rules, as `role assume` applies them (STS AssumeRole; "Passing session tags in
        # AWS STS"; "sts:SetSourceIdentity"): an answer that needs session tags needs
        # sts:TagSession too, one that needs a source identity sts:SetSourceIdentity, decided by
        # the trust policy and the caller's policies with the same request.
        keys = {k.lower() for k in answer.context}
        for needed, when in (("sts:TagSession", any(k.startswith("aws:requesttag/") or k == "aws:tagkeys"
                                                      for k in keys)),
                             ("sts:SetSourceIdentity", "sts:sourceidentity" in keys)):
            if when and not evaluate({**answer.context, **self.context, **base}, needed).allowed:
                return Answer(DENIED, answer.result, {})
        return answer

    def _answer(self, evaluate: Callable[[dict[str, Any]], Result], principal: Principal,
                extra: dict[str, Any] | None, *, outside: bool = False) -> Answer:
        fixed = {**self.context, **(extra or {})}
        known = {"outside": outside, "account_known": principal.info.account_id is not None}
        variants: list[dict[str, Any]] = [{}]
        if principal.info.type in ("User", "AssumedRole"):
            variants += [self.session_context, self.mfa_context]
        first: Result | None = None
        denied: list[tuple[dict[str, Any], Result]] = []
        for overlay in variants:
            added = {k: v for k, v in overlay.items() if k not in self.context}
            result = evaluate({**overlay, **fixed})
            if result.allowed:
                return Answer(ALLOWED if not added else CONDITIONAL, result, added,
                              requirements(result, added, **known))
            if first is None and not result.missing_context_keys:
                # No statement matching the request reads a key it lacks: no added key can
                # change the engine's answer (Result.missing_context_keys lists every such key).
                return Answer(DENIED, result, {})
            first = first or result
            denied.append((added, result))
        assert first is not None
        if first.decision == "explicitDeny" and not first.missing_context_keys:
            return Answer(DENIED, first, {})  # a Deny that reads no absent key: no value changes it
        for added, result in denied[1:] or denied:
            for extra_ctx in solve(result, **known):
                tried = {**added, **extra_ctx}
                again = evaluate({**tried, **fixed})
                if again.allowed:
                    return Answer(CONDITIONAL, again, tried, requirements(again, tried, **known))
        return Answer(DENIED, first, {})
