"""Import and export of an organization as the JSON the `aws organizations` commands print.

The dump is a folder of files, one per command (the AWS CLI paginates on its own, so each
command's output is one file), by relative path:

    describe-organization.json                      aws organizations describe-organization
    list-roots.json                                 aws organizations list-roots
    list-organizational-units-for-parent/ID.json    ... list-organizational-units-for-parent --parent-id ID
                                                    (the root and every OU)
    list-accounts-for-parent/ID.json                ... list-accounts-for-parent --parent-id ID (likewise)
    list-policies-SERVICE_CONTROL_POLICY.json       ... list-policies --filter SERVICE_CONTROL_POLICY
    list-policies-RESOURCE_CONTROL_POLICY.json      ... list-policies --filter RESOURCE_CONTROL_POLICY
    describe-policy/ID.json                         ... describe-policy --policy-id ID (every policy listed)
    list-targets-for-policy/ID.json                 ... list-targets-for-policy --policy-id ID (likewise)

Import checks the whole dump first (JSON syntax with line and column, every record's shape with
its JSON path, ids in AWS's formats, every parent and target known, each policy's document
through the same checks as `org policy create`, then every rule `account check` applies to the
organization) and writes it in the caller's transaction: all or nothing. Fields iamctl derives
(ARNs, Path, Paths, the deprecated AvailablePolicyTypes) are recomputed on export; fields it does
not model are kept in the record's `extra` and written back. RCPFullAWSAccess's targets are
implied (it is attached everywhere); FullAWSAccess's are imported like any policy's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from iamctl.core.base import clock, jsonload
from iamctl.core.base.errors import AlreadyInOrganization, InvalidInput, OrganizationsError
from iamctl.core.bulk.authdetails import fault, kind_of, normalise_date
from iamctl.core.identities import org_lookup as lk
from iamctl.core.identities import organizations as orgs
from iamctl.core.store.records import OrgAccount, Organization, OrgPolicy, OrgRoot, OrgUnit

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

DESCRIBE_ORGANIZATION = "describe-organization.json"
LIST_ROOTS = "list-roots.json"
OUS_FOR_PARENT = "list-organizational-units-for-parent"
ACCOUNTS_FOR_PARENT = "list-accounts-for-parent"
DESCRIBE_POLICY = "describe-policy"
TARGETS_FOR_POLICY = "list-targets-for-policy"


def list_policies_file(policy_type: str) -> str:
    return f"list-policies-{policy_type}.json"


# Fields of each record that iamctl models or derives; any other is kept in `extra`.
_ORG_FIELDS = {"Id", "Arn", "FeatureSet", "MasterAccountArn", "MasterAccountId", "MasterAccountEmail",
               "AvailablePolicyTypes"}
_ROOT_FIELDS = {"Id", "Arn", "Name", "PolicyTypes"}
_OU_FIELDS = {"Id", "Arn", "Name", "Path"}
_ACCOUNT_FIELDS = {"Id", "Arn", "Email", "Name", "Status", "State", "JoinedMethod", "JoinedTimestamp", "Paths"}
_SUMMARY_FIELDS = {"Id", "Arn", "Name", "Description", "Type", "AwsManaged"}
_TARGET_FIELDS = {"TargetId", "Arn", "Name", "Type"}


class ImportReport(Struct, frozen=True):
    organization_id: str
    ous: int
    accounts: int
    policies: int
    attachments: int
    notes: list[str] = field(default_factory=list)


class _Dump:
    """The dump's files, parsed on first use; faults name the file and the JSON path."""

    def __init__(self, files: dict[str, str]):
        self.files = files
        self.used: set[str] = set()

    def get(self, rel: str, *, hint: str) -> dict[str, Any]:
        """A file the dump must have (`hint`: the command whose output it is)."""
        found = self.maybe(rel)
        if found is None:
            raise InvalidInput(f"{rel}: missing from the dump (the output of `{hint}`)")
        return found

    def maybe(self, rel: str) -> dict[str, Any] | None:
        if rel not in self.files:
            return None
        self.used.add(rel)
        try:
            data = jsonload.loads(self.files[rel])
        except json.JSONDecodeError as e:
            raise InvalidInput(f"{rel}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        except RecursionError:
            raise InvalidInput(f"{rel}: nested too deeply") from None
        if not isinstance(data, dict):
            raise fault(f"{rel}: $", f"expected an object, found {kind_of(data)}")
        if data.get("NextToken"):
            raise fault(f"{rel}: $.NextToken", "the listing is truncated: save the whole listing, as the AWS CLI "
                        "prints it when it paginates on its own (no NextToken)")
        return data


def _list(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list):
        raise fault(f"{where}.{key}", f"expected an array, found {kind_of(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise fault(f"{where}.{key}[{i}]", f"expected an object, found {kind_of(item)}")
    return value


def _listing(dump: _Dump, folder: str, key: str, parent: str) -> list[tuple[dict[str, Any], str]]:
    """The records a `list-...-for-parent` output lists for `parent`, each with its JSON path."""
    rel = f"{folder}/{parent}.json"
    listed = dump.get(rel, hint=f"aws organizations {folder}` for `{parent}")
    return [(raw, f"{rel}: $.{key}[{i}]") for i, raw in enumerate(_list(listed, key, f"{rel}: $"))]


def _str(record: dict[str, Any], key: str, where: str, *, pattern: Any = None, what: str = "") -> str:
    """A string field the record must have (matching `pattern`, described as `what`)."""
    value = record.get(key)
    if not isinstance(value, str):
        raise fault(f"{where}.{key}", f"expected a string, found {kind_of(value)}")
    if pattern is not None and not pattern.match(value):
        raise fault(f"{where}.{key}", f"{value!r} is not {what}")
    return value


def _opt(record: dict[str, Any], key: str, where: str) -> str | None:
    """A string field the record may leave out."""
    return None if record.get(key) is None else _str(record, key, where)


def _extra(record: dict[str, Any], known: set[str]) -> dict[str, str] | None:
    kept = {k: json.dumps(v, sort_keys=True) for k, v in record.items() if k not in known}
    return kept or None


def _org_error(where: str, e: OrganizationsError) -> InvalidInput:
    return fault(where, e.message)


def import_dump(txn: Txn, files: dict[str, str]) -> ImportReport:
    """Check the dump and stage the organization it describes in `txn` (nothing on a fault)."""
    if lk.find_organization(txn) is not None:
        raise AlreadyInOrganization("This directory already has an organization; an import needs a directory "
                                    "without one (`iamctl org delete` it, or import into another directory).")
    dump = _Dump(files)
    notes: list[str] = []

    # -- the organization and its root
    described = dump.get(DESCRIBE_ORGANIZATION, hint="aws organizations describe-organization")
    raw_org = described.get("Organization")
    if not isinstance(raw_org, dict):
        raise fault(f"{DESCRIBE_ORGANIZATION}: $.Organization", f"expected an object, found {kind_of(raw_org)}")
    where = f"{DESCRIBE_ORGANIZATION}: $.Organization"
    org_id = _str(raw_org, "Id", where, pattern=orgs.ORG_ID, what="an organization id (o- and 10-32 letters or digits)")
    management = _str(raw_org, "MasterAccountId", where, pattern=orgs.ACCOUNT_ID, what="a 12-digit account id")
    feature_set = _opt(raw_org, "FeatureSet", where) or "ALL"
    if feature_set not in orgs.FEATURE_SETS:
        raise fault(f"{where}.FeatureSet", f"{feature_set!r} is not ALL or CONSOLIDATED_BILLING")
    roots = _list(dump.get(LIST_ROOTS, hint="aws organizations list-roots"), "Roots", f"{LIST_ROOTS}: $")
    if len(roots) != 1:
        raise fault(f"{LIST_ROOTS}: $.Roots", f"an organization has exactly one root, found {len(roots)}")
    raw_root = roots[0]
    rwhere = f"{LIST_ROOTS}: $.Roots[0]"
    root_id = _str(raw_root, "Id", rwhere, pattern=orgs.ROOT_ID, what="a root id (r- and 4-32 letters or digits)")
    types = []
    for i, pt in enumerate(raw_root.get("PolicyTypes") or []):
        if not isinstance(pt, dict):
            raise fault(f"{rwhere}.PolicyTypes[{i}]", f"expected an object, found {kind_of(pt)}")
        kind, status = pt.get("Type"), pt.get("Status")
        if kind in lk.POLICY_TYPES and status == "ENABLED":
            types.append(kind)
        elif kind in lk.POLICY_TYPES:
            notes.append(f"{rwhere}.PolicyTypes[{i}]: {kind} is {status}, taken as not enabled")
    org = Organization(key="organization", id=org_id, management_account=management, root_id=root_id,
                       created=clock.iso(), feature_set=feature_set,
                       management_email=_opt(raw_org, "MasterAccountEmail", where),
                       extra=_extra(raw_org, _ORG_FIELDS))
    ignored_root = sorted(set(raw_root) - _ROOT_FIELDS)
    notes += [f"not imported: {rwhere}.{k}" for k in ignored_root]

    # -- the tree, from the root down, each relationship once
    units: dict[str, dict[str, Any]] = {}  # id -> {"record": raw, "parent": id, "where": path}
    accounts: dict[str, dict[str, Any]] = {}
    queue = [root_id]
    while queue:
        parent = queue.pop(0)
        for raw, w in _listing(dump, OUS_FOR_PARENT, "OrganizationalUnits", parent):
            ou_id = _str(raw, "Id", w, pattern=orgs.OU_ID, what="an OU id (ou-ROOT-...)")
            if ou_id in units:
                raise fault(f"{w}.Id", f"{ou_id} is listed under {units[ou_id]['parent']} too")
            _str(raw, "Name", w)
            units[ou_id] = {"record": raw, "parent": parent, "where": w}
            queue.append(ou_id)
        for raw, w in _listing(dump, ACCOUNTS_FOR_PARENT, "Accounts", parent):
            account_id = _str(raw, "Id", w, pattern=orgs.ACCOUNT_ID, what="a 12-digit account id")
            if account_id in accounts:
                raise fault(f"{w}.Id", f"{account_id} is listed under {accounts[account_id]['parent']} too")
            accounts[account_id] = {"record": raw, "parent": parent, "where": w}
    stray = sorted(rel for rel in files if rel.startswith((f"{OUS_FOR_PARENT}/", f"{ACCOUNTS_FOR_PARENT}/"))
                   and rel not in dump.used)
    notes += [f"not imported: {rel} (its parent is not in the organization's tree)" for rel in stray]
    if management not in accounts:
        raise fault(f"{where}.MasterAccountId", f"the management account {management} is in no "
                    f"{ACCOUNTS_FOR_PARENT}/ listing")

    # -- policies
    policies: dict[str, OrgPolicy] = {}
    targets: dict[str, list[str]] = {}  # target id -> policy ids, in listing order
    for ptype in lk.POLICY_TYPES:
        rel = list_policies_file(ptype)
        hint = f"aws organizations list-policies` filtered by `{ptype}"
        found = dump.get(rel, hint=hint) if ptype in types else dump.maybe(rel)
        if found is None:
            continue
        listed = found
        if ptype not in types:
            notes.append(f"not imported: {rel} ({ptype} is not enabled in the root)")
            continue
        for i, summary in enumerate(_list(listed, "Policies", f"{rel}: $")):
            w = f"{rel}: $.Policies[{i}]"
            pid = _str(summary, "Id", w, pattern=orgs.POLICY_ID, what="a policy id (p- and 8-128 letters, digits, _)")
            if summary.get("Type", ptype) != ptype:
                raise fault(f"{w}.Type", f"{summary.get('Type')!r} in the listing of {ptype}")
            if pid in lk.AWS_MANAGED:
                if lk.AWS_MANAGED[pid].type != ptype:
                    raise fault(f"{w}.Id", f"{pid} is not a {ptype}")
                dump.used.add(f"{DESCRIBE_POLICY}/{pid}.json")  # AWS's own: iamctl has it built in
            elif summary.get("AwsManaged") is True:
                notes.append(f"not imported: {w} (AWS managed policy {pid} is not one iamctl knows)")
                continue
            else:
                policies[pid] = _policy(dump, pid, ptype, summary, w)
            _targets(dump, pid, ptype, targets, root_id, units, accounts)

    # -- stage it all, then check it as `account check` would
    txn.put("organization", org)
    txn.put("org-root", OrgRoot(id=root_id, name=_opt(raw_root, "Name", rwhere) or "Root",
                                policy_types=types, policies=targets.get(root_id, [])))
    for ou_id, found in units.items():
        raw = found["record"]
        txn.put("org-ou", OrgUnit(id=ou_id, name=raw["Name"], parent=found["parent"], policies=targets.get(ou_id, []),
                                  extra=_extra(raw, _OU_FIELDS)))
    for account_id, found in accounts.items():
        txn.put("org-account", _account(found["record"], account_id, found["parent"], targets.get(account_id, []),
                                        found["where"]))
    for p in policies.values():
        txn.put("org-policy", p)
    problems = orgs.check(txn)
    if problems:
        raise InvalidInput(f"the dump describes an organization AWS would not hold: {problems[0]}"
                           + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    unused = sorted(set(files) - dump.used)
    notes += [f"not imported: {rel}" for rel in unused if rel not in stray]
    return ImportReport(org_id, len(units), len(accounts), len(policies), sum(len(v) for v in targets.values()),
                        notes)


def _policy(dump: _Dump, pid: str, ptype: str, summary: dict[str, Any], where: str) -> OrgPolicy:
    rel = f"{DESCRIBE_POLICY}/{pid}.json"
    described = dump.get(rel, hint=f"aws organizations describe-policy` for `{pid}")
    body = described.get("Policy")
    if not isinstance(body, dict):
        raise fault(f"{rel}: $.Policy", f"expected an object, found {kind_of(body)}")
    found = body.get("PolicySummary")
    full: dict[str, Any] = found if isinstance(found, dict) else summary
    if full.get("Id", pid) != pid:
        raise fault(f"{rel}: $.Policy.PolicySummary.Id", f"{full.get('Id')!r}, but the file is {pid}'s")
    name = _str(full, "Name", f"{rel}: $.Policy.PolicySummary")
    content = _str(body, "Content", f"{rel}: $.Policy")
    try:
        orgs.check_name(name, what="policy")
        orgs.check_content(content, ptype)
        description = orgs.check_description(full.get("Description") or "")
    except OrganizationsError as e:
        raise _org_error(f"{rel}: $.Policy", e) from None
    return OrgPolicy(id=pid, name=name, type=ptype, content=content, description=description,
                     extra=_extra(full, _SUMMARY_FIELDS))


def _targets(dump: _Dump, pid: str, ptype: str, targets: dict[str, list[str]], root_id: str,
             units: dict[str, Any], accounts: dict[str, Any]) -> None:
    rel = f"{TARGETS_FOR_POLICY}/{pid}.json"
    listed = dump.get(rel, hint=f"aws organizations list-targets-for-policy` for `{pid}")
    for i, t in enumerate(_list(listed, "Targets", f"{rel}: $")):
        w = f"{rel}: $.Targets[{i}]"
        tid = _str(t, "TargetId", w)
        if tid != root_id and tid not in units and tid not in accounts:
            raise fault(f"{w}.TargetId", f"{tid} is not the root, an OU or an account of the organization")
        if pid == lk.RCP_FULL_AWS_ACCESS:
            continue  # attached everywhere, never stored
        attached = targets.setdefault(tid, [])
        if pid in attached:
            raise fault(f"{w}.TargetId", f"{pid} is listed twice for {tid}")
        attached.append(pid)


def _account(raw: dict[str, Any], account_id: str, parent: str, policies: list[str], where: str) -> OrgAccount:
    status = _opt(raw, "Status", where) or _opt(raw, "State", where) or "ACTIVE"
    joined = _opt(raw, "JoinedTimestamp", where)
    extra = _extra(raw, _ACCOUNT_FIELDS) or {}
    if raw.get("State") is not None and raw.get("State") != status:
        extra["State"] = json.dumps(raw["State"])
    name = _opt(raw, "Name", where)
    return OrgAccount(id=account_id, parent=parent, joined=normalise_date(joined, f"{where}.JoinedTimestamp")
                      if joined else clock.iso(), policies=policies, name=name or None,
                      email=_opt(raw, "Email", where) or None, status=status,
                      joined_method=_opt(raw, "JoinedMethod", where) or "INVITED",
                      extra=extra or None)


# -- export --------------------------------------------------------------------------------------------


def _with_extra(item: dict[str, Any], extra: dict[str, str] | None) -> dict[str, Any]:
    for key, text in (extra or {}).items():
        if not key.startswith("iamctl."):
            item.setdefault(key, jsonload.stored(text, where=f"organization/: the imported field {key}"))
    return item


def export_dump(txn: Txn) -> dict[str, dict[str, Any]]:
    """The organization as the dump `import_dump` reads: relative path -> the command's JSON."""
    snap = orgs.snapshot(txn)
    org, root = snap.organization, snap.root
    out: dict[str, dict[str, Any]] = {}
    org_item: dict[str, Any] = {
        "Id": org.id, "Arn": orgs.organization_arn(org), "FeatureSet": org.feature_set,
        "MasterAccountArn": orgs.arn(org, lk.ACCOUNT, org.management_account), "MasterAccountId": org.management_account,
        # Deprecated, and as AWS fills it: SCPs only.
        "AvailablePolicyTypes": [{"Type": lk.SCP, "Status": "ENABLED"}] if lk.SCP in root.policy_types else [],
    }
    if org.management_email:
        org_item["MasterAccountEmail"] = org.management_email
    out[DESCRIBE_ORGANIZATION] = {"Organization": _with_extra(org_item, org.extra)}
    out[LIST_ROOTS] = {"Roots": [{"Id": root.id, "Arn": orgs.arn(org, lk.ROOT, root.id), "Name": root.name,
                                  "PolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in root.policy_types]}]}
    units = {o.id: o for o in orgs.ous(txn)}
    members = {a.id: a for a in orgs.members(txn)}

    def walk(node: orgs.Node, chain: tuple[lk.Target, ...]) -> None:
        here = (*chain, node.target)
        out[f"{OUS_FOR_PARENT}/{node.target.id}.json"] = {"OrganizationalUnits": [
            _with_extra({"Id": c.target.id, "Arn": orgs.arn(org, lk.OU, c.target.id), "Name": c.target.name,
                         "Path": lk.entity_path(org, (*here, c.target), inclusive=True)}, units[c.target.id].extra)
            for c in node.ous]}
        out[f"{ACCOUNTS_FOR_PARENT}/{node.target.id}.json"] = {"Accounts": [
            _account_json(org, members[a.id], (*here, a)) for a in node.accounts]}
        for child in node.ous:
            walk(child, here)

    walk(snap.tree, ())
    everywhere = list(snap.targets())
    for ptype in root.policy_types:
        listed = [p for p in snap.policies if p.type == ptype]
        out[list_policies_file(ptype)] = {"Policies": [_summary(org, p) for p in listed]}
        for p in listed:
            out[f"{DESCRIBE_POLICY}/{p.id}.json"] = {"Policy": {"PolicySummary": _summary(org, p), "Content": p.content}}
            where = everywhere if p.id == lk.RCP_FULL_AWS_ACCESS else [t for t in everywhere if p.id in t.policies]
            out[f"{TARGETS_FOR_POLICY}/{p.id}.json"] = {"Targets": [
                {"TargetId": t.id, "Arn": orgs.arn(org, t.type, t.id), "Name": t.name, "Type": t.type} for t in where]}
    return out


def _summary(org: Organization, p: OrgPolicy) -> dict[str, Any]:
    return _with_extra({"Id": p.id, "Arn": orgs.policy_arn(org, p), "Name": p.name, "Description": p.description,
                        "Type": p.type, "AwsManaged": p.id in lk.AWS_MANAGED}, p.extra)


def _account_json(org: Organization, a: OrgAccount, chain: tuple[lk.Target, ...]) -> dict[str, Any]:
    item: dict[str, Any] = {"Id": a.id, "Arn": orgs.arn(org, lk.ACCOUNT, a.id), "Email": a.email or "",
                            "Name": a.name or "", "Status": a.status, "State": a.status,
                            "JoinedMethod": a.joined_method, "JoinedTimestamp": a.joined,
                            "Paths": [lk.entity_path(org, chain, inclusive=True)]}
    extra = dict(a.extra or {})
    if "State" in extra:
        item["State"] = jsonload.stored(extra.pop("State"), where=f"organization/accounts/{a.id}.toml: State")
    return _with_extra(item, extra)
