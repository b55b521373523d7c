"""What every listing command shares: its paging options and how a page is rendered."""

from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import fmt

if TYPE_CHECKING:
    pass


PathPrefixOpt = Annotated[
    str | None, typer.Option("--path-prefix", help="Only entities whose path starts with this, e.g. /dev/.")
]


MaxItemsOpt = Annotated[
    int | None, typer.Option("--max-items", help="At most this many (1 or more); the output then carries a "
                             "NextToken.", min=1, metavar="N")
]


StartingTokenOpt = Annotated[
    str | None, typer.Option("--starting-token", help="Continue a listing from a previous NextToken.")
]


def render_page(ctx: typer.Context, output: str | None, page, key: str, items: list[dict],
                columns: list[str]) -> None:
    """A listing page; the NextToken goes into the JSON, or to stderr as a hint for people."""
    form = fmt(ctx, output)
    extra = {"NextToken": page.next_token} if page.next_token else None
    render.rows(form, key=key, items=items, columns=columns, extra=extra)
    if page.next_token and form != "json":
        render.note(f"more results: continue with --starting-token {page.next_token}")
