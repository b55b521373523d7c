"""`iamctl account import|export`: AWS's get-account-authorization-details JSON in and out."""

from pathlib import Path
from typing import Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, read_input, reading, store

FORMATS = ("aws", "cloudformation")


def import_(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(help="JSON files (every page of one listing), or - for stdin.",
                                               metavar="FILE...")],
    output: OutputOpt = None,
) -> None:
    """Import `aws iam get-account-authorization-details` output into a new or empty account.

    Give every page of a paginated listing at once; they are merged. Users, groups, roles,
    instance profiles and customer managed policies (all versions) keep their ids, paths,
    dates and tags. The whole input is checked first: any fault rejects it, naming the file
    and JSON path, and nothing is written. Fields iamctl does not model are kept for export;
    anything not kept is listed on stderr.

    Example: aws iam get-account-authorization-details > auth.json && iamctl --dir ./acct account import auth.json
    """
    from iamctl.core.bulk import account_import  # lazy: start-up

    sources = [(f, read_input(f, option="FILE")) for f in files]
    report = account_import.import_files(store(ctx), sources)
    for path in report.ignored:
        render.note(f"not imported: {path}")
    render.record(fmt(ctx, output), key="Import", item={"AccountId": report.account_id, **{
        k.title().replace("_", ""): v for k, v in report.counts.items()}, "KeptFields": len(report.kept),
        "NotImported": report.ignored})


def export(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="aws (get-account-authorization-details JSON) or "
                                         "cloudformation (an AWS::IAM template).", metavar="FORMAT")] = "aws",
    out: Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of standard output.",
                                             metavar="FILE", dir_okay=False)] = None,
) -> None:
    """Export the account as AWS's JSON, or as a CloudFormation template; never any secret.

    `--format aws` writes what `aws iam get-account-authorization-details` prints, so an
    imported account exports as it came in. `--format cloudformation` writes a template that
    recreates the users, groups, roles, managed and inline policies and instance profiles.

    Example: iamctl account export --format cloudformation --out iam.template.json
    """
    from iamctl.core.bulk import account_export, cloudformation  # lazy: start-up

    if format_ not in FORMATS:
        raise typer.BadParameter(f"{format_!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    with reading(ctx) as txn:
        data = account_export.export_details(txn) if format_ == "aws" else cloudformation.export_cloudformation(txn)
    text = render.json_text(data, sort_keys=False) + "\n"
    if out is None:
        render.data(text)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise typer.BadParameter(f"cannot write {out}: {e.strerror}", param_hint="--out") from None


def register(app: typer.Typer) -> None:
    """Add `import` and `export` to the `iamctl account` app."""
    app.command("import")(import_)
    app.command("export")(export)
