"""`analyze escalation`: every principal that can obtain permissions it does not have, and how.

A graph (networkx) whose nodes are the directory's users and roles, plus `admin`:

- an edge X -> Y when X can obtain Y's permissions with one technique of the catalogue
  (techniques.py: assume Y; rewrite Y's trust policy, then assume it; create an access key or a
  console password for Y; pass Y to a service that runs X's code as Y; take over a resource
  that already runs as Y);
- an edge X -> admin when X can write permissions for a principal T it is or can become (T
  itself, by the graph: X ⇝ T) and T with those permissions can do everything; an edge T ->
  admin when T already can (those principals are listed apart, as Admins);
- an edge X -> "T as changed" when such a change gives T permissions X lacks, short of everything.

Every permission on the way is a request decided by the engine (decide.Decider: the same
decision as `simulate principal`, a present-day session's, or one with conditions the caller can
meet), and so is every end state: "admin" means the engine allows the principal a catch-all
request on `*`, a set of sensitive actions across services, and every action any of its Deny
statements names. An edge that needs MFA, a request value, or a resource the directory cannot
see (an existing Lambda function, an instance) is conditional, saying what it needs.

Paths: the cheapest in the graph, unconditional edges weighing 1 and conditional ones 1,000, so
an unconditional path is always preferred.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, cast

from msgspec import Struct, structs

from iamctl.core.analysis.callers import callers
from iamctl.core.analysis.decide import CHOICE, SESSION, Answer, Decider, may_allow
from iamctl.core.analysis.snapshot import Snapshot
from iamctl.core.analysis.techniques import (
    ACCESS,
    ADMIN_POLICY_ARN,
    BY_ID,
    CATALOGUE,
    COMPOSITE,
    EXISTING,
    PASSROLE,
    Technique,
)
from iamctl.core.authz.principals import Principal

if TYPE_CHECKING:
    import networkx as nx

    from iamctl.core.analysis.snapshot import Node
    from iamctl.core.engine.parse import Policy
    from iamctl.core.store.directory import Txn

ADMIN = "admin"
CONDITIONAL_WEIGHT = 1000
ADMIN_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

# What "can do everything" is checked with, besides a catch-all request: the actions an attacker
# wants first, across services.
PROBE_ACTIONS = (
    "iam:CreateUser", "iam:PutUserPolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreateAccessKey",
    "iam:PassRole", "iam:UpdateAssumeRolePolicy", "iam:CreatePolicyVersion", "sts:AssumeRole",
    "organizations:LeaveOrganization", "s3:GetObject", "s3:PutBucketPolicy", "s3:DeleteBucket",
    "ec2:RunInstances", "ec2:TerminateInstances", "lambda:CreateFunction", "lambda:UpdateFunctionCode",
    "kms:Decrypt", "kms:ScheduleKeyDeletion", "secretsmanager:GetSecretValue", "dynamodb:DeleteTable",
    "rds:DeleteDBInstance", "cloudtrail:StopLogging", "logs:DeleteLogGroup", "ssm:SendCommand",
)
# The calls of the `policy` techniques: a principal allowed none of them writes no permissions.
WRITE_ACTIONS = ("iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy", "iam:AttachUserPolicy",
                 "iam:AttachRolePolicy", "iam:AttachGroupPolicy", "iam:AddUserToGroup", "iam:CreatePolicyVersion",
                 "iam:SetDefaultPolicyVersion")
# No AWS service has this action: only a `*` (or a NotAction) statement can match it.
CATCH_ALL = "iamctl-probe:AnyActionOfAnyService"


class Step(Struct, frozen=True):
    """One call on the way: who calls what on which resource, as the engine decided it."""

    principal: str
    action: str
    resource: str
    technique: str
    answer: Answer | None = None
    note: str = ""
    subject: str = ""  # the principal the call changes permissions for (writes)
    becomes: str = ""  # the principal whose permissions the caller holds after it
    detail: str = ""  # a policy version id, for SetDefaultPolicyVersion; a service, for PassRole
    context: dict[str, Any] | None = None  # context keys the technique's request carries

    def request_context(self) -> dict[str, Any]:
        """Every context key the engine was asked with beyond `simulate principal`'s: the
        technique's own (iam:PassedToService, ...) and the values that met its conditions."""
        return {**(self.context or {}), **(self.answer.context if self.answer else {})}

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Principal": self.principal, "Action": self.action, "Resource": self.resource,
                               "Technique": self.technique, "Context": self.request_context(),
                               "Conditions": [r.as_dict() for r in self.answer.requirements] if self.answer else []}
        if self.note:
            out["Note"] = self.note
        return out


class Edge(Struct, frozen=True):
    source: str
    target: str  # a principal ARN, ADMIN, or a changed principal's node id
    technique: str
    steps: tuple[Step, ...]
    needs: tuple[str, ...] = ()
    conditional: bool = False

    @property
    def weight(self) -> int:
        return CONDITIONAL_WEIGHT if self.conditional else 1


class Escalation(Struct, frozen=True):
    principal: str
    reaches: str  # ADMIN or a principal ARN
    conditional: bool
    needs: tuple[str, ...]
    techniques: tuple[str, ...]
    steps: tuple[Step, ...]
    gains: tuple[str, str] | None = None  # for a principal short of admin: a request it gains

    def as_dict(self) -> dict[str, Any]:
        return {"Principal": self.principal, "Reaches": self.reaches, "Conditional": self.conditional,
                "Requires": list(self.needs), "Techniques": list(self.techniques),
                "Steps": [s.as_dict() for s in self.steps],
                "Gains": {"Action": self.gains[0], "Resource": self.gains[1]} if self.gains else None}


class Report(Struct, frozen=True):
    escalations: tuple[Escalation, ...]
    admins: tuple[tuple[str, str], ...]  # (ARN, type)
    decisions: int

    def as_dict(self) -> dict[str, Any]:
        return {"Escalations": [e.as_dict() for e in self.escalations],
                "Admins": [{"Arn": arn, "Type": kind} for arn, kind in self.admins]}


def _policy(doc: dict[str, Any], name: str) -> Policy:
    from iamctl.core.engine.parse import parse_policy  # lazy: the engine

    return parse_policy(doc, name=name, kind="identity")


@lru_cache(maxsize=1024)
def _expand(pattern: str) -> list[str]:
    from iamctl.core.engine import catalog  # lazy: AWS's catalogue

    return catalog.expand_actions(pattern)


def _concrete(pattern: str) -> str:
    """A resource an ARN pattern matches, for asking the engine about it."""
    return pattern.replace("*", "x").replace("?", "x")


def _with(p: Principal, *, add: tuple[Policy, ...] = (), swap: dict[str, Policy] | None = None,
          boundary: Policy | None = None) -> Principal:
    """`p` with policies added, or replaced by name (a managed policy's name is its ARN)."""
    swap = swap or {}
    identity = tuple(swap.get(pol.name, pol) for pol in p.identity) + add
    # Everything else the principal carries (its session, its context, its organization's
    # guardrails) stays as it is.
    return structs.replace(p, identity=identity, boundary=boundary if boundary is not None else p.boundary)


def _probes(p: Principal) -> Iterator[tuple[str, str]]:
    yield CATCH_ALL, "*"
    for action in PROBE_ACTIONS:
        yield action, "*"
    for pol in (*p.identity, *((p.boundary,) if p.boundary else ()), *p.session):
        for st in pol.statements:
            if not st.is_deny or st.not_action:
                continue  # a NotAction Deny covers the catch-all request already
            resources = ["*"] if st.resources is None or st.not_resource else ["*", *st.resources.patterns]
            for pattern in st.actions.patterns:
                if pattern == "*":
                    continue  # the catch-all request meets it
                actions = _expand(pattern)[:40] if "*" in pattern or "?" in pattern else [pattern]
                for action in actions:
                    for resource in resources[:5]:
                        yield action, resource


def allowed_everything(decider: Decider, p: Principal, *, mfa: bool = False) -> bool:
    """Whether the engine allows `p` (a present-day session of it; with `mfa`, one signed in with
    MFA too) a catch-all request on `*` (an action no service has: only `*` or a NotAction
    matches it), each of PROBE_ACTIONS on `*`, and every action and resource its Deny statements
    name: "can do everything", as an engine can tell."""
    return all(decider.allows(p, action, resource, mfa=mfa) for action, resource in _probes(p))


# Keys naming the resource a service acts for: when the technique creates that resource, the
# attacker names it, so a condition on them is one it meets.
_CHOSEN = frozenset({"aws:sourcearn", "aws:sourceaccount", "iam:associatedresourcearn"})


def _met(answer: Answer, tech: Technique) -> bool:
    """Unconditional for this technique: a present-day session's answer, or (for a technique that
    creates the resource the role is passed to) one whose only other conditions name that resource."""
    return all(r.need in (SESSION, CHOICE) or (tech.kind == PASSROLE and r.key.lower() in _CHOSEN)
               for r in answer.requirements)


class Search:
    """The escalation graph of a snapshot, built lazily from the principals asked about."""

    def __init__(self, snapshot: Snapshot, *, scope: list[str] | None = None) -> None:
        import networkx as nx  # lazy: heavy library, only the analyses need it

        self.snap = snapshot
        self.scope = set(scope or snapshot.account_ids)
        self.decider = Decider(directory=snapshot.txn)
        self.graph: nx.DiGraph[str] = nx.DiGraph()
        self._become: dict[str, list[Edge]] = {}
        self._admin: dict[int, bool] = {}
        self._keep: list[Principal] = []  # principals whose id() keys a cache entry
        self._service: dict[tuple[str, str], Answer] = {}
        self._resources: dict[tuple[int, str], tuple[str, Answer] | None] = {}
        self._assumable: dict[str, list[tuple[str, Principal]]] | None = None
        self._admin_policy = _policy(ADMIN_DOCUMENT, "policy written by the escalation")
        self.ends: dict[str, tuple[str, Principal]] = {}  # changed principal's node id -> (ARN, principal)
        self._changed: dict[tuple[str, ...], Principal] = {}
        self._gains: dict[tuple[int, int], tuple[str, str] | None] = {}
        self._samples: dict[int, list[tuple[str, str]]] = {}

    # -- decisions ------------------------------------------------------------------------------

    def _allowed(self, p: Principal, action: str, resource: str, extra: dict[str, Any] | None = None) -> Answer | None:
        if not may_allow(p, action, resource):
            return None
        answer = self.decider.request(p, action, resource, extra=extra)
        return answer if answer.ok else None

    def is_admin(self, p: Principal, *, mfa: bool = False) -> bool:
        """Whether the engine allows `p` everything (see `allowed_everything`)."""
        key = id(p) * 2 + mfa
        found = self._admin.get(key)
        if found is None:
            self._keep.append(p)
            found = self._admin[key] = allowed_everything(self.decider, p, mfa=mfa)
        return found

    def gains(self, end: Principal, start: Principal) -> tuple[str, str] | None:
        """A request the engine allows `end` (a present-day session of it) and denies `start`
        (even with MFA), drawn from `end`'s Allow statements; None when none is found."""
        key = (id(end), id(start))
        if key not in self._gains:
            self._keep += [end, start]
            self._gains[key] = self._find_gain(end, start)
        return self._gains[key]

    def _find_gain(self, end: Principal, start: Principal) -> tuple[str, str] | None:
        for action, resource in self._allowed_sample(end):
            if not self.decider.allows(start, action, resource, mfa=True):
                return action, resource
        return None

    def _allowed_sample(self, end: Principal) -> list[tuple[str, str]]:
        """Requests the engine allows `end`, drawn from its Allow statements (at most 40 of the
        first 400 asked): what a principal reaching `end` might gain, asked of each start."""
        key = id(end)
        found = self._samples.get(key)
        if found is not None:
            return found
        self._keep.append(end)
        found = self._samples[key] = []
        tried = 0
        for pol in end.identity:
            for st in pol.statements:
                if st.is_deny:
                    continue
                if st.not_action:
                    actions = [a for a in PROBE_ACTIONS if st.matches_action(a.lower())]
                else:
                    actions = []
                    for pattern in st.actions.patterns:
                        if pattern == "*":
                            actions += PROBE_ACTIONS
                        elif "*" in pattern or "?" in pattern:
                            actions += _expand(pattern)[:25]
                        else:
                            actions.append(pattern)
                resources = (["*"] if st.resources is None or st.resources.any or st.not_resource
                             else [_concrete(r) for r in st.resources.patterns[:5]])
                for action in actions:
                    for resource in resources:
                        tried += 1
                        if tried > 400 or len(found) >= 40:
                            return found
                        if self.decider.allows(end, action, resource):
                            found.append((action, resource))
        return found

    def service_trust(self, role_arn: str, service: str) -> Answer:
        """May the AWS service assume the role (its trust policy alone decides)?"""
        key = (role_arn, service)
        found = self._service.get(key)
        if found is None:
            from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

            principal = Principal(PrincipalInfo(type="Service", service=service), (), label=service,
                                  org=self.snap.org)
            account = self.snap.account_of[role_arn]
            found = self._service[key] = self.decider.assume(
                principal, self.snap.view(role_arn), self.snap.roles[role_arn],
                extra={"aws:SourceAccount": account}, outside=True)
        return found

    def _resource(self, p: Principal, action: str) -> tuple[str, Answer] | None:
        """A resource the engine lets `p` call `action` on: any (`*`), else one matching the
        resource patterns of its own statements for that action (a new or unseen resource)."""
        key = (id(p), action)
        if key in self._resources:
            return self._resources[key]
        self._keep.append(p)
        found = None
        candidates = ["*"]
        for pol in p.identity:
            for st, *_ in pol.entries_for(action.lower()):
                if st.resources is not None and not st.not_resource and not st.is_deny:
                    candidates += [_concrete(r) for r in st.resources.patterns]
        for resource in dict.fromkeys(candidates):
            answer = self._allowed(p, action, resource)
            if answer is not None:
                found = (resource, answer)
                break
        self._resources[key] = found
        return found

    # -- edges that give X another principal's permissions ---------------------------------------

    def _assumable_roles(self, arn: str) -> list[tuple[str, Principal]]:
        """The roles whose trust policies could let `arn` in, with the principal to ask as."""
        if self._assumable is None:
            self._assumable = {}
            for role_arn in self.snap.roles:
                if self.snap.account_of[role_arn] not in self.scope:
                    continue
                for caller in callers(self.snap, role_arn, self.scope):
                    if caller.node is not None:
                        self._assumable.setdefault(caller.node, []).append((role_arn, caller.principal))
        return self._assumable.get(arn, [])

    def become(self, arn: str) -> list[Edge]:
        found = self._become.get(arn)
        if found is None:
            node = self.snap.nodes[arn]
            found = self._become[arn] = [*self._access(node), *self._passrole(node)]
        return found

    def _same_account(self, node: Node, entities: dict[str, Any]) -> Iterator[str]:
        for arn in entities:
            if arn != node.arn and self.snap.account_of[arn] == node.account_id:
                yield arn

    def _access(self, node: Node) -> Iterator[Edge]:
        p, snap = node.principal, self.snap
        for role_arn, asker in self._assumable_roles(node.arn):
            answer = self.decider.assume(asker, snap.view(role_arn), snap.roles[role_arn])
            if answer.ok:
                named = asker.info.session_name if asker is not p else None
                step = Step(node.arn, "sts:AssumeRole", role_arn, "sts-001", answer,
                            note=f"from its session named {named} (the trust policy names that session)"
                            if named else "", becomes=role_arn, detail=named or "")
                yield Edge(node.arn, role_arn, "sts-001", (step,), conditional=not answer.unconditional)
        if may_allow(p, "iam:UpdateAssumeRolePolicy"):
            for role_arn in self._same_account(node, snap.roles):
                if snap.is_service_linked(role_arn):
                    continue  # IAM refuses to change a service-linked role's trust policy
                update = self._allowed(p, "iam:UpdateAssumeRolePolicy", role_arn)
                if update is None:
                    continue
                answer = self.decider.assume(p, snap.view(role_arn), snap.roles[role_arn],
                                             trust_document=self._trusting(node))
                if answer.ok:
                    steps = (Step(node.arn, "iam:UpdateAssumeRolePolicy", role_arn, "iam-012", update,
                                  note=f"trust policy becomes: Allow {node.arn} sts:AssumeRole"),
                             Step(node.arn, "sts:AssumeRole", role_arn, "iam-012", answer, becomes=role_arn))
                    yield Edge(node.arn, role_arn, "iam-012", steps,
                               conditional=not (update.unconditional and answer.unconditional))
        can = {a: may_allow(p, a) for a in ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")}
        for user_arn in self._same_account(node, snap.users) if any(can.values()) else ():
            user = snap.users[user_arn]
            keys = self._allowed(p, "iam:CreateAccessKey", user_arn) if can["iam:CreateAccessKey"] else None
            if keys is not None:
                made: tuple[Step, ...] = ()
                technique = "iam-002"
                ok = keys.unconditional
                if len(user.access_keys) >= snap.view(user_arn).account.quotas.access_keys_per_user:
                    delete = self._allowed(p, "iam:DeleteAccessKey", user_arn)
                    if delete is None:
                        keys = None
                    else:
                        technique, ok = "iam-003", ok and delete.unconditional
                        made = (Step(node.arn, "iam:DeleteAccessKey", user_arn, technique, delete,
                                     note="the user already has the most access keys allowed"),)
                if keys is not None:
                    made += (Step(node.arn, "iam:CreateAccessKey", user_arn, technique, keys, becomes=user_arn),)
                    yield Edge(node.arn, user_arn, technique, made, conditional=not ok)
            if user.login_profile is None and can["iam:CreateLoginProfile"]:
                create = self._allowed(p, "iam:CreateLoginProfile", user_arn)
                if create is not None:
                    yield Edge(node.arn, user_arn, "iam-004",
                               (Step(node.arn, "iam:CreateLoginProfile", user_arn, "iam-004", create, becomes=user_arn),),
                               conditional=not create.unconditional)
            update = self._allowed(p, "iam:UpdateLoginProfile", user_arn) if can["iam:UpdateLoginProfile"] else None
            if update is not None:
                needs = () if user.login_profile else (
                    f"{user_arn} has a console password (login profile): the directory shows none",)
                yield Edge(node.arn, user_arn, "iam-006",
                           (Step(node.arn, "iam:UpdateLoginProfile", user_arn, "iam-006", update, becomes=user_arn),),
                           needs=needs, conditional=bool(needs) or not update.unconditional)

    def _trusting(self, node: Node) -> str:
        """The trust policy an attacker writes: their own ARN may assume the role."""
        import json  # lazy: start-up

        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": node.arn}, "Action": "sts:AssumeRole"}]})

    def _passrole(self, node: Node) -> Iterator[Edge]:
        p = node.principal
        for tech in CATALOGUE:
            if tech.kind not in (PASSROLE, EXISTING):
                continue
            if not all(may_allow(p, a) for a in tech.actions):
                continue
            if tech.kind == PASSROLE and not may_allow(p, "iam:PassRole"):
                continue
            calls = []
            for action in tech.actions:
                found = self._resource(p, action)
                if found is None:
                    break
                calls.append((action, *found))
            else:
                yield from self._service_edges(node, tech, calls)

    def _service_edges(self, node: Node, tech: Technique, calls: list[tuple[str, str, Answer]]) -> Iterator[Edge]:
        p, snap = node.principal, self.snap
        for role_arn in self._same_account(node, snap.roles):
            role = snap.roles[role_arn]
            if snap.is_service_linked(role_arn) or (tech.profile and not role.instance_profiles):
                continue
            for service in tech.services:
                trust = self.service_trust(role_arn, service)
                if not trust.ok:
                    continue
                steps: list[Step] = []
                ok = all(a.unconditional for _, _, a in calls) and _met(trust, tech)
                if tech.kind == PASSROLE:
                    passing = self._allowed(p, "iam:PassRole", role_arn, {"iam:PassedToService": service})
                    if passing is None:
                        continue
                    ok = ok and _met(passing, tech)
                    steps.append(Step(node.arn, "iam:PassRole", role_arn, tech.id, passing,
                                      note=f"to {service}", detail=service,
                                      context={"iam:PassedToService": service}))
                steps += [Step(node.arn, action, resource, tech.id, answer) for action, resource, answer in calls]
                how = (f"in an instance profile ({', '.join(role.instance_profiles)})" if tech.profile else "")
                steps.append(Step(service, "sts:AssumeRole", role_arn, tech.id, trust,
                                  note=f"{service} runs the code as the role {how}".strip(), becomes=role_arn,
                                  context={"aws:SourceAccount": node.account_id}))
                needs = (tech.needs.format(role=role_arn),) if tech.needs else ()
                yield Edge(node.arn, role_arn, tech.id, tuple(steps), needs=needs, conditional=bool(needs) or not ok)
                break  # one service admitting the role is enough

    # -- writing permissions for a principal X can become -----------------------------------------

    def _writes(self, node: Node, target: str) -> Iterator[tuple[str, tuple[Step, ...], Principal, bool]]:
        """(technique, steps, the target's principal after them, unconditional) for each way
        `node` can write permissions for `target` (itself, or a principal it can become)."""
        p, snap = node.principal, self.snap
        if snap.account_of[target] != node.account_id or snap.is_service_linked(target):
            return  # IAM changes only the caller's own account; service-linked roles cannot be changed
        t = snap.nodes[target].principal
        kind = "User" if target in snap.users else "Role"

        def admin_added() -> Principal:
            return self._change((target, "admin"), lambda: _with(t, add=(self._admin_policy,)))

        def admin_attached() -> Principal:
            return self._change((target, "attached"), lambda: _with(t, add=(self._aws_admin(),)))

        writes: list[tuple[str, str, str, dict[str, Any] | None, Callable[[], Principal], str]] = [
            ("iam-007" if kind == "User" else "iam-005", f"iam:Put{kind}Policy", target, None, admin_added,
             "an administrator inline policy"),
            ("iam-008" if kind == "User" else "iam-009", f"iam:Attach{kind}Policy", target,
             {"iam:PolicyARN": ADMIN_POLICY_ARN}, admin_attached, f"attaches {ADMIN_POLICY_ARN}"),
        ]
        if kind == "User":
            for group_arn in snap.groups_of(target):
                writes += [("iam-011", "iam:PutGroupPolicy", group_arn, None, admin_added,
                            f"an administrator inline policy on a group of {target}"),
                           ("iam-010", "iam:AttachGroupPolicy", group_arn, {"iam:PolicyARN": ADMIN_POLICY_ARN},
                            admin_attached, f"attaches {ADMIN_POLICY_ARN} to a group of {target}")]
            if may_allow(p, "iam:AddUserToGroup"):
                mine = set(snap.groups_of(target))
                for group_arn in snap.groups:
                    if group_arn not in mine and snap.account_of[group_arn] == node.account_id:
                        writes.append(("iam-013", "iam:AddUserToGroup", group_arn, None,
                                       self._joined(t, target, group_arn), f"adds {target}"))
        for tech_id, action, resource, extra, end, note in writes:
            answer = self._allowed(p, action, resource, extra)
            if answer is not None:
                yield tech_id, (Step(node.arn, action, resource, tech_id, answer, note=note, subject=target,
                                     context=extra),), end(), \
                    answer.unconditional
        for policy_arn in self._customer_policies_of(target):
            yield from self._policy_versions(node, t, target, policy_arn)

    def _joined(self, t: Principal, target: str, group_arn: str) -> Callable[[], Principal]:
        return lambda: self._change((target, "group", group_arn), lambda: _with(t, add=self._group_policies(group_arn)))

    def _aws_admin(self) -> Policy:
        from iamctl.core.authz.principals import _parse  # lazy: start-up
        from iamctl.core.engine import aws_managed  # lazy: the bundle

        found = aws_managed.get(ADMIN_POLICY_ARN)
        return _parse(ADMIN_POLICY_ARN, found.document if found else "", "identity") if found else \
            _policy(ADMIN_DOCUMENT, ADMIN_POLICY_ARN)

    def _policy_versions(self, node: Node, t: Principal, target: str, policy_arn: str
                         ) -> Iterator[tuple[str, tuple[Step, ...], Principal, bool]]:
        """A new default version of a customer managed policy that applies to `target`
        (CreatePolicyVersion), or another of its versions made the default (SetDefaultPolicyVersion)."""
        p, snap = node.principal, self.snap
        policy = snap.policies[policy_arn]
        answer = self._allowed(p, "iam:CreatePolicyVersion", policy_arn)
        if answer is not None:
            steps: tuple[Step, ...] = ()
            ok = answer.unconditional
            if len(policy.versions) >= snap.view(policy_arn).account.quotas.versions_per_policy:
                delete = self._allowed(p, "iam:DeletePolicyVersion", policy_arn)
                ok = ok and delete is not None and delete.unconditional
                steps = (Step(node.arn, "iam:DeletePolicyVersion", policy_arn, "iam-001", delete,
                              note="the policy already has the most versions allowed", subject=target),) \
                    if delete else ()
                if delete is None:
                    answer = None
            if answer is not None:
                steps += (Step(node.arn, "iam:CreatePolicyVersion", policy_arn, "iam-001", answer,
                               note="an administrator version, set as the default", subject=target),)
                end = self._change((target, "version", policy_arn),
                                   lambda: self._swapped(t, target, policy_arn, ADMIN_DOCUMENT))
                yield "iam-001", steps, end, ok
        switch = self._allowed(p, "iam:SetDefaultPolicyVersion", policy_arn) if len(policy.versions) > 1 else None
        if switch is None:
            return
        for version in policy.versions:
            if version.version_id == policy.default_version:
                continue
            end = self._change((target, "default", policy_arn, version.version_id),
                               partial(self._swapped, t, target, policy_arn, version.document))
            yield "rhino-2", (Step(node.arn, "iam:SetDefaultPolicyVersion", policy_arn, "rhino-2", switch,
                                   note=f"makes {version.version_id} the default", subject=target,
                                   detail=version.version_id),), end, switch.unconditional

    def _change(self, key: tuple[str, ...], build: Callable[[], Principal]) -> Principal:
        """The principal a change makes, built once per (target, change), so that what the
        engine says of it is asked once too."""
        found = self._changed.get(key)
        if found is None:
            found = self._changed[key] = build()
        return found

    def _customer_policies_of(self, target: str) -> list[str]:
        """The customer managed policies that apply to `target`, its boundary included."""
        snap = self.snap
        entity: Any = snap.users.get(target) or snap.roles[target]
        arns = list(entity.attached_policies)
        if target in snap.users:
            for g in snap.groups_of(target):
                arns += snap.groups[g].attached_policies
        if entity.permissions_boundary:
            arns.append(entity.permissions_boundary)
        return [a for a in dict.fromkeys(arns) if a in snap.policies]

    def _swapped(self, t: Principal, target: str, policy_arn: str, document: Any) -> Principal:
        from iamctl.core.engine.parse import parse_policy  # lazy: the engine

        entity: Any = self.snap.users.get(target) or self.snap.roles[target]
        boundary = None
        if entity.permissions_boundary == policy_arn:
            boundary = parse_policy(document, name=policy_arn, kind="boundary")
        changed = parse_policy(document, name=policy_arn, kind="identity")
        attached = any(pol.name == policy_arn for pol in t.identity)
        return _with(t, swap={policy_arn: changed} if attached else None, boundary=boundary)

    def _group_policies(self, group_arn: str) -> tuple[Policy, ...]:
        from iamctl.core.authz.principals import _parse  # lazy: start-up
        from iamctl.core.identities.documents import managed_document  # lazy: start-up

        group = self.snap.groups[group_arn]
        view = self.snap.view(group_arn)
        out = [_parse(f"group/{group.name} inline {name}", text, "identity") for name, text in group.inline_policies.items()]
        out += [_parse(arn, managed_document(view, arn), "identity") for arn in group.attached_policies]
        return tuple(out)

    # -- the search -----------------------------------------------------------------------------

    def _add(self, edge: Edge) -> None:
        old = self.graph.get_edge_data(edge.source, edge.target)
        if old is None or edge.weight < old["weight"]:
            self.graph.add_edge(edge.source, edge.target, weight=edge.weight, edge=edge)

    def run(self, starts: list[str]) -> None:
        """Explore everything `starts` can reach, adding every edge found."""

        seen: set[str] = set()
        queue = deque(starts)
        while queue:
            arn = queue.popleft()
            if arn in seen:
                continue
            seen.add(arn)
            self.graph.add_node(arn)
            for edge in self.become(arn):
                self._add(edge)
                if edge.target not in seen:
                    queue.append(edge.target)
        for arn in seen:
            if self.is_admin(self.snap.nodes[arn].principal):
                self.graph.add_edge(arn, ADMIN, weight=0, edge=None)
        become = self.graph.copy()
        for arn in sorted(seen):
            node = self.snap.nodes[arn]
            if self.is_admin(node.principal) or not any(may_allow(node.principal, a) for a in WRITE_ACTIONS):
                continue
            dist, paths = _dijkstra(become, arn)
            for target in [arn, *sorted(t for t in paths if t != arn and t in self.snap.nodes)]:
                lead = [become[u][v]["edge"] for u, v in zip(paths[target], paths[target][1:], strict=False)]
                for tech_id, steps, end, ok in self._writes(node, target):
                    tail = tuple(s for e in lead for s in e.steps)
                    conditional = not ok or any(e.conditional for e in lead)
                    needs = tuple(n for e in lead for n in e.needs)
                    if self.is_admin(end):
                        self._add(Edge(arn, ADMIN, tech_id, steps + tail, needs, conditional))
                        continue
                    # Short of admin: whether it gains anything is asked only for the starts
                    # that need it (analyse), as it costs more than the rest.
                    changed = f"{target}#{tech_id}#{id(end)}"
                    self.ends[changed] = (target, end)
                    self._add(Edge(arn, changed, tech_id, steps + tail, needs, conditional))


def _dijkstra(graph: nx.DiGraph[str], source: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Distances and cheapest paths from `source` to every node it reaches."""
    import networkx as nx  # lazy: heavy library

    dist, paths = nx.single_source_dijkstra(graph, source, weight="weight")
    return cast("dict[str, float]", dist), cast("dict[str, list[str]]", paths)


def _techniques(edges: list[Edge]) -> tuple[str, ...]:
    """The techniques of a path, with a composite named where two of its parts follow each other."""
    ids = [e.technique for e in edges]
    named: list[str] = []
    for comp in CATALOGUE:
        if comp.kind != COMPOSITE:
            continue
        first, second = comp.parts
        for e in edges:
            if e.technique == first and e.target == ADMIN:
                # a write for a principal reached by `second`: its steps end with that technique's
                if any(s.technique == second for s in e.steps):
                    named.append(comp.id)
    return tuple(dict.fromkeys(ids + named))


def escalations(txn: Txn, *, principal: str | None = None, all_accounts: bool = False) -> Report:
    """`analyze escalation`: the selected account (or every account of the directory), for
    every principal or the one `principal` names (a name, `user/NAME`, `role/NAME` or an ARN)."""
    accounts = txn.account_ids() if all_accounts else [txn.account_id]
    snapshot = Snapshot(txn, accounts)
    start = snapshot.find(principal, txn.account_id).arn if principal else None
    return analyse(snapshot, principal=start, scope=accounts)


def analyse(snapshot: Snapshot, *, principal: str | None = None, scope: list[str] | None = None) -> Report:
    """Every escalation of the principals in `scope` (or of `principal` alone), and the admins."""

    search = Search(snapshot, scope=scope)
    accounts = search.scope
    in_scope = [arn for arn, n in snapshot.nodes.items() if n.account_id in accounts]
    admins = tuple((arn, snapshot.nodes[arn].type) for arn in in_scope
                   if search.is_admin(snapshot.nodes[arn].principal, mfa=True))
    admin_set = {a for a, _ in admins}
    if principal is not None:
        starts = [principal]
    else:
        starts = [arn for arn in in_scope if arn not in admin_set and not snapshot.is_service_linked(arn)]
    search.run(starts)
    graph = search.graph
    out: list[Escalation] = []
    for start in starts:
        if start in admin_set:
            continue
        node = snapshot.nodes[start]
        dist, paths = _dijkstra(graph, start)
        found_admin = ADMIN in dist
        if found_admin:
            out.append(_escalation(graph, start, ADMIN, paths[ADMIN]))
        if found_admin and dist[ADMIN] < CONDITIONAL_WEIGHT:
            continue
        for target in sorted(t for t in paths if t not in (start, ADMIN)):
            if found_admin and dist[target] >= CONDITIONAL_WEIGHT:
                continue  # already conditional to admin: only unconditional gains add anything
            arn, end = search.ends.get(target) or (target, snapshot.nodes[target].principal)
            if end is not None and (gained := search.gains(end, node.principal)) is not None:
                out.append(_escalation(graph, start, arn, paths[target], gained))
    return Report(tuple(out), admins, search.decider.decisions)


def _escalation(graph: Any, start: str, reaches: str, path: list[str], gains: tuple[str, str] | None = None
                ) -> Escalation:
    edges = [e for u, v in zip(path, path[1:], strict=False) if (e := graph[u][v]["edge"]) is not None]
    steps = tuple(s for e in edges for s in e.steps)
    return Escalation(start, reaches, any(e.conditional for e in edges),
                      tuple(dict.fromkeys(n for e in edges for n in e.needs)), _techniques(edges), steps, gains)


__all__ = ["ACCESS", "ADMIN", "BY_ID", "Report", "Search", "analyse"]
