"""What every command module shares: the global settings, the --output option, store access."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from iamctl.cli import render

if TYPE_CHECKING:
    from iamctl.core.store.directory import Store, Txn


@dataclass
class Settings:
    """The global options, set by the root callback and kept on the Typer context.

    A stdlib dataclass, not a msgspec Struct like the core's records: every command builds one,
    `--version` and `--help` included, and those should not load msgspec."""

    directory: Path | None = None
    account: str | None = None
    output: str | None = None
    debug: bool = False


def _check_format(value: str | None) -> render.OutputFormat | None:
    if value is not None and value not in render.FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(render.FORMATS)}")
    return value


def check_output_env() -> None:
    """A bad IAMCTL_OUTPUT is a usage error, as a bad -o is (empty counts as unset)."""
    value = os.environ.get("IAMCTL_OUTPUT")
    if value:
        try:
            _check_format(value)
        except typer.BadParameter as e:
            e.param_hint = "IAMCTL_OUTPUT"
            raise


OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Output format: table, json or text. Default: table on a terminal, json when piped.",
        callback=_check_format,
        metavar="FORMAT",
    ),
]


def settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


def fmt(ctx: typer.Context, output: str | None = None) -> render.OutputFormat:
    """The output format: the command's -o, else the global --output, else by TTY."""
    chosen = output or settings(ctx).output or os.environ.get("IAMCTL_OUTPUT") or render.default_format()
    # -o and --output passed _check_format (OutputOpt); IAMCTL_OUTPUT, check_output_env (the root callback).
    return cast("render.OutputFormat", chosen)


def store(ctx: typer.Context) -> "Store":
    from iamctl.core.store.directory import Store, default_directory  # lazy: start-up

    s = settings(ctx)
    return Store(s.directory or default_directory(), account=s.account)


@contextmanager
def reading(ctx: typer.Context) -> "Iterator[Txn]":
    """A read-only transaction on the selected account; never creates one (a mistyped --dir
    fails naming the directory, instead of showing an empty new account)."""
    from iamctl.core.base.errors import NotAnAccountDirectory  # lazy: start-up

    try:
        with store(ctx).read() as txn:
            yield txn
    except NotAnAccountDirectory as e:
        raise NotAnAccountDirectory(f"{e.message} (or choose another with --dir or IAMCTL_DIR)") from e


@contextmanager
def writing(ctx: typer.Context) -> "Iterator[Txn]":
    """A transaction on the selected account, committed when the block ends without error.

    The first change to a directory that does not exist creates it, saying so on stderr; a
    change committed but not yet applied in place (a full disk) is reported as what it is."""
    s = store(ctx)
    try:
        with s.write() as txn:
            yield txn
    finally:
        for note in s.notes:
            render.note(note)


@contextmanager
def hinting(code: str, hint: str | None) -> "Iterator[None]":
    """Add a command-line hint to a core error with this AWS `code` raised in the block.

    The core says what is wrong in the API's terms and never names an option; the command knows
    which of its options would do what the message asks (`--force` for a DeleteConflict). A
    `hint` of None adds nothing (the option was given already)."""
    from iamctl.core.base.errors import IamError  # lazy: start-up

    try:
        yield
    except IamError as e:
        if e.code != code or hint is None:
            raise
        raise type(e)(f"{e.message.rstrip('.')} ({hint}).") from e


def secret_output(ctx: typer.Context, path: Path | None, *, option: str) -> Path | None:
    """`path`, a file that will hold secrets (one-time credentials, an MFA seed), unless it lies
    inside the account directory: there it would sit with the account, and be committed to git
    with it (the .gitignore keeps out only secrets/ and .iamctl/). A usage error then."""
    if path is None:
        return None
    from iamctl.core.store.directory import default_directory  # lazy: start-up

    root = (settings(ctx).directory or default_directory()).absolute().resolve()
    if path.absolute().resolve().is_relative_to(root):
        raise typer.BadParameter(f"{path} is inside the account directory {root}; secrets written there would be "
                                 "kept, and committed to git, with the account: choose a file elsewhere",
                                 param_hint=option)
    return path


def read_input(source: str, *, option: str) -> str:
    """The text of an input the user named for `option`: a file, `file://FILE`, or `-` (stdin)."""

    if source == "-":
        return sys.stdin.read()
    path = Path(source.removeprefix("file://"))
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise typer.BadParameter(f"no such file: {path}", param_hint=option) from None
    except UnicodeDecodeError as e:
        raise typer.BadParameter(f"{path} is not UTF-8 text (byte {e.start})", param_hint=option) from None
    except OSError as e:
        raise typer.BadParameter(f"cannot read {path}: {e.strerror}", param_hint=option) from None


def stdin_is_terminal() -> bool:
    """Whether standard input is a terminal, where a hidden prompt can be answered."""
    return sys.stdin.isatty()


def stdin_line(what: str, *, option: str) -> str:
    """The next line of standard input (without its line end), for `option`; a usage error at
    the end of input."""
    line = sys.stdin.readline()
    if not line:
        raise typer.BadParameter(f"expected the {what} on standard input, found end of input", param_hint=option)
    return line.removesuffix("\n").removesuffix("\r")


def secret_prompt(what: str, *, option: str, confirm: bool = False, hide: bool = True) -> str:
    """Ask for a secret on the terminal, hidden (prompt on stderr), twice with `confirm`.

    Without a terminal there is no one to ask, and reading a piped secret unasked would take a
    secret the user did not mean to give: refuse, naming the option that gives it otherwise
    (a usage error, exit 2). `hide=False` for what may be seen (an MFA code)."""
    if not stdin_is_terminal():
        raise typer.BadParameter(f"standard input is not a terminal, so the {what} cannot be asked for; "
                                 f"give it with {option}", param_hint=option)
    return typer.prompt(what[0].upper() + what[1:], hide_input=hide, confirmation_prompt=confirm, err=True)
