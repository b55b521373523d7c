"""`analyze escalation --replay`: carry out a path's IAM steps in a scratch copy of the directory.

The account directory is copied to a temporary directory (secrets included: creating an access
key needs them) and each step of an unconditional path is done there with iamctl's own
operations, in order, by the principal the step names as the step has left it:

1. the step is decided again by the engine for that principal *in the scratch state* (a policy
   written by an earlier step counts; a session opened by an earlier step is the caller);
2. then it is carried out: a policy put or attached, a policy version created or made the
   default, a user added to a group, a trust policy replaced, an access key created and then
   authenticated, a console password set and then verified, a role assumed with `role assume`'s
   own code (the session it issues is the caller of the next steps), a service's right to assume
   a role checked with `role assume --as-service`'s. A step outside IAM (launching an instance,
   creating a function) can only be decided, not carried out: iamctl has no EC2 or Lambda.

At the end, the principal the path ends as is rebuilt from the scratch state and asked what
the path claims (everything, for `admin`; the gained request, for a principal) by the engine.
The copy is deleted afterwards; the real directory is never written.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from iamctl.core.analysis.decide import Answer, Decider
from iamctl.core.analysis.escalation import ADMIN, ADMIN_DOCUMENT, Escalation, Step, allowed_everything
from iamctl.core.analysis.techniques import ADMIN_POLICY_ARN
from iamctl.core.authz.principals import Principal, organization, resolve_role, resolve_user
from iamctl.core.base.errors import IamError
from iamctl.core.credentials import access_keys, passwords, sessions, sts
from iamctl.core.identities import groups, policies, roles
from iamctl.core.store.directory import Store

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import EntityKind

REPLAY_POLICY = "iamctl-replay-escalation"
SESSION_NAME = "iamctl-replay"


class Done(Struct, frozen=True):
    step: Step
    decision: str
    done: str

    def as_dict(self) -> dict[str, Any]:
        return {"Principal": self.step.principal, "Action": self.step.action, "Resource": self.step.resource,
                "Decision": self.decision, "Done": self.done}


class Proof(Struct, frozen=True):
    proved: bool | None  # None: not replayed (a conditional path)
    steps: tuple[Done, ...] = ()
    end: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"Proved": self.proved, "Steps": [d.as_dict() for d in self.steps], "EndState": self.end,
                "Reason": self.reason}


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _account(arn: str) -> str:
    return arn.split(":")[4]


class _Scratch:
    """The scratch transaction and the principals as the steps have left them."""

    def __init__(self, txn: Txn) -> None:
        self.txn = txn
        # role ARN -> the credentials of the session the path opened for it (all three parts)
        self.sessions: dict[str, sessions.SessionCredentials] = {}

    def view(self, arn: str) -> Txn:
        account = _account(arn)
        return self.txn if account == self.txn.account_id else self.txn.in_account(account)

    def principal(self, arn: str) -> Principal:
        if arn in self.sessions:
            return sessions.resolve_session(self.txn, self.sessions[arn])
        view = self.view(arn)
        return resolve_user(view, _name(arn)) if ":user/" in arn else resolve_role(view, _name(arn))


def _decide(scratch: _Scratch, decider: Decider, step: Step) -> Answer | None:
    """The step, decided by the engine in the scratch state."""
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    if not step.principal.startswith("arn:"):  # an AWS service assuming the role
        view = scratch.view(step.resource)
        role = view.require("role", _name(step.resource))
        service = Principal(PrincipalInfo(type="Service", service=step.principal), (), label=step.principal,
                            org=organization(scratch.txn))
        answer = decider.assume(service, view, role, extra={"aws:SourceAccount": view.account_id}, outside=True)
        return answer if answer.ok else None
    caller = scratch.principal(step.principal)
    if step.action == "sts:AssumeRole":
        view = scratch.view(step.resource)
        if step.detail:  # the trust policy names one session of the caller's role
            caller = resolve_role(scratch.view(step.principal), _name(step.principal), session_name=step.detail)
        answer = decider.assume(caller, view, view.require("role", _name(step.resource)))
    else:
        extra = {"iam:PassedToService": step.detail} if step.action == "iam:PassRole" else None
        if step.action.startswith("iam:Attach"):
            extra = {"iam:PolicyARN": ADMIN_POLICY_ARN}
        answer = decider.request(caller, step.action, step.resource, extra=extra)
    return answer if answer.ok and answer.unconditional else None


def _carry_out(scratch: _Scratch, step: Step, admin_text: str) -> str:
    """Do the step with iamctl's own operation; say what was done."""
    action, resource = step.action, step.resource
    view = scratch.view(resource) if resource.startswith("arn:") else scratch.txn
    kind: EntityKind = "user" if ":user/" in resource else "group" if ":group/" in resource else "role"
    if action in ("iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy"):
        policies.put_inline_policy(view, kind, _name(resource), REPLAY_POLICY, admin_text)
        return f"put inline policy {REPLAY_POLICY} (Allow * on *) on {kind}/{_name(resource)}"
    if action in ("iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:AttachGroupPolicy"):
        policies.attach_policy(view, kind, _name(resource), ADMIN_POLICY_ARN)
        return f"attached {ADMIN_POLICY_ARN} to {kind}/{_name(resource)}"
    if action == "iam:AddUserToGroup":
        groups.add_user_to_group(view, _name(resource), _name(step.subject))
        return f"added user/{_name(step.subject)} to group/{_name(resource)}"
    if action == "iam:DeletePolicyVersion":
        policy = policies.require_policy(view, resource)
        oldest = next(v for v in policy.versions if v.version_id != policy.default_version)
        policies.delete_version(view, resource, oldest.version_id)
        return f"deleted version {oldest.version_id} of {resource}"
    if action == "iam:CreatePolicyVersion":
        version = policies.create_version(view, resource, admin_text, set_as_default=True)
        return f"created version {version.version_id} (Allow * on *) of {resource}, as the default"
    if action == "iam:SetDefaultPolicyVersion":
        policies.set_default_version(view, resource, step.detail)
        return f"made {step.detail} the default version of {resource}"
    if action == "iam:UpdateAssumeRolePolicy":
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": step.principal}, "Action": "sts:AssumeRole"}]}
        roles.update_trust_policy(view, _name(resource), json.dumps(trust))
        return f"replaced the trust policy of role/{_name(resource)}: {step.principal} may assume it"
    if action == "iam:DeleteAccessKey":
        user = view.require("user", _name(resource))
        access_keys.delete_access_key(view, user.name, user.access_keys[0].access_key_id)
        return f"deleted access key {user.access_keys[0].access_key_id} of user/{user.name}"
    if action == "iam:CreateAccessKey":
        key = access_keys.create_access_key(view, _name(resource))
        who = access_keys.authenticate_access_key(view, key.key.access_key_id, key.secret_access_key)
        scratch.sessions.pop(resource, None)
        return f"created access key {key.key.access_key_id} for user/{who.name} and signed a request with it"
    if action in ("iam:CreateLoginProfile", "iam:UpdateLoginProfile"):
        result = passwords.set_password(view, _name(resource), None)
        assert result.generated is not None
        if not passwords.verify_user_password(view, result.user, result.generated):
            raise IamError("the password just set does not verify")
        return f"set a console password for user/{result.user.name} and signed in with it"
    if action == "sts:AssumeRole" and step.principal.startswith("arn:"):
        caller = _caller(scratch, step)
        issued = sts.assume_role(scratch.txn, resource, caller, session_name=SESSION_NAME)
        scratch.sessions[resource] = issued.presented()
        return f"assumed {resource}: session {issued.session.arn} ({issued.session.access_key_id})"
    if action == "sts:AssumeRole":
        sts.check_service(scratch.txn, resource, step.principal)
        return f"{step.principal} may assume {resource} (sts.check_service: its trust policy lets the service in)"
    if action == "iam:PassRole":
        return "decided only: the role is passed in the service call that follows"
    return f"decided only: iamctl has no {action.split(':')[0]} to carry it out in"


def _caller(scratch: _Scratch, step: Step) -> sts.Caller:
    """The caller of a role assumption, as `role assume --as` resolves it: the session an earlier
    step opened (its credentials authenticated), else the user or the role itself."""
    arn = step.principal
    if arn in scratch.sessions:
        return sts.resolve_caller(scratch.txn, "session", credentials=scratch.sessions[arn])
    if step.detail:  # the trust policy names one session of the caller's role, by its name
        principal = resolve_role(scratch.view(arn), _name(arn), session_name=step.detail)
        return sts.Caller(principal, principal.info.arn or arn, chained=True)
    return sts.resolve_caller(scratch.view(arn), "user" if ":user/" in arn else "role", _name(arn))


def _end(escalation: Escalation) -> str:
    """The principal the path ends as: the last one a step made the caller, else the start."""
    for step in reversed(escalation.steps):
        if step.becomes:
            return step.becomes
    return escalation.principal


def replay(txn: Txn, escalation: Escalation) -> Proof:
    """Replay `escalation` in a scratch copy of `txn`'s directory (see the module docstring)."""
    if escalation.conditional:
        needs = "; ".join(escalation.needs) or "a condition a present-day session cannot be shown to meet"
        return Proof(None, reason=f"conditional, not replayed: it needs {needs}")
    admin_text = json.dumps(ADMIN_DOCUMENT, indent=2) + "\n"
    with tempfile.TemporaryDirectory(prefix="iamctl-replay-") as tmp:
        root = Path(tmp) / "directory"
        shutil.copytree(txn.store.root, root, symlinks=True, ignore=shutil.ignore_patterns(".iamctl"))
        store = Store(root, account=txn.account_id)
        done: list[Done] = []
        with store.write(create=False) as scratch_txn:
            scratch = _Scratch(scratch_txn)
            decider = Decider(directory=scratch_txn)
            for step in escalation.steps:
                if _decide(scratch, decider, step) is None:
                    return Proof(False, tuple(done), reason=f"the engine denies {step.principal} {step.action} on "
                                 f"{step.resource} in the scratch copy")
                try:
                    what = _carry_out(scratch, step, admin_text)
                except IamError as e:
                    return Proof(False, tuple(done), reason=f"{step.action} failed: {e.code}: {e.message}")
                done.append(Done(step, "allowed", what))
            return _check_end(scratch, escalation, tuple(done))


def _check_end(scratch: _Scratch, escalation: Escalation, done: tuple[Done, ...]) -> Proof:
    end_arn = _end(escalation)
    end = scratch.principal(end_arn)
    decider = Decider(directory=scratch.txn)
    if escalation.reaches == ADMIN:
        if allowed_everything(decider, end):
            return Proof(True, done, end=f"{end.info.arn or end_arn}: the engine allows every action on every "
                                         "resource (a catch-all request and every probe)")
        return Proof(False, done, reason=f"{end_arn} is not allowed everything at the end")
    assert escalation.gains is not None
    action, resource = escalation.gains
    start = scratch.principal(escalation.principal) if escalation.principal != end_arn else None
    if decider.allows(end, action, resource):
        return Proof(True, done, end=f"{end.info.arn or end_arn} may {action} on {resource}"
                     + (f", which {escalation.principal} could not" if start is not None else ""))
    return Proof(False, done, reason=f"{end_arn} may not {action} on {resource} at the end")
