"""`iamctl whoami`: verify an access key pair and print its principal (like sts get-caller-identity)."""

import sys
from typing import Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, writing

# add_completion=False: completion is installed for `iamctl`, not for this one command.
app = typer.Typer(help="Verify an access key pair and show whose it is.", add_completion=False)


@app.command("whoami")
def whoami(
    ctx: typer.Context,
    access_key_id: Annotated[str, typer.Option("--access-key-id", help="The access key id (AKIA...).",
                                               metavar="ID")],
    secret_stdin: Annotated[bool, typer.Option("--secret-stdin",
                                               help="Read the secret access key from standard input.")] = False,
    output: OutputOpt = None,
) -> None:
    """Verify an access key pair and show the user it belongs to (sts get-caller-identity).

    The secret is read from standard input with --secret-stdin, else prompted for (hidden).
    An unknown or inactive key id fails with InvalidClientTokenId, a wrong secret with
    SignatureDoesNotMatch (exit 1). A success is recorded as the key's last use.

    Example: iamctl whoami --access-key-id AKIAIOSFODNN7EXAMPLE --secret-stdin < secret.txt
    """
    from iamctl.core.base.names import arn  # lazy: start-up
    from iamctl.core.credentials import access_keys  # lazy: start-up

    if secret_stdin:
        secret = sys.stdin.readline().strip()
    else:
        secret = typer.prompt("Secret access key", hide_input=True, err=True)
    with writing(ctx) as txn:
        user = access_keys.authenticate_access_key(txn, access_key_id, secret)
        item = {"UserId": user.user_id, "Account": txn.account_id,
                "Arn": arn(txn.account_id, "user", user.path, user.name)}
    render.record(fmt(ctx, output), key=None, item=item, title="Caller identity")
