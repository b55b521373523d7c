"""`iamctl user ...` credential commands: console passwords and access keys.

`register(app)` adds them to the `iamctl user` Typer app. Passwords are never command-line
arguments (they would land in shell history and `ps`): they are prompted for, hidden and
twice, on a terminal, or read from standard input with `--password-stdin`.
"""

from collections.abc import Callable
from typing import Annotated, Any

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, reading, secret_prompt, stdin_line, writing
from iamctl.cli.complete import complete_access_keys, complete_users

UserArg = Annotated[str, typer.Argument(help="The user name.", metavar="NAME", autocompletion=complete_users)]
KeyArg = Annotated[str, typer.Argument(help="The access key id (AKIA...).", metavar="KEY_ID",
                                       autocompletion=complete_access_keys)]
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def _stdin_line(what: str) -> str:
    return stdin_line(what, option="--password-stdin")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        return _stdin_line("new password")
    return secret_prompt("new password", option="--password-stdin", confirm=True)


def set_password(
    ctx: typer.Context,
    name: UserArg,
    password_stdin: StdinOpt = False,
    generate: Annotated[bool, typer.Option("--generate", help="Generate a random password that "
                                           "satisfies the policy and print it once.")] = False,
    require_reset: Annotated[bool, typer.Option("--require-reset", help="The user must choose a new "
                                                "password at next sign-in.")] = False,
    output: OutputOpt = None,
) -> None:
    """Give a user a console password, or replace it (create/update login profile).

    The password is prompted for twice (hidden), read from standard input with
    --password-stdin, or generated with --generate and shown once. It must satisfy the account
    password policy; every rule broken is named.

    Example: iamctl user set-password alice --generate --require-reset
    """
    from iamctl.core.credentials import passwords  # lazy: start-up

    if password_stdin and generate:
        raise typer.BadParameter("--password-stdin and --generate cannot be used together")
    password = None if generate else _new_password(password_stdin)
    with writing(ctx) as txn:
        done = passwords.set_password(txn, name, password, require_reset=require_reset)
    item = {"UserName": done.user.name, "CreateDate": done.profile.created,
            "PasswordResetRequired": done.profile.password_reset_required}
    if done.generated is not None:
        item["Password"] = done.generated
    render.record(fmt(ctx, output), key="LoginProfile", item=item, title="Login profile")


def delete_password(ctx: typer.Context, name: UserArg) -> None:
    """Remove a user's console password (delete login profile); access keys keep working.

    Example: iamctl user delete-password alice
    """
    from iamctl.core.credentials import passwords  # lazy: start-up

    with writing(ctx) as txn:
        passwords.delete_password(txn, name)


def change_password(ctx: typer.Context, name: UserArg, password_stdin: StdinOpt = False) -> None:
    """Change a user's own password: the old one first, then the new one.

    Prompted for (hidden) on a terminal, or two lines on standard input with --password-stdin:
    the old password, then the new. A wrong old password counts towards the sign-in lockout,
    and is refused as login refuses it. Allowed when the account password policy lets users change
    their own password, or the user's IAM policies allow iam:ChangePassword on the user's ARN
    (IAMUserChangePassword does); an explicit Deny refuses either way.

    Example: printf '%s\\n%s\\n' "$OLD" "$NEW" | iamctl user change-password alice --password-stdin
    """
    from iamctl.core.credentials import passwords  # lazy: start-up

    if password_stdin:
        old = _stdin_line("old password")
    else:
        old = secret_prompt("old password", option="--password-stdin")
    new = _new_password(password_stdin)
    with writing(ctx) as txn:  # a wrong old password counts towards the sign-in lockout, so it is saved
        passwords.change_password(txn, name, old, new)


def unlock(ctx: typer.Context, name: UserArg) -> None:
    """Lift a user's sign-in lockout and the throttle of the user's MFA devices (administrator).

    Five wrong passwords in a row (login or change-password) lock a user's sign-in for 300
    seconds, five wrong MFA codes a device; this ends both now and forgets the failures. A new
    password from set-password lifts the sign-in lockout too.

    Example: iamctl user unlock alice
    """
    from iamctl.core.credentials import signin  # lazy: start-up

    with writing(ctx) as txn:
        done = signin.unlock(txn, name)
    what = [f"sign-in of {done.user.name} {'unlocked' if done.sign_in_was_locked else 'was not locked'}"]
    render.note("; ".join(what + [f"MFA device {d.serial} unlocked" for d in done.devices]))


def create_access_key(ctx: typer.Context, name: UserArg, output: OutputOpt = None) -> None:
    """Create an access key for a user and print its secret, once.

    The secret access key is stored only as a hash: save it now, it cannot be shown again.
    At most 2 keys per user, inactive ones included.

    Example: iamctl user create-access-key alice -o json
    """
    from iamctl.core.credentials import access_keys  # lazy: start-up

    with writing(ctx) as txn:
        new = access_keys.create_access_key(txn, name)
    item = {"UserName": new.user.name, "AccessKeyId": new.key.access_key_id, "Status": new.key.status,
            "SecretAccessKey": new.secret_access_key, "CreateDate": new.key.created}
    output_format = fmt(ctx, output)
    render.record(output_format, key="AccessKey", item=item, title="Access key")
    if output_format == "table":
        render.note("save the secret access key now: it cannot be shown again")


def list_access_keys(ctx: typer.Context, name: UserArg, output: OutputOpt = None) -> None:
    """List a user's access keys: id, status, created, last used (never a secret).

    Example: iamctl user list-access-keys alice
    """
    from iamctl.core.credentials import access_keys  # lazy: start-up

    with reading(ctx) as txn:
        user = txn.require("user", name)
        keys = access_keys.list_access_keys(txn, name)
    items = [{"UserName": user.name, "AccessKeyId": k.access_key_id, "Status": k.status,
              "CreateDate": k.created, "LastUsedDate": k.last_used} for k in keys]
    render.rows(fmt(ctx, output), key="AccessKeyMetadata", items=items,
                columns=["AccessKeyId", "Status", "CreateDate", "LastUsedDate"], title=f"Access keys of {user.name}")


def update_access_key(
    ctx: typer.Context,
    name: UserArg,
    key_id: KeyArg,
    status: Annotated[str, typer.Option("--status", help="Active or Inactive.", metavar="STATUS")],
) -> None:
    """Activate or deactivate an access key; an inactive key cannot authenticate.

    Example: iamctl user update-access-key alice AKIAIOSFODNN7EXAMPLE --status Inactive
    """
    from iamctl.core.credentials import access_keys  # lazy: start-up

    with writing(ctx) as txn:
        access_keys.update_access_key(txn, name, key_id, status)


def delete_access_key(ctx: typer.Context, name: UserArg, key_id: KeyArg) -> None:
    """Delete an access key for good.

    Example: iamctl user delete-access-key alice AKIAIOSFODNN7EXAMPLE
    """
    from iamctl.core.credentials import access_keys  # lazy: start-up

    with writing(ctx) as txn:
        access_keys.delete_access_key(txn, name, key_id)


COMMANDS: dict[str, Callable[..., Any]] = {
    "set-password": set_password,
    "delete-password": delete_password,
    "change-password": change_password,
    "unlock": unlock,
    "create-access-key": create_access_key,
    "list-access-keys": list_access_keys,
    "update-access-key": update_access_key,
    "delete-access-key": delete_access_key,
}


def register(app: typer.Typer) -> None:
    """Add the password and access-key commands to the `iamctl user` app."""
    for name, function in COMMANDS.items():
        app.command(name)(function)
