"""`iamctl account ...`: the account itself: id, alias, quotas, integrity check."""

from typing import Annotated

import typer
from msgspec import structs

from iamctl.cli import interchange, password_policy, render, reports
from iamctl.cli.common import OutputOpt, fmt, reading, writing
from iamctl.cli.complete import complete_quotas

app = typer.Typer(no_args_is_help=True, help="The account: id, alias, quotas.")
app.add_typer(password_policy.app, name="password-policy")
reports.register(app)
interchange.register(app)


def _account_item(summary) -> dict:
    account = summary.account
    return {
        "AccountId": account.account_id,
        "AccountAlias": account.alias,
        "CreateDate": account.created,
        "Users": summary.counts["users"],
        "Groups": summary.counts["groups"],
        "Roles": summary.counts["roles"],
        "Policies": summary.counts["policies"],
        "MFADevices": summary.counts["mfa_devices"],
        "InstanceProfiles": summary.counts["instance_profiles"],
        "Quotas": {f.name.replace("_", "-"): getattr(account.quotas, f.name)
                   for f in structs.fields(account.quotas)},
    }


@app.command("show")
def show(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Show the account: id, alias, entity counts and quotas.

    Example: iamctl account show -o json
    """
    from iamctl.core.identities import account  # lazy: start-up

    with reading(ctx) as txn:
        summary = account.summary(txn)
    render.record(fmt(ctx, output), key="Account", item=_account_item(summary), title="Account")


@app.command("list")
def list_accounts(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the accounts held in the account directory.

    Example: iamctl account list
    """
    with reading(ctx) as txn:
        ids = txn.account_ids()
        items = [{"AccountId": i, "AccountAlias": txn.in_account(i).account.alias,
                  "Default": i == txn.manifest().get("default_account")} for i in ids]
    render.rows(fmt(ctx, output), key="Accounts", items=items, columns=["AccountId", "AccountAlias", "Default"])


@app.command("set-alias")
def set_alias(ctx: typer.Context, alias: Annotated[str, typer.Argument(help="The new alias.")]) -> None:
    """Set the account alias (3-63 lower-case letters, digits, hyphens).

    Example: iamctl account set-alias example-corp
    """
    from iamctl.core.identities import account  # lazy: start-up

    with writing(ctx) as txn:
        account.set_alias(txn, alias)


@app.command("delete-alias")
def delete_alias(ctx: typer.Context) -> None:
    """Remove the account alias.

    Example: iamctl account delete-alias
    """
    from iamctl.core.identities import account  # lazy: start-up

    with writing(ctx) as txn:
        account.delete_alias(txn)


@app.command("set-quota")
def set_quota(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Quota name, e.g. users or groups-per-user.",
                                         autocompletion=complete_quotas)],
    value: Annotated[int, typer.Argument(help="The new limit.")],
) -> None:
    """Change a quota, e.g. to hold more users than AWS allows.

    Example: iamctl account set-quota users 20000
    """
    from iamctl.core.identities import account  # lazy: start-up

    with writing(ctx) as txn:
        account.set_quota(txn, name, value)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate every file in the account directory; list each damaged one.

    Exit status 1 when anything is damaged.

    Example: iamctl account check
    """
    from iamctl.core.base.errors import StoreError  # lazy: start-up
    from iamctl.core.identities import account  # lazy: start-up

    with reading(ctx) as txn:
        problems = account.check_directory(txn)
    for problem in problems:
        render.note(problem)
    if problems:
        raise StoreError(f"{len(problems)} damaged file(s) in the account directory")
