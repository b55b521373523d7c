"""Live sessions (ASIA... credentials from `login` and `role assume`): finding one from its
token, the token index, purging expired ones, and the principal a session acts as.

Sessions are secret records (`secrets/ACCOUNT/sessions/`); a token is found through an index
keyed by its hash, so `--session TOKEN` reads two small files whatever the number of sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from msgspec import structs

from iamctl.core.authz.principals import Principal, _identity_policies, _parse, _when, resolve_user
from iamctl.core.base import clock, names
from iamctl.core.base.errors import InvalidClientTokenId, NoSuchEntity
from iamctl.core.credentials.hashing import verify_secret
from iamctl.core.store.records import SessionExpiry, SessionTokenIndex

if TYPE_CHECKING:
    from iamctl.core.engine.parse import Policy
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import Session


def find_session(txn: Txn, token_or_id: str) -> Session:
    """A live session by its access key id (ASIA...) or its session token, in any account of
    the directory. Expired or unknown → InvalidClientTokenId."""

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
    import hashlib  # lazy: start-up

    return hashlib.sha256(token.encode()).hexdigest()[:40]


def index_session_token(txn: Txn, token: str, access_key_id: str) -> None:
    """Record token → access key id so `--session TOKEN` finds its session in one read.

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


def resolve_session(txn: Txn, token_or_id: str) -> Principal:
    """A live session: a signed-in user (login) or a role session with its session policy,
    session tags and MFA facts, as AWS evaluates requests made with those credentials."""
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

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
