"""Import and export of `aws iam get-account-authorization-details` JSON; CloudFormation export.

Import (`import_files`, or `parse_sources` + `import_details` on a transaction):

- Reads one or more files (the pages of a paginated call, `Marker`/`IsTruncated` included) and
  merges their UserDetailList, GroupDetailList, RoleDetailList and Policies. An entity listed
  twice identically (overlapping pages) is one entity; listed twice differently, an error.
- Checks everything before writing anything: a fault anywhere rejects the whole input with the
  file and the JSON path of the fault, e.g. `$.UserDetailList[3].UserName: expected a string,
  found a number`. Names, paths and policy documents go through the same rules as local
  creation (policy grammar through `policies.validate_document`).
- Keeps ids, create dates (normalised to `2013-10-14T18:32:24Z`, UTC; fractions of a second
  kept), paths, tags, boundaries, every policy version, RoleLastUsed and instance profiles.
  Policy documents may be JSON objects (as the AWS CLI prints them), JSON text, or the
  URL-encoded text the IAM API returns; they are stored as JSON text.
- Fields iamctl does not model are kept verbatim in the entity's `extra` table (field name ->
  JSON text) and written back by export; unknown fields inside nested records (a tag, an
  attachment, an inline policy entry) and unknown top-level keys are reported in
  `ImportReport.ignored` and not kept.
- ARNs are derived from the account id, path and name. The account imported into is the one
  most entity ARNs name; an entity whose given ARN differs (another account in the same file,
  as security tools' merged fixtures have) keeps it in `extra["Arn"]`, and references to it
  are exported with it. `Path: ""` is stored as `/` with `extra["Path"]` kept.
- AWS managed policies are referenced by ARN and resolve through the bundled catalogue
  (`aws_managed`); the file's own copies of AWS managed policies (in Policies) are kept whole
  in their `AwsPolicyUse` record, and used for simulation when the bundle lacks the policy
  (a retired one such as AWSLambdaFullAccess).
- AttachmentCount and PermissionsBoundaryUsageCount are recomputed on export from the
  account; what AWS counted beyond the file (attachments on a page not imported) is kept as
  an offset (`extra["iamctl.unlisted-attachments"]`), so the exported count is what AWS said
  plus local changes.
- Secrets never travel: the format has none, and export writes none.

Export writes the same shape (`export_details`), or an AWS::IAM CloudFormation template
(`export_cloudformation`).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct, field

from . import names
from .errors import IamError, InvalidInput
from .model import (
    AwsPolicyUse,
    Group,
    InstanceProfile,
    ManagedPolicy,
    PolicyVersion,
    Role,
    RoleLastUsed,
    User,
)

LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
PAGINATION = ("Marker", "IsTruncated")
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
UNLISTED_ATTACHMENTS = "iamctl.unlisted-attachments"
UNLISTED_BOUNDARY_USES = "iamctl.unlisted-boundary-uses"
NOT_LISTED = "iamctl.not-listed"  # an AWS managed policy the input attached but did not list in Policies
BOUNDARY_TYPE = "PermissionsBoundaryPolicy"
DEFAULT_MAX_SESSION = 3600

# The fields of each record that iamctl models; any other field is kept in `extra`.
USER_FIELDS = {"Path", "UserName", "UserId", "Arn", "CreateDate", "UserPolicyList", "GroupList",
               "AttachedManagedPolicies", "PermissionsBoundary", "Tags"}
GROUP_FIELDS = {"Path", "GroupName", "GroupId", "Arn", "CreateDate", "GroupPolicyList", "AttachedManagedPolicies"}
ROLE_FIELDS = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument", "InstanceProfileList",
               "RolePolicyList", "AttachedManagedPolicies", "PermissionsBoundary", "Tags", "RoleLastUsed",
               "Description", "MaxSessionDuration"}
PROFILE_FIELDS = {"Path", "InstanceProfileName", "InstanceProfileId", "Arn", "CreateDate", "Roles", "Tags"}
POLICY_FIELDS = {"PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount",
                 "PermissionsBoundaryUsageCount", "IsAttachable", "Description", "CreateDate", "UpdateDate",
                 "PolicyVersionList", "Tags"}
VERSION_FIELDS = {"Document", "VersionId", "IsDefaultVersion", "CreateDate"}
NESTED_ROLE_FIELDS = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument",
                      "Description", "MaxSessionDuration", "Tags", "RoleLastUsed", "PermissionsBoundary"}

_ARN = re.compile(r"^arn:[a-z-]+:iam::([^:]*):")


class MalformedInput(InvalidInput):
    """An input file that does not have the shape of get-account-authorization-details."""


def _fault(path: str, problem: str) -> MalformedInput:
    return MalformedInput(f"{path}: {problem}")


def _kind_of(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


# -- reading values with their JSON path -----------------------------------------------------


def _get(obj: dict, key: str, path: str, kind: type | tuple, *, required: bool = True) -> Any:
    if key not in obj:
        if required:
            raise _fault(path, f"missing required field {key}")
        return None
    value = obj[key]
    expected = {str: "a string", list: "an array", dict: "an object", bool: "a boolean", int: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        want = " or ".join(expected[k] for k in kinds)
        raise _fault(f"{path}.{key}", f"expected {want}, found {_kind_of(value)}")
    return value


def _date(obj: dict, key: str, path: str, *, required: bool = True) -> str | None:
    """A date in any of the formats real files carry, as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (UTC)."""
    text = _get(obj, key, path, str, required=required)
    if text is None:
        return None
    return normalise_date(text, f"{path}.{key}")


def normalise_date(text: str, path: str = "$") -> str:
    """`2023-03-09 10:41:45+00:00`, `2013-10-14T18:32:24Z`, ... → `2023-03-09T10:41:45Z` (UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _fault(path, f"expected a date such as 2013-10-14T18:32:24Z, found {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    fraction = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _check(fn, path: str, *args, **kwargs) -> Any:
    """Run a names.* rule, turning its error into a fault at `path`."""
    try:
        return fn(*args, **kwargs)
    except IamError as e:
        raise _fault(path, e.message) from None


def _path(obj: dict, path: str, extra: dict[str, str]) -> str:
    value = _get(obj, "Path", path, str)
    if value == "":
        # Seen in real files (tools that build them by hand); IAM's own default is "/".
        extra["Path"] = json.dumps(value)
        return "/"
    return _check(names.check_path, f"{path}.Path", value)


def _tags(obj: dict, path: str, ignored: list[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for i, tag in enumerate(_get(obj, "Tags", path, list, required=False) or []):
        where = f"{path}.Tags[{i}]"
        if not isinstance(tag, dict):
            raise _fault(where, f"expected an object, found {_kind_of(tag)}")
        key = _get(tag, "Key", where, str)
        value = _get(tag, "Value", where, str)
        ignored += [f"{where}.{k}" for k in tag if k not in ("Key", "Value")]
        if key in tags:
            raise _fault(f"{where}.Key", f"duplicate tag key {key!r}")
        tags[key] = value
    return tags


def decode_document(value: Any, path: str) -> str:
    """A policy document as JSON text, from an object, JSON text or URL-encoded JSON text."""
    if isinstance(value, dict):
        return json.dumps(value, indent=4)
    if not isinstance(value, str):
        raise _fault(path, f"expected a policy document (an object or text), found {_kind_of(value)}")
    for text in (value, urllib.parse.unquote(value)):
        try:
            json.loads(text)
            return text
        except json.JSONDecodeError:
            continue
    raise _fault(path, "the policy document is neither JSON nor URL-encoded JSON")


def _document(value: Any, path: str, kind: str) -> str:
    from .errors import MalformedPolicyDocument
    from .policies import validate_document

    text = decode_document(value, path)
    try:
        return validate_document(text, kind=kind)
    except MalformedPolicyDocument as e:
        raise _fault(path, e.message) from None


def _inline(obj: dict, key: str, path: str, ignored: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, item in enumerate(_get(obj, key, path, list, required=False) or []):
        where = f"{path}.{key}[{i}]"
        if not isinstance(item, dict):
            raise _fault(where, f"expected an object, found {_kind_of(item)}")
        name = _check(names.check_name, f"{where}.PolicyName", "policy", _get(item, "PolicyName", where, str),
                      label="policy name")
        if "PolicyDocument" not in item:
            raise _fault(where, "missing required field PolicyDocument")
        ignored += [f"{where}.{k}" for k in item if k not in ("PolicyName", "PolicyDocument")]
        if name in out:
            raise _fault(f"{where}.PolicyName", f"duplicate inline policy name {name!r}")
        out[name] = _document(item["PolicyDocument"], f"{where}.PolicyDocument", "identity")
    return out


def _attached(obj: dict, path: str, ignored: list[str]) -> list[tuple[str, str]]:
    """(ARN as given, its JSON path) for each attached managed policy."""
    raw = _get(obj, "AttachedManagedPolicies", path, (list, dict), required=False) or []
    # AWS's own documentation example has a single object here instead of a list.
    items = [(f"{path}.AttachedManagedPolicies", raw)] if isinstance(raw, dict) else [
        (f"{path}.AttachedManagedPolicies[{i}]", item) for i, item in enumerate(raw)]
    out = []
    for where, item in items:
        if not isinstance(item, dict):
            raise _fault(where, f"expected an object, found {_kind_of(item)}")
        arn = _get(item, "PolicyArn", where, str)
        name = _get(item, "PolicyName", where, str, required=False)
        if name is not None and name != arn.rsplit("/", 1)[-1]:
            raise _fault(f"{where}.PolicyName", f"{name!r} is not the name in PolicyArn {arn!r}")
        ignored += [f"{where}.{k}" for k in item if k not in ("PolicyName", "PolicyArn")]
        out.append((arn, where))
    return out


def _boundary(obj: dict, path: str, ignored: list[str]) -> tuple[str, str] | None:
    raw = _get(obj, "PermissionsBoundary", path, dict, required=False)
    if raw is None:
        return None
    where = f"{path}.PermissionsBoundary"
    kind = _get(raw, "PermissionsBoundaryType", where, str, required=False)
    if kind not in (None, BOUNDARY_TYPE):
        raise _fault(f"{where}.PermissionsBoundaryType", f"expected {BOUNDARY_TYPE!r}, found {kind!r}")
    ignored += [f"{where}.{k}" for k in raw if k not in ("PermissionsBoundaryType", "PermissionsBoundaryArn")]
    return _get(raw, "PermissionsBoundaryArn", where, str), f"{where}.PermissionsBoundaryArn"


def _extra(obj: dict, known: set[str], extra: dict[str, str], kept: list[str], path: str) -> dict[str, str] | None:
    for key, value in obj.items():
        if key not in known:
            extra[key] = json.dumps(value)
            kept.append(f"{path}.{key}")
    return extra or None


# -- parsing the files -----------------------------------------------------------------------


class Entry(Struct):
    """One record of one of the four lists, with where it came from."""

    path: str  # "FILE: $.UserDetailList[3]"
    data: dict[str, Any]


class Details(Struct):
    """The merged content of one or more get-account-authorization-details files."""

    users: list[Entry] = field(default_factory=list)
    groups: list[Entry] = field(default_factory=list)
    roles: list[Entry] = field(default_factory=list)
    policies: list[Entry] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # JSON paths of fields reported, not kept

    @property
    def account_id(self) -> str | None:
        """The account most user, group, role and customer managed policy ARNs name."""
        counts: Counter[str] = Counter()
        for entry in self.users + self.groups + self.roles + self.policies:
            m = _ARN.match(entry.data.get("Arn") or "")
            if m and re.fullmatch(r"\d{12}", m.group(1)):
                counts[m.group(1)] += 1
        return counts.most_common(1)[0][0] if counts else None


def parse_sources(sources: list[tuple[str, str]]) -> Details:
    """Parse (label, JSON text) pairs — the pages of one call — into one merged `Details`."""
    details = Details()
    targets = dict(zip(LISTS, (details.users, details.groups, details.roles, details.policies), strict=True))
    for label, text in sources:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise MalformedInput(f"{label}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        if not isinstance(data, dict):
            raise _fault(f"{label}: $", f"expected an object, found {_kind_of(data)}")
        if not any(k in data for k in LISTS):
            raise _fault(f"{label}: $", f"not get-account-authorization-details output (none of {', '.join(LISTS)})")
        for key in data:
            if key in targets:
                items = _get(data, key, f"{label}: $", list)
                for i, item in enumerate(items):
                    if not isinstance(item, dict):
                        raise _fault(f"{label}: $.{key}[{i}]", f"expected an object, found {_kind_of(item)}")
                    targets[key].append(Entry(f"{label}: $.{key}[{i}]", item))
            elif key not in PAGINATION:
                details.ignored.append(f"{label}: $.{key}")
    return details


# -- building the account ------------------------------------------------------------------


class ImportReport(Struct):
    """What an import did: the account, counts per kind, and the fields kept or reported."""

    account_id: str
    counts: dict[str, int]
    kept: list[str]  # JSON paths of unmodelled fields kept in `extra`
    ignored: list[str]  # JSON paths of fields reported and not kept


class _Plan(Struct):
    users: dict[str, User] = field(default_factory=dict)  # lower-case name -> object
    groups: dict[str, Group] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    policies: dict[str, ManagedPolicy] = field(default_factory=dict)
    profiles: dict[str, InstanceProfile] = field(default_factory=dict)
    aws: dict[str, AwsPolicyUse] = field(default_factory=dict)  # arn -> record
    # given customer policy ARN -> local ARN
    arns: dict[str, str] = field(default_factory=dict)
    given_counts: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str], Entry] = field(default_factory=dict)


def _first_time(plan: _Plan, kind: str, name: str, entry: Entry) -> bool:
    """False for an identical repeat (overlapping pages); a fault for a conflicting one."""
    key = (kind, name.lower())
    before = plan.seen.get(key)
    if before is None:
        plan.seen[key] = entry
        return True
    if before.data == entry.data:
        return False
    raise _fault(entry.path, f"{kind} {name!r} is listed twice, differently (first at {before.path})")


def _own_arn(account_id: str, kind: str, path: str, name: str, given: str, extra: dict[str, str]) -> None:
    if given != names.arn(account_id, kind, path, name):
        extra["Arn"] = json.dumps(given)


def _plan_policies(plan: _Plan, details: Details, account_id: str, ignored: list[str]) -> None:
    for entry in details.policies:
        p, where = entry.data, entry.path
        arn = _get(p, "Arn", where, str)
        name = _get(p, "PolicyName", where, str)
        if arn.startswith(AWS_POLICY_PREFIX):
            if arn in plan.aws:
                if plan.aws[arn].extra != _aws_extra(p):
                    raise _fault(where, f"AWS managed policy {arn} is listed twice, differently")
                continue
            plan.aws[arn] = AwsPolicyUse(name=arn.rsplit("/", 1)[-1], arn=arn, extra=_aws_extra(p))
            # Kept whole; counts that are numbers are recomputed on export (some tools write null).
            plan.given_counts[arn] = tuple(p.get(k) if type(p.get(k)) is int else None for k in COUNTS)
            continue
        _check(names.check_name, f"{where}.PolicyName", "policy", name, label="policy name")
        if not _first_time(plan, "policy", name, entry):
            continue
        extra: dict[str, str] = {}
        path = _path(p, where, extra)
        versions = []
        default = _get(p, "DefaultVersionId", where, str)
        for i, v in enumerate(_get(p, "PolicyVersionList", where, list)):
            vwhere = f"{where}.PolicyVersionList[{i}]"
            if not isinstance(v, dict):
                raise _fault(vwhere, f"expected an object, found {_kind_of(v)}")
            vid = _get(v, "VersionId", vwhere, str)
            if not re.fullmatch(r"v[1-9]\d*", vid):
                raise _fault(f"{vwhere}.VersionId", f"expected a version id such as v1, found {vid!r}")
            is_default = _get(v, "IsDefaultVersion", vwhere, bool, required=False)
            if is_default is not None and is_default != (vid == default):
                raise _fault(f"{vwhere}.IsDefaultVersion", f"disagrees with DefaultVersionId {default!r}")
            if "Document" not in v:
                raise _fault(vwhere, "missing required field Document")
            versions.append(PolicyVersion(
                version_id=vid, document=_document(v["Document"], f"{vwhere}.Document", "identity"),
                created=_date(v, "CreateDate", vwhere),
                extra=_extra(v, VERSION_FIELDS, {}, plan.kept, vwhere)))
        if default not in {v.version_id for v in versions}:
            raise _fault(f"{where}.DefaultVersionId", f"no version {default!r} in PolicyVersionList")
        attachable = _get(p, "IsAttachable", where, bool, required=False)
        if attachable is False:
            extra["IsAttachable"] = "false"
        _own_arn(account_id, "policy", path, name, arn, extra)
        policy = ManagedPolicy(
            name=name, policy_id=_get(p, "PolicyId", where, str), path=path,
            created=_date(p, "CreateDate", where), updated=_date(p, "UpdateDate", where, required=False)
            or _date(p, "CreateDate", where), default_version=default, versions=versions,
            next_version=max(int(v.version_id[1:]) for v in versions) + 1,
            description=_get(p, "Description", where, str, required=False), tags=_tags(p, where, ignored),
            extra=_extra(p, POLICY_FIELDS, extra, plan.kept, where))
        plan.policies[name.lower()] = policy
        plan.arns[arn] = names.arn(account_id, "policy", path, name)
        plan.given_counts[plan.arns[arn]] = (_count(p, "AttachmentCount", where),
                                             _count(p, "PermissionsBoundaryUsageCount", where))


def _count(p: dict, key: str, where: str) -> int | None:
    value = _get(p, key, where, int, required=False)
    if value is not None and value < 0:
        raise _fault(f"{where}.{key}", f"expected a count, found {value}")
    return value


COUNTS = ("AttachmentCount", "PermissionsBoundaryUsageCount")


def _aws_extra(p: dict) -> dict[str, str]:
    # The file's copy of an AWS managed policy, kept whole.
    return {k: json.dumps(v) for k, v in p.items()}


def _policy_ref(plan: _Plan, arn: str, where: str) -> str:
    """The local ARN for a managed policy reference, or a fault if it names nothing known."""
    if arn.startswith(AWS_POLICY_PREFIX):
        from . import aws_managed

        if arn not in plan.aws and aws_managed.get(arn) is None:
            raise _fault(where, f"{arn} is not an AWS managed policy iamctl knows, and the input's "
                                "Policies list does not include it")
        return arn
    if arn not in plan.arns:
        raise _fault(where, f"{arn} is not in the input's Policies list (import every page together)")
    return plan.arns[arn]


def _attach(plan: _Plan, entity: Any, kind: str, refs: list[tuple[str, str]]) -> None:
    for arn, where in refs:
        local = _policy_ref(plan, arn, f"{where}.PolicyArn")
        if local in entity.attached_policies:
            continue
        entity.attached_policies.append(local)
        target = f"{kind}/{entity.name}"
        if local.startswith(AWS_POLICY_PREFIX):
            use = plan.aws.setdefault(local, AwsPolicyUse(name=local.rsplit("/", 1)[-1], arn=local,
                                                          extra={NOT_LISTED: "true"}))
            use.attachments.append(target)
        else:
            plan.policies[local.rsplit("/", 1)[-1].lower()].attachments.append(target)


def _use_boundary(plan: _Plan, entity: Any, kind: str, ref: tuple[str, str]) -> None:
    """Set an entity's permissions boundary and record the use on the policy's side."""
    local = _policy_ref(plan, *ref)
    entity.permissions_boundary = local
    if local.startswith(AWS_POLICY_PREFIX):
        use = plan.aws.setdefault(local, AwsPolicyUse(name=local.rsplit("/", 1)[-1], arn=local,
                                                      extra={NOT_LISTED: "true"}))
        use.boundary_uses.append(f"{kind}/{entity.name}")
    else:
        plan.policies[local.rsplit("/", 1)[-1].lower()].boundary_uses.append(f"{kind}/{entity.name}")


def _plan_groups(plan: _Plan, details: Details, account_id: str, ignored: list[str]) -> None:
    for entry in details.groups:
        g, where = entry.data, entry.path
        name = _check(names.check_name, f"{where}.GroupName", "group", _get(g, "GroupName", where, str))
        if not _first_time(plan, "group", name, entry):
            continue
        extra: dict[str, str] = {}
        path = _path(g, where, extra)
        _own_arn(account_id, "group", path, name, _get(g, "Arn", where, str), extra)
        group = Group(name=name, group_id=_get(g, "GroupId", where, str), path=path,
                      created=_date(g, "CreateDate", where),
                      inline_policies=_inline(g, "GroupPolicyList", where, ignored),
                      extra=_extra(g, GROUP_FIELDS, extra, plan.kept, where))
        _attach(plan, group, "group", _attached(g, where, ignored))
        plan.groups[name.lower()] = group


def _plan_users(plan: _Plan, details: Details, account_id: str, ignored: list[str]) -> None:
    for entry in details.users:
        u, where = entry.data, entry.path
        name = _check(names.check_name, f"{where}.UserName", "user", _get(u, "UserName", where, str))
        if not _first_time(plan, "user", name, entry):
            continue
        extra: dict[str, str] = {}
        path = _path(u, where, extra)
        _own_arn(account_id, "user", path, name, _get(u, "Arn", where, str), extra)
        user = User(name=name, user_id=_get(u, "UserId", where, str), path=path,
                    created=_date(u, "CreateDate", where), tags=_tags(u, where, ignored),
                    inline_policies=_inline(u, "UserPolicyList", where, ignored),
                    extra=_extra(u, USER_FIELDS, extra, plan.kept, where))
        for i, group_name in enumerate(_get(u, "GroupList", where, list, required=False) or []):
            gwhere = f"{where}.GroupList[{i}]"
            if not isinstance(group_name, str):
                raise _fault(gwhere, f"expected a string, found {_kind_of(group_name)}")
            group = plan.groups.get(group_name.lower())
            if group is None:
                raise _fault(gwhere, f"group {group_name!r} is not in GroupDetailList (import every page together)")
            if group.name not in user.groups:
                user.groups.append(group.name)
                group.members.append(user.name)
        _attach(plan, user, "user", _attached(u, where, ignored))
        boundary = _boundary(u, where, ignored)
        if boundary:
            _use_boundary(plan, user, "user", boundary)
        plan.users[name.lower()] = user


def _plan_roles(plan: _Plan, details: Details, account_id: str, ignored: list[str]) -> None:
    nested: list[tuple[InstanceProfile, str, str]] = []  # (profile, role name, path)
    for entry in details.roles:
        r, where = entry.data, entry.path
        name = _check(names.check_name, f"{where}.RoleName", "role", _get(r, "RoleName", where, str))
        if not _first_time(plan, "role", name, entry):
            continue
        extra: dict[str, str] = {}
        path = _path(r, where, extra)
        _own_arn(account_id, "role", path, name, _get(r, "Arn", where, str), extra)
        if "AssumeRolePolicyDocument" not in r:
            raise _fault(where, "missing required field AssumeRolePolicyDocument")
        last = _get(r, "RoleLastUsed", where, dict, required=False)
        if last is not None:
            lwhere = f"{where}.RoleLastUsed"
            ignored += [f"{lwhere}.{k}" for k in last if k not in ("LastUsedDate", "Region")]
            last = RoleLastUsed(last_used_date=_date(last, "LastUsedDate", lwhere, required=False),
                                region=_get(last, "Region", lwhere, str, required=False))
        duration = _get(r, "MaxSessionDuration", where, int, required=False)
        role = Role(
            name=name, role_id=_get(r, "RoleId", where, str), path=path, created=_date(r, "CreateDate", where),
            assume_role_policy=_document(r["AssumeRolePolicyDocument"], f"{where}.AssumeRolePolicyDocument", "trust"),
            description=_get(r, "Description", where, str, required=False),
            max_session_duration=DEFAULT_MAX_SESSION if duration is None else duration,
            tags=_tags(r, where, ignored), inline_policies=_inline(r, "RolePolicyList", where, ignored),
            last_used=last, extra=_extra(r, ROLE_FIELDS, extra, plan.kept, where))
        _attach(plan, role, "role", _attached(r, where, ignored))
        boundary = _boundary(r, where, ignored)
        if boundary:
            _use_boundary(plan, role, "role", boundary)
        for i, ip in enumerate(_get(r, "InstanceProfileList", where, list, required=False) or []):
            iwhere = f"{where}.InstanceProfileList[{i}]"
            profile = _plan_profile(plan, ip, iwhere, account_id, ignored, nested)
            if profile.name not in role.instance_profiles:
                role.instance_profiles.append(profile.name)
        plan.roles[name.lower()] = role
    for profile, role_name, where in nested:
        role = plan.roles.get(role_name.lower())
        if role is None:
            raise _fault(where, f"role {role_name!r} is not in RoleDetailList (import every page together)")
        if role.name not in profile.roles:
            profile.roles.append(role.name)


def _plan_profile(plan: _Plan, ip: Any, where: str, account_id: str, ignored: list[str],
                  nested: list[tuple[InstanceProfile, str, str]]) -> InstanceProfile:
    if not isinstance(ip, dict):
        raise _fault(where, f"expected an object, found {_kind_of(ip)}")
    name = _check(names.check_name, f"{where}.InstanceProfileName", "instance-profile",
                  _get(ip, "InstanceProfileName", where, str), label="instance profile name")
    found = plan.profiles.get(name.lower())
    if found is not None:
        return found  # the same profile seen from another of its roles
    extra: dict[str, str] = {}
    path = _path(ip, where, extra)
    _own_arn(account_id, "instance-profile", path, name, _get(ip, "Arn", where, str), extra)
    profile = InstanceProfile(name=name, instance_profile_id=_get(ip, "InstanceProfileId", where, str), path=path,
                              created=_date(ip, "CreateDate", where), tags=_tags(ip, where, ignored),
                              extra=_extra(ip, PROFILE_FIELDS, extra, plan.kept, where))
    for j, nr in enumerate(_get(ip, "Roles", where, list, required=False) or []):
        rwhere = f"{where}.Roles[{j}]"
        if not isinstance(nr, dict):
            raise _fault(rwhere, f"expected an object, found {_kind_of(nr)}")
        nested.append((profile, _get(nr, "RoleName", rwhere, str), f"{rwhere}.RoleName"))
        # The nested role is a copy of the role's own record: anything else in it is reported.
        ignored += [f"{rwhere}.{k}" for k in nr if k not in NESTED_ROLE_FIELDS]
    plan.profiles[name.lower()] = profile
    return profile


def plan_import(details: Details, account_id: str) -> tuple[_Plan, list[str]]:
    """Build every object of the import, checking everything; touches no store."""
    plan = _Plan()
    ignored = list(details.ignored)
    _plan_policies(plan, details, account_id, ignored)
    _plan_groups(plan, details, account_id, ignored)
    _plan_users(plan, details, account_id, ignored)
    _plan_roles(plan, details, account_id, ignored)
    # What AWS counted beyond what the input shows is kept as an offset (see the module doc).
    boundary_uses = Counter(e.permissions_boundary for e in [*plan.users.values(), *plan.roles.values()])
    for arn, (attachments, uses) in plan.given_counts.items():
        holder = plan.aws.get(arn) or plan.policies[arn.rsplit("/", 1)[-1].lower()]
        extra = dict(holder.extra or {})
        if attachments is not None and attachments != len(holder.attachments):
            extra[UNLISTED_ATTACHMENTS] = str(attachments - len(holder.attachments))
        if uses is not None and uses != boundary_uses[arn]:
            extra[UNLISTED_BOUNDARY_USES] = str(uses - boundary_uses[arn])
        holder.extra = extra or None
    return plan, ignored


# -- writing ---------------------------------------------------------------------------------

CONTENT_KINDS = ("user", "group", "role", "policy", "instance-profile", "aws-policy", "mfa",
                 "oidc-provider", "saml-provider")


def _require_empty(txn) -> None:
    from .model import KINDS

    held = [f"{txn.count(k)} {KINDS[k].folder}" for k in CONTENT_KINDS if k in KINDS and txn.count(k)]
    if held:
        raise InvalidInput(
            f"account {txn.account_id} is not empty ({', '.join(held)}); import goes into a new or empty "
            "account: choose another directory with --dir"
        )


def import_details(txn, details: Details, *, plan: tuple[_Plan, list[str]] | None = None) -> ImportReport:
    """Import merged authorization details into the account they describe, in this transaction.

    The account is the one most ARNs name (the transaction's own when they name none). It must
    be the transaction's account or one absent from (or empty in) the workspace; an absent one
    is added. Everything is checked before anything is staged.
    """
    account_id = details.account_id or txn.account_id
    plan, ignored = plan or plan_import(details, account_id)
    if account_id == txn.account_id:
        target = txn
    elif txn.account_exists(account_id):
        target = txn.in_account(account_id)
    else:
        txn.create_account(account_id)
        target = txn.in_account(account_id)
    _require_empty(target)
    for kind, objects in (("policy", plan.policies), ("group", plan.groups), ("user", plan.users),
                          ("role", plan.roles), ("instance-profile", plan.profiles)):
        for obj in objects.values():
            target.put(kind, obj)
    for use in plan.aws.values():
        target.put("aws-policy", use)
    counts = {"users": len(plan.users), "groups": len(plan.groups), "roles": len(plan.roles),
              "policies": len(plan.policies), "instance_profiles": len(plan.profiles),
              "aws_managed_policies": len(plan.aws)}
    return ImportReport(account_id, counts, plan.kept, ignored)


def import_files(store, sources: list[tuple[str, str]]) -> ImportReport:
    """Import (label, text) pages into `store` in one transaction (see the module doc).

    A directory that does not exist yet is created with the file's account as its default.
    With an account selected explicitly (`--account`), the file must describe that account.
    """
    details = parse_sources(sources)
    wanted = details.account_id
    if wanted and store.selected_account and store.selected_account != wanted:
        raise InvalidInput(f"the input describes account {wanted}, not the selected account {store.selected_account}")
    # Every fault is found before the directory is touched (when the input names its account;
    # otherwise the ARNs depend on the directory's account, and the transaction finds them).
    plan = plan_import(details, wanted) if wanted else None
    if not store.exists():
        store.init(wanted)
    with store.write() as txn:
        return import_details(txn, details, plan=plan)


def imported_aws_policy(txn, arn: str):
    """An AWS managed policy known only from an import (retired from AWS's catalogue), or None.

    Built from the file's copy kept in the policy's `AwsPolicyUse` record: its default
    version's document, so that simulation can evaluate it.
    """
    from . import aws_managed

    use = txn.get("aws-policy", arn.rsplit("/", 1)[-1])
    if use is None or use.arn != arn or not use.extra or "PolicyVersionList" not in use.extra:
        return None
    kept = {k: json.loads(v) for k, v in use.extra.items() if not k.startswith("iamctl.")}
    default = kept.get("DefaultVersionId")
    version = next((v for v in kept["PolicyVersionList"] if v.get("VersionId") == default), None)
    if version is None:
        return None
    when = datetime.fromisoformat(normalise_date(kept.get("CreateDate") or "1970-01-01T00:00:00Z").replace("Z", "+00:00"))
    updated = kept.get("UpdateDate")
    return aws_managed.AwsManagedPolicy(
        arn=arn, name=use.name, path=kept.get("Path", "/"), default_version_id=default,
        document=decode_document(version.get("Document"), "$"), create_date=when,
        update_date=datetime.fromisoformat(normalise_date(updated).replace("Z", "+00:00")) if updated else when)


# -- export ----------------------------------------------------------------------------------


def _fields(extra: dict[str, str] | None) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in (extra or {}).items() if not k.startswith("iamctl.")}


def _offset(extra: dict[str, str] | None, key: str) -> int:
    return int((extra or {}).get(key, "0"))


class _Exporter:
    """Reads the whole account once and renders it in AWS's shapes."""

    def __init__(self, txn):
        self.txn = txn
        self.account_id = txn.account_id
        self.users = txn.list("user")
        self.groups = txn.list("group")
        self.roles = txn.list("role")
        self.policies = txn.list("policy")
        self.aws = txn.list("aws-policy")
        self.roles_by_name = {r.name.lower(): r for r in self.roles}
        # local ARN -> ARN as exported (an imported policy keeps the ARN it came with)
        self.policy_arns = {
            names.arn(self.account_id, "policy", p.path, p.name): _fields(p.extra).get(
                "Arn", names.arn(self.account_id, "policy", p.path, p.name))
            for p in self.policies
        }

    def arn(self, kind: str, obj: Any) -> str:
        return _fields(obj.extra).get("Arn", names.arn(self.account_id, kind, obj.path, obj.name))

    def ref(self, arn: str) -> str:
        return self.policy_arns.get(arn, arn)

    def attached(self, entity: Any) -> list[dict]:
        return [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": self.ref(a)} for a in entity.attached_policies]

    @staticmethod
    def inline(entity: Any) -> list[dict]:
        return [{"PolicyName": n, "PolicyDocument": json.loads(t)} for n, t in entity.inline_policies.items()]

    @staticmethod
    def tags(tags: dict[str, str]) -> list[dict]:
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    def boundary(self, entity: Any) -> dict:
        if not entity.permissions_boundary:
            return {}
        return {"PermissionsBoundary": {"PermissionsBoundaryType": BOUNDARY_TYPE,
                                        "PermissionsBoundaryArn": self.ref(entity.permissions_boundary)}}

    def user(self, u: User) -> dict:
        item = {"Path": u.path, "UserName": u.name, "UserId": u.user_id, "Arn": self.arn("user", u),
                "CreateDate": u.created, "UserPolicyList": self.inline(u), "GroupList": list(u.groups),
                "AttachedManagedPolicies": self.attached(u), **self.boundary(u), "Tags": self.tags(u.tags)}
        return {**item, **_fields(u.extra)}

    def group(self, g: Group) -> dict:
        item = {"Path": g.path, "GroupName": g.name, "GroupId": g.group_id, "Arn": self.arn("group", g),
                "CreateDate": g.created, "GroupPolicyList": self.inline(g), "AttachedManagedPolicies": self.attached(g)}
        return {**item, **_fields(g.extra)}

    def role_summary(self, r: Role) -> dict:
        fields = _fields(r.extra)
        item = {"Path": fields.get("Path", r.path), "RoleName": r.name, "RoleId": r.role_id,
                "Arn": self.arn("role", r), "CreateDate": r.created,
                "AssumeRolePolicyDocument": json.loads(r.assume_role_policy)}
        if r.description is not None:
            item["Description"] = r.description
        if r.max_session_duration != DEFAULT_MAX_SESSION:
            item["MaxSessionDuration"] = r.max_session_duration
        return item

    def profile(self, p: InstanceProfile) -> dict:
        roles = [self.role_summary(self.roles_by_name[n.lower()]) for n in p.roles if n.lower() in self.roles_by_name]
        item = {"Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.instance_profile_id,
                "Arn": self.arn("instance-profile", p), "CreateDate": p.created, "Roles": roles}
        if p.tags:
            item["Tags"] = self.tags(p.tags)
        return {**item, **_fields(p.extra)}

    def role(self, r: Role) -> dict:
        profiles = [self.txn.get("instance-profile", n) for n in r.instance_profiles]
        item = {**self.role_summary(r),
                "InstanceProfileList": [self.profile(p) for p in profiles if p is not None],
                "RolePolicyList": self.inline(r), "AttachedManagedPolicies": self.attached(r),
                **self.boundary(r), "Tags": self.tags(r.tags)}
        if r.last_used is not None:
            last = {}
            if r.last_used.last_used_date is not None:
                last["LastUsedDate"] = r.last_used.last_used_date
            if r.last_used.region is not None:
                last["Region"] = r.last_used.region
            item["RoleLastUsed"] = last
        return {**item, **_fields(r.extra)}

    def boundary_uses(self, arn: str) -> int:
        return sum(1 for e in [*self.users, *self.roles] if e.permissions_boundary == arn)

    def policy(self, p: ManagedPolicy) -> dict:
        local = names.arn(self.account_id, "policy", p.path, p.name)
        item = {"PolicyName": p.name, "PolicyId": p.policy_id, "Arn": local, "Path": p.path,
                "DefaultVersionId": p.default_version,
                "AttachmentCount": len(p.attachments) + _offset(p.extra, UNLISTED_ATTACHMENTS),
                "PermissionsBoundaryUsageCount": self.boundary_uses(local) + _offset(p.extra, UNLISTED_BOUNDARY_USES),
                "IsAttachable": True}
        if p.description is not None:
            item["Description"] = p.description
        item |= {"CreateDate": p.created, "UpdateDate": p.updated, "PolicyVersionList": [
            {"Document": json.loads(v.document), "VersionId": v.version_id,
             "IsDefaultVersion": v.version_id == p.default_version, "CreateDate": v.created, **_fields(v.extra)}
            for v in p.versions]}
        if p.tags:
            item["Tags"] = self.tags(p.tags)
        return {**item, **_fields(p.extra)}

    def aws_policy(self, use: AwsPolicyUse) -> dict:
        from . import aws_managed

        counts = {"AttachmentCount": len(use.attachments) + _offset(use.extra, UNLISTED_ATTACHMENTS),
                  "PermissionsBoundaryUsageCount": self.boundary_uses(use.arn)
                  + _offset(use.extra, UNLISTED_BOUNDARY_USES)}
        kept = _fields(use.extra)
        if kept:
            return kept | {k: v for k, v in counts.items() if type(kept.get(k)) is int}
        p = aws_managed.get(use.arn)
        if p is None:
            return {"PolicyName": use.name, "Arn": use.arn, **counts}
        created = normalise_date(p.create_date.isoformat())
        updated = normalise_date(p.update_date.isoformat())
        return {"PolicyName": p.name, "Arn": p.arn, "Path": p.path, "DefaultVersionId": p.default_version_id,
                **counts, "IsAttachable": True, "CreateDate": created, "UpdateDate": updated,
                "PolicyVersionList": [{"Document": json.loads(p.document), "VersionId": p.default_version_id,
                                       "IsDefaultVersion": True, "CreateDate": updated}]}


def export_details(txn) -> dict[str, Any]:
    """The account as `aws iam get-account-authorization-details` prints it (one page, whole).

    Policies lists every customer managed policy with all its versions, then every AWS managed
    policy in use (attached, or kept from an import), except those an imported file attached
    without listing them (a single page of a longer listing), so that a page exports as itself.
    """
    ex = _Exporter(txn)
    return {
        "UserDetailList": [ex.user(u) for u in ex.users],
        "GroupDetailList": [ex.group(g) for g in ex.groups],
        "RoleDetailList": [ex.role(r) for r in ex.roles],
        "Policies": [ex.policy(p) for p in ex.policies]
        # (an AWS managed policy in use only as a boundary is not listed, unless imported so)
        + [ex.aws_policy(a) for a in ex.aws if NOT_LISTED not in (a.extra or {}) and (a.attachments or a.extra)],
    }


# -- CloudFormation --------------------------------------------------------------------------


def logical_id(prefix: str, name: str, taken: set[str]) -> str:
    """A CloudFormation logical id for a resource: letters and digits only, unique, ≤ 255.

    `prefix` + the name's ASCII letters and digits; when characters had to be dropped (IAM names
    may hold `+=,.@_-`), a short hash of the full name follows, so `a-b` and `ab` stay distinct.
    """
    import hashlib

    kept = "".join(c for c in name if c.isascii() and c.isalnum())
    base = prefix + kept[0:1].upper() + kept[1:]
    if kept != name:
        base += hashlib.sha256(name.encode()).hexdigest()[:8].upper()
    base = base[:240]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def export_cloudformation(txn) -> dict[str, Any]:
    """An AWS::IAM CloudFormation template of the account's users, groups, roles, customer managed
    policies (default versions), inline policies and instance profiles.

    References between them are `Ref`s (a managed policy's Ref is its ARN; a group's and a
    role's, their names); AWS managed policies are referenced by ARN. Nothing secret is written
    (no login profiles, no access keys), and tags AWS reserves (`aws:`) are left out since
    CloudFormation cannot set them.
    """
    ex = _Exporter(txn)
    taken: set[str] = set()
    resources: dict[str, Any] = {}
    policy_ids = {names.arn(ex.account_id, "policy", p.path, p.name): logical_id("Policy", p.name, taken)
                  for p in ex.policies}
    group_ids = {g.name.lower(): logical_id("Group", g.name, taken) for g in ex.groups}
    role_ids = {r.name.lower(): logical_id("Role", r.name, taken) for r in ex.roles}

    def arn_ref(arn: str) -> Any:
        return {"Ref": policy_ids[arn]} if arn in policy_ids else arn

    def common(entity: Any) -> dict[str, Any]:
        props: dict[str, Any] = {"Path": entity.path}
        if entity.attached_policies:
            props["ManagedPolicyArns"] = [arn_ref(a) for a in entity.attached_policies]
        if entity.inline_policies:
            props["Policies"] = ex.inline(entity)
        if getattr(entity, "permissions_boundary", None):
            props["PermissionsBoundary"] = arn_ref(entity.permissions_boundary)
        tags = {k: v for k, v in getattr(entity, "tags", {}).items() if not k.lower().startswith("aws:")}
        if tags:
            props["Tags"] = ex.tags(tags)
        return props

    for p in ex.policies:
        version = next(v for v in p.versions if v.version_id == p.default_version)
        props = {"ManagedPolicyName": p.name, "Path": p.path, "PolicyDocument": json.loads(version.document)}
        if p.description:
            props["Description"] = p.description
        resources[policy_ids[names.arn(ex.account_id, "policy", p.path, p.name)]] = {
            "Type": "AWS::IAM::ManagedPolicy", "Properties": props}
    for g in ex.groups:
        resources[group_ids[g.name.lower()]] = {"Type": "AWS::IAM::Group",
                                                "Properties": {"GroupName": g.name, **common(g)}}
    for u in ex.users:
        props = {"UserName": u.name, **common(u)}
        if u.groups:
            props["Groups"] = [{"Ref": group_ids[n.lower()]} for n in u.groups if n.lower() in group_ids]
        resources[logical_id("User", u.name, taken)] = {"Type": "AWS::IAM::User", "Properties": props}
    for r in ex.roles:
        props = {"RoleName": r.name, "AssumeRolePolicyDocument": json.loads(r.assume_role_policy), **common(r)}
        if r.description:
            props["Description"] = r.description
        if r.max_session_duration != DEFAULT_MAX_SESSION:
            props["MaxSessionDuration"] = r.max_session_duration
        resources[role_ids[r.name.lower()]] = {"Type": "AWS::IAM::Role", "Properties": props}
    for p in txn.list("instance-profile"):
        props = {"InstanceProfileName": p.name, "Path": p.path,
                 "Roles": [{"Ref": role_ids[n.lower()]} for n in p.roles if n.lower() in role_ids]}
        resources[logical_id("InstanceProfile", p.name, taken)] = {"Type": "AWS::IAM::InstanceProfile",
                                                                  "Properties": props}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"IAM users, groups, roles and policies of account {ex.account_id}, exported by iamctl",
        "Resources": resources,
    }
