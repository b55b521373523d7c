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
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal, overload

from msgspec import Struct, field, structs

from iamctl.core.base import jsonload, names
from iamctl.core.base.errors import IamError, InvalidInput, MalformedPolicyDocument
from iamctl.core.bulk.authdetails import (
    AWS_POLICY_PREFIX,
    BOUNDARY_TYPE,
    DEFAULT_MAX_SESSION,
    LISTS,
    NOT_LISTED,
    PAGINATION,
    UNLISTED_ATTACHMENTS,
    UNLISTED_BOUNDARY_USES,
    MalformedInput,
    decode_document,
    fault,
    kind_of,
    normalise_date,
)
from iamctl.core.identities.policies import validate_document
from iamctl.core.store.records import (
    KINDS,
    AwsPolicyUse,
    Group,
    InstanceProfile,
    ManagedPolicy,
    PolicyVersion,
    Role,
    RoleLastUsed,
    User,
)
from iamctl.core.store.trust import trust_principal_ids

if TYPE_CHECKING:
    from iamctl.core.engine.parse import PolicyKind

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








# -- reading values with their JSON path -----------------------------------------------------


def _get(obj: dict, key: str, path: str, kind: type | tuple, *, required: bool = True) -> Any:
    if key not in obj:
        if required:
            raise fault(path, f"missing required field {key}")
        return None
    value = obj[key]
    expected = {str: "a string", list: "an array", dict: "an object", bool: "a boolean", int: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        want = " or ".join(expected[k] for k in kinds)
        raise fault(f"{path}.{key}", f"expected {want}, found {kind_of(value)}")
    return value


@overload
def _date(obj: dict, key: str, path: str, *, required: Literal[True] = True) -> str: ...
@overload
def _date(obj: dict, key: str, path: str, *, required: bool) -> str | None: ...
def _date(obj: dict, key: str, path: str, *, required: bool = True) -> str | None:
    """A date in any of the formats real files carry, as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (UTC)."""
    text = _get(obj, key, path, str, required=required)
    if text is None:
        return None
    return normalise_date(text, f"{path}.{key}")




def _check(fn, path: str, *args, **kwargs) -> Any:
    """Run a names.* rule, turning its error into a fault at `path`."""
    try:
        return fn(*args, **kwargs)
    except IamError as e:
        raise fault(path, e.message) from None


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
            raise fault(where, f"expected an object, found {kind_of(tag)}")
        key = _get(tag, "Key", where, str)
        value = _get(tag, "Value", where, str)
        ignored += [f"{where}.{k}" for k in tag if k not in ("Key", "Value")]
        if key in tags:
            raise fault(f"{where}.Key", f"duplicate tag key {key!r}")
        tags[key] = value
    return tags




def _document(value: Any, path: str, kind: PolicyKind) -> str:
    text = decode_document(value, path)
    try:
        return validate_document(text, kind=kind)
    except MalformedPolicyDocument as e:
        raise fault(path, e.message) from None


def _inline(obj: dict, key: str, path: str, ignored: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, item in enumerate(_get(obj, key, path, list, required=False) or []):
        where = f"{path}.{key}[{i}]"
        if not isinstance(item, dict):
            raise fault(where, f"expected an object, found {kind_of(item)}")
        name = _check(names.check_name, f"{where}.PolicyName", "policy", _get(item, "PolicyName", where, str),
                      label="policy name")
        if "PolicyDocument" not in item:
            raise fault(where, "missing required field PolicyDocument")
        ignored += [f"{where}.{k}" for k in item if k not in ("PolicyName", "PolicyDocument")]
        if name in out:
            raise fault(f"{where}.PolicyName", f"duplicate inline policy name {name!r}")
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
            raise fault(where, f"expected an object, found {kind_of(item)}")
        arn = _get(item, "PolicyArn", where, str)
        name = _get(item, "PolicyName", where, str, required=False)
        if name is not None and name != arn.rsplit("/", 1)[-1]:
            raise fault(f"{where}.PolicyName", f"{name!r} is not the name in PolicyArn {arn!r}")
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
        raise fault(f"{where}.PermissionsBoundaryType", f"expected {BOUNDARY_TYPE!r}, found {kind!r}")
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
            data = jsonload.loads(text)
        except json.JSONDecodeError as e:
            raise MalformedInput(f"{label}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        if not isinstance(data, dict):
            raise fault(f"{label}: $", f"expected an object, found {kind_of(data)}")
        if not any(k in data for k in LISTS):
            raise fault(f"{label}: $", f"not get-account-authorization-details output (none of {', '.join(LISTS)})")
        for key in data:
            if key in targets:
                items = _get(data, key, f"{label}: $", list)
                for i, item in enumerate(items):
                    if not isinstance(item, dict):
                        raise fault(f"{label}: $.{key}[{i}]", f"expected an object, found {kind_of(item)}")
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
    given_counts: dict[str, tuple[int | None, ...]] = field(default_factory=dict)  # (attachments, boundary uses)
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
    raise fault(entry.path, f"{kind} {name!r} is listed twice, differently (first at {before.path})")


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
                    raise fault(where, f"AWS managed policy {arn} is listed twice, differently")
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
                raise fault(vwhere, f"expected an object, found {kind_of(v)}")
            vid = _get(v, "VersionId", vwhere, str)
            if not re.fullmatch(r"v[1-9]\d*", vid):
                raise fault(f"{vwhere}.VersionId", f"expected a version id such as v1, found {vid!r}")
            is_default = _get(v, "IsDefaultVersion", vwhere, bool, required=False)
            if is_default is not None and is_default != (vid == default):
                raise fault(f"{vwhere}.IsDefaultVersion", f"disagrees with DefaultVersionId {default!r}")
            if "Document" not in v:
                raise fault(vwhere, "missing required field Document")
            versions.append(PolicyVersion(
                version_id=vid, document=_document(v["Document"], f"{vwhere}.Document", "identity"),
                created=_date(v, "CreateDate", vwhere),
                extra=_extra(v, VERSION_FIELDS, {}, plan.kept, vwhere)))
        if default not in {v.version_id for v in versions}:
            raise fault(f"{where}.DefaultVersionId", f"no version {default!r} in PolicyVersionList")
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
        raise fault(f"{where}.{key}", f"expected a count, found {value}")
    return value


COUNTS = ("AttachmentCount", "PermissionsBoundaryUsageCount")


def _aws_extra(p: dict) -> dict[str, str]:
    # The file's copy of an AWS managed policy, kept whole.
    return {k: json.dumps(v) for k, v in p.items()}


def _policy_ref(plan: _Plan, arn: str, where: str) -> str:
    """The local ARN for a managed policy reference, or a fault if it names nothing known."""
    if arn.startswith(AWS_POLICY_PREFIX):
        from iamctl.core.engine import aws_managed  # lazy: start-up

        if arn not in plan.aws and aws_managed.get(arn) is None:
            raise fault(where, f"{arn} is not an AWS managed policy iamctl knows, and the input's "
                                "Policies list does not include it")
        return arn
    if arn not in plan.arns:
        raise fault(where, f"{arn} is not in the input's Policies list (import every page together)")
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
                raise fault(gwhere, f"expected a string, found {kind_of(group_name)}")
            group = plan.groups.get(group_name.lower())
            if group is None:
                raise fault(gwhere, f"group {group_name!r} is not in GroupDetailList (import every page together)")
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
            raise fault(where, "missing required field AssumeRolePolicyDocument")
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
        listed = plan.roles.get(role_name.lower())
        if listed is None:
            raise fault(where, f"role {role_name!r} is not in RoleDetailList (import every page together)")
        if listed.name not in profile.roles:
            profile.roles.append(listed.name)


def _plan_profile(plan: _Plan, ip: Any, where: str, account_id: str, ignored: list[str],
                  nested: list[tuple[InstanceProfile, str, str]]) -> InstanceProfile:
    if not isinstance(ip, dict):
        raise fault(where, f"expected an object, found {kind_of(ip)}")
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
            raise fault(rwhere, f"expected an object, found {kind_of(nr)}")
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
    holders: list[User | Role] = [*plan.users.values(), *plan.roles.values()]
    boundary_uses = Counter(e.permissions_boundary for e in holders)
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
    held = [f"{txn.count(k)} {KINDS[k].folder}" for k in CONTENT_KINDS if k in KINDS and txn.count(k)]
    if held:
        raise InvalidInput(
            f"account {txn.account_id} is not empty ({', '.join(held)}); import goes into a new or empty "
            "account: choose another account directory"
        )


def import_details(txn, details: Details, *, plan: tuple[_Plan, list[str]] | None = None) -> ImportReport:
    """Import merged authorization details into the account they describe, in this transaction.

    The account is the one most ARNs name (the transaction's own when they name none). It must
    be the transaction's account or one absent from (or empty in) the workspace; an absent one
    is added. Everything is checked before anything is staged.
    """
    account_id = details.account_id or txn.account_id
    planned, ignored = plan or plan_import(details, account_id)
    if account_id == txn.account_id:
        target = txn
    elif txn.account_exists(account_id):
        target = txn.in_account(account_id)
    else:
        txn.create_account(account_id)
        target = txn.in_account(account_id)
    _require_empty(target)
    for kind, objects in (("policy", planned.policies), ("group", planned.groups), ("user", planned.users),
                          ("role", planned.roles), ("instance-profile", planned.profiles)):
        for obj in objects.values():
            target.put(kind, obj)
    for use in planned.aws.values():
        target.put("aws-policy", use)
    for role in planned.roles.values():  # the principals its trust policy names, now that all exist
        target.put("role", structs.replace(role, trust_principal_ids=trust_principal_ids(
            target, role.assume_role_policy)))
    counts = {"users": len(planned.users), "groups": len(planned.groups), "roles": len(planned.roles),
              "policies": len(planned.policies), "instance_profiles": len(planned.profiles),
              "aws_managed_policies": len(planned.aws)}
    return ImportReport(account_id, counts, planned.kept, ignored)


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




# -- export ----------------------------------------------------------------------------------










# -- CloudFormation --------------------------------------------------------------------------




