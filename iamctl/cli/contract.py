"""The JSON output contract: the shape of everything `-o json` prints, as TypedDicts.

Shapes follow the AWS CLI's for the same call (ListUsers, GetRole, AssumeRole, ...), with the
extra keys iamctl's `show` commands add. A key marked NotRequired is one a command prints only in
some states, as AWS leaves PasswordLastUsed out before the first sign-in. What a key means
beyond its name is said next to it with `Annotated[..., Note("...")]`, and `Shown("...")`
replaces how its value is written in the reference (`[name]` for a list of names).

Three readers, none of them at run time: tests/cli/test_json_contract.py checks every command's
output against these shapes (keys exactly, value types where simple), scripts/gen_docs.py
writes README's "JSON output reference" tables from RECORDS and OUTPUTS, and type checkers.
Commands build plain dicts and never import this module, so start-up does not pay for it.
"""

# No `from __future__ import annotations`: TypedDict must see NotRequired[...] evaluated to tell
# optional keys from required ones (Python 3.11 reads string annotations as required).
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, TypedDict


@dataclass(frozen=True)
class Note:
    """What a key means, printed after it in the reference: `PolicyId (null for AWS managed)`."""

    text: str


@dataclass(frozen=True)
class Shown:
    """How the reference writes the key's value instead of its type: `Groups [name]`."""

    text: str


Date = str  # ISO 8601 UTC, "2027-01-15T08:00:00Z"
Document = dict[str, Any]  # a policy document, parsed: the user's own JSON, not pinned here
Names = Annotated[list[str], Shown("[name]")]
Arns = Annotated[list[str], Shown("[ARN]")]


# -- records that appear inside several outputs -------------------------------------------------


class Tag(TypedDict):
    Key: str
    Value: str


class AttachedPolicy(TypedDict):
    PolicyName: str
    PolicyArn: str


class Boundary(TypedDict):
    PermissionsBoundaryType: Literal["Policy"]
    PermissionsBoundaryArn: str


class UserItem(TypedDict):
    UserName: str
    UserId: str
    Arn: str
    Path: str
    CreateDate: Date
    PasswordLastUsed: Annotated[NotRequired[Date], Note("after the first password sign-in")]


class GroupItem(TypedDict):
    GroupName: str
    GroupId: str
    Arn: str
    Path: str
    CreateDate: Date


class RoleItem(TypedDict):
    RoleName: str
    RoleId: str
    Arn: str
    Path: str
    CreateDate: Date
    MaxSessionDuration: int
    Description: NotRequired[str]  # when the role has one


class PolicyItem(TypedDict):
    PolicyName: str
    PolicyId: Annotated[str | None, Note("null for AWS managed")]  # the bundled data has no ids
    Arn: str
    Path: str
    DefaultVersionId: str
    AttachmentCount: int
    PermissionsBoundaryUsageCount: int
    IsAttachable: bool
    CreateDate: Date
    UpdateDate: Date
    Description: NotRequired[str]  # when the policy has one
    Tags: NotRequired[list[Tag]]  # when the policy has any


class VersionItem(TypedDict):
    VersionId: str
    IsDefaultVersion: bool
    CreateDate: Date


class MfaDeviceItem(TypedDict):
    SerialNumber: str
    UserName: str | None  # None: not assigned to a user
    EnableDate: Annotated[Date | None, Note("both null while unassigned")]


class InstanceProfileItem(TypedDict):
    InstanceProfileName: str
    InstanceProfileId: str
    Arn: str
    Path: str
    CreateDate: Date
    Roles: Annotated[list[str], Note("role names; AWS nests role records")]


class Credentials(TypedDict):
    AccessKeyId: str
    SecretAccessKey: str
    SessionToken: str
    Expiration: Date


# -- users ----------------------------------------------------------------------------------------


class LoginProfileStatus(TypedDict):
    CreateDate: Date
    PasswordResetRequired: bool


class AccessKeyBrief(TypedDict):
    AccessKeyId: str
    Status: Literal["Active", "Inactive"]
    CreateDate: Date


class MfaDeviceBrief(TypedDict):
    SerialNumber: str
    EnableDate: Date


class UserDetail(UserItem):
    Tags: list[Tag]
    Groups: Names
    AttachedPolicies: list[AttachedPolicy]
    InlinePolicies: Names
    PermissionsBoundary: Boundary | None
    LoginProfile: LoginProfileStatus | None
    AccessKeys: list[AccessKeyBrief]
    MFADevices: list[MfaDeviceBrief]


class UserShowOut(TypedDict):
    User: UserDetail


class UserListOut(TypedDict):
    Users: list[UserItem]
    NextToken: NotRequired[str]  # with --max-items, when more remain


class GroupsOfUserOut(TypedDict):
    Groups: list[GroupItem]


class TagsOut(TypedDict):
    Tags: list[Tag]


class AccessKeyMetadata(TypedDict):
    UserName: str
    AccessKeyId: str
    Status: Literal["Active", "Inactive"]
    CreateDate: Date
    LastUsedDate: Date | None


class AccessKeysOut(TypedDict):
    AccessKeyMetadata: list[AccessKeyMetadata]


class NewAccessKey(TypedDict):
    UserName: str
    AccessKeyId: str
    Status: Literal["Active", "Inactive"]
    SecretAccessKey: str
    CreateDate: Date


class CreateAccessKeyOut(TypedDict):
    AccessKey: NewAccessKey


class PlanItem(TypedDict):
    Row: int
    UserName: str
    Action: Literal["create", "update", "unchanged", "conflict"]
    Changes: list[str]


class ImportSummary(TypedDict):
    Created: int
    Updated: int
    Unchanged: int
    Conflicts: int
    CredentialsIssued: int


class ImportOut(TypedDict):
    Plan: list[PlanItem]
    Summary: ImportSummary
    DryRun: bool
    CredentialsFile: str | None


# -- inline and attached policies of users, groups and roles ----------------------------------------


class UserInlinePolicyOut(TypedDict):
    UserName: str
    PolicyName: str
    PolicyDocument: Document


class GroupInlinePolicyOut(TypedDict):
    GroupName: str
    PolicyName: str
    PolicyDocument: Document


class RoleInlinePolicyOut(TypedDict):
    RoleName: str
    PolicyName: str
    PolicyDocument: Document


class PolicyNamesOut(TypedDict):
    PolicyNames: Names


class AttachedPoliciesOut(TypedDict):
    AttachedPolicies: list[AttachedPolicy]


# -- groups ---------------------------------------------------------------------------------------


class GroupDetail(GroupItem):
    Users: list[UserItem]
    AttachedPolicies: list[AttachedPolicy]
    InlinePolicies: Names


class GroupShowOut(TypedDict):
    Group: GroupDetail


class GroupListOut(TypedDict):
    Groups: list[GroupItem]
    NextToken: NotRequired[str]


# -- roles ----------------------------------------------------------------------------------------


class RoleLastUsed(TypedDict):
    LastUsedDate: NotRequired[Date]  # {} until the role is first assumed, as AWS shows it


class RoleDetail(RoleItem):
    Tags: list[Tag]
    AttachedPolicies: list[AttachedPolicy]
    InlinePolicies: Names
    PermissionsBoundary: Boundary | None
    InstanceProfiles: Arns
    RoleLastUsed: RoleLastUsed
    SessionsRevokedBefore: Annotated[Date | None, Note("or null")]
    AssumeRolePolicyDocument: Document


class RoleShowOut(TypedDict):
    Role: RoleDetail


class RoleListOut(TypedDict):
    Roles: list[RoleItem]
    NextToken: NotRequired[str]


class SessionItem(TypedDict):
    AccessKeyId: str
    Arn: str
    Type: Literal["user", "assumed-role", "web-identity", "saml"]
    Issued: Date
    Expiration: Date
    CallerArn: str | None
    MFA: bool
    Chained: bool
    Tags: list[Tag]
    SourceIdentity: str | None


class SessionsOut(TypedDict):
    Sessions: list[SessionItem]


class AssumedRoleUser(TypedDict):
    AssumedRoleId: str
    Arn: str


class AssumeOut(TypedDict):  # sts assume-role, no envelope
    Credentials: Credentials
    AssumedRoleUser: AssumedRoleUser
    SourceIdentity: NotRequired[str]  # with --source-identity


class RevokeSessionsOut(TypedDict):  # the inline policy AWS's console adds to revoke sessions
    RoleName: str
    PolicyName: str
    SessionsRevokedBefore: Date


class InstanceProfileShowOut(TypedDict):
    InstanceProfile: InstanceProfileItem


class InstanceProfileListOut(TypedDict):
    InstanceProfiles: list[InstanceProfileItem]
    NextToken: NotRequired[str]


class ProviderItem(TypedDict):
    Arn: str
    Type: Literal["OIDC", "SAML"]
    CreateDate: Date
    ClientIDList: list[str]  # OIDC audiences; [] for SAML
    JwksRegistered: bool
    ValidUntil: Date | None  # SAML metadata's validUntil; None for OIDC


class ProvidersOut(TypedDict):
    Providers: list[ProviderItem]


# -- managed policies -----------------------------------------------------------------------------


class PolicyDetail(PolicyItem):
    Document: Annotated[Document, Note("the default version's")]


class PolicyShowOut(TypedDict):
    Policy: PolicyDetail


class PolicyListOut(TypedDict):
    Policies: list[PolicyItem]


class VersionDetail(VersionItem):
    Document: Document


class VersionsOut(TypedDict):
    Versions: list[VersionItem]


class VersionOut(TypedDict):
    PolicyVersion: VersionDetail


class Finding(TypedDict):
    FindingType: Literal["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"]
    IssueCode: str
    Statement: Annotated[int | None, Note("counted from 1; null: whole document")]
    Path: str
    Line: int
    Column: int
    Message: str


class ValidateOut(TypedDict):
    Findings: list[Finding]


# -- simulate -------------------------------------------------------------------------------------


class MatchedStatement(TypedDict):
    policy: str
    sid: str | None
    effect: Literal["Allow", "Deny"]
    index: Annotated[int, Note("0-based")]


class SimulationResult(TypedDict):
    action: str
    resource: str
    decision: Literal["allowed", "explicitDeny", "implicitDeny"]
    matched_statements: list[MatchedStatement]
    missing_context_keys: list[str]
    boundary_allowed: bool | None
    scp_allowed: bool | None
    rcp_allowed: bool | None
    session_allowed: bool | None
    resource_allowed: bool | None
    errors: list[str]
    warnings: list[str]
    explanation: Annotated[NotRequired[list[str]], Note("with --explain")]


class SimulateOut(TypedDict):
    results: list[SimulationResult]


# -- analyze ---------------------------------------------------------------------------------------


class Condition(TypedDict):  # a condition an analysis answer depends on
    Key: Annotated[str, Note("empty for what a principal outside the directory needs of its own policies")]
    Operator: str
    Values: list[str]
    Statement: str
    Effect: Literal["Allow", "Deny"]
    Value: Annotated[Any, Note("the request value that met it, for simulate -c KEY=VALUE")]
    Needs: Annotated[Literal["session", "choice", "mfa", "request"],
                     Note("session: any session issued now; choice: a value the caller picks; mfa; request: a "
                          "value the caller may not have")]
    Summary: Annotated[str, Note("in words")]


class Hop(TypedDict):
    From: str
    To: str
    Action: str
    Decision: Literal["allowed", "conditional"]
    Conditions: list[Condition]
    MatchedStatements: list[MatchedStatement]


class WhoCanPrincipal(TypedDict):
    Arn: str
    Type: Literal["User", "Role", "Session", "Account", "Service", "WebIdentity", "SAML", "Everyone"]
    Decision: Literal["allowed", "conditional"]
    Via: Annotated[list[Hop], Note("the role assumptions on the way; none: directly")]
    Conditions: list[Condition]
    MatchedStatements: list[MatchedStatement]


class WhoCanOut(TypedDict):
    Principals: list[WhoCanPrincipal]


class EscalationStep(TypedDict):
    Principal: str
    Action: str
    Resource: str
    Technique: str
    Context: Annotated[dict[str, Any], Shown("{key: value}")]
    Conditions: list[Condition]
    Note: NotRequired[str]


class Gain(TypedDict):
    Action: str
    Resource: str


class ReplayStep(TypedDict):
    Principal: str
    Action: str
    Resource: str
    Decision: Literal["allowed"]
    Done: str


class Replay(TypedDict):
    Proved: Annotated[bool | None, Note("null: conditional, not replayed")]
    Steps: list[ReplayStep]
    EndState: str
    Reason: str


class Escalation(TypedDict):
    Principal: str
    Reaches: Annotated[str, Note("admin, or a principal ARN")]
    Conditional: bool
    Requires: Annotated[list[str], Shown("[what must exist]")]
    Techniques: Annotated[list[str], Shown("[technique id]")]
    Steps: list[EscalationStep]
    Gains: Annotated[Gain | None, Note("short of admin: a request gained")]
    Replay: Annotated[NotRequired[Replay], Note("with --replay")]


class AdminItem(TypedDict):
    Arn: str
    Type: Literal["User", "Role"]


class EscalationOut(TypedDict):
    Escalations: list[Escalation]
    Admins: list[AdminItem]


# -- MFA, account, sign-in --------------------------------------------------------------------------


class MfaDevicesOut(TypedDict):  # mfa list --user NAME (ListMFADevices)
    MFADevices: list[MfaDeviceItem]


class VirtualMfaDevicesOut(TypedDict):  # mfa list (ListVirtualMFADevices)
    VirtualMFADevices: list[MfaDeviceItem]


# The functional form: quota names are not identifiers.
Quotas = TypedDict("Quotas", {
    "access-keys-per-user": int, "groups": int, "groups-per-user": int, "instance-profiles": int,
    "managed-policies-per-group": int, "managed-policies-per-role": int, "managed-policies-per-user": int,
    "mfa-devices-per-user": int, "oidc-providers": int, "policies": int, "roles": int,
    "roles-per-instance-profile": int, "saml-providers": int, "tags-per-entity": int, "users": int,
    "versions-per-policy": int})


class AccountItem(TypedDict):
    AccountId: str
    AccountAlias: str | None
    CreateDate: Date
    Users: int
    Groups: int
    Roles: int
    Policies: int
    MFADevices: int
    InstanceProfiles: Annotated[int, Note("counts")]  # Users ... InstanceProfiles: how many of each
    Quotas: Annotated[Quotas, Shown("{quota name: limit}")]


class AccountShowOut(TypedDict):
    Account: AccountItem


class AccountListItem(TypedDict):
    AccountId: str
    AccountAlias: str | None
    Default: bool


class AccountListOut(TypedDict):
    Accounts: list[AccountListItem]


class PasswordPolicy(TypedDict):
    MinimumPasswordLength: int
    RequireSymbols: bool
    RequireNumbers: bool
    RequireUppercaseCharacters: bool
    RequireLowercaseCharacters: bool
    AllowUsersToChangePassword: bool
    ExpirePasswords: bool
    HardExpiry: bool
    MaxPasswordAge: NotRequired[int]  # when passwords expire
    PasswordReusePrevention: NotRequired[int]  # when set


class PasswordPolicyOut(TypedDict):
    PasswordPolicy: PasswordPolicy


class CallerIdentityOut(TypedDict):  # whoami: sts get-caller-identity, no envelope
    UserId: str
    Account: str
    Arn: str


class LoginOut(TypedDict):  # sts get-session-token
    Credentials: Credentials


# -- the organization (aws organizations' shapes) -------------------------------------------------------

TargetType = Literal["ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"]
OrgPolicyType = Literal["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]


class PolicyTypeItem(TypedDict):
    Type: OrgPolicyType
    Status: Literal["ENABLED"]


class OrganizationItem(TypedDict):  # DescribeOrganization
    Id: str
    Arn: str
    FeatureSet: Literal["ALL", "CONSOLIDATED_BILLING"]
    MasterAccountArn: str
    MasterAccountId: str
    MasterAccountEmail: Annotated[NotRequired[str], Note("when given")]
    AvailablePolicyTypes: list[PolicyTypeItem]


class OrgPolicyBrief(TypedDict):
    Id: str
    Name: str
    Type: OrgPolicyType


class OrgAccountNode(TypedDict):
    Id: str
    Arn: str
    Name: str
    Paths: list[str]
    Policies: list[OrgPolicyBrief]
    Management: bool


class OrgOuNode(TypedDict):
    Id: str
    Arn: str
    Name: str
    Path: str
    Policies: list[OrgPolicyBrief]
    OrganizationalUnits: Annotated[list[dict[str, Any]], Shown("[the same, nested]")]
    Accounts: list[OrgAccountNode]


class OrgRootNode(TypedDict):
    Id: str
    Arn: str
    Name: str
    PolicyTypes: list[PolicyTypeItem]
    Policies: list[OrgPolicyBrief]
    OrganizationalUnits: list[OrgOuNode]
    Accounts: list[OrgAccountNode]


class OrgShowOut(TypedDict):
    Organization: OrganizationItem
    Root: OrgRootNode


class OrgCreateOut(TypedDict):
    Organization: OrganizationItem


class OrgLevel(TypedDict):
    Id: str
    Arn: str
    Name: str
    Type: TargetType
    Policies: list[OrgPolicyBrief]


class OrgEffective(TypedDict):
    AccountId: str
    ManagementAccount: Annotated[bool, Note("exempt from SCPs and RCPs")]
    ServiceControlPolicies: Annotated[list[OrgLevel], Note("root first")]
    ResourceControlPolicies: list[OrgLevel]


class OrgEffectiveOut(TypedDict):
    Effective: OrgEffective


class OrgUnitItem(TypedDict):  # OrganizationalUnit
    Id: str
    Arn: str
    Name: str
    Path: str


class OrgUnitDetail(OrgUnitItem):
    ParentId: str
    OrganizationalUnits: Annotated[list[str], Shown("[id]")]
    Accounts: Annotated[list[str], Shown("[id]")]
    Policies: list[OrgPolicyBrief]


class OrgUnitOut(TypedDict):
    OrganizationalUnit: OrgUnitItem


class OrgUnitListOut(TypedDict):
    OrganizationalUnits: list[OrgUnitItem]


class OrgUnitShowOut(TypedDict):
    OrganizationalUnit: OrgUnitDetail


class OrgAccountItem(TypedDict):  # Account
    Id: str
    Arn: str
    Email: str
    Name: str
    Status: str
    State: str
    JoinedMethod: Literal["INVITED", "CREATED"]
    JoinedTimestamp: Date
    Paths: list[str]


class OrgAccountDetail(OrgAccountItem):
    ParentId: str
    Management: bool
    Policies: list[OrgPolicyBrief]


class OrgAccountOut(TypedDict):
    Account: OrgAccountItem


class OrgAccountListOut(TypedDict):
    Accounts: list[OrgAccountItem]


class OrgAccountShowOut(TypedDict):
    Account: OrgAccountDetail


class OrgPolicySummary(TypedDict):  # PolicySummary
    Id: str
    Arn: str
    Name: str
    Description: str
    Type: OrgPolicyType
    AwsManaged: bool


class OrgTarget(TypedDict):  # PolicyTargetSummary
    TargetId: str
    Arn: str
    Name: str
    Type: TargetType


class OrgPolicyItem(TypedDict):
    PolicySummary: OrgPolicySummary
    Content: Annotated[str, Note("the document as written")]


class OrgPolicyDetail(OrgPolicyItem):
    Targets: list[OrgTarget]


class OrgPolicyOut(TypedDict):
    Policy: OrgPolicyItem


class OrgPolicyShowOut(TypedDict):
    Policy: OrgPolicyDetail


class OrgPolicyListOut(TypedDict):
    Policies: list[OrgPolicySummary]


class OrgImportReport(TypedDict):
    OrganizationId: str
    OrganizationalUnits: int
    Accounts: int
    Policies: int
    Attachments: int


class OrgImportOut(TypedDict):
    Import: OrgImportReport


# -- the reference: what README's tables list --------------------------------------------------------

RECORDS: dict[str, type] = {
    "User": UserItem, "Group": GroupItem, "Role": RoleItem, "Policy": PolicyItem, "Version": VersionItem,
    "Tag": Tag, "AttachedPolicy": AttachedPolicy, "Boundary": Boundary, "MFADevice": MfaDeviceItem,
    "InstanceProfile": InstanceProfileItem, "Credentials": Credentials, "Condition": Condition,
    "Organization": OrganizationItem, "OrganizationalUnit": OrgUnitItem, "OrgAccount": OrgAccountItem,
    "PolicySummary": OrgPolicySummary, "OrgPolicy": OrgPolicyBrief,
}
"""The records README's first table defines once, by name, for the outputs to refer to."""

NO_ENVELOPE = "no envelope, as AWS prints it"


@dataclass(frozen=True)
class Output:
    """What `-o json` prints for `commands` (words after `iamctl`, with an option where the
    shape depends on it), and a note for the reference. `record`: the output is one record, not
    an envelope of named parts, so the reference writes its keys as a record's (unquoted)."""

    commands: tuple[str, ...]
    shape: type
    note: str = ""
    record: bool = False


OUTPUTS: tuple[Output, ...] = (
    Output(("user show",), UserShowOut),
    Output(("user list",), UserListOut),
    Output(("user list-groups", "group list-for-user"), GroupsOfUserOut),
    Output(("user list-tags",), TagsOut),
    Output(("user list-access-keys",), AccessKeysOut),
    Output(("user create-access-key",), CreateAccessKeyOut),
    Output(("user import",), ImportOut),
    Output(("user get-policy",), UserInlinePolicyOut, NO_ENVELOPE, record=True),
    Output(("group get-policy",), GroupInlinePolicyOut, NO_ENVELOPE, record=True),
    Output(("role get-policy",), RoleInlinePolicyOut, NO_ENVELOPE, record=True),
    Output(("user list-policies", "group list-policies", "role list-policies"), PolicyNamesOut),
    Output(("user list-attached-policies", "group list-attached-policies", "role list-attached-policies"),
           AttachedPoliciesOut),
    Output(("group show",), GroupShowOut),
    Output(("group list",), GroupListOut),
    Output(("role show",), RoleShowOut),
    Output(("role list",), RoleListOut),
    Output(("role sessions",), SessionsOut),
    Output(("role assume",), AssumeOut),
    Output(("role revoke-sessions",), RevokeSessionsOut, record=True),
    Output(("role instance-profile show",), InstanceProfileShowOut),
    Output(("role instance-profile list",), InstanceProfileListOut),
    Output(("role provider list",), ProvidersOut),
    Output(("policy show",), PolicyShowOut),
    Output(("policy list",), PolicyListOut),
    Output(("policy list-versions",), VersionsOut),
    Output(("policy get-version",), VersionOut),
    Output(("policy validate",), ValidateOut),
    Output(("simulate policy", "simulate principal"), SimulateOut),
    Output(("analyze who-can",), WhoCanOut),
    Output(("analyze escalation",), EscalationOut),
    Output(("mfa list",), VirtualMfaDevicesOut),
    Output(("mfa list --user NAME",), MfaDevicesOut),
    Output(("account show",), AccountShowOut),
    Output(("account list",), AccountListOut),
    Output(("account password-policy show",), PasswordPolicyOut),
    Output(("org create",), OrgCreateOut),
    Output(("org show",), OrgShowOut),
    Output(("org effective",), OrgEffectiveOut),
    Output(("org ou create", "org ou rename"), OrgUnitOut),
    Output(("org ou list",), OrgUnitListOut),
    Output(("org ou show",), OrgUnitShowOut),
    Output(("org account add", "org account move"), OrgAccountOut),
    Output(("org account list",), OrgAccountListOut),
    Output(("org account show",), OrgAccountShowOut),
    Output(("org policy create", "org policy update"), OrgPolicyOut),
    Output(("org policy show",), OrgPolicyShowOut),
    Output(("org policy list",), OrgPolicyListOut),
    Output(("org import",), OrgImportOut),
    Output(("whoami",), CallerIdentityOut, record=True),
    Output(("login",), LoginOut),
)
"""Every command's JSON shape, in README's order."""
