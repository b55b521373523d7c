"""`iamctl account credential-report`: AWS's credential report as CSV."""

from pathlib import Path
from typing import Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import reading


def credential_report(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("--out", help="Write the CSV to FILE instead of standard output.",
                                             metavar="FILE", dir_okay=False)] = None,
) -> None:
    """Print the credential report: one CSV row per user, with AWS's columns.

    The first row is the account root user (<root_account>), as in AWS. Shows whether each
    user has a password, MFA and access keys, and when they were last changed and used; never
    a secret.

    Example: iamctl account credential-report --out report.csv
    """
    from iamctl.core.bulk import reports  # lazy: start-up

    with reading(ctx) as txn:
        text = reports.credential_report(txn)
    if out is None:
        render.lines(text.splitlines())
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise typer.BadParameter(f"cannot write {out}: {e.strerror}", param_hint="--out") from None


def register(app: typer.Typer) -> None:
    """Add `credential-report` to the `iamctl account` app."""
    app.command("credential-report")(credential_report)
