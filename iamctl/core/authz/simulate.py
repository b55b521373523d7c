"""The policy simulator: many requests, one principal, AWS's decision and the reasons for it.

`iamctl simulate policy` (like AWS's simulate-custom-policy) takes documents from files;
`iamctl simulate principal` (like simulate-principal-policy) resolves a user, group, role or
live session from the account directory (iamctl.core.principals). Both end here.

For an STS action on a role of the account directory (sts:AssumeRole on
`arn:aws:iam::ACCOUNT:role/NAME`, in this account or another one of the directory), the role's
trust policy is the resource policy: the request is decided by `principals.authorize_assume`,
the decision `role assume` makes.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from iamctl.core.authz.principals import (
    Principal,
    authorize,
    authorize_assume,
    directory_role,
    role_session_arn,
)
from iamctl.core.base import jsonload
from iamctl.core.base.errors import InvalidInput

if TYPE_CHECKING:
    from iamctl.core.engine.decision import Level, Result
    from iamctl.core.engine.parse import Policy
    from iamctl.core.engine.request import PrincipalInfo
    from iamctl.core.store.directory import Txn

_ACCOUNT = re.compile(r"^\d{12}$")


class Outcome(Struct, frozen=True):
    """One simulated request: the engine's result, plus what the simulator noticed."""

    result: Result
    warnings: tuple[str, ...] = ()

    def as_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The documented JSON shape of one result (README, "Simulating requests")."""
        r = self.result
        out = {
            "action": r.request.action,
            "resource": r.request.resource,
            "decision": r.decision,
            "matched_statements": [
                {"policy": m.policy, "sid": m.sid, "effect": m.effect, "index": m.index} for m in r.matched
            ],
            "missing_context_keys": list(r.missing_context_keys),
            "boundary_allowed": r.boundary_allowed,
            "scp_allowed": r.scp_allowed,
            "rcp_allowed": r.rcp_allowed,
            "session_allowed": r.session_allowed,
            "resource_allowed": r.resource_allowed,
            "errors": [e.message for e in r.errors],
            "warnings": list(self.warnings),
        }
        if explain:
            out["explanation"] = list(r.explanation)
        return out


class RequestSet(Struct, frozen=True):
    """What to ask: actions (wildcards expand to AWS's catalogue) × resources, one context."""

    actions: list[str]
    resources: list[str] = field(default_factory=lambda: ["*"])
    context: dict[str, Any] = field(default_factory=dict)
    resource_owner: str | None = None


def parse_context_file(text: str, *, source: str) -> dict[str, Any]:
    """A JSON object of key → string or list of strings (numbers and booleans are stringified)."""
    try:
        data = jsonload.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"{source}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from e
    if not isinstance(data, dict):
        raise InvalidInput(f"{source}: must hold a JSON object of context keys")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list):
            if not all(isinstance(v, str | int | float | bool) for v in value):
                raise InvalidInput(f"{source}: context key {key!r}: a list must hold strings")
            out[key] = [_scalar(v) for v in value]
        elif isinstance(value, str | int | float | bool):
            out[key] = _scalar(value)
        else:
            raise InvalidInput(f"{source}: context key {key!r} must be a string or a list of strings")
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def principal_from_arn(arn: str | None) -> PrincipalInfo:
    """The caller named by an ARN: an IAM user or role ARN, an assumed-role or
    federated-user ARN, an account root ARN or a bare account id. None: an unnamed IAM user."""
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    if arn is None:
        return PrincipalInfo(type="User")
    if _ACCOUNT.match(arn):
        return PrincipalInfo(type="Account", arn=f"arn:aws:iam::{arn}:root", account_id=arn)
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not _ACCOUNT.match(parts[4]):
        raise InvalidInput(f"caller ARN {arn!r} is not an IAM or STS ARN with a 12-digit account id")
    service, account, resource = parts[2], parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    name = rest.rsplit("/", 1)[-1]
    if service == "iam" and resource == "root":
        return PrincipalInfo(type="Account", arn=arn, account_id=account)
    if service == "iam" and kind == "user" and name:
        return PrincipalInfo(type="User", arn=arn, account_id=account, username=name)
    if service == "iam" and kind == "role" and name:
        return PrincipalInfo(type="AssumedRole", arn=role_session_arn(account, name, "iamctl-simulation"),
                             account_id=account, base_arn=arn, session_name="iamctl-simulation")
    if service == "sts" and kind == "assumed-role" and "/" in rest:
        role, session = rest.split("/", 1)
        return PrincipalInfo(type="AssumedRole", arn=arn, account_id=account,
                             base_arn=f"arn:aws:iam::{account}:role/{role}", session_name=session)
    if service == "sts" and kind == "federated-user" and name:
        return PrincipalInfo(type="FederatedUser", arn=arn, account_id=account, session_name=name)
    raise InvalidInput(f"caller ARN {arn!r} names no user, role, session or account root")


def expand(actions: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Each requested action with its warnings; a wildcard becomes every real action it matches
    in AWS's catalogue. An action the catalogue does not know, or a pattern that matches none of
    its actions, is kept and evaluated as written (AWS evaluates them too), with a warning: a
    misspelt action (s3:GetObjectt) would otherwise pass silently."""
    from iamctl.core.engine import catalog  # lazy: AWS's catalogue

    out: list[tuple[str, tuple[str, ...]]] = []
    for action in actions:
        if ":" not in action and action != "*":
            raise InvalidInput(f"action {action!r} must be written service:Action, e.g. s3:GetObject")
        if "*" in action or "?" in action:
            found = catalog.expand_actions(action)
            if found:
                out.extend((name, ()) for name in found)
            else:
                out.append((action, (f"{action} matches no action in AWS's catalogue; evaluated as written",)))
        elif catalog.known_action(action):
            out.append((action, ()))
        else:
            out.append((action, (f"{action} is not in AWS's action catalogue (evaluated anyway)",)))
    return out


def _resourceless(action: str, resource: str) -> bool:
    """An action that acts on no resource type, requested for every resource (`*`)."""
    if resource != "*":
        return False
    from iamctl.core.engine import catalog  # lazy: AWS's catalogue

    return catalog.action_has_resource_types(action) is False


def _policy_warnings(result: Result) -> tuple[str, ...]:
    """The grammar errors the evaluation tolerated, in every policy the decision scanned."""
    seen: dict[str, None] = {}
    for layer in result.layers:
        for pol in layer.policies:
            for w in pol.warnings:
                seen.setdefault(f"{pol.name}: {w}")
    return tuple(seen)


def run(
    principal: Principal,
    requests: RequestSet,
    *,
    resource_policies: list[Policy] | None = None,
    scps: list[Level] | None = None,
    rcps: list[Level] | None = None,
    directory: Txn | None = None,
) -> list[Outcome]:
    """Decide every action x resource for `principal`.

    `scps` / `rcps` are the levels that must allow (engine `Level`s). With `directory` (the
    account directory's transaction), an STS action on a role of the directory is decided with
    that role's trust policy, by the decision `role assume` makes (`principals.authorize_assume`).
    Warnings (unknown actions, grammar errors the evaluation tolerated) come with each outcome."""

    if not requests.actions:
        raise InvalidInput("give at least one action")
    outcomes = []
    for action, warnings in expand(requests.actions):
        for resource in requests.resources or ["*"]:
            result = decide(principal, action, resource, context=requests.context,
                            resource_policies=resource_policies, resource_owner=requests.resource_owner,
                            scps=scps, rcps=rcps, directory=directory)
            outcomes.append(Outcome(result, warnings + _policy_warnings(result)))
    return outcomes


def decide(
    principal: Principal,
    action: str,
    resource: str,
    *,
    context: dict[str, Any] | None = None,
    resource_policies: list[Policy] | None = None,
    resource_owner: str | None = None,
    scps: list[Level] | None = None,
    rcps: list[Level] | None = None,
    directory: Txn | None = None,
) -> Result:
    """One request of `run`, decided: one action (no wildcard) on one resource. The account-wide
    analyses ask their requests through here, so that each answer is the simulator's."""
    from iamctl.core.engine.grammar import TRUST_ACTIONS_LOWER  # lazy: the engine

    role = None
    if directory is not None and action.lower() in TRUST_ACTIONS_LOWER:
        role = directory_role(directory, resource)
    if role is not None:
        view, found = role
        return authorize_assume(principal, action, view, found, context=context, scps=scps, rcps=rcps)
    return authorize(principal, action, resource, context=context, resource_policies=resource_policies,
                     resource_account=resource_owner, scps=scps, rcps=rcps,
                     resourceless=_resourceless(action, resource))


def custom_principal(
    caller_arn: str | None,
    *,
    identity: list[Policy],
    boundary: Policy | None = None,
    session: list[Policy] | None = None,
) -> Principal:
    """A principal for `simulate policy`: the given documents, for the caller `caller_arn`."""

    info = principal_from_arn(caller_arn)
    return Principal(info, tuple(identity), boundary, tuple(session or ()), label=caller_arn or "caller",
                     account_id=info.account_id or "")
