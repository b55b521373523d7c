"""Policy commands shared by `iamctl user`, `iamctl group` and `iamctl role`.

`add_policy_commands(app, kind)` registers attach-policy, detach-policy, list-attached-policies,
put-policy, get-policy, delete-policy and list-policies on a group's Typer app; the operations
themselves are written once in `iamctl.core.policies`. Also here: reading a policy document
from a file or stdin, and showing one (parsed under a key in JSON, as written otherwise).
"""

# No `from __future__ import annotations` here: the commands are defined inside a function with
# annotation aliases local to it, and Typer must see those annotations evaluated.
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, read_input, reading, writing
from iamctl.cli.complete import complete_policy_arns, for_kind, inline_policies_for

if TYPE_CHECKING:
    from iamctl.core.store.records import EntityKind

DocumentOpt = Annotated[
    str,
    typer.Option(
        "--document",
        help="Policy JSON: a file path, file://PATH, or - to read standard input.",
        metavar="FILE|-",
    ),
]


def read_document(source: str) -> str:
    """The text of a policy document named on the command line: a file, `file://FILE` or `-`."""
    return read_input(source, option="--document")


def show_with_document(output: render.OutputFormat, *, key: str, item: dict[str, Any], document: str,
                       doc_key: str = "Document", nested: bool = True, where: str | None = None) -> None:
    """A record plus its policy document: in JSON the document parsed under `doc_key` (inside
    `key`, or beside it when not `nested`, as AWS's get-user-policy does); otherwise the
    record and then the document exactly as written."""
    if output == "json":
        from iamctl.core.base import jsonload  # lazy: start-up

        label = where or " ".join(str(v) for k, v in item.items() if k.endswith(("Name", "VersionId")))
        parsed = jsonload.stored(document, where=f"{label}: the stored {doc_key}")
        render.json_dump({key: {**item, doc_key: parsed}} if nested else {**item, doc_key: parsed})
        return
    render.record(output, key=key, item=item)
    render.lines(document.splitlines())


def name_list(output: render.OutputFormat, *, key: str, column: str, names: list[str]) -> None:
    """A list of bare names: JSON `{key: [names]}` as AWS prints it, else one per row."""
    if output == "json":
        render.json_dump({key: names})
    else:
        render.rows(output, key=key, items=[{column: n} for n in names], columns=[column])


def add_policy_commands(app: typer.Typer, kind: "EntityKind") -> None:
    """Register the managed and inline policy commands on `app` for `kind` ("user", "group", "role")."""
    title = kind.capitalize()  # "User": AWS's UserName / GroupName / RoleName keys
    meta = kind.upper()
    EntityArg = Annotated[str, typer.Argument(help=f"The {kind}'s name.", metavar=meta, autocompletion=for_kind(kind))]
    ArnArg = Annotated[str, typer.Argument(help="The managed policy's ARN.", metavar="POLICY_ARN",
                                           autocompletion=complete_policy_arns)]
    InlineArg = Annotated[str, typer.Argument(help="The inline policy's name.", metavar="POLICY_NAME",
                                              autocompletion=inline_policies_for(kind))]

    @app.command("attach-policy")
    def attach_policy(ctx: typer.Context, name: EntityArg, arn: ArnArg) -> None:
        from iamctl.core.identities import policies  # lazy: start-up

        with writing(ctx) as txn:
            policies.attach_policy(txn, kind, name, arn)

    attach_policy.__doc__ = f"""Attach a managed policy to a {kind}.

    Customer managed (arn:aws:iam::ACCOUNT:policy/...) or AWS managed
    (arn:aws:iam::aws:policy/...); at most 10 per {kind}. Attaching an attached policy
    again changes nothing.

    Example: iamctl {kind} attach-policy dev arn:aws:iam::aws:policy/ReadOnlyAccess
    """

    @app.command("detach-policy")
    def detach_policy(ctx: typer.Context, name: EntityArg, arn: ArnArg) -> None:
        from iamctl.core.identities import policies  # lazy: start-up

        with writing(ctx) as txn:
            policies.detach_policy(txn, kind, name, arn)

    detach_policy.__doc__ = f"""Detach a managed policy from a {kind}.

    NoSuchEntity if the policy is not attached to it.

    Example: iamctl {kind} detach-policy dev arn:aws:iam::aws:policy/ReadOnlyAccess
    """

    @app.command("list-attached-policies")
    def list_attached(ctx: typer.Context, name: EntityArg, output: OutputOpt = None) -> None:
        from iamctl.core.identities import policies  # lazy: start-up

        with reading(ctx) as txn:
            found = policies.list_attached_policies(txn, kind, name)
        items = [{"PolicyName": p.name, "PolicyArn": p.arn} for p in found]
        render.rows(fmt(ctx, output), key="AttachedPolicies", items=items, columns=["PolicyName", "PolicyArn"])

    list_attached.__doc__ = f"""List the managed policies attached to a {kind}.

    Example: iamctl {kind} list-attached-policies dev -o json
    """

    @app.command("put-policy")
    def put_policy(ctx: typer.Context, name: EntityArg, policy_name: InlineArg, document: DocumentOpt) -> None:
        from iamctl.core.identities import policies  # lazy: start-up

        text = read_document(document)
        findings: list = []
        with writing(ctx) as txn:
            policies.put_inline_policy(txn, kind, name, policy_name, text, findings=findings)
        from iamctl.cli.validate import show_findings  # lazy: start-up

        show_findings(findings)

    put_policy.__doc__ = f"""Add or replace an inline policy of a {kind}.

    The document is validated (JSON, then the policy grammar; no Principal) and stored
    exactly as written. All of a {kind}'s inline policies together may hold at most
    {_limit(kind)} characters, not counting whitespace.

    Example: iamctl {kind} put-policy dev AllowS3 --document policy.json
    """

    @app.command("get-policy")
    def get_policy(ctx: typer.Context, name: EntityArg, policy_name: InlineArg, output: OutputOpt = None) -> None:
        from iamctl.core.identities import policies  # lazy: start-up

        with reading(ctx) as txn:
            found = policies.get_inline_policy(txn, kind, name, policy_name)
        item = {f"{title}Name": found.entity, "PolicyName": found.name}
        show_with_document(fmt(ctx, output), key="Policy", item=item, document=found.document,
                           doc_key="PolicyDocument", nested=False)

    get_policy.__doc__ = f"""Show an inline policy of a {kind}, its document exactly as written.

    Example: iamctl {kind} get-policy dev AllowS3
    """

    @app.command("delete-policy")
    def delete_policy(ctx: typer.Context, name: EntityArg, policy_name: InlineArg) -> None:
        from iamctl.core.identities import policies  # lazy: start-up

        with writing(ctx) as txn:
            policies.delete_inline_policy(txn, kind, name, policy_name)

    delete_policy.__doc__ = f"""Delete an inline policy of a {kind}.

    Example: iamctl {kind} delete-policy dev AllowS3
    """

    @app.command("list-policies")
    def list_policies(ctx: typer.Context, name: EntityArg, output: OutputOpt = None) -> None:
        from iamctl.core.identities import policies  # lazy: start-up

        with reading(ctx) as txn:
            found = policies.list_inline_policies(txn, kind, name)
        name_list(fmt(ctx, output), key="PolicyNames", column="PolicyName", names=found)

    list_policies.__doc__ = f"""List the names of a {kind}'s inline policies.

    Example: iamctl {kind} list-policies dev
    """


def _limit(kind: "EntityKind") -> str:
    return {"user": "2,048", "group": "5,120", "role": "10,240"}[kind]
