"""`iamctl login USER`: sign in with a password (and an MFA code) and get temporary credentials."""

import sys
from typing import Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, writing
from iamctl.cli.complete import complete_mfa_devices, complete_users

# add_completion=False: completion is installed for `iamctl`, not for this one command.
app = typer.Typer(help="Sign in and get temporary credentials.", add_completion=False)


def _line(from_stdin: bool, what: str, *, hide: bool = True) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise typer.BadParameter(f"expected the {what} on standard input, found end of input")
        return line.removesuffix("\n").removesuffix("\r")
    return typer.prompt(what[0].upper() + what[1:], hide_input=hide, confirmation_prompt=what == "new password",
                        err=True)


@app.command("login")
def login_command(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The user name.", metavar="USER", autocompletion=complete_users)],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (then, if due, the new password, and "
        "the MFA code if --mfa-code is not given).")] = False,
    mfa_code: Annotated[str | None, typer.Option("--mfa-code", help="A code from the user's MFA device.",
                                                 metavar="CODE")] = None,
    mfa_serial: Annotated[str | None, typer.Option("--mfa-serial", help="Which device, when the user has "
                                                   "several.", metavar="SERIAL",
                                                   autocompletion=complete_mfa_devices)] = None,
    duration: Annotated[int | None, typer.Option("--duration-seconds", help="900 to 129600; default 43200 "
                                                 "(12 hours).", metavar="SECONDS")] = None,
    output: OutputOpt = None,
) -> None:
    """Sign in as a user and print temporary credentials, once (like sts get-session-token).

    Asks for the password, then for a code when the user has an enabled MFA device, and for a
    new password when the old one must be reset or has expired. Prints an ASIA... access key id,
    the secret access key, the session token and the expiry; use them with `iamctl simulate
    principal --session TOKEN`.

    Example: iamctl login alice --password-stdin --mfa-code 123456 -o json < password.txt
    """
    from iamctl.core.credentials import signin  # lazy: start-up

    password = _line(password_stdin, "password")
    with writing(ctx) as txn:  # a wrong password counts towards the sign-in lock, so it is saved
        checked = signin.check_password(txn, user, password, mfa_serial=mfa_serial)
    pre = checked.result()
    new_password = _line(password_stdin, "new password") if pre.new_password_reason else None
    if pre.mfa_device is not None and mfa_code is None:
        mfa_code = _line(password_stdin, f"MFA code from {pre.mfa_device.serial}", hide=False).strip()
    with writing(ctx) as txn:
        attempt = signin.sign_in(txn, user, password, mfa_code=mfa_code, mfa_serial=mfa_serial,
                                new_password=new_password, duration_seconds=duration)
    creds = attempt.result()  # after the commit: a refused MFA code is recorded, then reported
    item = {"AccessKeyId": creds.session.access_key_id, "SecretAccessKey": creds.secret_access_key,
            "SessionToken": creds.session_token, "Expiration": creds.session.expires}
    render.record(fmt(ctx, output), key="Credentials", item=item, title=f"Signed in as {user}")
