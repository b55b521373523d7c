"""`iamctl policy validate`: Access-Analyzer-like findings for a policy document."""

from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, read_input
from iamctl.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from iamctl.core.engine.grammar import Finding

COLUMNS = ["FindingType", "IssueCode", "Statement", "Path", "Line", "Column", "Message"]
POLICY_TYPES = ("identity", "resource", "trust", "scp", "rcp")


def validate(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The policy document: a JSON file, or - for stdin.", metavar="FILE")],
    policy_type: Annotated[str, typer.Option("--policy-type", help="identity, resource, trust, scp or rcp: "
                                             "which rules apply.", metavar="TYPE")] = "identity",
    output: OutputOpt = None,
) -> None:
    """Validate a policy document against the grammar, AWS's catalogue and security checks.

    Findings are ERROR, SECURITY_WARNING, WARNING or SUGGESTION, each with an issue code and
    its location (statement, counted from 1; JSON path; line; column). Exit status 0 when there
    is no ERROR, 3 when there is one, so it can gate a CI pipeline.

    Example: iamctl policy validate policy.json --policy-type identity
    """
    from iamctl.core.engine.validate import has_errors, validate_policy  # lazy: the engine

    if policy_type not in POLICY_TYPES:
        raise typer.BadParameter(f"{policy_type!r} is not one of {', '.join(POLICY_TYPES)}", param_hint="--policy-type")
    findings = validate_policy(read_input(file, option="FILE"), policy_type=policy_type)
    # Statements count from 1, as the AWS console counts them; the JSON path is 0-based.
    items = [{"FindingType": f.type, "IssueCode": f.code,
              "Statement": None if f.statement is None else f.statement + 1, "Path": f.path,
              "Line": f.line, "Column": f.column, "Message": f.message} for f in findings]
    render.rows(fmt(ctx, output), key="Findings", items=items, columns=COLUMNS, title="Findings")
    if has_errors(findings):
        raise typer.Exit(ExitCode.DENIED)


def show_findings(findings: "list[Finding]") -> None:
    """After a document is stored: its findings (the core refuses ERRORs, so these are warnings
    and suggestions) on stderr, one line each, as `policy validate` words them."""
    for f in findings:
        render.note(f"{f.type} {f.code} at {f.path} (line {f.line}, column {f.column}): {f.message}")


def register(app: typer.Typer) -> None:
    """Add `validate` to the `iamctl policy` app."""
    app.command("validate")(validate)
