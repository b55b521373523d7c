"""`iamctl policy ...`: customer managed policies and their versions; AWS managed policies."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from iamctl.cli import render, validate
from iamctl.cli.common import OutputOpt, fmt, reading, writing
from iamctl.cli.complete import complete_policies, complete_policy_versions
from iamctl.cli.policy_commands import DocumentOpt, read_document, show_with_document
from iamctl.cli.syntax import TagOpt, tag_dict

if TYPE_CHECKING:
    from iamctl.core.identities.policies import PolicyInfo, VersionInfo

app = typer.Typer(no_args_is_help=True, help="Managed policies: create, show, list, versions, delete.")
validate.register(app)

PolicyArg = Annotated[
    str, typer.Argument(help="Policy name, or ARN (AWS managed: arn:aws:iam::aws:policy/...).", metavar="POLICY",
                        autocompletion=complete_policies)
]
VersionArg = Annotated[str, typer.Argument(help="Version id: v1, v2, ...", metavar="VERSION",
                                           autocompletion=complete_policy_versions)]
LIST_COLUMNS = ["PolicyName", "Arn", "DefaultVersionId", "AttachmentCount", "PermissionsBoundaryUsageCount",
                "UpdateDate"]


def _policy_item(p: "PolicyInfo") -> dict:
    item: dict[str, Any] = {
        "PolicyName": p.name,
        "PolicyId": p.policy_id,
        "Arn": p.arn,
        "Path": p.path,
        "DefaultVersionId": p.default_version_id,
        "AttachmentCount": p.attachment_count,
        "PermissionsBoundaryUsageCount": p.boundary_usage_count,
        "IsAttachable": True,
        "CreateDate": p.created,
        "UpdateDate": p.updated,
    }
    if p.description is not None:
        item["Description"] = p.description
    if p.tags:
        item["Tags"] = [{"Key": k, "Value": v} for k, v in p.tags.items()]
    return item


def _version_item(v: "VersionInfo") -> dict:
    return {"VersionId": v.version_id, "IsDefaultVersion": v.is_default, "CreateDate": v.created}


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Policy name, 1-128 characters.")],
    document: DocumentOpt,
    path: Annotated[str, typer.Option("--path", help="Path, e.g. /teams/.")] = "/",
    description: Annotated[str | None, typer.Option("--description", help="Up to 1,000 characters.")] = None,
    tag: TagOpt = None,
    output: OutputOpt = None,
) -> None:
    """Create a customer managed policy from a JSON document (its version v1).

    The document is validated (JSON, then the policy grammar; identity policies take no
    Principal), may hold at most 6,144 characters not counting whitespace, and is stored
    exactly as written.

    Example: iamctl policy create ReadReports --document policy.json --tag team=finance
    """
    from iamctl.core.identities import policies  # lazy: start-up

    text = read_document(document)
    findings: list = []
    with writing(ctx) as txn:
        info = policies.create_policy(txn, name, text, path=path, description=description, tags=tag_dict(tag),
                                      findings=findings)
    validate.show_findings(findings)
    render.record(fmt(ctx, output), key="Policy", item=_policy_item(info))


@app.command("show")
def show(ctx: typer.Context, policy: PolicyArg, output: OutputOpt = None) -> None:
    """Show a managed policy and its default version's document, exactly as written.

    Example: iamctl policy show ReadReports
    """
    from iamctl.core.identities import policies  # lazy: start-up

    with reading(ctx) as txn:
        info = policies.get_policy(txn, policy)
    show_with_document(fmt(ctx, output), key="Policy", item=_policy_item(info), document=info.document or "",
                       where=f"policy {policy}")


@app.command("list")
def list_policies(
    ctx: typer.Context,
    scope: Annotated[str, typer.Option("--scope", help="All, AWS (AWS managed) or Local (customer managed).")] = "All",
    path_prefix: Annotated[str | None, typer.Option("--path-prefix", help="Only policies under this path.")] = None,
    only_attached: Annotated[bool, typer.Option("--only-attached", help="Only policies attached somewhere.")] = False,
    output: OutputOpt = None,
) -> None:
    """List managed policies with their attachment counts.

    Example: iamctl policy list --scope Local --only-attached
    """
    from iamctl.core.identities import policies  # lazy: start-up

    with reading(ctx) as txn:
        found = policies.list_policies(txn, scope=scope, path_prefix=path_prefix, only_attached=only_attached)
    items = [_policy_item(p) for p in found]
    render.rows(fmt(ctx, output), key="Policies", items=items, columns=LIST_COLUMNS)


@app.command("delete")
def delete(ctx: typer.Context, policy: PolicyArg) -> None:
    """Delete a customer managed policy and all its versions.

    DeleteConflict while it is attached to any user, group or role, or is the permissions
    boundary of a user or role.

    Example: iamctl policy delete ReadReports
    """
    from iamctl.core.identities import policies  # lazy: start-up

    with writing(ctx) as txn:
        policies.delete_policy(txn, policy)


@app.command("create-version")
def create_version(
    ctx: typer.Context,
    policy: PolicyArg,
    document: DocumentOpt,
    set_as_default: Annotated[bool, typer.Option("--set-as-default", help="Make it the version in effect.")] = False,
    output: OutputOpt = None,
) -> None:
    """Add a version to a customer managed policy (at most 5 versions).

    Example: iamctl policy create-version ReadReports --document v2.json --set-as-default
    """
    from iamctl.core.identities import policies  # lazy: start-up

    text = read_document(document)
    findings: list = []
    with writing(ctx) as txn:
        version = policies.create_version(txn, policy, text, set_as_default=set_as_default, findings=findings)
    validate.show_findings(findings)
    render.record(fmt(ctx, output), key="PolicyVersion", item=_version_item(version))


@app.command("set-default-version")
def set_default_version(ctx: typer.Context, policy: PolicyArg, version: VersionArg) -> None:
    """Make a version the one in effect.

    Example: iamctl policy set-default-version ReadReports v1
    """
    from iamctl.core.identities import policies  # lazy: start-up

    with writing(ctx) as txn:
        policies.set_default_version(txn, policy, version)


@app.command("delete-version")
def delete_version(ctx: typer.Context, policy: PolicyArg, version: VersionArg) -> None:
    """Delete a version that is not the default (the default one is a DeleteConflict).

    Example: iamctl policy delete-version ReadReports v1
    """
    from iamctl.core.identities import policies  # lazy: start-up

    with writing(ctx) as txn:
        policies.delete_version(txn, policy, version)


@app.command("list-versions")
def list_versions(ctx: typer.Context, policy: PolicyArg, output: OutputOpt = None) -> None:
    """List a customer managed policy's versions, newest first.

    Example: iamctl policy list-versions ReadReports
    """
    from iamctl.core.identities import policies  # lazy: start-up

    with reading(ctx) as txn:
        found = policies.list_versions(txn, policy)
    items = [_version_item(v) for v in found]
    render.rows(fmt(ctx, output), key="Versions", items=items, columns=["VersionId", "IsDefaultVersion", "CreateDate"])


@app.command("get-version")
def get_version(ctx: typer.Context, policy: PolicyArg, version: VersionArg, output: OutputOpt = None) -> None:
    """Show one version of a customer managed policy, its document exactly as written.

    Example: iamctl policy get-version ReadReports v2
    """
    from iamctl.core.identities import policies  # lazy: start-up

    with reading(ctx) as txn:
        found = policies.get_version(txn, policy, version)
    show_with_document(fmt(ctx, output), key="PolicyVersion", item=_version_item(found), document=found.document,
                       where=f"policy {policy} {found.version_id}")
