"""`iamctl simulate ...`: decide requests as AWS would, and say why.

Exit status: 0 when every request is allowed, 3 when any is denied (README, "Exit status").
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, read_input, reading
from iamctl.cli.complete import complete_groups, complete_roles, complete_users
from iamctl.cli.exit_codes import ExitCode
from iamctl.cli.syntax import ContextEntry, ContextOpt, session_credentials

if TYPE_CHECKING:
    from iamctl.core.authz.principals import Principal
    from iamctl.core.authz.simulate import Outcome, RequestSet
    from iamctl.core.engine.parse import PolicyKind
    from iamctl.core.store.directory import Txn

app = typer.Typer(no_args_is_help=True, help="Simulate requests against policies: allowed or denied, and why.")

ActionOpt = Annotated[list[str], typer.Option("--action", "-a", help="Action, e.g. s3:GetObject; wildcards "
                                              "expand to AWS's catalogue. Repeatable.", metavar="ACTION")]
ResourceOpt = Annotated[list[str] | None, typer.Option("--resource", "-r", help="Resource ARN (default *). "
                                                       "Repeatable.", metavar="ARN")]
ContextFileOpt = Annotated[str | None, typer.Option("--context-file", help="JSON object of context keys.",
                                                    metavar="FILE")]
OwnerOpt = Annotated[str | None, typer.Option("--resource-owner", help="Account that owns the resource "
                                              "(default: the ARN's account, else the caller's).", metavar="ID")]
ResourcePolicyOpt = Annotated[list[str] | None, typer.Option("--resource-policy-file", help="Resource-based "
                                                             "policy. Repeatable.", metavar="FILE")]
ScpOpt = Annotated[list[str] | None, typer.Option("--scp-file", help="Service control policy; each file is "
                                                  "one level that must allow. Repeatable.", metavar="FILE")]
RcpOpt = Annotated[list[str] | None, typer.Option("--rcp-file", help="Resource control policy of the "
                                                  "resource's account; each file is one level. Repeatable.",
                                                  metavar="FILE")]
ExplainOpt = Annotated[bool, typer.Option("--explain", "-e", help="Say in plain words why each decision "
                                          "was made.")]

_DECISION_STYLE = {"Decision": {"allowed": "bold green", "explicitDeny": "bold red", "implicitDeny": "yellow"}}


def _requests(actions: list[str], resources: list[str] | None, context: list[ContextEntry] | None,
              context_file: str | None, owner: str | None) -> "RequestSet":
    from iamctl.core.authz.simulate import RequestSet, parse_context_file  # lazy: start-up

    values = {}
    if context_file:
        values.update(parse_context_file(read_input(context_file, option="--context-file"), source=context_file))
    values.update(context or [])
    return RequestSet(actions=actions, resources=resources or ["*"], context=values, resource_owner=owner)


def _policies(files: list[str] | None, option: str, kind: "PolicyKind") -> list:
    from iamctl.core.engine.parse import parse_policy  # lazy: the engine

    # strict=False: a document being simulated is evaluated as AWS's rules give even where AWS
    # would refuse to store it (a partly wildcarded principal matches no one...), with a warning.
    return [parse_policy(read_input(f, option=option), name=f, kind=kind, strict=False) for f in files or []]


def _levels(files: list[str] | None, option: str, kind: 'Literal["scp", "rcp"]') -> list | None:
    """One SCP or RCP level per file ("SCP level 2"); explanations name the level and its file."""
    from iamctl.core.engine.decision import Level  # lazy: the engine

    word = kind.upper()
    found = [Level(f"{word} level {n}", (p,)) for n, p in enumerate(_policies(files, option, kind), 1)]
    return found or None


def _run(principal: "Principal", requests: "RequestSet", resource_policy_files: list[str] | None,
         scp_files: list[str] | None, rcp_files: list[str] | None, directory: "Txn | None" = None) -> "list[Outcome]":
    """Simulate with the resource policies, SCPs and RCPs named on the command line (each SCP or
    RCP file is one level that must allow)."""
    from iamctl.core.authz import simulate  # lazy: start-up

    return simulate.run(principal, requests,
                        resource_policies=_policies(resource_policy_files, "--resource-policy-file", "resource"),
                        scps=_levels(scp_files, "--scp-file", "scp"), rcps=_levels(rcp_files, "--rcp-file", "rcp"),
                        directory=directory)


def _report(ctx: typer.Context, output: str | None, outcomes: "list[Outcome]", explain: bool) -> None:
    """Render the results, then exit 3 if any request was denied."""
    out = fmt(ctx, output)
    items = [o.as_dict(explain=explain) for o in outcomes]
    if out == "json":
        render.json_dump({"results": items})
    else:
        # Statements count from 1, as the AWS console counts them (JSON's `index` is 0-based).
        rows = [{"Action": i["action"], "Resource": i["resource"], "Decision": i["decision"],
                 "Matched": ", ".join(f"{m['policy']}#{m['sid'] or m['index'] + 1}"
                                      for m in i["matched_statements"]),
                 "Why": " ".join(i.get("explanation", []))} for i in items]
        columns = ["Action", "Resource", "Decision", "Matched"] + (["Why"] if explain and out == "text" else [])
        render.rows(out, key="results", items=rows, columns=columns, styles=_DECISION_STYLE)
        if explain and out == "table":
            for item in items:
                render.lines(item["explanation"][:1])
                render.lines(f"  {line}" for line in item["explanation"][1:])
    # Always, not only with --explain: a misspelt action would otherwise pass silently.
    for warning in sorted({w for o in outcomes for w in o.warnings}):
        render.note(f"warning: {warning}")
    if any(not o.result.allowed for o in outcomes):
        raise typer.Exit(ExitCode.DENIED)


@app.command("policy")
def simulate_policy(
    ctx: typer.Context,
    action: ActionOpt,
    policy_file: Annotated[list[str] | None, typer.Option("--policy-file", "-p", help="Identity-based policy. "
                                                          "Repeatable.", metavar="FILE")] = None,
    resource: ResourceOpt = None,
    boundary_file: Annotated[str | None, typer.Option("--boundary-file", help="Permissions boundary.",
                                                      metavar="FILE")] = None,
    resource_policy_file: ResourcePolicyOpt = None,
    session_policy_file: Annotated[list[str] | None, typer.Option("--session-policy-file", help="Session "
                                                                  "policy. Repeatable.", metavar="FILE")] = None,
    scp_file: ScpOpt = None,
    rcp_file: RcpOpt = None,
    caller_arn: Annotated[str | None, typer.Option("--caller-arn", help="Who makes the request: a user, role, "
                                                   "assumed-role ARN or account id.", metavar="ARN")] = None,
    resource_owner: OwnerOpt = None,
    context: ContextOpt = None,
    context_file: ContextFileOpt = None,
    explain: ExplainOpt = False,
    output: OutputOpt = None,
) -> None:
    """Simulate requests against policy documents in files (like aws iam simulate-custom-policy).

    Needs no account directory. Exit status 0 if every request is allowed, 3 if any is denied.

    Example: iamctl simulate policy -p policy.json -a s3:GetObject -r arn:aws:s3:::bucket/key
    """
    from iamctl.core.authz import simulate  # lazy: start-up

    boundary = _policies([boundary_file] if boundary_file else None, "--boundary-file", "boundary")
    principal = simulate.custom_principal(
        caller_arn, identity=_policies(policy_file, "--policy-file", "identity"),
        boundary=boundary[0] if boundary else None,
        session=_policies(session_policy_file, "--session-policy-file", "session"))
    requests = _requests(action, resource, context, context_file, resource_owner)
    _report(ctx, output, _run(principal, requests, resource_policy_file, scp_file, rcp_file), explain)


def _session_file(source: str):
    """The credentials `--session` names: a file or `-`, never the secrets themselves (which
    would show in `ps` and the shell's history)."""
    if source != "-" and not Path(source.removeprefix("file://")).exists():
        looks_secret = source.startswith("ASIA") or len(source) > 64
        raise typer.BadParameter(
            f"no such file: {source if not looks_secret else source[:4] + '...'}"
            + ("; --session takes a file holding the session's credentials (as `iamctl login -o json` prints "
               "them) or - for standard input, not a session token or access key id" if looks_secret else ""),
            param_hint="--session")
    return session_credentials(read_input(source, option="--session"), option="--session")


@app.command("principal")
def simulate_principal(
    ctx: typer.Context,
    action: ActionOpt,
    user: Annotated[str | None, typer.Option("--user", help="Simulate as this user (its groups too).",
                                             autocompletion=complete_users)] = None,
    group: Annotated[str | None, typer.Option("--group", help="Simulate this group's policies.",
                                              autocompletion=complete_groups)] = None,
    role: Annotated[str | None, typer.Option("--role", help="Simulate as a session of this role.",
                                             autocompletion=complete_roles)] = None,
    session: Annotated[str | None, typer.Option("--session", help="Simulate as a live session: a file holding "
                                                "its credentials (as login -o json prints them), or - for stdin.",
                                                metavar="FILE|-")] = None,
    mfa: Annotated[bool, typer.Option("--mfa", help="With --user: as signed in with MFA just now.")] = False,
    resource: ResourceOpt = None,
    resource_policy_file: ResourcePolicyOpt = None,
    scp_file: ScpOpt = None,
    rcp_file: RcpOpt = None,
    no_org: Annotated[bool, typer.Option("--no-org", help="Leave the directory's organization (its SCPs, RCPs "
                                         "and org condition keys) out of the decisions.")] = False,
    resource_owner: OwnerOpt = None,
    context: ContextOpt = None,
    context_file: ContextFileOpt = None,
    explain: ExplainOpt = False,
    output: OutputOpt = None,
) -> None:
    """Simulate requests by a user, group, role or session (like aws iam simulate-principal-policy).

    For sts:AssumeRole (and the other STS actions on a role) on a role of the directory, the
    role's trust policy is the resource policy, as `role assume` decides it.
    The directory's organization applies as in AWS: the SCPs on the path from the root to the
    caller's account, the RCPs on the path to the resource's account, and the aws:PrincipalOrgID
    / aws:ResourceOrgID keys and their paths (`--no-org` leaves it out). SCP and RCP files given
    with --scp-file and --rcp-file are further levels that must allow too.
    Exit status 0 if every request is allowed, 3 if any is denied.

    Example: iamctl simulate principal --user alice -a s3:GetObject -r arn:aws:s3:::bucket/key
    """
    from iamctl.core.authz import principals  # lazy: start-up
    from iamctl.core.base import clock  # lazy: start-up

    chosen = [n for n, v in (("--user", user), ("--group", group), ("--role", role), ("--session", session)) if v]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --user, --group, --role or --session")
    if mfa and not user:
        raise typer.BadParameter("--mfa goes with --user")
    credentials = _session_file(session) if session else None
    requests = _requests(action, resource, context, context_file, resource_owner)
    with reading(ctx) as txn:
        if user:
            now = clock.iso()
            principal = principals.resolve_user(txn, user, mfa=True if mfa else None,
                                                mfa_auth_time=now if mfa else None, token_issue_time=now if mfa else None)
        elif group:
            principal = principals.resolve_group(txn, group)
        elif role:
            principal = principals.resolve_role(txn, role)
        else:
            from iamctl.core.credentials import sessions  # lazy: start-up (hashing, secrets)

            assert credentials is not None  # exactly one of the four was given
            principal = sessions.resolve_session(txn, credentials)
        if no_org:
            from msgspec import structs  # lazy: start-up

            principal = structs.replace(principal, org=None)
        # Decided under the read lock: the organization is read as the decisions need it.
        outcomes = _run(principal, requests, resource_policy_file, scp_file, rcp_file, directory=txn)
    _report(ctx, output, outcomes, explain)
