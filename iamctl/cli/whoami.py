"""`iamctl whoami`: verify credentials and print their principal (like sts get-caller-identity)."""

from typing import Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, secret_prompt, stdin_line, writing

# add_completion=False: completion is installed for `iamctl`, not for this one command.
app = typer.Typer(help="Verify an access key pair and show whose it is.", add_completion=False)


def _line(what: str) -> str:
    return stdin_line(what, option="--secret-stdin").strip()


@app.command("whoami")
def whoami(
    ctx: typer.Context,
    access_key_id: Annotated[str, typer.Option("--access-key-id", help="The access key id: AKIA... (long-term) "
                                               "or ASIA... (temporary, with its session token).", metavar="ID")],
    secret_stdin: Annotated[bool, typer.Option("--secret-stdin", help="Read the secret access key from standard "
                                               "input (for an ASIA... id, then the session token).")] = False,
    output: OutputOpt = None,
) -> None:
    """Verify credentials and show the user or role session they belong to (sts get-caller-identity).

    The secret is read from standard input with --secret-stdin, else prompted for (hidden);
    temporary credentials (an ASIA... id, from login or role assume) need the session token
    too: the next line, or a second prompt. An unknown or inactive key id, or a wrong token,
    fails with InvalidClientTokenId, a wrong secret with SignatureDoesNotMatch, an expired
    session with ExpiredToken (exit 1). A long-term key's success is recorded as its last use.

    Example: iamctl whoami --access-key-id AKIAIOSFODNN7EXAMPLE --secret-stdin < secret.txt
    """
    temporary = access_key_id.startswith("ASIA")
    if secret_stdin:
        secret = _line("secret access key")
        token = _line("session token") if temporary else None
    else:
        secret = secret_prompt("secret access key", option="--secret-stdin")
        token = secret_prompt("session token", option="--secret-stdin") if temporary else None
    with writing(ctx) as txn:
        if token is not None:
            from iamctl.core.credentials import sessions  # lazy: start-up

            who = sessions.caller_identity(txn, sessions.SessionCredentials(access_key_id, secret, token))
        else:
            from iamctl.core.credentials import access_keys  # lazy: start-up

            who = access_keys.caller_identity(txn, access_key_id, secret)
    render.record(fmt(ctx, output), key=None, item=who, title="Caller identity")
