"""`iamctl role instance-profile ...`: instance profiles, the way an EC2 instance uses a role."""

from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, reading, writing
from iamctl.cli.complete import complete_instance_profiles, complete_roles
from iamctl.cli.listing import MaxItemsOpt, PathPrefixOpt, StartingTokenOpt, render_page
from iamctl.cli.syntax import TagOpt, tag_dict

if TYPE_CHECKING:
    from iamctl.core.store.records import InstanceProfile

RoleArg = Annotated[str, typer.Argument(help="The role's name.", metavar="ROLE", autocompletion=complete_roles)]
app = typer.Typer(no_args_is_help=True, help="Instance profiles: the way an EC2 instance uses a role.")



def profile_item(profile: "InstanceProfile", arn: str) -> dict:
    return {"InstanceProfileName": profile.name, "InstanceProfileId": profile.instance_profile_id, "Arn": arn,
            "Path": profile.path, "CreateDate": profile.created, "Roles": list(profile.roles)}


ProfileArg = Annotated[str, typer.Argument(help="The instance profile's name.", metavar="PROFILE",
                                           autocompletion=complete_instance_profiles)]


@app.command("create")
def profile_create(ctx: typer.Context, name: ProfileArg,
                   path: Annotated[str, typer.Option("--path", help="The profile's path.")] = "/",
                   tag: TagOpt = None, output: OutputOpt = None) -> None:
    """Create an instance profile.

    Example: iamctl role instance-profile create web-server
    """
    from iamctl.core.identities import instance_profiles  # lazy: start-up

    with writing(ctx) as txn:
        p = instance_profiles.create_instance_profile(txn, name, path=path, tags=tag_dict(tag))
        item = profile_item(p, instance_profiles.instance_profile_arn(txn, p))
    render.record(fmt(ctx, output), key="InstanceProfile", item=item)


@app.command("show")
def profile_show(ctx: typer.Context, name: ProfileArg, output: OutputOpt = None) -> None:
    """Show an instance profile and its role.

    Example: iamctl role instance-profile show web-server
    """
    from iamctl.core.identities import instance_profiles  # lazy: start-up

    with reading(ctx) as txn:
        p = instance_profiles.get_instance_profile(txn, name)
        item = profile_item(p, instance_profiles.instance_profile_arn(txn, p))
    render.record(fmt(ctx, output), key="InstanceProfile", item=item)


@app.command("list")
def profile_list(ctx: typer.Context, path_prefix: PathPrefixOpt = None, max_items: MaxItemsOpt = None,
                 starting_token: StartingTokenOpt = None, output: OutputOpt = None) -> None:
    """List instance profiles, sorted by name.

    Example: iamctl role instance-profile list
    """
    from iamctl.core.identities import instance_profiles  # lazy: start-up

    with reading(ctx) as txn:
        page = instance_profiles.list_instance_profiles(txn, path_prefix=path_prefix, max_items=max_items,
                                            starting_token=starting_token)
        items = [profile_item(p, instance_profiles.instance_profile_arn(txn, p)) for p in page.items]
    render_page(ctx, output, page, "InstanceProfiles", items, ["InstanceProfileName", "Path", "Arn", "Roles"])


@app.command("add-role")
def profile_add_role(ctx: typer.Context, name: ProfileArg, role: RoleArg) -> None:
    """Put a role in an instance profile (one role per profile: LimitExceeded).

    Example: iamctl role instance-profile add-role web-server web-role
    """
    from iamctl.core.identities import instance_profiles  # lazy: start-up

    with writing(ctx) as txn:
        instance_profiles.add_role_to_instance_profile(txn, name, role)


@app.command("remove-role")
def profile_remove_role(ctx: typer.Context, name: ProfileArg, role: RoleArg) -> None:
    """Take a role out of an instance profile.

    Example: iamctl role instance-profile remove-role web-server web-role
    """
    from iamctl.core.identities import instance_profiles  # lazy: start-up

    with writing(ctx) as txn:
        instance_profiles.remove_role_from_instance_profile(txn, name, role)


@app.command("delete")
def profile_delete(ctx: typer.Context, name: ProfileArg,
                   force: Annotated[bool, typer.Option("--force", help="Remove its role first.")] = False) -> None:
    """Delete an instance profile (DeleteConflict while it holds a role, unless --force).

    Example: iamctl role instance-profile delete web-server --force
    """
    from iamctl.core.identities import instance_profiles  # lazy: start-up

    with writing(ctx) as txn:
        instance_profiles.delete_instance_profile(txn, name, force=force)
