"""`iamctl user import` and `iamctl user export`: batch onboarding from CSV or JSON Lines.

`register(app)` adds both to the `iamctl user` Typer app. The rules (columns, planning,
idempotence, credentials) live in `iamctl.core.onboarding`; this module reads the file the user
named, writes the credentials file they named, and renders the plan and the summary.
"""

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, read_input, reading, secret_output, writing

if TYPE_CHECKING:
    from iamctl.core.bulk.onboarding import IssuedCredentials, Plan
    from iamctl.core.store.directory import Txn

#: Files with at least this many rows get a progress bar (on a terminal only).
PROGRESS_FROM = 200
PLAN_COLUMNS = ["Row", "UserName", "Action", "Changes"]

FileArg = Annotated[str, typer.Argument(help="A CSV or JSON Lines file, or - for standard input.",
                                        metavar="FILE")]


def _check_format(value: str | None) -> str | None:
    if value is not None and value not in ("csv", "jsonl"):
        raise typer.BadParameter(f"{value!r} is not one of csv, jsonl")
    return value


FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="csv or jsonl. Default: from the file name (.csv, .jsonl), else from "
                                  "its first character ({ means JSON Lines).", metavar="FORMAT",
                 callback=_check_format),
]


class CredentialsFile:
    """The file named by --credentials-out: mode 0600, never overwriting, written only if the
    import commits, and the import does not commit if it cannot be written.

    `reserve` refuses an existing file before anything is staged (nothing is created yet).
    `stage` writes the credentials to a private temporary file beside it (0600, flushed to disk)
    while the transaction is still open: if that fails, the transaction is not committed. After
    the commit, `publish` links the temporary file to FILE, which fails rather than overwrite a
    file that appeared meanwhile, and removes the temporary name.

    So nothing is ever at FILE but the complete credentials. A crash between the store's commit
    and the link leaves the users created and the credentials in `.FILE.PID.tmp` beside FILE
    (0600), where the administrator finds them; a crash before the commit leaves that temporary
    file holding credentials of users that were never created: they authenticate nothing, and
    running the import again works. Any other failure removes the temporary file.
    """

    def __init__(self, path: Path | None):
        self.path = path
        self._tmp: Path | None = None
        self._committed = False

    def reserve(self) -> None:
        from iamctl.core.base.errors import InvalidInput  # lazy: start-up

        if self.path is None:
            raise InvalidInput("this import creates passwords or access keys, which are shown once: name a "
                               "file for them with --credentials-out FILE (created with mode 0600)")
        if os.path.lexists(self.path):
            raise InvalidInput(f"--credentials-out {self.path} already exists; refusing to overwrite it "
                               "(choose a new file)")
        if not self.path.parent.is_dir():
            raise InvalidInput(f"--credentials-out {self.path}: cannot create it: no folder {self.path.parent}")

    def stage(self, text: str) -> None:
        from iamctl.core.base.errors import InvalidInput  # lazy: start-up

        assert self.path is not None
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            _write_private(self._tmp, text)
        except OSError as e:
            raise InvalidInput(f"--credentials-out {self.path}: cannot write it ({e.strerror}); "
                               "nothing was imported") from None

    def publish(self) -> None:
        """Called once the transaction has committed."""
        self._committed = True
        if self._tmp is None:
            return
        from iamctl.core.base.errors import StoreError  # lazy: start-up

        assert self.path is not None  # _tmp is set only with a path
        try:
            try:
                os.link(self._tmp, self.path)  # never over an existing file
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP) or os.path.lexists(self.path):
                    raise
                os.rename(self._tmp, self.path)  # a file system without hard links
            self._tmp.unlink(missing_ok=True)
            _fsync_folder(self.path.parent)
        except OSError as e:
            raise StoreError(f"the import was committed, but {self.path} could not be written ({e.strerror}): "
                             f"the credentials are in {self._tmp}") from None

    def __enter__(self) -> "CredentialsFile":
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed and self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_private(path: Path, text: str) -> None:
    """A new file, mode 0600 whatever the umask, flushed to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)


# What to suggest for a rejected row's `remedy` (a plan_import keyword): the option that sets it.
_REMEDIES = {"create_groups": "create it first, or pass --create-groups"}


@contextmanager
def _report_rejections() -> Iterator[None]:
    """Every bad row on its own stderr line; the error boundary then prints the summary line."""
    from iamctl.core.bulk.onboarding import ImportRejected  # lazy: start-up

    try:
        yield
    except ImportRejected as e:
        for problem in e.errors:
            hint = f" ({_REMEDIES[problem.remedy]})" if problem.remedy in _REMEDIES else ""
            render.error(f"{e.source}: {problem}{hint}")
        raise


def _apply(txn: "Txn", plan: "Plan", out: CredentialsFile) -> "list[IssuedCredentials]":
    from iamctl.core.bulk import onboarding  # lazy: start-up

    if plan.credentials_needed:
        out.reserve()
    with render.progress(plan.steps, "Importing users", minimum=PROGRESS_FROM) as advance:
        result = onboarding.apply_import(txn, plan, progress=advance)
    if result.credentials:
        out.stage(onboarding.credentials_csv(result.credentials, onboarding.signin_url(txn)))
    return result.credentials


def _render(ctx: typer.Context, output: str | None, plan: "Plan", issued: int, *, dry_run: bool,
            credentials_file: Path | None) -> None:
    from iamctl.core.bulk import onboarding  # lazy: start-up

    form = fmt(ctx, output)
    items = [{"Row": i.row, "UserName": i.name, "Action": i.action, "Changes": i.changes} for i in plan.items]
    counts = onboarding.summary(plan, issued)
    summary = {"Created": counts["created"], "Updated": counts["updated"], "Unchanged": counts["unchanged"],
               "Conflicts": counts["conflicts"], "CredentialsIssued": counts["credentials_issued"]}
    if form == "json":
        render.json_dump({"Plan": items, "Summary": summary, "DryRun": dry_run,
                          "CredentialsFile": str(credentials_file) if credentials_file else None})
        return
    if form == "table" and not dry_run:
        items = [i for i in items if i["Action"] != "unchanged"]  # the summary counts those
    if items:
        render.rows(form, key="Plan", items=items, columns=PLAN_COLUMNS,
                    title="Plan (dry run: nothing written)" if dry_run else "Changes")
    render.record(form, key="Summary", item=summary, title="Summary")


def _notes(plan: "Plan", *, dry_run: bool, credentials_out: Path | None, issued: int) -> None:
    conflicts = plan.count("conflict")
    if conflicts:
        render.note(f"{conflicts} existing user(s) differ from the file (conflict) and are left alone; "
                    "--sync brings them to the file's state")
    if dry_run and plan.credentials_needed and credentials_out is None:
        render.note("this import creates credentials: the real run needs --credentials-out FILE")
    if issued:
        render.note(f"one-time credentials of {issued} user(s) written to {credentials_out} (mode 0600): "
                    "they are stored nowhere else")


def import_users(
    ctx: typer.Context,
    file: FileArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; write nothing.")] = False,
    sync: Annotated[bool, typer.Option("--sync", help="Bring existing users that differ to the file's "
                                       "state (path, groups, tags, policies, boundary, MFA mark).")] = False,
    create_groups: Annotated[bool, typer.Option("--create-groups", help="Create groups the file names "
                                                "that do not exist yet.")] = False,
    credentials_out: Annotated[Path | None, typer.Option(
        "--credentials-out", help="Write generated passwords and access keys here (a new file, mode "
        "0600, in the AWS console's credentials CSV layout).", metavar="FILE")] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Create users in bulk from a CSV or JSON Lines file (onboarding new hires).

    Columns: name (required), path, groups (a;b), tags (k=v;k=v), policies (ARNs or names, a;b),
    boundary, password (generate), require_reset, access_key (yes), mfa (required). The whole
    file is checked first and every bad row reported; then it is applied in one transaction (all
    or nothing). Existing users that match are unchanged; ones that differ are conflicts unless
    --sync. Credentials are issued only to users created by this run.

    Example: iamctl user import new-hires.csv --create-groups --credentials-out creds.csv
    """
    from iamctl.core.bulk import onboarding  # lazy: start-up

    source = "standard input" if file == "-" else file
    secret_output(ctx, credentials_out, option="--credentials-out")
    parsed = onboarding.parse_file(read_input(file, option="FILE"), fmt=format, source=source)
    with _report_rejections(), CredentialsFile(credentials_out) as out:
        with (reading if dry_run else writing)(ctx) as txn:
            plan = onboarding.plan_import(txn, parsed, sync=sync, create_groups=create_groups)
            issued = [] if dry_run else _apply(txn, plan, out)
        out.publish()
    _render(ctx, output, plan, len(issued), dry_run=dry_run, credentials_file=credentials_out if issued else None)
    _notes(plan, dry_run=dry_run, credentials_out=credentials_out, issued=len(issued))


def export_users(ctx: typer.Context, file: Annotated[str, typer.Argument(
        help="The file to write, or - for standard output.", metavar="FILE")], format: FormatOpt = None) -> None:
    """Write every user to a file that `user import` reads (CSV or JSON Lines; no secrets).

    Columns: name, path, groups, tags, policies, boundary, mfa. Edit it and import it again
    with --sync to apply the edits.

    Example: iamctl user export users.csv
    """
    from iamctl.core.bulk import onboarding  # lazy: start-up

    chosen = format or (onboarding.detect_format(file, "") if file != "-" else "csv")
    with reading(ctx) as txn:
        text = onboarding.export_users(txn, fmt=chosen)
    if file == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(file).write_text(text, encoding="utf-8")
        except OSError as e:
            raise typer.BadParameter(f"cannot write {file}: {e.strerror}", param_hint="FILE") from None


def register(app: typer.Typer) -> None:
    """Add `import` and `export` to the `iamctl user` app."""
    app.command("import")(import_users)
    app.command("export")(export_users)
