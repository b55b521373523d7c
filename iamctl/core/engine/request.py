"""The request being authorised: who, what action, which resource, and its context keys.

`PrincipalInfo` describes the caller; `request_context` fills the global condition keys AWS
fills for that caller (IAM User Guide, "AWS global condition context keys" and the principal
key table in "IAM policy elements: Variables and tags"):

| key | User | AssumedRole | FederatedUser | Account (root) |
| --- | --- | --- | --- | --- |
| aws:username | user name | absent | absent | absent |
| aws:userid | unique id (AIDA...) | role-id:session-name | account:caller-name | account id |
| aws:PrincipalType | User | AssumedRole | FederatedUser | Account |

plus aws:PrincipalArn (the role ARN, not the session ARN, for a role session), aws:PrincipalAccount,
aws:PrincipalTag/* (session tags override the role's tags), aws:CurrentTime, aws:EpochTime,
aws:MultiFactorAuthPresent / aws:MultiFactorAuthAge, aws:TokenIssueTime, aws:SourceIdentity.
The caller may add or override any key; keys are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from msgspec import Struct, field

PRINCIPAL_TYPES = (
    "User",
    "AssumedRole",
    "FederatedUser",
    "Account",
    "Service",
    "WebIdentity",
    "SAML",
    "CanonicalUser",
    "Anonymous",
)
# Callers that hold identity-based policies of their own. The others (services, web identity
# and SAML users before they assume a role, anonymous callers) are only ever granted access by
# a resource or trust policy.
HAS_IDENTITY_POLICIES = frozenset({"User", "AssumedRole", "FederatedUser"})
SESSION_TYPES = frozenset({"AssumedRole", "FederatedUser"})


class PrincipalInfo(Struct, frozen=True):
    """Who makes the request.

    `arn` is the caller's own ARN (for a role session the `assumed-role/ROLE/SESSION` ARN).
    `base_arn` is what the session derives from: the role ARN for a role session, the IAM
    user ARN for a federated user. `service`, `provider` and `canonical_user` identify
    non-IAM callers (type Service, WebIdentity/SAML, CanonicalUser).
    """

    type: str
    arn: str | None = None
    account_id: str | None = None
    username: str | None = None
    userid: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    base_arn: str | None = None
    session_name: str | None = None
    session_tags: Mapping[str, str] = field(default_factory=dict)
    mfa_authenticated: bool | None = None
    mfa_auth_time: datetime | None = None
    token_issue_time: datetime | None = None
    source_identity: str | None = None
    service: str | None = None
    provider: str | None = None
    canonical_user: str | None = None

    def __post_init__(self) -> None:
        if self.type not in PRINCIPAL_TYPES:
            raise ValueError(
                f"unknown principal type {self.type!r}; expected one of {', '.join(PRINCIPAL_TYPES)}"
            )

    @property
    def is_session(self) -> bool:
        return self.type in SESSION_TYPES


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_precise(dt: datetime) -> str:
    """`_iso` keeping a fraction of a second: a session issued in the same second as a
    revocation (DateLessThan aws:TokenIssueTime) but before it must compare as before it."""
    fraction = f".{dt.microsecond:06d}".rstrip("0") if dt.microsecond else ""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def request_context(principal: PrincipalInfo | None, *, now: datetime | None = None) -> dict[str, Any]:
    """The context keys AWS fills for `principal` at time `now` (default: the current time)."""
    now = now or datetime.now(UTC)
    ctx: dict[str, Any] = {
        "aws:CurrentTime": _iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
    }
    p = principal
    if p is None or p.type == "Anonymous":
        return ctx
    if p.type in ("Service", "WebIdentity", "SAML", "CanonicalUser"):
        if p.provider is not None:
            ctx["aws:FederatedProvider"] = p.provider
        return ctx
    ctx["aws:PrincipalType"] = p.type
    if p.account_id is not None:
        ctx["aws:PrincipalAccount"] = p.account_id
    # aws:PrincipalArn is the role ARN for a role session (condition-keys reference), the
    # caller's own ARN otherwise.
    principal_arn = p.base_arn if p.type == "AssumedRole" and p.base_arn else p.arn
    if principal_arn is not None:
        ctx["aws:PrincipalArn"] = principal_arn
    if p.type == "User" and p.username is not None:
        ctx["aws:username"] = p.username
    if p.userid is not None:
        ctx["aws:userid"] = p.userid
    elif p.type == "Account" and p.account_id is not None:
        ctx["aws:userid"] = p.account_id
    tags = dict(p.tags)
    tags.update(p.session_tags)
    for k, v in tags.items():
        ctx[f"aws:PrincipalTag/{k}"] = v
    if tags:
        ctx["aws:PrincipalTagKeys"] = sorted(tags)
    if p.mfa_authenticated is not None:
        ctx["aws:MultiFactorAuthPresent"] = p.mfa_authenticated
    if p.mfa_auth_time is not None:
        ctx["aws:MultiFactorAuthAge"] = str(max(0, int((now - p.mfa_auth_time).total_seconds())))
    if p.token_issue_time is not None:
        ctx["aws:TokenIssueTime"] = _iso_precise(p.token_issue_time)
    if p.source_identity is not None:
        ctx["aws:SourceIdentity"] = p.source_identity
    return ctx


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None


class Request(Struct, frozen=True, dict=True):
    """One request: action, resource, caller and context (keys matched case-insensitively).

    `resource_account` is the account that owns the resource; when None it is read from the
    resource ARN, and when the ARN has no account (S3 buckets, `*`) the resource is taken to be
    in the caller's account. Build one with `make_request` to have the context filled in.

    `resourceless` says that the action acts on no resource type (its row in AWS's Service
    Authorization Reference lists none: s3:ListAllMyBuckets, iam:ListUsers, ...). Such an
    action "does not support resource-level permissions", and a statement must name "all
    resources" for it ("Actions, resources, and condition keys for AWS services"); requested
    with resource `*`, a Resource pattern matches it when the pattern covers every resource of
    the action's service in the account: `*`, or e.g. `arn:aws:s3:::*`, as the IAM User Guide's
    home-directory example grants s3:ListAllMyBuckets ("IAM: Access to your home directory in
    Amazon S3"). The simulator sets it from the catalogue; the engine knows no list of actions.
    """

    action: str
    resource: str = "*"
    principal: PrincipalInfo | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    resource_account: str | None = None
    resourceless: bool = False

    # Derived once per request (attributes, not fields: neither compared nor shown), so that
    # evaluating many policies costs no per-statement normalisation. Set by __post_init__, not
    # cached_property (on Python 3.11 each first access of one takes a lock).
    action_l: ClassVar[str]
    ctx: ClassVar[dict[str, Any]]  # the context with lower-cased keys (condition keys are case-insensitive)
    cross_account: ClassVar[bool]

    def __post_init__(self) -> None:
        d = self.__dict__
        d["action_l"] = self.action.lower()
        d["ctx"] = {str(k).lower(): v for k, v in self.context.items()}
        owner = self.resource_account or _account_of(self.resource)
        caller = self.principal.account_id if self.principal is not None else None
        d["cross_account"] = owner is not None and caller is not None and owner != caller


def make_request(
    action: str,
    resource: str = "*",
    *,
    principal: PrincipalInfo | None = None,
    context: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    resource_account: str | None = None,
    resourceless: bool = False,
) -> Request:
    """A `Request` whose context holds what AWS would fill in, overlaid with `context`.

    Keys given in `context` replace filled-in keys whatever their case (`aws:CurrentTime`
    overrides the clock, for instance); a value of None removes a key.
    """
    base = request_context(principal, now=now)
    merged = {k.lower(): (k, v) for k, v in base.items()}
    for k, v in (context or {}).items():
        merged[str(k).lower()] = (str(k), v)
    ctx = {k: v for k, v in merged.values() if v is not None}
    return Request(action, resource, principal, ctx, resource_account, resourceless)
