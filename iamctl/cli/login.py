"""`iamctl login USER`: sign in with a password (and an MFA code) and get temporary credentials."""

from typing import Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, secret_prompt, stdin_line, writing
from iamctl.cli.complete import complete_mfa_devices, complete_users

# add_completion=False: completion is installed for `iamctl`, not for this one command.
app = typer.Typer(help="Sign in and get temporary credentials.", add_completion=False)
_NEW_PASSWORD_TRIES = 3


def _stdin_line(what: str) -> str:
    return stdin_line(what, option="--password-stdin")


def _secret(from_stdin: bool, what: str, *, confirm: bool = False) -> str:
    if from_stdin:
        return _stdin_line(what)
    return secret_prompt(what, option="--password-stdin", confirm=confirm)


def _code(from_stdin: bool, serial: str) -> str:
    if from_stdin:
        return _stdin_line("MFA code").strip()
    return secret_prompt(f"MFA code from {serial}", option="--mfa-code", hide=False).strip()


@app.command("login")
def login_command(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The user name.", metavar="USER", autocompletion=complete_users)],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (then the MFA code if --mfa-code is not "
        "given, then, if due, the new password).")] = False,
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

    Asks for the password, then for a code when the user has an enabled MFA device, then for a
    new password when the old one must be reset or has expired: each is checked before the next
    is asked for. Prints an ASIA... access key id, the secret access key, the session token and
    the expiry; give them (as printed with -o json) to `iamctl simulate principal --session FILE`.

    Example: iamctl login alice --password-stdin --mfa-code 123456 -o json < password.txt
    """
    from iamctl.core.base.errors import PasswordPolicyViolation  # lazy: start-up
    from iamctl.core.credentials import signin  # lazy: start-up

    signin.check_duration(duration)
    password = _secret(password_stdin, "password")
    with writing(ctx) as txn:  # a wrong password counts towards the sign-in lock, so it is saved
        pre = signin.check_password(txn, user, password, mfa_serial=mfa_serial)
    code = mfa_code
    if pre.mfa_device is not None and code is None:
        code = _code(password_stdin, pre.mfa_device.serial)
    # From standard input, everything is read before the code is spent; on a terminal, the new
    # password is asked for only once the code is accepted.
    new_password = _stdin_line("new password") if password_stdin and pre.new_password_reason else None
    proof = None
    if code is not None:
        with writing(ctx) as txn:  # the code is spent, or its refusal recorded
            proof = signin.check_mfa_code(txn, pre, code)
    creds = None
    for attempt in range(1 if password_stdin or not pre.new_password_reason else _NEW_PASSWORD_TRIES):
        if pre.new_password_reason and not password_stdin:
            new_password = secret_prompt("new password", option="--password-stdin", confirm=True)
        try:
            with writing(ctx) as txn:
                creds = signin.sign_in(txn, user, password, mfa_proof=proof, mfa_serial=mfa_serial,
                                       new_password=new_password, duration_seconds=duration)
            break
        except PasswordPolicyViolation as e:
            if password_stdin or attempt == _NEW_PASSWORD_TRIES - 1:
                raise
            render.note(f"{e.message} Choose another.")  # the code is spent: ask again rather than start over
    assert creds is not None
    item = {"AccessKeyId": creds.session.access_key_id, "SecretAccessKey": creds.secret_access_key,
            "SessionToken": creds.session_token, "Expiration": creds.session.expires}
    render.record(fmt(ctx, output), key="Credentials", item=item, title=f"Signed in as {user}")
