"""`iamctl user ...`: IAM users: create, show, list, update, delete, tags, groups."""

from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render, user_credentials, user_import
from iamctl.cli.common import OutputOpt, fmt, hinting, reading, writing
from iamctl.cli.complete import complete_users
from iamctl.cli.listing import MaxItemsOpt, PathPrefixOpt, StartingTokenOpt, render_page
from iamctl.cli.policy_commands import add_policy_commands
from iamctl.cli.shapes import GROUP_COLUMNS, group_item, tags_item, user_item
from iamctl.cli.syntax import TagOpt, TagsArg, tag_dict

if TYPE_CHECKING:
    from iamctl.core.identities.users import UserDetails

app = typer.Typer(no_args_is_help=True, help="IAM users: create, show, list, update, delete, tags.")

NameArg = Annotated[str, typer.Argument(help="The user's name.", metavar="NAME", autocompletion=complete_users)]
LIST_COLUMNS = ["UserName", "Path", "UserId", "Arn", "CreateDate"]






def detail_item(d: "UserDetails") -> dict:
    """`user show`: AWS GetUser's keys plus everything else that hangs off the user."""
    u = d.user
    profile = u.login_profile
    item = {
        **user_item(u, d.arn),
        "Tags": tags_item(u.tags),
        "Groups": list(u.groups),
        "AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in u.attached_policies],
        "InlinePolicies": sorted(u.inline_policies),
        "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": u.permissions_boundary}
        if u.permissions_boundary else None,
        "LoginProfile": {"CreateDate": profile.created, "PasswordResetRequired": profile.password_reset_required}
        if profile else None,
        "AccessKeys": [{"AccessKeyId": k.access_key_id, "Status": k.status, "CreateDate": k.created}
                       for k in u.access_keys],
        "MFADevices": [{"SerialNumber": m.serial, "EnableDate": m.enabled} for m in d.mfa_devices],
    }
    return item




@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArg,
    path: Annotated[str, typer.Option("--path", help="The user's path, e.g. /engineering/.")] = "/",
    tag: TagOpt = None,
    permissions_boundary: Annotated[
        str | None, typer.Option("--permissions-boundary", help="ARN of a managed policy to use as boundary.")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Create a user.

    Names are 1-64 characters of letters, digits and + = , . @ _ -, unique without regard to
    case. Up to 50 tags; the boundary must be an existing managed policy.

    Example: iamctl user create alice --path /engineering/ --tag team=web
    """
    from iamctl.core.identities import users  # lazy: start-up

    with writing(ctx) as txn:
        user = users.create_user(txn, name, path=path, tags=tag_dict(tag),
                                 permissions_boundary=permissions_boundary)
        item = {**user_item(user, users.user_arn(txn, user)), "Tags": tags_item(user.tags)}
    render.record(fmt(ctx, output), key="User", item=item, title="User")


@app.command("show")
def show(ctx: typer.Context, name: NameArg, output: OutputOpt = None) -> None:
    """Show everything about a user on one screen.

    ARN, id, path, creation date, tags, groups, attached and inline policies, permissions
    boundary, password status, access keys (never secrets) and MFA devices.

    Example: iamctl user show alice
    """
    from iamctl.core.identities import users  # lazy: start-up

    with reading(ctx) as txn:
        details = users.user_details(txn, name)
    render.record(fmt(ctx, output), key="User", item=detail_item(details), title=f"User {details.user.name}")


@app.command("list")
def list_users(
    ctx: typer.Context,
    path_prefix: PathPrefixOpt = None,
    max_items: MaxItemsOpt = None,
    starting_token: StartingTokenOpt = None,
    mfa_pending: Annotated[bool, typer.Option("--mfa-pending", help="Only users marked mfa=required "
                                              "(user import) who have not enabled an MFA device yet.")] = False,
    output: OutputOpt = None,
) -> None:
    """List users, sorted by name.

    With --max-items the listing stops there and gives a NextToken; pass it to
    --starting-token for the next page.

    Example: iamctl user list --path-prefix /engineering/ --max-items 100
    """
    from iamctl.core.identities import users  # lazy: start-up

    with reading(ctx) as txn:
        if mfa_pending:
            from iamctl.core.bulk.onboarding import mfa_pending as pending  # lazy: start-up

            page = pending(txn, path_prefix=path_prefix, max_items=max_items, starting_token=starting_token)
        else:
            page = users.list_users(txn, path_prefix=path_prefix, max_items=max_items,
                                    starting_token=starting_token)
        items = [user_item(u, users.user_arn(txn, u)) for u in page.items]
    render_page(ctx, output, page, "Users", items, LIST_COLUMNS)


@app.command("update")
def update(
    ctx: typer.Context,
    name: NameArg,
    new_name: Annotated[str | None, typer.Option("--new-name", help="Rename the user.")] = None,
    new_path: Annotated[str | None, typer.Option("--new-path", help="Move the user to this path.")] = None,
    permissions_boundary: Annotated[str | None, typer.Option("--permissions-boundary",
                                    help="Set the boundary to this managed policy ARN.")] = None,
    remove_boundary: Annotated[bool, typer.Option("--remove-permissions-boundary",
                               help="Remove the permissions boundary.")] = False,
) -> None:
    """Rename a user, change its path, or set or remove its permissions boundary.

    A rename carries the user's groups, policy attachments, access keys and MFA devices along.

    Example: iamctl user update alice --new-name alice.smith --new-path /sales/
    """
    from iamctl.core.identities import users  # lazy: start-up

    if new_name is None and new_path is None and permissions_boundary is None and not remove_boundary:
        raise typer.BadParameter("give --new-name, --new-path, --permissions-boundary or --remove-permissions-boundary")
    if permissions_boundary is not None and remove_boundary:
        raise typer.BadParameter("--permissions-boundary and --remove-permissions-boundary exclude each other")
    boundary = {"permissions_boundary": permissions_boundary} if permissions_boundary or remove_boundary else {}
    with writing(ctx) as txn:
        users.update_user(txn, name, new_name=new_name, new_path=new_path, **boundary)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArg,
    force: Annotated[bool, typer.Option("--force", help="First remove keys, password, MFA, policies, groups.")] = False,
) -> None:
    """Delete a user.

    Refused (DeleteConflict) while the user still has a password, access keys, MFA devices,
    policies or group memberships; --force removes all of those first, in one transaction.

    Example: iamctl user delete alice --force
    """
    from iamctl.core.identities import users  # lazy: start-up

    hint = None if force else "use --force to remove them with the user"
    with writing(ctx) as txn, hinting("DeleteConflict", hint):
        users.delete_user(txn, name, force=force)


@app.command("tag")
def tag(
    ctx: typer.Context,
    name: NameArg,
    tags: TagsArg,
) -> None:
    """Add tags to a user, overwriting the value of a key it already has.

    Example: iamctl user tag alice team=web cost-center=1234
    """
    from iamctl.core.identities import users  # lazy: start-up

    with writing(ctx) as txn:
        users.tag_user(txn, name, tag_dict(tags))


@app.command("untag")
def untag(
    ctx: typer.Context,
    name: NameArg,
    keys: Annotated[list[str], typer.Argument(help="Tag keys to remove.", metavar="KEY...")],
) -> None:
    """Remove tags from a user by key.

    Example: iamctl user untag alice cost-center
    """
    from iamctl.core.identities import users  # lazy: start-up

    with writing(ctx) as txn:
        users.untag_user(txn, name, keys)


@app.command("list-tags")
def list_tags(ctx: typer.Context, name: NameArg, output: OutputOpt = None) -> None:
    """List a user's tags.

    Example: iamctl user list-tags alice -o json
    """
    from iamctl.core.identities import users  # lazy: start-up

    with reading(ctx) as txn:
        tags = users.list_user_tags(txn, name)
    render.rows(fmt(ctx, output), key="Tags", items=tags_item(tags), columns=["Key", "Value"])


@app.command("list-groups")
def list_groups(ctx: typer.Context, name: NameArg, output: OutputOpt = None) -> None:
    """List the groups a user belongs to.

    Example: iamctl user list-groups alice
    """
    from iamctl.core.identities import groups  # lazy: start-up

    with reading(ctx) as txn:
        items = [group_item(g, groups.group_arn(txn, g)) for g in groups.list_groups_for_user(txn, name)]
    render.rows(fmt(ctx, output), key="Groups", items=items, columns=GROUP_COLUMNS)


# Commands written in their own modules join the `user` group here: managed and inline
# policies (shared with group and role), passwords and access keys.
add_policy_commands(app, "user")
user_credentials.register(app)
user_import.register(app)  # import / export (batch onboarding)
