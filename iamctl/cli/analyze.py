"""`iamctl analyze ...`: account-wide questions, each answer decided by the policy engine.

`who-can` lists every principal a request is allowed for, and how; `escalation` every principal
that can obtain permissions it does not have, and how (README, "Account-wide analysis").
"""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, read_input, reading, settings
from iamctl.cli.syntax import ContextOpt

if TYPE_CHECKING:
    from iamctl.core.analysis.escalation import Escalation

app = typer.Typer(no_args_is_help=True, help="Account-wide analysis: who can do X on Y, privilege escalation.")

AccountOpt = Annotated[str | None, typer.Option("--account", help="Analyse this account of the directory "
                                                "(default: the selected one).", metavar="ID")]
AllAccountsOpt = Annotated[bool, typer.Option("--all-accounts", help="Analyse every account of the directory "
                                              "together (cross-account role assumption included).")]

_DECISION_STYLE = {"Decision": {"allowed": "bold green", "conditional": "yellow"},
                   "Conditional": {"false": "bold red", "true": "yellow"}}


def _scope(ctx: typer.Context, account: str | None, all_accounts: bool) -> None:
    if account and all_accounts:
        raise typer.BadParameter("give --account or --all-accounts, not both", param_hint="--account")
    if account:
        settings(ctx).account = account


@app.command("who-can")
def who_can(
    ctx: typer.Context,
    action: Annotated[str, typer.Option("--action", "-a", help="One action, e.g. s3:DeleteBucket.",
                                        metavar="ACTION")],
    resource: Annotated[str, typer.Option("--resource", "-r", help="The resource ARN, or * .",
                                          metavar="ARN")] = "*",
    context: ContextOpt = None,
    context_file: Annotated[str | None, typer.Option("--context-file", help="JSON object of context keys.",
                                                     metavar="FILE")] = None,
    account: AccountOpt = None,
    all_accounts: AllAccountsOpt = False,
    output: OutputOpt = None,
) -> None:
    """Every user and role the request is allowed for, directly or through role assumption.

    Each answer is the engine's: as `simulate principal` decides it, and for each hop of a chain
    of sts:AssumeRole both sides (trust policy and the caller's policies). Conditional answers
    say what they depend on (MFA, a source address, a token claim).

    Example: iamctl analyze who-can -a s3:DeleteBucket -r arn:aws:s3:::prod-data
    """
    from iamctl.core.analysis.whocan import who_can_in  # lazy: start-up
    from iamctl.core.authz.simulate import parse_context_file  # lazy: start-up

    _scope(ctx, account, all_accounts)
    values: dict[str, Any] = {}
    if context_file:
        values.update(parse_context_file(read_input(context_file, option="--context-file"), source=context_file))
    values.update(context or [])
    with reading(ctx) as txn:
        entries = who_can_in(txn, action, resource, context=values, all_accounts=all_accounts)
    items = [e.as_dict() for e in entries]
    out = fmt(ctx, output)
    if out == "json":
        render.json_dump({"Principals": items})
        return
    rows = [{"Principal": i["Arn"], "Type": i["Type"], "Decision": i["Decision"],
             "Via": " -> ".join(h["To"] for h in i["Via"]),
             "Conditions": "; ".join(dict.fromkeys(c["Summary"] for c in i["Conditions"])),
             "Matched": ", ".join(f"{m['policy']}#{m['sid'] or m['index']}" for m in i["MatchedStatements"])}
            for i in items]
    render.rows(out, key="Principals", items=rows,
                columns=["Principal", "Type", "Decision", "Via", "Conditions", "Matched"], styles=_DECISION_STYLE)


def _path(e: "Escalation") -> str:
    return "; ".join(f"{s.principal} {s.action} {s.resource}" for s in e.steps)


@app.command("escalation")
def escalation(
    ctx: typer.Context,
    principal: Annotated[str | None, typer.Option("--principal", help="Only this user or role: NAME, user/NAME, "
                                                  "role/NAME or an ARN.", metavar="NAME|ARN")] = None,
    replay: Annotated[bool, typer.Option("--replay", help="Carry out each unconditional path's IAM steps in a "
                                         "scratch copy of the directory and check its end state.")] = False,
    account: AccountOpt = None,
    all_accounts: AllAccountsOpt = False,
    output: OutputOpt = None,
) -> None:
    """Every principal that can obtain permissions it does not have, and how, step by step.

    Principals that can already do everything are listed apart, as admins. A path that needs MFA,
    a request condition or a resource the directory cannot see is marked conditional, with what
    it needs. Exit status 0 whatever is found.

    Example: iamctl analyze escalation --principal alice --replay
    """
    from iamctl.core.analysis.escalation import escalations  # lazy: start-up

    _scope(ctx, account, all_accounts)
    with reading(ctx) as txn:
        report = escalations(txn, principal=principal, all_accounts=all_accounts)
        proofs = None
        if replay:
            from iamctl.core.analysis.replay import replay as replay_path  # lazy: only with --replay

            proofs = [replay_path(txn, e) for e in report.escalations]
    items = [e.as_dict() for e in report.escalations]
    for item, proof in zip(items, proofs or [], strict=False):
        item["Replay"] = proof.as_dict()
    admins = [{"Arn": a, "Type": t} for a, t in report.admins]
    out = fmt(ctx, output)
    if out == "json":
        render.json_dump({"Escalations": items, "Admins": admins})
        return
    rows = [{"Principal": e.principal, "Reaches": e.reaches,
             "Conditional": "true" if e.conditional else "false", "Techniques": ", ".join(e.techniques),
             "Path": _path(e), "Requires": "; ".join(e.needs),
             "Gains": f"{e.gains[0]} on {e.gains[1]}" if e.gains else "",
             "Proved": "" if proofs is None else {True: "yes", False: "NO", None: "-"}[proofs[i].proved]}
            for i, e in enumerate(report.escalations)]
    columns = ["Principal", "Reaches", "Conditional", "Techniques", "Path", "Requires", "Gains"]
    render.rows(out, key="Escalations", items=rows, columns=columns + (["Proved"] if proofs is not None else []),
                title="Escalations", styles=_DECISION_STYLE)
    render.rows(out, key="Admins", items=[{"Admin": a["Arn"], "Type": a["Type"]} for a in admins],
                columns=["Admin", "Type"], title="Admins (already allowed everything)")
    if proofs is not None:
        for e, proof in zip(report.escalations, proofs, strict=True):
            if proof.proved is False:
                render.note(f"warning: the path of {e.principal} did not replay: {proof.reason}")
