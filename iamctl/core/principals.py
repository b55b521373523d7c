"""From the account directory to the policy engine: who a caller is and which policies apply.

`resolve_*` turn a user, group, role or live session into a `Principal`: the engine's
`PrincipalInfo` (which fills aws:username, aws:PrincipalTag/*, MFA facts, ...) plus the parsed
identity policies, permissions boundary and session policies that AWS would evaluate for it.
`authorize` then decides one request. The simulator, `role assume` and `login` all use these,
so a decision is made the same way everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field, structs

from . import clock, names
from .errors import InvalidClientTokenId, NoSuchEntity

if TYPE_CHECKING:
    from .model import Session
    from .policy import Policy, PrincipalInfo, Result
    from .store import Txn


class Principal(Struct, frozen=True):
    """A caller as the engine sees it, with every policy that applies to it."""

    info: PrincipalInfo
    identity: tuple[Policy, ...]
    boundary: Policy | None = None
    session: tuple[Policy, ...] = ()
    label: str = ""  # "user/alice", "role/deploy", "session ASIA..."
    account_id: str = ""
    extra_context: dict[str, Any] = field(default_factory=dict)


def _parse(label: str, text: str, kind: str) -> Policy:
    from .policy import parse_policy

    return parse_policy(text, name=label, kind=kind)


def _identity_policies(txn: Txn, kind: str, name: str) -> tuple[tuple[Policy, ...], Policy | None]:
    from .documents import boundary_document, effective_policies

    identity = tuple(_parse(d.label, d.document, "identity") for d in effective_policies(txn, kind, name))
    boundary = None
    if kind in ("user", "role"):
        doc = boundary_document(txn, kind, name)
        if doc is not None:
            boundary = _parse(doc.label, doc.document, "boundary")
    return identity, boundary


def _when(iso: str | None) -> datetime | None:
    return None if iso is None else datetime.fromtimestamp(clock.parse_instant(iso), UTC)


def resolve_user(txn: Txn, name: str, *, mfa: bool | None = None, mfa_auth_time: str | None = None,
                 token_issue_time: str | None = None) -> Principal:
    """A user with its inline, attached and group policies and its boundary.

    `mfa` None means long-term credentials: AWS leaves aws:MultiFactorAuthPresent out of the
    request entirely (not false) when a request is signed with an access key.
    """
    from .policy import PrincipalInfo

    user = txn.require("user", name)
    identity, boundary = _identity_policies(txn, "user", user.name)
    arn = names.arn(txn.account_id, "user", user.path, user.name)
    info = PrincipalInfo(
        type="User", arn=arn, account_id=txn.account_id, username=user.name, userid=user.user_id,
        tags=dict(user.tags), mfa_authenticated=mfa, mfa_auth_time=_when(mfa_auth_time),
        token_issue_time=_when(token_issue_time),
    )
    return Principal(info, identity, boundary, label=f"user/{user.name}", account_id=txn.account_id)


def resolve_group(txn: Txn, name: str) -> Principal:
    """A group's own policies, evaluated as if for an anonymous member (AWS's
    SimulatePrincipalPolicy with a group ARN)."""
    from .policy import PrincipalInfo

    group = txn.require("group", name)
    identity, _ = _identity_policies(txn, "group", group.name)
    info = PrincipalInfo(type="User", account_id=txn.account_id)
    return Principal(info, identity, None, label=f"group/{group.name}", account_id=txn.account_id)


def role_session_arn(account_id: str, role_name: str, session_name: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION (the path is not part of it)."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def resolve_role(txn: Txn, name: str, *, session_name: str = "iamctl-simulation") -> Principal:
    """A role's policies and boundary, as a session of that role would be evaluated."""
    from .policy import PrincipalInfo

    role = txn.require("role", name)
    identity, boundary = _identity_policies(txn, "role", role.name)
    info = PrincipalInfo(
        type="AssumedRole", arn=role_session_arn(txn.account_id, role.name, session_name),
        account_id=txn.account_id, userid=f"{role.role_id}:{session_name}", tags=dict(role.tags),
        base_arn=names.arn(txn.account_id, "role", role.path, role.name), session_name=session_name,
    )
    return Principal(info, identity, boundary, label=f"role/{role.name}", account_id=txn.account_id)


def find_session(txn: Txn, token_or_id: str) -> Session:
    """A live session by its access key id (ASIA...) or its session token, in any account of
    the directory. Expired or unknown → InvalidClientTokenId."""
    from .credentials import verify_secret

    by_id = token_or_id.startswith("ASIA")
    for account_id in txn.account_ids():
        view = txn.in_account(account_id)
        if by_id:
            key_id = token_or_id
        else:
            index = view.get("session-token", _token_key(token_or_id))
            if index is None:
                continue
            key_id = index.access_key_id
        session = view.get("session", key_id)
        if session is None or (not by_id and not verify_secret(session.token_hash, token_or_id)):
            continue
        if clock.parse_instant(session.expires) <= clock.now():
            raise InvalidClientTokenId(f"the session {session.access_key_id} expired at {session.expires}")
        return session
    raise InvalidClientTokenId("The security token included in the request is invalid.")


def _token_key(token: str) -> str:
    """The file key of a token's index entry: a hash, so the token itself is never a file name."""
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()[:40]


def index_session_token(txn: Txn, token: str, access_key_id: str) -> None:
    """Record token → access key id so `--session TOKEN` finds its session in one read.

    Called once for every session issued (login, role assume), after the session is stored: it
    also files the session under the minute by which it expires and drops the account's sessions
    that have expired (`purge_expired_sessions`), so that secrets/ holds live sessions only.
    """

    from .model import SessionExpiry, SessionTokenIndex

    key = _token_key(token)
    txn.put("session-token", SessionTokenIndex(key, access_key_id))
    session = txn.get("session", access_key_id)
    if session is not None:
        txn.put("session", structs.replace(session, token_key=key))
        minute = _minute(-(-clock.parse_instant(session.expires) // 60) * 60)  # rounded up
        bucket = txn.get("session-expiry", minute) or SessionExpiry(minute)
        bucket.access_key_ids.append(access_key_id)
        bucket.token_keys.append(key)
        txn.put("session-expiry", bucket)
    purge_expired_sessions(txn)


def _minute(instant: float) -> str:
    return datetime.fromtimestamp(instant, UTC).strftime("%Y%m%d-%H%M")


def purge_expired_sessions(txn: Txn, *, read_all: bool = False) -> list[str]:
    """Delete this account's expired sessions and their token index entries, in this
    transaction; return their access key ids. Expired credentials are never valid again, and
    keeping them would grow secrets/ for ever.

    Cheap by default: a folder listing of the per-minute expiry records, then only the records
    of minutes already past. `read_all` (for `role sessions`, which reads every session anyway)
    also checks each session's own expiry, catching sessions stored before the expiry records.
    """
    gone: list[str] = []
    now_minute = _minute(clock.now())
    for minute in txn.keys("session-expiry"):
        if minute > now_minute:
            break  # keys are sorted, and so are minutes written as YYYYMMDD-HHMM
        bucket = txn.get("session-expiry", minute)
        for key_id, token_key in zip(bucket.access_key_ids, bucket.token_keys, strict=True):
            gone += _drop_session(txn, key_id, token_key)
        txn.delete("session-expiry", minute)
    if read_all:
        now = clock.now()
        expired = [s for s in txn.list("session") if clock.parse_instant(s.expires) <= now]
        for session in expired:
            gone += _drop_session(txn, session.access_key_id, session.token_key)
        legacy = {s.access_key_id for s in expired if not s.token_key}
        if legacy:  # no index key recorded: find their entries by reading the index once
            for entry in txn.list("session-token"):
                if entry.access_key_id in legacy:
                    txn.delete("session-token", entry.token_key)
    return gone


def _drop_session(txn: Txn, access_key_id: str, token_key: str) -> list[str]:
    if token_key and txn.exists("session-token", token_key):
        txn.delete("session-token", token_key)
    if txn.exists("session", access_key_id):
        txn.delete("session", access_key_id)
        return [access_key_id]
    return []


def resolve_session(txn: Txn, token_or_id: str) -> Principal:
    """A live session: a signed-in user (login) or a role session with its session policy,
    session tags and MFA facts, as AWS evaluates requests made with those credentials."""
    from .policy import PrincipalInfo

    session = find_session(txn, token_or_id)
    view = txn.in_account(session.arn.split(":")[4])
    issued = _when(session.issued)
    if session.type == "user":
        user = resolve_user(view, session.user or "", mfa=session.mfa_authenticated,
                            mfa_auth_time=session.mfa_auth_time, token_issue_time=session.issued)
        return Principal(user.info, user.identity, user.boundary, label=f"session {session.access_key_id}",
                         account_id=view.account_id)
    role = view.get("role", session.role or "")
    if role is None:
        raise NoSuchEntity(f"The role with name {session.role} cannot be found.")
    if clock.parse_instant(role.created) > clock.parse_instant(session.issued):
        # A role deleted and created again under the same name is a new role (AWS tells them
        # apart by unique id): sessions of the old one must not gain the new one's permissions.
        raise InvalidClientTokenId(f"the session {session.access_key_id} belongs to an earlier role named {role.name}")
    identity, boundary = _identity_policies(view, "role", role.name)
    session_policies: tuple[Policy, ...] = ()
    if session.session_policy:
        session_policies = (_parse(f"session {session.access_key_id} policy", session.session_policy, "session"),)
    info = PrincipalInfo(
        type="AssumedRole", arn=session.arn, account_id=view.account_id,
        userid=f"{role.role_id}:{session.session_name}", tags=dict(role.tags),
        base_arn=names.arn(view.account_id, "role", role.path, role.name), session_name=session.session_name,
        session_tags=dict(session.tags), mfa_authenticated=session.mfa_authenticated,
        mfa_auth_time=_when(session.mfa_auth_time), token_issue_time=issued,
        source_identity=session.source_identity,
    )
    return Principal(info, identity, boundary, session_policies, label=f"session {session.access_key_id}",
                     account_id=view.account_id)


def authorize(
    principal: Principal,
    action: str,
    resource: str = "*",
    *,
    context: dict[str, Any] | None = None,
    resource_policies: list[Policy] | None = None,
    trust: Policy | None = None,
    resource_account: str | None = None,
    scps: list[list[Policy]] | None = None,
) -> Result:
    """Decide one request by `principal`, the way AWS would (see iamctl.core.policy.evaluate)."""
    from .policy import evaluate, make_request

    now = datetime.fromtimestamp(clock.now(), UTC)
    request = make_request(action, resource, principal=principal.info,
                           context={**principal.extra_context, **(context or {})}, now=now,
                           resource_account=resource_account)
    return evaluate(request, identity=principal.identity, resource=resource_policies or None, trust=trust,
                    boundary=principal.boundary, session=principal.session or None, scps=scps)
