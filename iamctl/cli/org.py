"""`iamctl org ...`: the organization the directory's accounts belong to (AWS Organizations):
its tree of OUs and accounts, its SCPs and RCPs and where they are attached.

JSON follows the `aws organizations` commands' shapes (Organization, Root, OrganizationalUnit,
Account, PolicySummary, PolicyTargetSummary).
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, read_input, reading, writing
from iamctl.cli.complete import complete_accounts, complete_org_policies, complete_org_targets
from iamctl.cli.policy_commands import DocumentOpt, read_document

if TYPE_CHECKING:
    from iamctl.core.identities.org_lookup import Target
    from iamctl.core.identities.organizations import Level, Node, Snapshot
    from iamctl.core.store.records import Organization, OrgPolicy

app = typer.Typer(no_args_is_help=True, help="The organization: OUs, accounts, SCPs and RCPs.")
ou_app = typer.Typer(no_args_is_help=True, help="Organizational units: create, list, show, rename, delete.")
account_app = typer.Typer(no_args_is_help=True, help="Member accounts: add, remove, move, list, show.")
policy_app = typer.Typer(no_args_is_help=True, help="SCPs and RCPs: create, attach, detach, list, show.")
app.add_typer(ou_app, name="ou")
app.add_typer(account_app, name="account")
app.add_typer(policy_app, name="policy")

TargetArg = Annotated[str, typer.Argument(help="root, an OU name or id (ou-...), or a member account id.",
                                          metavar="TARGET", autocompletion=complete_org_targets)]
TargetOpt = Annotated[str, typer.Option("--target", help="root, an OU name or id (ou-...), or a member account "
                                        "id.", metavar="TARGET", autocompletion=complete_org_targets)]
ParentOpt = Annotated[str | None, typer.Option("--parent", help="root (default) or an OU name or id.",
                                               metavar="PARENT", autocompletion=complete_org_targets)]
OuArg = Annotated[str, typer.Argument(help="OU name or id (ou-...).", metavar="OU",
                                      autocompletion=complete_org_targets)]
AccountArg = Annotated[str, typer.Argument(help="12-digit account id.", metavar="ACCOUNT",
                                           autocompletion=complete_accounts)]
PolicyArg = Annotated[str, typer.Argument(help="Policy name or id (p-...).", metavar="POLICY",
                                          autocompletion=complete_org_policies)]
TypeOpt = Annotated[str | None, typer.Option("--type", help="scp or rcp (when an SCP and an RCP share a name).",
                                             metavar="TYPE")]

_TYPE_SHORT = {"SERVICE_CONTROL_POLICY": "SCP", "RESOURCE_CONTROL_POLICY": "RCP"}


# -- shapes (the aws organizations CLI's) ---------------------------------------------------------


def _org_item(org: "Organization", types: tuple[str, ...]) -> dict:
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    item = {"Id": org.id, "Arn": o.organization_arn(org), "FeatureSet": org.feature_set,
            "MasterAccountArn": o.arn(org, lk.ACCOUNT, org.management_account),
            "MasterAccountId": org.management_account,
            "AvailablePolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in types]}
    if org.management_email:
        item["MasterAccountEmail"] = org.management_email
    return item


def _policy_summary(org: "Organization", p: "OrgPolicy") -> dict:
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    return {"Id": p.id, "Arn": o.policy_arn(org, p), "Name": p.name, "Description": p.description,
            "Type": p.type, "AwsManaged": p.id in lk.AWS_MANAGED}


def _target_item(org: "Organization", t: "Target", chain: "tuple[Target, ...] | None" = None) -> dict:
    """A Root, OrganizationalUnit or Account record as the aws organizations CLI prints it; with
    the target's `chain` (root first, the target last), an OU's Path or an account's Paths."""
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    item: dict[str, Any] = {"Id": t.id, "Arn": o.arn(org, t.type, t.id), "Name": t.name}
    if chain is not None and t.type == lk.OU:
        item["Path"] = lk.entity_path(org, chain, inclusive=True)
    elif chain is not None and t.type == lk.ACCOUNT:
        item["Paths"] = [lk.entity_path(org, chain, inclusive=True)]
    return item


def _account_item(org: "Organization", acct: Any, chain: "tuple[Target, ...] | None" = None) -> dict:
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up

    return {**_target_item(org, lk.account_target(acct), chain), "Name": acct.name or "", "Email": acct.email or "",
            "Status": acct.status, "State": acct.status, "JoinedMethod": acct.joined_method,
            "JoinedTimestamp": acct.joined}


def _brief(policies: "tuple[OrgPolicy, ...] | list[OrgPolicy]") -> list[dict]:
    return [{"Id": p.id, "Name": p.name, "Type": p.type} for p in policies]


def _names(policies: list[dict], policy_type: str) -> str:
    return ", ".join(p["Name"] for p in policies if p["Type"] == policy_type)


# -- the organization --------------------------------------------------------------------------------


@app.command("create")
def create(
    ctx: typer.Context,
    management_account: Annotated[str | None, typer.Option("--management-account", help="The management "
                                                           "account (default: the selected account).",
                                                           metavar="ID", autocompletion=complete_accounts)] = None,
    feature_set: Annotated[str, typer.Option("--feature-set", help="ALL (SCPs and RCPs) or CONSOLIDATED_BILLING.",
                                             metavar="SET")] = "ALL",
    email: Annotated[str | None, typer.Option("--email", help="The management account's email address.")] = None,
    output: OutputOpt = None,
) -> None:
    """Create the directory's organization; every account already in the directory joins it.

    The root gets SCPs and RCPs enabled, with FullAWSAccess and RCPFullAWSAccess attached, as
    AWS does. Accounts added to the directory later join with `org account add`.

    Example: iamctl org create --management-account 111122223333
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        org = o.create_organization(txn, management_account, feature_set=feature_set, email=email)
        types = lk.enabled_types(txn, org)
    render.record(fmt(ctx, output), key="Organization", item=_org_item(org, types))


@app.command("delete")
def delete(ctx: typer.Context) -> None:
    """Delete the organization (refused while it has OUs, policies or other member accounts).

    Example: iamctl org delete
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        o.delete_organization(txn)


def _tree_item(snap: "Snapshot", node: "Node", chain: "tuple[Target, ...]") -> dict:
    from iamctl.core.identities import org_lookup as o  # lazy: start-up

    org = snap.organization
    policies = {p.id: p for p in snap.policies}
    rcp_default = [policies[o.RCP_FULL_AWS_ACCESS]] if o.RCP in snap.root.policy_types else []

    def attached(t: "Target") -> list[dict]:
        return _brief([policies[pid] for pid in t.policies if pid in policies] + rcp_default)

    here = (*chain, node.target)
    item = {**_target_item(org, node.target, here if node.target.type != o.ROOT else None),
            "Policies": attached(node.target),
            "OrganizationalUnits": [_tree_item(snap, child, here) for child in node.ous],
            "Accounts": [{**_target_item(org, a, (*here, a)), "Policies": attached(a),
                          "Management": a.id == org.management_account} for a in node.accounts]}
    if node.target.type == o.ROOT:
        item["PolicyTypes"] = [{"Type": t, "Status": "ENABLED"} for t in snap.root.policy_types]
    return item


def _tree_lines(item: dict, depth: int = 0) -> list[str]:
    pad = "  " * depth
    kind = "Root" if "PolicyTypes" in item else "OU"
    lines = [f"{pad}{kind} {item['Name']} ({item['Id']})  SCPs: {_names(item['Policies'], 'SERVICE_CONTROL_POLICY') or '-'}"
             f"  RCPs: {_names(item['Policies'], 'RESOURCE_CONTROL_POLICY') or '-'}"]
    for child in item["OrganizationalUnits"]:
        lines += _tree_lines(child, depth + 1)
    for a in item["Accounts"]:
        mark = " management" if a["Management"] else ""
        lines.append(f"{pad}  account {a['Id']}{mark}  SCPs: {_names(a['Policies'], 'SERVICE_CONTROL_POLICY') or '-'}"
                     f"  RCPs: {_names(a['Policies'], 'RESOURCE_CONTROL_POLICY') or '-'}")
    return lines


@app.command("show")
def show(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Show the organization: its tree of OUs and accounts, with the policies attached to each.

    Example: iamctl org show
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with reading(ctx) as txn:
        snap = o.snapshot(txn)
        types = lk.enabled_types(txn, snap.organization)
    org_item = _org_item(snap.organization, types)
    tree = _tree_item(snap, snap.tree, ())
    form = fmt(ctx, output)
    if form == "json":
        render.json_dump({"Organization": org_item, "Root": tree})
        return
    render.lines([f"Organization {org_item['Id']} ({org_item['Arn']}), feature set {org_item['FeatureSet']}, "
                  f"management account {org_item['MasterAccountId']} ({org_item['MasterAccountArn']})"
                  + (f" {org_item['MasterAccountEmail']}" if "MasterAccountEmail" in org_item else ""),
                  "policy types: " + (", ".join(f"{t['Type']} {t['Status']}" for t in tree["PolicyTypes"]) or "none")])
    if form == "text":
        rows: list[dict] = []

        def walk(item: dict, parent: str) -> None:
            kind = "ROOT" if "PolicyTypes" in item else "ORGANIZATIONAL_UNIT"
            rows.append({"Type": kind, "Id": item["Id"], "Name": item["Name"], "Parent": parent, "Arn": item["Arn"],
                         "Path": item.get("Path", ""), "Policies": _policy_cells(item["Policies"])})
            for a in item["Accounts"]:
                rows.append({"Type": "ACCOUNT" + (" (management)" if a["Management"] else ""), "Id": a["Id"],
                             "Name": a["Name"], "Parent": item["Id"], "Arn": a["Arn"], "Path": a["Paths"][0],
                             "Policies": _policy_cells(a["Policies"])})
            for child in item["OrganizationalUnits"]:
                walk(child, item["Id"])

        walk(tree, "")
        render.rows("text", key="Targets", items=rows, columns=["Type", "Id", "Name", "Parent", "Arn", "Path",
                                                                 "Policies"])
        return
    render.lines(_tree_lines(tree))
    ids = {p["Id"]: p for p in _all_policies(tree)}
    render.lines([f"policy {p['Name']}: {p['Id']} ({_TYPE_SHORT.get(p['Type'], p['Type'])})" for p in ids.values()])
    render.lines([(f"account {item['Id']}" if kind == "account" else f"{kind} {item['Name']} ({item['Id']})")
                  + f": {item['Arn']}" + (f" {item['Path']}" if "Path" in item else "") for kind, item in _arns(tree)])


def _policy_cells(policies: list[dict]) -> str:
    return ", ".join(f"{p['Name']} ({p['Id']}, {p['Type']})" for p in policies)


def _all_policies(item: dict) -> list[dict]:
    found = list(item["Policies"])
    for a in item["Accounts"]:
        found += a["Policies"]
    for child in item["OrganizationalUnits"]:
        found += _all_policies(child)
    return found


def _arns(item: dict) -> list[tuple[str, dict]]:
    found = [("Root" if "PolicyTypes" in item else "OU", item)]
    for a in item["Accounts"]:
        found.append(("account", {**a, "Path": a["Paths"][0]}))
    for child in item["OrganizationalUnits"]:
        found += _arns(child)
    return found


@app.command("effective")
def effective(ctx: typer.Context, account: AccountArg, output: OutputOpt = None) -> None:
    """Every SCP and RCP that applies to an account, level by level from the root.

    SCPs limit the account's users and roles; RCPs its resources. Neither applies to the
    management account.

    Example: iamctl org effective 444455556666
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with reading(ctx) as txn:
        eff = o.effective(txn, account)
    org = eff.organization

    def levels(found: "tuple[Level, ...]") -> list[dict]:
        return [{**_target_item(org, lvl.target), "Type": lvl.target.type,
                 "Policies": _brief(lvl.policies)} for lvl in found]

    scps, rcps = levels(eff.scps), levels(eff.rcps)
    item = {"AccountId": eff.account, "ManagementAccount": eff.management,
            "ServiceControlPolicies": scps, "ResourceControlPolicies": rcps}
    form = fmt(ctx, output)
    if form == "json":
        render.json_dump({"Effective": item})
        return
    rows = [{"Kind": kind, "Level": lvl["Type"], "Id": lvl["Id"], "Name": lvl["Name"], "Arn": lvl["Arn"],
             "Policies": ", ".join(f"{p['Name']} ({p['Id']}, {p['Type']})" for p in lvl["Policies"])}
            for kind, found in (("SCP", scps), ("RCP", rcps)) for lvl in found]
    render.rows(form, key="Levels", items=rows, columns=["Kind", "Level", "Id", "Name", "Arn", "Policies"],
                title=f"account {eff.account}")
    if eff.management:
        render.lines([f"{eff.account} is the management account (ManagementAccount true): SCPs and RCPs "
                      "do not apply to it"])
    else:
        render.lines([f"ManagementAccount false: SCPs and RCPs apply to {eff.account}"])


@app.command("import")
def import_(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="A folder of `aws organizations` JSON outputs (see README).",
                                              metavar="DIR", file_okay=False)],
    output: OutputOpt = None,
) -> None:
    """Import an organization from the JSON the `aws organizations` commands print.

    The folder holds describe-organization.json, list-roots.json, one
    list-organizational-units-for-parent/ and list-accounts-for-parent/ file per parent, the
    list-policies-*.json listings and, per policy, describe-policy/ and list-targets-for-policy/
    files (README, "Organizations"). Everything is checked first; nothing is written on error.

    Example: iamctl org import org-dump/
    """
    from iamctl.core.bulk import org_interchange  # lazy: start-up

    files = _read_dump(directory)
    with writing(ctx) as txn:
        report = org_interchange.import_dump(txn, files)
    for note in report.notes:
        render.note(note)
    render.record(fmt(ctx, output), key="Import", item={
        "OrganizationId": report.organization_id, "OrganizationalUnits": report.ous, "Accounts": report.accounts,
        "Policies": report.policies, "Attachments": report.attachments})


def _read_dump(directory: Path) -> dict[str, str]:
    """Every .json file under the folder, by its path relative to it (`describe-policy/p-....json`)."""
    if not directory.is_dir():
        raise typer.BadParameter(f"no such folder: {directory}", param_hint="DIR")
    found = {}
    for path in sorted(directory.rglob("*.json")):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(directory).as_posix()
            found[rel] = read_input(str(path), option="DIR")
    return found


@app.command("export")
def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The folder to write (created; must be empty).",
                                              metavar="DIR", file_okay=False)],
) -> None:
    """Export the organization as the JSON the `aws organizations` commands print.

    Writes the layout `org import` reads, so an imported organization exports as it came in.

    Example: iamctl org export org-dump/
    """
    import json  # lazy: start-up

    from iamctl.core.bulk import org_interchange  # lazy: start-up

    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise typer.BadParameter(f"{directory} exists and is not an empty folder", param_hint="DIR")
    with reading(ctx) as txn:
        files = org_interchange.export_dump(txn)
    for rel, data in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    render.note(f"wrote {len(files)} files to {directory}")


# -- OUs ---------------------------------------------------------------------------------------------


def _ou_out(ctx: typer.Context, output: str | None, txn: Any, ou: Any) -> None:
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up

    org = lk.require_organization(txn)
    chain = lk.chain(txn, ou.id, org)
    render.record(fmt(ctx, output), key="OrganizationalUnit", item=_target_item(org, lk.ou_target(ou), chain))


@ou_app.command("create")
def ou_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The OU's name, 1-128 characters.")],
    parent: ParentOpt = None,
    output: OutputOpt = None,
) -> None:
    """Create an OU under the root or another OU (at most five levels deep).

    Example: iamctl org ou create Prod --parent Workloads
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        ou = o.create_ou(txn, name, parent)
        _ou_out(ctx, output, txn, ou)


@ou_app.command("list")
def ou_list(ctx: typer.Context, parent: ParentOpt = None, output: OutputOpt = None) -> None:
    """List the OUs under the root (or under --parent), like list-organizational-units-for-parent.

    Example: iamctl org ou list --parent Workloads
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with reading(ctx) as txn:
        org = lk.require_organization(txn)
        where = o.resolve_parent(txn, parent or "root")
        child_ous, _ = o.children(txn, where.id)
        items = [_target_item(org, lk.ou_target(ou), lk.chain(txn, ou.id, org))
                 for ou in sorted(child_ous, key=lambda u: u.name)]
    render.rows(fmt(ctx, output), key="OrganizationalUnits", items=items, columns=["Id", "Name", "Arn", "Path"])


@ou_app.command("show")
def ou_show(ctx: typer.Context, ou: OuArg, output: OutputOpt = None) -> None:
    """Show an OU: its parent, its child OUs and accounts, and the policies attached to it.

    Example: iamctl org ou show Workloads
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with reading(ctx) as txn:
        org = lk.require_organization(txn)
        unit = o.resolve_ou(txn, ou)
        target = lk.ou_target(unit)
        child_ous, accounts = o.children(txn, unit.id)
        policies = [p for t in lk.POLICY_TYPES if t in lk.enabled_types(txn, org) for p in lk.attached(txn, target, t)]
        item = {**_target_item(org, target, lk.chain(txn, unit.id, org)), "ParentId": unit.parent,
                "OrganizationalUnits": sorted(u.id for u in child_ous), "Accounts": sorted(a.id for a in accounts),
                "Policies": _brief(policies)}
    form = fmt(ctx, output)
    if form == "json":
        render.json_dump({"OrganizationalUnit": item})
    else:
        render.record(form, key="OrganizationalUnit", item={**item, "Policies": _policy_cells(item["Policies"])})


@ou_app.command("rename")
def ou_rename(ctx: typer.Context, ou: OuArg, new_name: Annotated[str, typer.Argument(help="The new name.")],
              output: OutputOpt = None) -> None:
    """Rename an OU (like update-organizational-unit).

    Example: iamctl org ou rename Prod Production
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        _ou_out(ctx, output, txn, o.rename_ou(txn, ou, new_name))


@ou_app.command("delete")
def ou_delete(ctx: typer.Context, ou: OuArg) -> None:
    """Delete an empty OU (no accounts, no child OUs).

    Example: iamctl org ou delete Sandbox
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        o.delete_ou(txn, ou)


# -- accounts ----------------------------------------------------------------------------------------


def _account_out(ctx: typer.Context, output: str | None, txn: Any, acct: Any) -> None:
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up

    org = lk.require_organization(txn)
    render.record(fmt(ctx, output), key="Account", item=_account_item(org, acct, lk.path(txn, acct.id, org)))


@account_app.command("add")
def account_add(
    ctx: typer.Context,
    account: AccountArg,
    name: Annotated[str | None, typer.Option("--name", help="The account's friendly name.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="The account's email address.")] = None,
    parent: ParentOpt = None,
    output: OutputOpt = None,
) -> None:
    """Make an account a member of the organization (an invitation, accepted).

    Example: iamctl org account add 444455556666 --name workloads-prod
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        _account_out(ctx, output, txn, o.add_account(txn, account, name=name, email=email, parent=parent))


@account_app.command("remove")
def account_remove(ctx: typer.Context, account: AccountArg) -> None:
    """Take a member account out of the organization; its SCPs and RCPs stop applying.

    Example: iamctl org account remove 444455556666
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        o.remove_account(txn, account)


@account_app.command("move")
def account_move(
    ctx: typer.Context,
    account: AccountArg,
    to: Annotated[str, typer.Option("--to", help="root, or an OU name or id.", metavar="PARENT",
                                    autocompletion=complete_org_targets)],
    output: OutputOpt = None,
) -> None:
    """Move a member account under another OU or the root.

    Example: iamctl org account move 444455556666 --to Prod
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        _account_out(ctx, output, txn, o.move_account(txn, account, to))


@account_app.command("list")
def account_list(ctx: typer.Context, parent: ParentOpt = None, output: OutputOpt = None) -> None:
    """List the member accounts (all, or those directly under --parent).

    Example: iamctl org account list --parent Prod
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with reading(ctx) as txn:
        org = lk.require_organization(txn)
        if parent:
            _, accounts = o.children(txn, o.resolve_parent(txn, parent).id)
        else:
            accounts = o.members(txn)
        items = [_account_item(org, a, lk.path(txn, a.id, org)) for a in accounts]
    render.rows(fmt(ctx, output), key="Accounts", items=items,
                columns=["Id", "Name", "Email", "Status", "JoinedMethod", "JoinedTimestamp", "Arn", "Paths"])


@account_app.command("show")
def account_show(ctx: typer.Context, account: AccountArg, output: OutputOpt = None) -> None:
    """Show a member account: where it sits in the tree and the policies attached to it.

    Example: iamctl org account show 444455556666
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with reading(ctx) as txn:
        org = lk.require_organization(txn)
        acct = o.require_member(txn, account)
        chain = lk.path(txn, account, org)
        policies = [p for t in lk.POLICY_TYPES if t in lk.enabled_types(txn, org)
                    for p in lk.attached(txn, lk.account_target(acct), t)]
        item = {**_account_item(org, acct, chain), "ParentId": acct.parent,
                "Management": acct.id == org.management_account, "Policies": _brief(policies)}
    form = fmt(ctx, output)
    if form == "json":
        render.json_dump({"Account": item})
    else:
        render.record(form, key="Account", item={**item, "Policies": _policy_cells(item["Policies"])})


# -- policies ----------------------------------------------------------------------------------------


def _policy_out(ctx: typer.Context, output: str | None, org: "Organization", p: "OrgPolicy",
                targets: "list[Target] | None" = None) -> None:
    form = fmt(ctx, output)
    item: dict[str, Any] = {"PolicySummary": _policy_summary(org, p), "Content": p.content}
    if targets is not None:
        item["Targets"] = [{"TargetId": t.id, "Arn": _target_item(org, t)["Arn"], "Name": t.name, "Type": t.type}
                           for t in targets]
    if form == "json":
        render.json_dump({"Policy": item})
        return
    flat = {**item["PolicySummary"]}
    if targets is not None:
        flat["Targets"] = ", ".join(f"{t['Type']} {t['Name']} ({t['TargetId']}, {t['Arn']})" for t in item["Targets"])
    render.record(form, key="Policy", item=flat)
    render.lines(p.content.splitlines())  # the document as written


@policy_app.command("create")
def policy_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The policy's name, 1-128 characters.")],
    policy_type: Annotated[str, typer.Option("--type", help="scp or rcp.", metavar="TYPE")],
    document: DocumentOpt,
    description: Annotated[str, typer.Option("--description", help="Up to 512 characters.")] = "",
    output: OutputOpt = None,
) -> None:
    """Create a service control policy (SCP) or resource control policy (RCP).

    The document is checked against its type's grammar and may hold at most 5,120 characters,
    every character counted (whitespace too), as the Organizations API stores it.

    Example: iamctl org policy create DenyLeaveOrg --type scp --document deny-leave.json
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    text = read_document(document)
    with writing(ctx) as txn:
        p = o.create_policy(txn, name, o.policy_type(policy_type), text, description=description)
        org = lk.require_organization(txn)
    _policy_out(ctx, output, org, p)


@policy_app.command("update")
def policy_update(
    ctx: typer.Context,
    policy: PolicyArg,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    document: Annotated[str | None, typer.Option("--document", help="A new document: a file, file://PATH or -.",
                                                 metavar="FILE|-")] = None,
    description: Annotated[str | None, typer.Option("--description", help="A new description.")] = None,
    policy_type: TypeOpt = None,
    output: OutputOpt = None,
) -> None:
    """Change a policy's name, description or document (like update-policy).

    Example: iamctl org policy update DenyLeaveOrg --document deny-leave-v2.json
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    if name is None and document is None and description is None:
        raise typer.BadParameter("give --name, --document or --description")
    text = read_document(document) if document is not None else None
    with writing(ctx) as txn:
        p = o.update_policy(txn, policy, policy_type=_type(policy_type), name=name, content=text,
                            description=description)
        org = lk.require_organization(txn)
    _policy_out(ctx, output, org, p)


def _type(text: str | None) -> str | None:
    from iamctl.core.identities import organizations as o  # lazy: start-up

    return o.policy_type(text) if text else None


@policy_app.command("delete")
def policy_delete(ctx: typer.Context, policy: PolicyArg, policy_type: TypeOpt = None) -> None:
    """Delete a policy that is attached nowhere.

    Example: iamctl org policy delete DenyLeaveOrg
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        o.delete_policy(txn, policy, policy_type=_type(policy_type))


@policy_app.command("attach")
def policy_attach(ctx: typer.Context, policy: PolicyArg, target: TargetOpt, policy_type: TypeOpt = None) -> None:
    """Attach a policy to the root, an OU or a member account (at most 5 of each type there).

    Example: iamctl org policy attach DenyLeaveOrg --target Workloads
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        o.attach_policy(txn, policy, target, policy_type=_type(policy_type))


@policy_app.command("detach")
def policy_detach(ctx: typer.Context, policy: PolicyArg, target: TargetOpt, policy_type: TypeOpt = None) -> None:
    """Detach a policy; a target's last SCP and RCPFullAWSAccess stay, as in AWS.

    Example: iamctl org policy detach FullAWSAccess --target Workloads
    """
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with writing(ctx) as txn:
        o.detach_policy(txn, policy, target, policy_type=_type(policy_type))


@policy_app.command("list")
def policy_list(
    ctx: typer.Context,
    policy_type: TypeOpt = None,
    target: Annotated[str | None, typer.Option("--target", help="Only the policies attached to this root, OU or "
                                               "account.", metavar="TARGET",
                                               autocompletion=complete_org_targets)] = None,
    output: OutputOpt = None,
) -> None:
    """List the organization's SCPs and RCPs (or those attached to --target), AWS managed first.

    Example: iamctl org policy list --type scp --target Workloads
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    kind = _type(policy_type)
    with reading(ctx) as txn:
        org = lk.require_organization(txn)
        if target:
            where = o.resolve_target(txn, target)
            found = [p for t in lk.POLICY_TYPES if t in lk.enabled_types(txn, org) and kind in (None, t)
                     for p in lk.attached(txn, where, t)]
        else:
            found = o.all_policies(txn, kind)
        items = [_policy_summary(org, p) for p in found]
    render.rows(fmt(ctx, output), key="Policies", items=items,
                columns=["Id", "Name", "Type", "AwsManaged", "Description", "Arn"])


@policy_app.command("show")
def policy_show(ctx: typer.Context, policy: PolicyArg, policy_type: TypeOpt = None, output: OutputOpt = None) -> None:
    """Show a policy: its summary, its document as written and where it is attached.

    Example: iamctl org policy show DenyLeaveOrg
    """
    from iamctl.core.identities import org_lookup as lk  # lazy: start-up
    from iamctl.core.identities import organizations as o  # lazy: start-up

    with reading(ctx) as txn:
        p = o.resolve_policy(txn, policy, policy_type=_type(policy_type))
        org = lk.require_organization(txn)
        targets = o.targets_for_policy(txn, p)
    _policy_out(ctx, output, org, p, targets)
