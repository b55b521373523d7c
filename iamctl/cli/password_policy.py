"""`iamctl account password-policy ...`: the account password policy (show, set, delete)."""

from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, reading, writing

if TYPE_CHECKING:
    from iamctl.core.store.records import PasswordPolicy

app = typer.Typer(no_args_is_help=True, help="The account password policy: show, set, delete.")


def _item(policy: "PasswordPolicy") -> dict:
    # GetAccountPasswordPolicy's shape: MaxPasswordAge and PasswordReusePrevention only when set.
    item = {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase_characters,
        "RequireLowercaseCharacters": policy.require_lowercase_characters,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": policy.max_password_age is not None,
        "HardExpiry": policy.hard_expiry,
    }
    if policy.max_password_age is not None:
        item["MaxPasswordAge"] = policy.max_password_age
    if policy.password_reuse_prevention is not None:
        item["PasswordReusePrevention"] = policy.password_reuse_prevention
    return item


@app.command("show")
def show(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Show the account password policy (NoSuchEntity when none is set).

    Without a custom policy AWS's default applies: at least 8 characters and three of the four
    character types (upper case, lower case, numbers, symbols).

    Example: iamctl account password-policy show -o json
    """
    from iamctl.core.credentials import passwords  # lazy: start-up

    with reading(ctx) as txn:
        policy = passwords.get_password_policy(txn)
    render.record(fmt(ctx, output), key="PasswordPolicy", item=_item(policy), title="Password policy")


@app.command("set")
def set_policy(
    ctx: typer.Context,
    minimum_password_length: Annotated[int | None, typer.Option(
        "--minimum-password-length", help="6-128 (default 6).", metavar="N")] = None,
    require_symbols: Annotated[bool, typer.Option(
        "--require-symbols/--no-require-symbols", help="At least one of ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '.")] = False,
    require_numbers: Annotated[bool, typer.Option(
        "--require-numbers/--no-require-numbers", help="At least one digit 0-9.")] = False,
    require_uppercase_characters: Annotated[bool, typer.Option(
        "--require-uppercase-characters/--no-require-uppercase-characters", help="At least one letter A-Z.")] = False,
    require_lowercase_characters: Annotated[bool, typer.Option(
        "--require-lowercase-characters/--no-require-lowercase-characters", help="At least one letter a-z.")] = False,
    allow_users_to_change_password: Annotated[bool, typer.Option(
        "--allow-users-to-change-password/--no-allow-users-to-change-password", help="Users may change their own password.")] = False,
    max_password_age: Annotated[int | None, typer.Option(
        "--max-password-age", help="Days before a password expires, 1-1095 (default: never).", metavar="DAYS")] = None,
    password_reuse_prevention: Annotated[int | None, typer.Option(
        "--password-reuse-prevention", help="Refuse the last N passwords, 1-24.", metavar="N")] = None,
    hard_expiry: Annotated[bool, typer.Option(
        "--hard-expiry/--no-hard-expiry", help="After expiry only an administrator can set a new password.")] = False,
    output: OutputOpt = None,
) -> None:
    """Set the account password policy; as in AWS, every option not given takes its default.

    Example: iamctl account password-policy set --minimum-password-length 14 --require-symbols --require-numbers --max-password-age 90 --password-reuse-prevention 5
    """
    from iamctl.core.credentials import passwords  # lazy: start-up

    with writing(ctx) as txn:
        policy = passwords.set_password_policy(
            txn, minimum_password_length=minimum_password_length, require_symbols=require_symbols,
            require_numbers=require_numbers, require_uppercase_characters=require_uppercase_characters,
            require_lowercase_characters=require_lowercase_characters,
            allow_users_to_change_password=allow_users_to_change_password, max_password_age=max_password_age,
            password_reuse_prevention=password_reuse_prevention, hard_expiry=hard_expiry)
    render.record(fmt(ctx, output), key="PasswordPolicy", item=_item(policy), title="Password policy")


@app.command("delete")
def delete(ctx: typer.Context) -> None:
    """Delete the account password policy; AWS's default policy applies again.

    Example: iamctl account password-policy delete
    """
    from iamctl.core.credentials import passwords  # lazy: start-up

    with writing(ctx) as txn:
        passwords.delete_password_policy(txn)
