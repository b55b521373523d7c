"""Temporary credentials: assume a role as a user, a role session or a web identity.

AWS semantics, from the STS API Reference (AssumeRole, AssumeRoleWithWebIdentity) and the IAM
User Guide ("Methods to assume a role", "Role chaining", "Passing session tags in AWS STS",
"Session policies", "Revoking IAM role temporary security credentials", "Cross-account policy
evaluation logic"):

* the trust policy must allow the caller (principal and every condition), and the caller's own
  identity-based policies must allow sts:AssumeRole on the role too, unless the trust policy of
  a role in the caller's own account names the caller's ARN. Both sides are decided by the
  policy engine in one evaluation (`principals.authorize_assume`, which `simulate` uses too);
  a refusal says which side refused, with the engine's explanation;
* RoleSessionName is 2-64 characters of `[\\w+=,.@-]`; DurationSeconds 900 up to the role's
  MaxSessionDuration, and at most 3,600 when a role session assumes a role (role chaining);
* session tags need sts:TagSession too, and at most 50 of them; transitive tags pass on to
  chained sessions and cannot be overridden there; a source identity, once set, cannot change;
* a session policy is at most 2,048 characters (whitespace not counted) and limits the session
  to the intersection of it and the role's policies;
* revoking a role's sessions puts an inline policy AWSRevokeOlderSessions on the role that
  denies everything to sessions whose aws:TokenIssueTime is before now.

Credentials are returned once; only hashes of the secret key and the session token are stored,
in the session's record in the role's account (with the secrets, owner-only).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct, field, structs

from iamctl.core.authz.principals import (
    Principal,
    authorize_assume,
    organization,
    resolve_role,
    resolve_user,
    role_session_arn,
)
from iamctl.core.base import clock, jsonload, names
from iamctl.core.base.errors import (
    AccessDenied,
    ExpiredToken,
    InvalidAuthenticationCode,
    InvalidIdentityToken,
    InvalidInput,
    LimitExceeded,
    ValidationError,
)
from iamctl.core.credentials import mfa
from iamctl.core.credentials.hashing import hash_secret, new_secret_access_key, new_session_token
from iamctl.core.credentials.sessions import (
    SessionCredentials,
    authenticate_session,
    index_session_token,
    purge_expired_sessions,
    resolve_session,
)
from iamctl.core.identities.policies import document_size, put_inline_policy, validate_document
from iamctl.core.identities.providers import find_oidc_provider, oidc_arn, oidc_identifier
from iamctl.core.identities.roles import check_external_id, locate_role, role_arn
from iamctl.core.store.records import Role, RoleLastUsed, Session

if TYPE_CHECKING:
    from iamctl.core.engine.decision import Result
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import OidcProvider

MIN_DURATION = 900
CHAINED_MAX_DURATION = 3600
DEFAULT_DURATION = 3600
SESSION_POLICY_SIZE = 2048
SESSION_TAGS_LIMIT = 50
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)
# Asymmetric algorithms only: a JWKS holds public keys, and accepting HS* or "none" would let a
# token choose how it is checked.
_JWT_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class Caller(Struct, frozen=True):
    """Who asks to assume a role, as the engine sees it, and what a chained session inherits."""

    principal: Principal
    arn: str
    chained: bool = False  # a role session: role chaining rules apply
    session: Session | None = None  # the caller's own session, when it used one


class Issued(Struct, frozen=True):
    """A new session and its credentials: the secret and the token exist only here."""

    session: Session
    secret_access_key: str
    session_token: str
    role_id: str

    def presented(self) -> SessionCredentials:
        """The three parts a caller presents to use the session."""
        return SessionCredentials(self.session.access_key_id, self.secret_access_key, self.session_token)


class WebIdentityOutcome(Struct, frozen=True):
    """What assume-web-identity decided: the claims it evaluated, whether the token's signature
    was verified, the decision, and credentials when it issued some."""

    provider_arn: str
    claims: dict[str, Any]
    context: dict[str, Any]
    verified: bool
    result: Result
    issued: Issued | None = None
    reason: str = ""  # why no credentials were issued, for a dry run
    extra: dict[str, Any] = field(default_factory=dict)


# -- callers ---------------------------------------------------------------------------------------


def resolve_caller(txn: Txn, kind: Literal["user", "role", "session"], name: str | None = None, *,
                   credentials: SessionCredentials | None = None, mfa_code: str | None = None) -> Caller:
    """The caller of an AssumeRole: the user `name` (long-term credentials; with `mfa_code`
    accepted by the user's MFA device, MFA is present), the role `name` (a session of that role:
    role chaining) or a session (the live session whose `credentials` are presented, all three
    parts, with its MFA facts and tags).

    A wrong or replayed MFA code is recorded by the MFA module (replay guard, throttle) as an
    attempt record, then refused with AccessDenied.
    """
    if kind == "user" and name:
        if mfa_code is None:
            principal = resolve_user(txn, name)
            return Caller(principal, principal.info.arn or "")
        try:
            mfa.check_code(txn, name, mfa_code)
        except InvalidAuthenticationCode as e:
            raise AccessDenied(f"MultiFactorAuthentication failed with invalid MFA one time pass code. ({e})") from None
        principal = resolve_user(txn, name, mfa=True, mfa_auth_time=clock.iso())
        return Caller(principal, principal.info.arn or "")
    if mfa_code is not None:
        raise InvalidInput("an MFA code goes with a user caller (the user's own MFA device); a session carries "
                           "the MFA facts of its sign-in")
    if kind == "role" and name:
        principal = resolve_role(txn, name)
        return Caller(principal, principal.info.arn or "", chained=True)
    if kind == "session":
        if credentials is None:
            raise InvalidInput("a session caller needs the session's credentials: access key id, secret access "
                               "key and session token")
        session = authenticate_session(txn, credentials)
        principal = resolve_session(txn, credentials)
        return Caller(principal, session.arn, chained=session.type != "user", session=session)
    if kind in ("user", "role"):
        raise InvalidInput(f"a {kind} caller needs the {kind}'s name")
    raise InvalidInput(f"unknown kind of caller {kind!r}: expected user, role or session")


# -- the role --------------------------------------------------------------------------------------


def refusal(result: Result, *, role_label: str, caller: str, action: str, resource: str) -> AccessDenied:
    """AccessDenied that says which side refused and why, in the engine's words."""
    why = "; ".join(result.explanation)
    side = result.settled_by
    if side == "resource":
        head = f"{role_label}'s trust policy does not allow {caller}"
    elif side == "identity":
        head = (f"{caller}'s identity-based policies do not allow {action} on {resource} (needed as well when "
                "the trust policy trusts the caller's account, or the role is in another account)")
    elif side == "boundary":
        head = f"{caller}'s permissions boundary does not allow {action} on {resource}"
    elif side == "session":
        head = f"{caller}'s session policy does not allow {action} on {resource}"
    elif side == "scp":
        head = f"the organization's service control policies do not allow {action} for {caller}"
    elif side == "rcp":
        head = f"the organization's resource control policies do not allow {action} on {resource}"
    elif side == "deny":
        kinds = {m.kind for m in result.matched}
        whose = {"trust": f"{role_label}'s trust policy", "scp": "a service control policy of the organization",
                 "rcp": "a resource control policy of the organization"}
        where = " and ".join(sorted(whose.get(k, f"{caller}'s {k} policy") for k in kinds))
        head = f"{action} on {resource} is explicitly denied by {where}"
    else:
        head = f"{caller} is not authorized to perform {action} on {resource}"
    return AccessDenied(f"{head}: {why}")


def _decide(view: Txn, role: Role, principal: Principal, action: str, context: dict[str, Any],
            caller_arn: str) -> Result:
    # The one decision path for role assumption, which `simulate` takes too.
    result = authorize_assume(principal, action, view, role, context=context)
    if not result.allowed:
        raise refusal(result, role_label=f"role/{role.name}", caller=caller_arn, action=action,
                      resource=role_arn(view, role))
    return result


# -- request checks --------------------------------------------------------------------------------


def check_session_name(name: str) -> str:
    """RoleSessionName: 2-64 characters of letters, digits and + = , . @ _ -."""
    if not _SESSION_NAME.match(name):
        raise ValidationError(f"session name {name!r} must be 2 to 64 characters of letters, digits and "
                              "+ = , . @ _ -")
    return name


def check_duration(seconds: int | None, role: Role, *, chained: bool) -> int:
    """DurationSeconds: 900 up to the role's maximum; at most 3,600 for role chaining."""
    if seconds is None:
        return DEFAULT_DURATION
    if seconds < MIN_DURATION:
        raise ValidationError(f"DurationSeconds {seconds} is below the minimum of {MIN_DURATION} seconds (15 minutes)")
    if chained and seconds > CHAINED_MAX_DURATION:
        raise ValidationError(f"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
                              f"by role chaining ({seconds} > {CHAINED_MAX_DURATION}).")
    if seconds > role.max_session_duration:
        raise ValidationError(f"The requested DurationSeconds exceeds the MaxSessionDuration set for this role "
                              f"({seconds} > {role.max_session_duration}).")
    return seconds


def check_session_policy(text: str) -> str:
    """A session policy: the identity-policy grammar, at most 2,048 characters (no whitespace)."""

    size = document_size(text)
    if size > SESSION_POLICY_SIZE:
        raise LimitExceeded(f"the session policy has {size} characters (whitespace not counted); AWS allows at "
                            f"most {SESSION_POLICY_SIZE}")
    return validate_document(text, kind="session")


def _session_tags(tags: dict[str, str], transitive: list[str], inherited: Session | None
                  ) -> tuple[dict[str, str], list[str]]:
    """The new session's tags and transitive keys: those passed plus those a chained caller
    carries as transitive, which cannot be overridden."""
    names.check_tags(tags, limit=SESSION_TAGS_LIMIT)
    lower = {k.lower() for k in tags}
    for key in transitive:
        if key.lower() not in lower:
            raise InvalidInput(f"transitive tag key {key!r} is not one of the session tags passed")
    merged, keys = dict(tags), list(transitive)
    if inherited is not None:
        for key in inherited.transitive_tag_keys:
            value = next((v for k, v in inherited.tags.items() if k.lower() == key.lower()), None)
            if value is None:
                continue
            if key.lower() in lower:
                raise InvalidInput(f"session tag {key!r} is a transitive tag of the calling session and cannot "
                                   "be overridden in a chained session")
            merged[key] = value
            keys.append(key)
    if len(merged) > SESSION_TAGS_LIMIT:
        raise LimitExceeded(f"a session can carry at most {SESSION_TAGS_LIMIT} tags (with transitive ones: "
                            f"{len(merged)})")
    return merged, keys


# -- assume-role -----------------------------------------------------------------------------------


def assume_role(
    txn: Txn,
    role_ref: str,
    caller: Caller,
    *,
    session_name: str,
    duration: int | None = None,
    external_id: str | None = None,
    tags: dict[str, str] | None = None,
    transitive_tag_keys: list[str] | None = None,
    session_policy: str | None = None,
    source_identity: str | None = None,
) -> Issued:
    """AssumeRole: decide as AWS does, then issue and store a session.

    `role_ref` is a role name or ARN (another account of the directory for cross-account).
    Raises ValidationError for a bad session name or duration, AccessDenied (saying which side
    refused) when the trust policy or the caller's policies do not allow it, or do not allow
    sts:TagSession / sts:SetSourceIdentity when tags or a source identity are passed.
    """
    view, role = locate_role(txn, role_ref)
    check_session_name(session_name)
    seconds = check_duration(duration, role, chained=caller.chained)
    if external_id is not None:
        check_external_id(external_id)
    if session_policy is not None:
        check_session_policy(session_policy)
    inherited = caller.session
    all_tags, transitive = _session_tags(dict(tags or {}), list(transitive_tag_keys or []), inherited)
    if inherited is not None and inherited.source_identity is not None:
        if source_identity is not None and source_identity != inherited.source_identity:
            raise InvalidInput(f"the calling session's source identity is {inherited.source_identity!r}; once set "
                               "it cannot be changed in a chained session")
        source_identity = inherited.source_identity
    elif source_identity is not None:
        check_session_name(source_identity)

    context: dict[str, Any] = {"sts:RoleSessionName": session_name}
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    if tags:
        context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
        context["aws:TagKeys"] = list(tags)
    if transitive:
        context["sts:TransitiveTagKeys"] = list(transitive)
    if source_identity is not None:
        context["sts:SourceIdentity"] = source_identity

    _decide(view, role, caller.principal, "sts:AssumeRole", context, caller.arn)
    if tags:
        _decide(view, role, caller.principal, "sts:TagSession", context, caller.arn)
    if source_identity is not None and (inherited is None or inherited.source_identity is None):
        _decide(view, role, caller.principal, "sts:SetSourceIdentity", context, caller.arn)

    info = caller.principal.info
    mfa = bool(info.mfa_authenticated)
    return _issue(view, role, session_name, seconds, kind="assumed-role", caller_arn=caller.arn,
                  mfa=mfa, mfa_auth_time=clock.iso(info.mfa_auth_time.timestamp()) if mfa and info.mfa_auth_time
                  else None, tags=all_tags, transitive=transitive, session_policy=session_policy,
                  chained=caller.chained, source_identity=source_identity)


def _issue(view: Txn, role: Role, session_name: str, seconds: int, *, kind: str, caller_arn: str,
           mfa: bool = False, mfa_auth_time: str | None = None, tags: dict[str, str] | None = None,
           transitive: list[str] | None = None, session_policy: str | None = None, chained: bool = False,
           source_identity: str | None = None) -> Issued:
    from iamctl.core.base.ids import new_access_key_id  # lazy: start-up

    now = clock.now()
    key_id = new_access_key_id("ASIA")
    while view.get("session", key_id) is not None:
        key_id = new_access_key_id("ASIA")
    secret, token = new_secret_access_key(), new_session_token()
    session = Session(
        access_key_id=key_id, type=kind, arn=role_session_arn(view.account_id, role.name, session_name),
        issued=clock.iso_precise(now), expires=clock.iso(now + seconds), role=role.name, role_id=role.role_id,
        session_name=session_name,
        caller_arn=caller_arn, mfa_authenticated=mfa, mfa_auth_time=mfa_auth_time,
        source_identity=source_identity, tags=dict(tags or {}), transitive_tag_keys=list(transitive or []),
        session_policy=session_policy, chained=chained, secret_hash=hash_secret(secret),
        token_hash=hash_secret(token),
    )
    view.put("session", session)
    index_session_token(view, token, key_id)
    view.put("role", structs.replace(role, last_used=RoleLastUsed(last_used_date=clock.iso(now))))
    return Issued(session, secret, token, role.role_id)


def check_service(txn: Txn, role_ref: str, service: str) -> Result:
    """May this AWS service (e.g. ec2.amazonaws.com) assume the role? Only the trust policy
    decides: services have no identity-based policies. AccessDenied with the reason if not."""
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    view, role = locate_role(txn, role_ref)
    principal = Principal(PrincipalInfo(type="Service", service=service), (), label=service, org=organization(view))
    return _decide(view, role, principal, "sts:AssumeRole", {}, service)


# -- web identity ----------------------------------------------------------------------------------


def _load_jwks_key(provider: OidcProvider, header: dict[str, Any]):
    import jwt  # lazy: heavy library

    try:
        keyset = jwt.PyJWKSet.from_json(provider.jwks or "")
    except jwt.PyJWTError as e:
        raise InvalidIdentityToken(f"the JWKS registered for {provider.url} has no usable key: {e}") from None
    kid = header.get("kid")
    keys = [k for k in keyset.keys if kid is None or k.key_id == kid]
    if not keys:
        raise InvalidIdentityToken(f"no key with kid {kid!r} in the JWKS registered for {provider.url}")
    return keys[0]


def _token_claims(view: Txn, token: str) -> tuple[dict[str, Any], OidcProvider, bool]:
    """The token's claims, its provider, and whether its signature was verified."""
    import jwt  # lazy: heavy library

    _check_jwt_json(token)
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as e:
        raise InvalidIdentityToken(f"the web identity token is not a well-formed JWT: {e}") from None
    provider = _provider_for(view, claims)
    if not provider.jwks:
        return claims, provider, False
    alg = header.get("alg")
    if alg not in _JWT_ALGORITHMS:
        raise InvalidIdentityToken(f"token algorithm {alg!r} is not accepted (only {', '.join(_JWT_ALGORITHMS)})")
    key = _load_jwks_key(provider, header)
    try:
        # Time, audience and issuer are checked below against iamctl's clock and registrations.
        jwt.decode(token, key.key, algorithms=[alg],
                   options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
                            "verify_iss": False})
    except jwt.PyJWTError as e:
        raise InvalidIdentityToken(f"the token's signature does not verify against the JWKS registered for "
                                   f"{provider.url}: {e}") from None
    return claims, provider, True


def _check_jwt_json(token: str) -> None:
    """The token's header and payload through the hardened JSON loader, before PyJWT parses them
    with plain `json.loads` (deep nesting, huge numbers, NaN, lone surrogates)."""
    import base64  # lazy: start-up
    import binascii  # lazy: start-up

    for part, segment in zip(("header", "payload"), token.strip().split(".")[:2], strict=False):
        try:
            raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
            jsonload.loads(raw)
        except (binascii.Error, UnicodeDecodeError):
            continue  # not base64 JSON at all: PyJWT says so in its own words
        except json.JSONDecodeError as e:
            raise InvalidIdentityToken(f"the web identity token's {part} is not acceptable JSON: {e.msg}") from None


def _provider_for(view: Txn, claims: dict[str, Any]) -> OidcProvider:
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise InvalidIdentityToken("the token has no iss (issuer) claim")
    provider = find_oidc_provider(view, iss)
    if provider is None:
        raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {iss}")
    return provider


def _claims_context(provider: OidcProvider, claims: dict[str, Any], *, require_exp: bool) -> dict[str, Any]:
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud] if isinstance(aud, str) else []
    matched = [a for a in auds if a in provider.client_ids]
    if not matched:
        raise InvalidIdentityToken(f"Incorrect token audience: {aud!r} is not a client id registered for "
                                   f"{provider.url} ({', '.join(provider.client_ids)})")
    exp = claims.get("exp")
    if exp is None and require_exp:
        raise InvalidIdentityToken("the token has no exp (expiry) claim")
    if exp is not None:
        if not isinstance(exp, int | float):
            raise InvalidIdentityToken(f"the token's exp claim {exp!r} is not a number")
        if exp <= clock.now():
            raise ExpiredToken(f"Token expired: current date/time {clock.iso()} must be before the expiration "
                               f"date/time {clock.iso(exp)}")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf > clock.now():
        raise InvalidIdentityToken(f"the token is not valid before {clock.iso(nbf)}")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidIdentityToken("the token has no sub (subject) claim")
    prefix = oidc_identifier(provider.url)
    ctx: dict[str, Any] = {f"{prefix}:sub": sub, f"{prefix}:aud": matched[0]}
    amr = claims.get("amr")
    if amr is not None:
        ctx[f"{prefix}:amr"] = amr if isinstance(amr, list) else [amr]
    return ctx


def assume_role_with_web_identity(
    txn: Txn,
    role_ref: str,
    *,
    session_name: str,
    token: str | None = None,
    claims: dict[str, Any] | None = None,
    duration: int | None = None,
) -> WebIdentityOutcome:
    """AssumeRoleWithWebIdentity: evaluate the role's trust policy for the token's provider
    (its Federated principal) with the claims as condition keys `<provider>:sub`, `:aud` and
    `:amr`, as AWS does.

    With `token` (a JWT): the issuer must be a registered provider and the audience one of its
    client ids; when the provider has a JWKS the signature is verified and credentials are
    issued; without one the claims are evaluated but no credentials are issued. With `claims`
    (a decoded payload) it is a dry run. AccessDenied (with the engine's explanation) when the
    trust policy does not allow it.
    """
    from iamctl.core.engine.request import PrincipalInfo  # lazy: the engine

    if (token is None) == (claims is None):
        raise InvalidInput("give a web identity token or its claims (for a dry run), not both")
    view, role = locate_role(txn, role_ref)
    check_session_name(session_name)
    seconds = check_duration(duration, role, chained=False)
    if token is not None:
        found, provider, verified = _token_claims(view, token.strip())
    else:
        assert claims is not None
        found, provider, verified = dict(claims), _provider_for(view, claims), False
    context = _claims_context(provider, found, require_exp=token is not None)
    context["sts:RoleSessionName"] = session_name
    provider_arn = oidc_arn(view, provider)
    principal = Principal(PrincipalInfo(type="WebIdentity", provider=provider_arn), (), label=provider_arn,
                          org=organization(view))
    caller = f"{provider_arn} (sub {found.get('sub')})"
    result = _decide(view, role, principal, "sts:AssumeRoleWithWebIdentity", context, caller)
    if token is None:
        return WebIdentityOutcome(provider_arn, found, context, False, result, reason="dry run (claims given, no token)")
    if not verified:
        return WebIdentityOutcome(provider_arn, found, context, False, result,
                                  reason=f"signature not verified: no JWKS is registered for {provider.url}")
    issued = _issue(view, role, session_name, seconds, kind="web-identity", caller_arn=provider_arn)
    return WebIdentityOutcome(provider_arn, found, context, True, result, issued=issued)


def load_claims(text: str) -> dict[str, Any]:
    """A claims file for a dry run: a JSON object (a decoded JWT payload)."""
    try:
        claims = jsonload.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"claims file is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    if not isinstance(claims, dict):
        raise InvalidInput("claims file must hold a JSON object (a JWT's payload)")
    return claims


# -- sessions --------------------------------------------------------------------------------------


def list_sessions(txn: Txn, role_ref: str) -> list[Session]:
    """The role's sessions that have not expired, oldest first (reads the account's sessions);
    sessions of an earlier role of the same name are not this role's.

    In a writable transaction the account's expired sessions are dropped on the way
    (`principals.purge_expired_sessions`)."""

    view, role = locate_role(txn, role_ref)
    if view.writable:
        purge_expired_sessions(view, read_all=True)
    now = clock.now()
    live = [s for s in view.list("session")
            if s.role is not None and s.role.lower() == role.name.lower() and s.role_id == role.role_id
            and clock.parse_instant(s.expires) > now]
    return sorted(live, key=lambda s: (s.issued, s.access_key_id))


def revoke_sessions(txn: Txn, role_ref: str) -> Role:
    """Revoke every session of the role issued before now, as AWS's console does: an inline
    policy AWSRevokeOlderSessions denying every action to sessions whose aws:TokenIssueTime is
    before now (replacing an earlier one), so the revocation shows in the role's policies."""

    view, role = locate_role(txn, role_ref)
    # To the microsecond: a session issued earlier in the same second is older, and revoked.
    now = clock.iso_precise()
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"],
                       "Condition": {"DateLessThan": {"aws:TokenIssueTime": now}}}],
    }
    put_inline_policy(view, "role", role.name, REVOKE_POLICY_NAME, json.dumps(document, indent=2) + "\n")
    updated = structs.replace(view.require("role", role.name), sessions_revoked_before=now)
    view.put("role", updated)
    return updated
