"""`iamctl group ...`: IAM groups: create, show, list, update, delete, membership."""

from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, hinting, reading, writing
from iamctl.cli.complete import complete_groups, complete_users
from iamctl.cli.listing import MaxItemsOpt, PathPrefixOpt, StartingTokenOpt, render_page
from iamctl.cli.policy_commands import add_policy_commands
from iamctl.cli.shapes import GROUP_COLUMNS, group_item, user_item

if TYPE_CHECKING:
    from iamctl.core.identities.groups import GroupDetails

app = typer.Typer(no_args_is_help=True, help="IAM groups: create, show, list, update, delete, members.")

NameArg = Annotated[str, typer.Argument(help="The group's name.", metavar="GROUP", autocompletion=complete_groups)]
UserArg = Annotated[str, typer.Argument(help="The user's name.", metavar="USER", autocompletion=complete_users)]




def detail_item(d: "GroupDetails", account_id: str) -> dict:
    """`group show`: AWS GetGroup's group keys plus members and policies."""
    from iamctl.core.base.names import arn  # lazy: start-up

    g = d.group
    return {
        **group_item(g, d.arn),
        "Users": [user_item(u, arn(account_id, "user", u.path, u.name)) for u in d.members],
        "AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in g.attached_policies],
        "InlinePolicies": sorted(g.inline_policies),
    }


@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArg,
    path: Annotated[str, typer.Option("--path", help="The group's path, e.g. /engineering/.")] = "/",
    output: OutputOpt = None,
) -> None:
    """Create a group.

    Names are 1-128 characters of letters, digits and + = , . @ _ -, unique without regard
    to case.

    Example: iamctl group create developers --path /engineering/
    """
    from iamctl.core.identities import groups  # lazy: start-up

    with writing(ctx) as txn:
        group = groups.create_group(txn, name, path=path)
        item = group_item(group, groups.group_arn(txn, group))
    render.record(fmt(ctx, output), key="Group", item=item, title="Group")


@app.command("show")
def show(ctx: typer.Context, name: NameArg, output: OutputOpt = None) -> None:
    """Show a group: ARN, id, path, members, attached and inline policies.

    Example: iamctl group show developers
    """
    from iamctl.core.identities import groups  # lazy: start-up

    with reading(ctx) as txn:
        item = detail_item(groups.group_details(txn, name), txn.account_id)
    render.record(fmt(ctx, output), key="Group", item=item, title=f"Group {item['GroupName']}")


@app.command("list")
def list_groups(
    ctx: typer.Context,
    path_prefix: PathPrefixOpt = None,
    max_items: MaxItemsOpt = None,
    starting_token: StartingTokenOpt = None,
    output: OutputOpt = None,
) -> None:
    """List groups, sorted by name.

    With --max-items the listing stops there and gives a NextToken for --starting-token.

    Example: iamctl group list --path-prefix /engineering/
    """
    from iamctl.core.identities import groups  # lazy: start-up

    with reading(ctx) as txn:
        page = groups.list_groups(txn, path_prefix=path_prefix, max_items=max_items,
                                  starting_token=starting_token)
        items = [group_item(g, groups.group_arn(txn, g)) for g in page.items]
    render_page(ctx, output, page, "Groups", items, GROUP_COLUMNS)


@app.command("update")
def update(
    ctx: typer.Context,
    name: NameArg,
    new_name: Annotated[str | None, typer.Option("--new-name", help="Rename the group.")] = None,
    new_path: Annotated[str | None, typer.Option("--new-path", help="Move the group to this path.")] = None,
) -> None:
    """Rename a group or change its path.

    Members and policy attachments follow the new name.

    Example: iamctl group update developers --new-name engineers
    """
    from iamctl.core.identities import groups  # lazy: start-up

    if new_name is None and new_path is None:
        raise typer.BadParameter("give --new-name and/or --new-path")
    with writing(ctx) as txn:
        groups.update_group(txn, name, new_name=new_name, new_path=new_path)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArg,
    force: Annotated[bool, typer.Option("--force", help="First remove members and policies.")] = False,
) -> None:
    """Delete a group.

    Refused (DeleteConflict) while it has members or policies; --force removes them first.

    Example: iamctl group delete developers --force
    """
    from iamctl.core.identities import groups  # lazy: start-up

    hint = None if force else "use --force to remove them with the group"
    with writing(ctx) as txn, hinting("DeleteConflict", hint):
        groups.delete_group(txn, name, force=force)


@app.command("add-user")
def add_user(ctx: typer.Context, group: NameArg, user: UserArg) -> None:
    """Add a user to a group (a user belongs to at most 10 groups).

    Example: iamctl group add-user developers alice
    """
    from iamctl.core.identities import groups  # lazy: start-up

    with writing(ctx) as txn:
        groups.add_user_to_group(txn, group, user)


@app.command("remove-user")
def remove_user(ctx: typer.Context, group: NameArg, user: UserArg) -> None:
    """Remove a user from a group.

    Example: iamctl group remove-user developers alice
    """
    from iamctl.core.identities import groups  # lazy: start-up

    with writing(ctx) as txn:
        groups.remove_user_from_group(txn, group, user)


@app.command("list-for-user")
def list_for_user(ctx: typer.Context, user: UserArg, output: OutputOpt = None) -> None:
    """List the groups a user belongs to.

    Example: iamctl group list-for-user alice -o json
    """
    from iamctl.core.identities import groups  # lazy: start-up

    with reading(ctx) as txn:
        items = [group_item(g, groups.group_arn(txn, g)) for g in groups.list_groups_for_user(txn, user)]
    render.rows(fmt(ctx, output), key="Groups", items=items, columns=GROUP_COLUMNS)


# Managed and inline policy commands, shared with user and role.
add_policy_commands(app, "group")
