"""Plain records (msgspec Structs) for everything an account holds. No I/O here.

Field names follow AWS's (snake_cased). Timestamps are ISO 8601 strings as AWS prints them
(see `clock.iso`). Policy documents are kept as the exact text the user wrote, so that
`show` and `export` return them unchanged.

Each entity type is registered in `KINDS` with the folder it lives in; the store uses that
to map an entity to its file. Where AWS relates two entities both ways (a user's groups and a
group's members; a policy and what it is attached to), both sides are stored so that either
side can be shown by reading one file; the operations keep them in step inside one
transaction.

`extra` (None unless imported; on users, groups, roles, managed policies and their versions, instance profiles and
AWS managed policy records) holds what an import from `aws iam get-account-authorization-details`
brought that iamctl does not model: AWS field name -> the field's value as JSON text, written
back unchanged by `account export` (see iamctl/core/bulk/account_import.py). Keys starting with
`iamctl.` are the importer's own bookkeeping and are never exported as fields.
"""

from typing import ClassVar, Literal

from msgspec import Struct, field

from iamctl.core.base import clock

SCHEMA_VERSION = 2
"""The version of the account-directory layout this iamctl writes (see upgrade.py for the
steps that bring an older directory up to it)."""


class FieldError(ValueError):
    """A value of the right type but the wrong form (`created = "yesterday"`); `key` names it."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class Record(Struct, forbid_unknown_fields=True):
    """The base of everything the store keeps in a file: a key the type does not have is an
    error when the file is read, never silently dropped (see codec.py).

    Types are checked by the decoder; `__post_init__` checks what a type cannot say, such as
    that a date is a date (every field named in `_times`), when a file is read and whenever a
    record is built, so a record that would break a command later is refused at the door."""

    _times: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self._times:
            value = getattr(self, name)
            if value is not None and not clock.is_iso(value):
                raise FieldError(name, f"expected a date and time such as 2026-01-15T12:00:00Z, found {value!r}")


class Quotas(Record):
    """AWS's default IAM quotas (IAM User Guide, "IAM and AWS STS quotas").

    Stored in the account so that a local account can be made larger than AWS allows
    (`iamctl account set-quota users 20000`).
    """

    users: int = 5000
    groups: int = 300
    roles: int = 1000
    policies: int = 1500
    instance_profiles: int = 1000
    groups_per_user: int = 10
    managed_policies_per_user: int = 10
    managed_policies_per_group: int = 10
    managed_policies_per_role: int = 10
    versions_per_policy: int = 5
    access_keys_per_user: int = 2
    mfa_devices_per_user: int = 8
    tags_per_entity: int = 50
    roles_per_instance_profile: int = 1
    oidc_providers: int = 100
    saml_providers: int = 100


class PasswordPolicy(Record):
    """The account password policy (AWS UpdateAccountPasswordPolicy fields, with that call's
    defaults for a field left out: minimum length 6, users may not change their password)."""

    minimum_password_length: int = 6
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    allow_users_to_change_password: bool = False
    max_password_age: int | None = None
    password_reuse_prevention: int | None = None
    hard_expiry: bool = False


class Account(Record):
    """One AWS account: its id, alias, quotas and password policy (file: account.toml)."""

    _times = ("created",)

    account_id: str
    created: str
    alias: str | None = None
    quotas: Quotas = field(default_factory=Quotas)
    password_policy: PasswordPolicy | None = None


class LoginProfile(Record):
    """A user's console password: only its metadata; the hash lives with the secrets."""

    _times = ("created", "password_last_changed", "password_last_used")

    created: str
    password_reset_required: bool = False
    password_last_changed: str | None = None
    password_last_used: str | None = None


class AccessKeyMeta(Record):
    """An access key as ListAccessKeys shows it; the secret's hash lives with the secrets."""

    _times = ("created", "last_used")

    access_key_id: str
    status: str  # "Active" | "Inactive"
    created: str
    last_used: str | None = None
    last_used_service: str | None = None


class User(Record):
    _times = ("created",)

    name: str
    user_id: str
    path: str
    created: str
    tags: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    attached_policies: list[str] = field(default_factory=list)  # policy ARNs
    inline_policies: dict[str, str] = field(default_factory=dict)  # name -> document text
    permissions_boundary: str | None = None
    login_profile: LoginProfile | None = None
    access_keys: list[AccessKeyMeta] = field(default_factory=list)
    mfa_devices: list[str] = field(default_factory=list)  # device serial ARNs
    mfa_required: bool = False  # marked for MFA enrolment (batch onboarding)
    extra: dict[str, str] | None = None  # imported AWS fields; see the module doc


class Group(Record):
    _times = ("created",)

    name: str
    group_id: str
    path: str
    created: str
    members: list[str] = field(default_factory=list)  # user names
    attached_policies: list[str] = field(default_factory=list)
    inline_policies: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] | None = None  # imported AWS fields; see the module doc


class RoleLastUsed(Record):
    _times = ("last_used_date",)

    last_used_date: str | None = None
    region: str | None = None


class Role(Record):
    _times = ("created", "sessions_revoked_before")

    name: str
    role_id: str
    path: str
    created: str
    assume_role_policy: str  # the trust policy's text
    description: str | None = None
    max_session_duration: int = 3600
    tags: dict[str, str] = field(default_factory=dict)
    attached_policies: list[str] = field(default_factory=list)
    inline_policies: dict[str, str] = field(default_factory=dict)
    permissions_boundary: str | None = None
    instance_profiles: list[str] = field(default_factory=list)
    last_used: RoleLastUsed | None = None
    sessions_revoked_before: str | None = None  # `role revoke-sessions`
    extra: dict[str, str] | None = None  # imported AWS fields; see the module doc
    # The user and role ARNs the trust policy names -> the unique ids (AIDA..., AROA...) they
    # had when the policy was saved: IAM trusts the principal, not a later namesake.
    trust_principal_ids: dict[str, str] = field(default_factory=dict)


class PolicyVersion(Record):
    _times = ("created",)

    version_id: str  # "v1", "v2", ...
    document: str
    created: str
    extra: dict[str, str] | None = None  # imported AWS fields; see the module doc


class ManagedPolicy(Record):
    """A customer managed policy with its versions (at most 5, AWS's quota)."""

    _times = ("created", "updated")

    name: str
    policy_id: str
    path: str
    created: str
    updated: str
    default_version: str
    versions: list[PolicyVersion] = field(default_factory=list)
    next_version: int = 2  # AWS never reuses a version number
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # "user/NAME", "group/NAME", "role/NAME": what it is attached to.
    attachments: list[str] = field(default_factory=list)
    extra: dict[str, str] | None = None  # imported AWS fields; see the module doc
    # "user/NAME", "role/NAME": whose permissions boundary it is (PermissionsBoundaryUsageCount).
    boundary_uses: list[str] = field(default_factory=list)


class MfaDevice(Record):
    """A virtual MFA device; its seed and replay/throttle state live with the secrets."""

    _times = ("created", "enabled")

    name: str
    serial: str
    path: str
    created: str
    user: str | None = None
    enabled: str | None = None  # when EnableMFADevice succeeded
    tags: dict[str, str] = field(default_factory=dict)


class InstanceProfile(Record):
    _times = ("created",)

    name: str
    instance_profile_id: str
    path: str
    created: str
    roles: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] | None = None  # imported AWS fields; see the module doc


class AccessKeyRecord(Record):
    """Index from an access key id to its user, so `whoami` finds the user in one read."""

    access_key_id: str
    user: str


KindName = Literal[
    "user", "group", "role", "policy", "mfa", "instance-profile", "access-key", "aws-policy",
    "session", "session-token", "session-expiry", "oidc-provider", "saml-provider", "password-attempts",
    "signin-decoy", "organization", "org-root", "org-ou", "org-account", "org-policy",
]
"""Every registered kind's name. A new kind is added here, to `register` below and to the
`Txn.get` / `require` / `list` overloads in directory.py (tests/core/store/test_types.py checks
that the three agree), so that a type checker knows which record each kind holds."""
EntityKind = Literal["user", "group", "role"]
"""The kinds policies attach to (managed and inline policies; users and roles also take a
permissions boundary)."""


class Kind(Struct, frozen=True):
    """How one entity type is stored: its folder and how AWS names it in messages."""

    name: KindName  # "user"
    cls: type
    folder: str  # "users"
    title: str  # "user" as in AWS's "The user with name X cannot be found."
    key_field: str = "name"
    secret: bool = False  # stored under secrets/, owner-only
    workspace: bool = False  # one per directory (next to iamctl.toml), not per account
    literal: tuple[str, ...] = ()  # string fields written as TOML literal text (documents, readable)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add an entity type; feature modules call this for types of their own."""
    KINDS[kind.name] = kind
    return kind


register(Kind("user", User, "users", "user"))
register(Kind("group", Group, "groups", "group"))
register(Kind("role", Role, "roles", "role"))
register(Kind("policy", ManagedPolicy, "policies", "policy"))
register(Kind("mfa", MfaDevice, "mfa", "MFA device"))
register(Kind("instance-profile", InstanceProfile, "instance-profiles", "instance profile"))
register(Kind("access-key", AccessKeyRecord, "access-keys", "access key", key_field="access_key_id"))


class AwsPolicyUse(Record):
    """Where an AWS managed policy is attached ("user/NAME", "group/NAME", "role/NAME") or used
    as a permissions boundary.

    AWS managed policies live in the bundle, not in the directory; this record exists only
    while one is attached or used as a boundary, so that attachment counts never need to read every entity.
    Keyed by the policy's name (unique across AWS managed policies).
    """

    name: str
    arn: str
    attachments: list[str] = field(default_factory=list)
    extra: dict[str, str] | None = None  # imported AWS fields; see the module doc
    boundary_uses: list[str] = field(default_factory=list)  # "user/NAME", "role/NAME" (as a boundary)


register(Kind("aws-policy", AwsPolicyUse, "aws-policy-attachments", "AWS managed policy"))


class Session(Record):
    """Temporary credentials (ASIA...) from `iamctl login` or `iamctl role assume`.

    Kept with the secrets (runtime state, not configuration); the secret key and the session
    token are stored only as hashes, in this session's secret record.
    """

    _times = ("issued", "expires", "mfa_auth_time")

    access_key_id: str
    type: str  # "user" (login, like GetSessionToken) | "assumed-role" | "web-identity" | "saml"
    arn: str  # whom the session acts as: the user ARN, or arn:aws:sts::ACCT:assumed-role/ROLE/NAME
    issued: str  # full precision (clock.iso_precise): revocation compares it with the revocation's instant
    expires: str
    user: str | None = None  # for "user" sessions
    role: str | None = None  # for role sessions: the role name (in this account)
    # The unique id of the user (AIDA...) or role (AROA...) the session belongs to: a session
    # acts only while an entity of that name has that id (not a renamed one, not a namesake).
    user_id: str = ""
    role_id: str = ""
    session_name: str | None = None
    caller_arn: str | None = None  # who asked for it (user, role session, provider)
    mfa_authenticated: bool = False
    mfa_auth_time: str | None = None
    source_identity: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # session tags
    transitive_tag_keys: list[str] = field(default_factory=list)
    session_policy: str | None = None  # the session policy's text, if one was passed
    chained: bool = False  # assumed by a role session (role chaining, at most 1 hour)
    secret_hash: str = ""  # credentials.hash_secret of the secret access key
    token_hash: str = ""  # credentials.hash_secret of the session token
    token_key: str = ""  # the key of its session-token index entry, to drop it with the session


class SessionTokenIndex(Record):
    """Index from a session token's hash to its session, so `--session TOKEN` is one read."""

    token_key: str
    access_key_id: str


register(Kind("session", Session, "sessions", "session", key_field="access_key_id", secret=True))
register(Kind("session-token", SessionTokenIndex, "session-tokens", "session token", key_field="token_key",
              secret=True))


class SessionExpiry(Record):
    """The sessions that have all expired by one minute ("20260101-0915", UTC), with their token
    index keys, so that expired sessions are found from a folder listing, not by reading each."""

    minute: str
    access_key_ids: list[str] = field(default_factory=list)
    token_keys: list[str] = field(default_factory=list)


register(Kind("session-expiry", SessionExpiry, "session-expiry", "session expiry", key_field="minute", secret=True))


class PasswordAttempts(Record):
    """Wrong console passwords typed in a row for one user name, by `login` and
    `change-password` alike, and the lock they set (iamctl/core/credentials/lockout.py).

    Kept for any name typed, a user's or not, so that a name that is no user's behaves as a
    user's does. Times are the system clock's (never IAMCTL_NOW): a pinned clock can neither
    lift a lock nor make one last longer. An attempt record (`Txn.put(attempt=True)`): a
    refusal is recorded before it is reported.
    """

    _times = ("last_failure", "locked_until")

    name: str  # the user name as typed (the file key is its lower case)
    user_id: str = ""  # the unique id of the user of that name then ("" when there was none)
    failures: int = 0
    last_failure: str | None = None  # ISO 8601, to the microsecond (clock.iso_precise)
    locked_until: str | None = None


class SignInDecoy(Record):
    """A password hash no password matches, made once per account, so that checking a
    password for a name without one costs one verification, as checking a real one does."""

    name: str  # "decoy"
    password_hash: str


register(Kind("password-attempts", PasswordAttempts, "password-attempts", "password attempts", secret=True))
register(Kind("signin-decoy", SignInDecoy, "signin", "sign-in decoy", secret=True))


class OidcProvider(Record):
    """An OpenID Connect identity provider (CreateOpenIDConnectProvider).

    Keyed by `key`, the provider's URL without `https://` as a safe file name ("/" becomes
    "+"); its ARN is arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH. `jwks` is the provider's
    public signing keys (a JWKS document, public by nature), registered so that web-identity
    tokens can be verified offline.
    """

    _times = ("created",)

    key: str
    url: str  # https://host/path, as given
    created: str
    client_ids: list[str] = field(default_factory=list)
    thumbprints: list[str] = field(default_factory=list)
    jwks: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class SamlProvider(Record):
    """A SAML 2.0 identity provider (CreateSAMLProvider): its metadata document as given."""

    _times = ("created", "valid_until")

    name: str
    created: str
    metadata: str
    valid_until: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


register(Kind("oidc-provider", OidcProvider, "oidc-providers", "OpenIDConnect provider", key_field="key"))
register(Kind("saml-provider", SamlProvider, "saml-providers", "SAML provider"))


# -- secret records -------------------------------------------------------------------------------
#
# The secrets of users and MFA devices are kept as plain tables (`txn.get_secret(KIND, NAME)`),
# each section owned by one module; these types are their schema, checked whenever one is read,
# so a hand-edited secret is damage reported with its file and line like any other record.


class PasswordSecret(Record):
    """`[password]` of a user's secret record (credentials/passwords.py)."""

    hash: str | None = None  # the current password's Argon2id hash (absent: no password now)
    history: list[str] = field(default_factory=list)  # earlier hashes, most recent first


class AccessKeySecret(Record):
    """One entry of `[access_keys]` (credentials/access_keys.py): the secret's salted hash."""

    hash: str


class SigninThrottle(Record):
    """`[signin]` of a user's secret record (credentials/signin.py): failed sign-ins in a row."""

    failures: int = 0
    locked_until: float | None = None  # Unix time


class UserSecret(Record):
    password: PasswordSecret | None = None
    access_keys: dict[str, AccessKeySecret] = field(default_factory=dict)
    signin: SigninThrottle | None = None


class MfaSecret(Record):
    """An MFA device's seed and verifier state (credentials/mfa.py, `totp.MfaState`)."""

    seed: str
    failures: int = 0
    last_used_step: int | None = None
    locked_until: float | None = None  # Unix time


SECRETS: dict[KindName, type] = {"user": UserSecret, "mfa": MfaSecret}
"""The schema of each kind's secret record (`Txn.get_secret`)."""


class Manifest(Record):
    """`iamctl.toml`: the layout version and the default account."""

    schema_version: int
    default_account: str | None = None


# -- the organization (AWS Organizations), one per directory ---------------------------------------
#
# Workspace records: they live in organization/ next to iamctl.toml, not in an account's folder,
# because an organization spans the directory's accounts. Each relationship is stored once, on its
# child: an OU's and a member account's file name its parent and the policies attached to it, the
# root's file the policies attached to the root; children and targets are found by listing. Each
# policy (and its document) is one file. AWS's own FullAWSAccess and RCPFullAWSAccess are not
# stored (iamctl.core.identities.organizations defines them); RCPFullAWSAccess, which AWS attaches
# to every root, OU and account and never lets go, is not written into any attachment list.


class Organization(Record):
    """The organization (DescribeOrganization): file organization/organization.toml."""

    key: str  # always "organization": the file's name
    id: str  # o-...
    management_account: str
    root_id: str  # r-...
    created: str
    feature_set: str = "ALL"
    management_email: str | None = None
    extra: dict[str, str] | None = None  # imported fields iamctl does not model, as JSON text


class OrgRoot(Record):
    """The root (ListRoots): its enabled policy types and the policies attached to it."""

    id: str  # r-...
    name: str = "Root"
    policy_types: list[str] = field(default_factory=list)  # e.g. SERVICE_CONTROL_POLICY
    policies: list[str] = field(default_factory=list)  # ids of attached policies (p-...)


class OrgUnit(Record):
    """An organizational unit: its name, its parent (r-... or ou-...) and attached policies."""

    id: str  # ou-<root>-<8+>
    name: str
    parent: str
    policies: list[str] = field(default_factory=list)
    extra: dict[str, str] | None = None


class OrgAccount(Record):
    """A member account of the organization: its parent and the policies attached to it."""

    id: str  # 12 digits
    parent: str
    joined: str
    policies: list[str] = field(default_factory=list)
    name: str | None = None
    email: str | None = None
    status: str = "ACTIVE"
    joined_method: str = "CREATED"  # CREATED | INVITED
    extra: dict[str, str] | None = None


class OrgPolicy(Record):
    """A customer managed SCP or RCP: its document exactly as written."""

    id: str  # p-...
    name: str
    type: str  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    content: str
    description: str = ""
    extra: dict[str, str] | None = None


register(Kind("organization", Organization, "organization", "organization", key_field="key", workspace=True))
register(Kind("org-root", OrgRoot, "organization/roots", "root", key_field="id", workspace=True))
register(Kind("org-ou", OrgUnit, "organization/ous", "organizational unit", key_field="id", workspace=True))
register(Kind("org-account", OrgAccount, "organization/accounts", "account", key_field="id", workspace=True))
register(Kind("org-policy", OrgPolicy, "organization/policies", "policy", key_field="id", workspace=True,
              literal=("content",)))
