"""Live sessions (ASIA... credentials from `login` and `role assume`): checking the credentials a
caller presents, the token index, purging expired ones, and the principal a session acts as.

Sessions are secret records (`secrets/ACCOUNT/sessions/`) holding only hashes of the secret
access key and the session token. A session is used only by a caller presenting all three
parts (`SessionCredentials`), checked as AWS checks a request signed with temporary
credentials: the access key id alone, or the token alone, is nothing. A session is bound to the
unique id of its user (AIDA...) or role (AROA...): it stops working when that entity is
deleted or renamed, and a later namesake never inherits it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from msgspec import Struct, structs

from iamctl.core.authz.principals import (
    Principal,
    _identity_policies,
    _parse,
    _when,
    organization,
    resolve_user,
)
from iamctl.core.base import clock, names
from iamctl.core.base.errors import ExpiredToken, InvalidClientTokenId, SignatureDoesNotMatch
from iamctl.core.credentials.access_keys import BAD_SIGNATURE, INVALID_TOKEN
from iamctl.core.credentials.hashing import verify_secret
from iamctl.core.store.records import SessionExpiry, SessionTokenIndex, User

if TYPE_CHECKING:
    from iamctl.core.engine.parse import Policy
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import Role, Session

# AWS's wording for an expired session (ExpiredToken); the others are access keys' (access_keys.py).
EXPIRED_TOKEN = "The security token included in the request is expired"


class SessionCredentials(Struct, frozen=True):
    """Temporary credentials as a caller presents them: all three parts, as AWS wants them."""

    access_key_id: str
    secret_access_key: str
    session_token: str


def authenticate_session(txn: Txn, credentials: SessionCredentials) -> Session:
    """The live session the credentials belong to, in any account of the directory.

    As AWS answers a request signed with temporary credentials: an unknown access key id or a
    token that is not the session's is InvalidClientTokenId; a wrong secret access key is
    SignatureDoesNotMatch; an expired session is ExpiredToken. Both hashes are compared in
    constant time. A session whose user or role is gone (deleted, renamed, or replaced by a
    namesake with another unique id) is InvalidClientTokenId too.
    """
    key_id = credentials.access_key_id
    for account_id in txn.account_ids() if key_id.startswith("ASIA") else []:
        session: Session | None = txn.in_account(account_id).get("session", key_id)
        if session is None or session.access_key_id != key_id:
            continue
        token_ok = verify_secret(session.token_hash, credentials.session_token)
        secret_ok = verify_secret(session.secret_hash, credentials.secret_access_key)
        if not token_ok:
            break
        if not secret_ok:
            raise SignatureDoesNotMatch(BAD_SIGNATURE)
        if clock.parse_instant(session.expires) <= clock.now():
            raise ExpiredToken(f"{EXPIRED_TOKEN} (the session {key_id} expired at {session.expires})")
        _bound_entity(txn.in_account(account_id), session)
        return session
    raise InvalidClientTokenId(INVALID_TOKEN)


def caller_identity(txn: Txn, credentials: SessionCredentials) -> dict[str, str]:
    """GetCallerIdentity for temporary credentials: {UserId, Account, Arn}, where UserId is what
    aws:userid holds (the user's unique id for a login session, ROLE-ID:SESSION-NAME for a role
    session) and Arn the session's (the user's ARN, or the assumed-role ARN)."""
    session = authenticate_session(txn, credentials)
    account_id = session.arn.split(":")[4]
    entity = _bound_entity(txn.in_account(account_id), session)
    user_id = entity.user_id if isinstance(entity, User) else f"{entity.role_id}:{session.session_name}"
    return {"UserId": user_id, "Account": account_id, "Arn": session.arn}


def _bound_entity(view: Txn, session: Session) -> User | Role:
    """The user or role the session acts as: the entity of its name, if it has the unique id the
    session was issued for (IAM binds credentials to the principal, not to a name)."""
    entity: User | Role | None
    if session.type == "user":
        kind, name, bound = "user", session.user or "", session.user_id
        entity = view.get("user", name)
    else:
        kind, name, bound = "role", session.role or "", session.role_id
        entity = view.get("role", name)
    unique_id = None if entity is None else (entity.user_id if isinstance(entity, User) else entity.role_id)
    if entity is None or not bound or unique_id != bound:
        raise InvalidClientTokenId(
            f"{INVALID_TOKEN} (the session {session.access_key_id} belonged to {kind} {name}"
            f"{f' ({bound})' if bound else ''}, which no longer exists"
            f"{'; the ' + kind + ' of that name now is another one' if entity is not None else ''})")
    return entity


def _token_key(token: str) -> str:
    """The file key of a token's index entry: a hash, so the token itself is never a file name."""
    import hashlib  # lazy: start-up

    return hashlib.sha256(token.encode()).hexdigest()[:40]


def index_session_token(txn: Txn, token: str, access_key_id: str) -> None:
    """Record token → access key id (the index the purge drops with the session).

    Called once for every session issued (login, role assume), after the session is stored: it
    also files the session under the minute by which it expires and drops the account's sessions
    that have expired (`purge_expired_sessions`), so that secrets/ holds live sessions only.
    """

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
        if bucket is not None:  # listed just now, so always found under the lock
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


def resolve_session(txn: Txn, credentials: SessionCredentials) -> Principal:
    """The principal a live session acts as (`authenticate_session` first): a signed-in user
    (login) or a role session with its session policy, session tags and MFA facts, as AWS
    evaluates requests made with those credentials."""
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    session = authenticate_session(txn, credentials)
    view = txn.in_account(session.arn.split(":")[4])
    issued = _when(session.issued)
    if session.type == "user":
        user = resolve_user(view, session.user or "", mfa=session.mfa_authenticated,
                            mfa_auth_time=session.mfa_auth_time, token_issue_time=session.issued)
        return Principal(user.info, user.identity, user.boundary, label=f"session {session.access_key_id}",
                         account_id=view.account_id, org=user.org)
    role: Role = view.require("role", session.role or "")
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
                     account_id=view.account_id, org=organization(view))
