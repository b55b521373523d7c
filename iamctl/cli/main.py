"""The `iamctl` command: global options, the lazily loaded command groups, the error boundary.

Command groups are imported only when used (`iamctl user ...` imports `iamctl.cli.user` and
nothing else), so start-up stays close to a bare Typer app's.
"""

import copy
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, cast

import typer

# Typer vendors Click; its exception classes are reachable only through this private module.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup
from typer.main import get_command_name
from typer.models import CommandInfo, TyperInfo

from iamctl import __version__
from iamctl.cli import render
from iamctl.cli.common import OutputOpt, Settings, check_output_env
from iamctl.cli.complete import complete_accounts
from iamctl.cli.exit_codes import ExitCode
from iamctl.cli.placeholders import plain

# name -> (module, one-line help). The module defines `app = typer.Typer(...)`.
GROUPS: dict[str, tuple[str, str]] = {
    "account": ("iamctl.cli.account", "The account: id, alias, quotas."),
    "policy": ("iamctl.cli.policy", "Managed policies: create, show, list, versions, delete."),
    "user": ("iamctl.cli.user", "IAM users: create, show, list, update, delete, tags."),
    "group": ("iamctl.cli.group", "IAM groups: create, show, list, update, delete, members."),
    "role": ("iamctl.cli.role", "IAM roles: trust policies, assume, sessions, instance profiles, providers."),
    "simulate": ("iamctl.cli.simulate", "Simulate requests: allowed or denied, and why."),
    "mfa": ("iamctl.cli.mfa", "Virtual MFA devices: enroll, create, enable, resync, verify, delete."),
    "analyze": ("iamctl.cli.analyze", "Account-wide analysis: who can do X on Y, privilege escalation."),
    "org": ("iamctl.cli.org", "The organization: OUs, accounts, SCPs and RCPs, applied to every decision."),
}


# name -> (module, attribute): top-level single commands, loaded on demand like GROUPS. The
# attribute is a Typer app holding exactly that one command.
COMMANDS: dict[str, tuple[str, str]] = {
    "whoami": ("iamctl.cli.whoami", "app"),
    "login": ("iamctl.cli.login", "app"),
}


class IamctlGroup(TyperGroup):
    """The root group: loads command groups on demand and owns the one error boundary."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted([*super().list_commands(ctx), *GROUPS, *COMMANDS])

    def get_params(self, ctx: Any) -> list[Any]:
        plain(self)  # the root's own options: built by Typer before this class sees them
        return super().get_params(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in GROUPS:
            module = importlib.import_module(GROUPS[cmd_name][0])
            return lazy_group(TyperInfo(module.app, name=cmd_name))
        if cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name]
            command = typer.main.get_command(getattr(importlib.import_module(module_name), attribute))
            command.name = cmd_name
            return plain(command)
        found = super().get_command(ctx, cmd_name)
        return plain(found) if found is not None else None

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        head = argv[: argv.index("--")] if "--" in argv else argv
        debug = "--debug" in head or os.environ.get("IAMCTL_DEBUG") == "1"
        try:
            result = super().main(args=argv, prog_name=prog_name or "iamctl", complete_var=complete_var,
                                  standalone_mode=False, windows_expand_args=windows_expand_args, **extra)
            code = result if isinstance(result, int) else ExitCode.OK
        except NoArgsIsHelpError as e:
            sys.stdout.write(e.format_message() + "\n")
            code = ExitCode.USAGE
        except UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else "iamctl"
            render.error(f"usage: {e.format_message()} (see '{where} --help')")
            code = ExitCode.USAGE
        except ClickException as e:
            render.error(e.format_message())
            code = e.exit_code
        except typer.Abort as e:
            # A prompt turns Ctrl-C (and end of input) into Abort; Ctrl-C is an interruption.
            if isinstance(e.__context__, KeyboardInterrupt):
                code = ExitCode.INTERRUPTED
            else:
                render.error("aborted")
                code = ExitCode.IAM_ERROR
        except KeyboardInterrupt:
            code = ExitCode.INTERRUPTED
        except Exception as e:  # noqa: BLE001  # the one error boundary: no traceback for users
            from iamctl.core.base.errors import IamError  # lazy: start-up

            if debug:
                import traceback  # lazy: start-up

                traceback.print_exc()
            if isinstance(e, IamError):
                render.error(f"{e.code}: {e.message}")
                code = ExitCode.IAM_ERROR
            else:
                hint = "" if debug else " (rerun with --debug for the traceback)"
                render.error(f"internal error: {type(e).__name__}: {e}{hint}")
                code = ExitCode.INTERNAL
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


class LazyAppGroup(TyperGroup):
    """A command group that turns only the subcommand being run into a Click command.

    Typer converts every command of a group up front, inspecting each signature; for `iamctl
    user` that is ~20 ms of start-up spent on commands that will not run. Help, completion and
    the man-page generator still see every command, through list_commands / get_command.
    """

    source: typer.Typer

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self._command_infos(), *self._group_infos()]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            if cmd_name in (commands := self._command_infos()):
                self.commands[cmd_name] = plain(typer.main.get_command_from_info(
                    commands[cmd_name], pretty_exceptions_short=self.source.pretty_exceptions_short,
                    rich_markup_mode=self.rich_markup_mode))
            elif cmd_name in (groups := self._group_infos()):
                self.commands[cmd_name] = lazy_group(groups[cmd_name])
            else:
                return None
        return self.commands[cmd_name]

    def _command_infos(self) -> dict[str, CommandInfo]:
        return {info.name or get_command_name(info.callback.__name__ if info.callback else ""): info
                for info in self.source.registered_commands}

    def _group_infos(self) -> dict[str, TyperInfo]:
        return {info.name: info for info in self.source.registered_groups if info.name}


def lazy_group(info: TyperInfo) -> LazyAppGroup:
    """The Click group for a Typer app (as added with `name=`), its commands built on demand."""
    app = info.typer_instance
    if app is None:
        raise TypeError(f"the command group {info.name!r} has no Typer app")
    # Typer builds the group itself (callback, help, options) from an empty copy of the app.
    shell = copy.copy(app)
    shell.registered_commands, shell.registered_groups = [], []
    shell.info = copy.copy(app.info)
    shell.info.cls = LazyAppGroup
    shell_info = copy.copy(info)
    shell_info.typer_instance, shell_info.cls = shell, LazyAppGroup
    # Built with cls=LazyAppGroup (shell_info.cls above), so it is one.
    group = cast(LazyAppGroup, typer.main.get_group_from_info(
        shell_info, pretty_exceptions_short=app.pretty_exceptions_short, suggest_commands=app.suggest_commands,
        rich_markup_mode=app.rich_markup_mode))
    group.source = app
    return plain(group)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"iamctl {__version__}\n")
        raise typer.Exit()


app = typer.Typer(
    cls=IamctlGroup,
    name="iamctl",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
    help="AWS IAM on a local account directory: users, groups, roles, policies, MFA, simulation.",
    epilog="Docs: README.md; man iamctl. Exit status: 0 ok, 1 IAM error, 2 usage, 3 denied.",
)


@app.callback()
def root(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Account directory. Default: $IAMCTL_DIR, else $XDG_DATA_HOME/iamctl "
                     "(~/.local/share/iamctl).",
                     envvar="IAMCTL_DIR", show_envvar=False, metavar="PATH"),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help="Account id to act on, when the directory holds several.",
                     envvar="IAMCTL_ACCOUNT", show_envvar=False, metavar="ID", autocompletion=complete_accounts),
    ] = None,
    output: OutputOpt = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """AWS IAM on a local account directory: users, groups, roles, policies, MFA, simulation."""
    check_output_env()
    _check_environment()
    ctx.obj = Settings(directory=directory, account=account, output=output, debug=debug)


def _check_environment() -> None:
    """A bad IAMCTL_NOW or IAMCTL_LOCK_TIMEOUT is a usage error of every command, said at once."""
    from iamctl.core.base.errors import InvalidInput  # lazy: start-up

    try:
        if os.environ.get("IAMCTL_NOW"):
            from iamctl.core.base import clock  # lazy: start-up

            clock.pinned_now(os.environ["IAMCTL_NOW"])
        if os.environ.get("IAMCTL_LOCK_TIMEOUT"):
            from iamctl.core.store.directory import lock_timeout  # lazy: start-up

            lock_timeout()
    except InvalidInput as e:
        raise typer.BadParameter(e.message) from None


@app.command()
def init(
    ctx: typer.Context,
    account_id: Annotated[
        str | None, typer.Option("--account-id", help="12-digit account id (default: generated).")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Create the account directory and an account in it.

    Commands that only read never create an account; the first command that changes something
    creates one (and says so), `init` does it explicitly, and `init --account-id` adds another
    account to the same directory. An existing .gitignore is kept, with iamctl's lines added.

    Example: iamctl --dir ./acme init --account-id 111122223333
    """
    from iamctl.cli.common import fmt, store  # lazy: start-up

    s = store(ctx)
    account_id, created = s.init(account_id)
    if created:
        from iamctl.core.credentials import lockout  # lazy: start-up
        from iamctl.core.store.directory import Store  # lazy: start-up

        with Store(s.root, account=account_id).write() as txn:
            lockout.decoy_hash(txn)  # made now, so that no sign-in pays for hashing it
    render.record(
        fmt(ctx, output),
        key="Account",
        item={"AccountId": account_id, "Directory": str(s.root), "Created": created},
    )


def main() -> None:
    """Console-script entry point."""
    app()
