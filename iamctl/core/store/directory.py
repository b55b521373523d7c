"""The account directory: one TOML file per entity, a lock, and a write-ahead journal.

Layout of a directory (a "workspace" that can hold several AWS accounts)::

    iamctl.toml                       schema_version, default account
    .gitignore                        keeps secrets/ and .iamctl/ out of git
    <account-id>/account.toml         id, alias, quotas, password policy
    <account-id>/users/<name>.toml    one file per entity (users, groups, roles, policies, ...)
    organization/...                  workspace records: the organization spanning the accounts
    secrets/<account-id>/<kind>/...   password hashes, key hashes, MFA seeds (0700 / 0600)
    .iamctl/lock                      flock: writers exclusive, readers shared
    .iamctl/journal                   a committed transaction not yet fully applied
    .iamctl/generation                changes at every commit, before any file does
    .iamctl/tmp/                      files being written, renamed into place

A file is named after the entity's name in lower case: AWS names are unique without regard to
case, so `Alice` and `alice` map to the same file and the second create is refused; the
allowed characters (`A-Za-z0-9+=,.@_-`) are all safe in file names and none of them is a
path separator. Every name is checked against that alphabet again here, whatever the caller
validated, so no name can escape its folder.

Transactions: every change is staged in memory. On commit the whole change set is written
to `.iamctl/journal.tmp`, flushed to disk and renamed to `.iamctl/journal`: that rename is
the commit point. Then each file is written to `.iamctl/tmp/` and renamed over its target,
and the journal is removed. A process killed before the rename leaves the old state (the
`.tmp` journal is discarded on the next open); killed after it, the next open replays the
journal (writing whole files, so replay is idempotent). Before the journal is committed
every target is checked (a folder where a file belongs, a link, a file where a folder belongs),
so nothing is committed that could not be applied. When applying fails after the commit point
(a full disk), the change is still committed: readers read through the journal, and the next
writer finishes it.

Readers take a shared lock, so they never see a transaction half-applied. A reader that cannot
take it (no write access to `.iamctl/`) compares `.iamctl/generation` before and after reading
and refuses a view that a commit changed meanwhile.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import fcntl
import json
import math
import os
import re
import stat
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from iamctl.core.base import clock, jsonload
from iamctl.core.base.errors import (
    EntityAlreadyExists,
    InvalidInput,
    NoSuchEntity,
    NotAnAccountDirectory,
    StoreError,
    StoreLocked,
    ValidationError,
)
from iamctl.core.store import codec
from iamctl.core.store.records import KINDS, SCHEMA_VERSION, SECRETS, Account, Kind, KindName, Manifest

if TYPE_CHECKING:
    from iamctl.core.store.records import (
        AccessKeyRecord,
        AwsPolicyUse,
        Group,
        InstanceProfile,
        ManagedPolicy,
        MfaDevice,
        OidcProvider,
        OrgAccount,
        Organization,
        OrgPolicy,
        OrgRoot,
        OrgUnit,
        PasswordAttempts,
        Record,
        Role,
        SamlProvider,
        Session,
        SessionExpiry,
        SessionTokenIndex,
        SignInDecoy,
        User,
    )

MANIFEST = "iamctl.toml"
STATE_DIR = ".iamctl"
SECRETS_DIR = "secrets"
GITIGNORE = f"# Written by iamctl: secrets and working files stay out of git.\n/{SECRETS_DIR}/\n/{STATE_DIR}/\n"

# The characters AWS allows in IAM names, ASCII only: a name is checked before it is lowered,
# since str.lower() folds some non-ASCII letters into ASCII ones (KELVIN SIGN U+212A to "k").
_SAFE_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,128}")
_ACCOUNT_ID = re.compile(r"^\d{12}\Z")
LOCK_TIMEOUT = 60.0  # seconds, unless IAMCTL_LOCK_TIMEOUT says otherwise (see lock_timeout)


def default_directory() -> Path:
    """`$IAMCTL_DIR`, else `$XDG_DATA_HOME/iamctl`, else `~/.local/share/iamctl`."""
    env = os.environ.get("IAMCTL_DIR")
    if env:
        return Path(env)
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "iamctl"


def file_key(name: str) -> str:
    """The file-name stem for an entity name: lower case, from a safe alphabet only."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
        raise InvalidInput(f"the name {name!r} contains characters that cannot be stored")
    return name.lower()


def new_account_id() -> str:
    """A random 12-digit AWS account id (never starting with 0, as AWS's do not in practice)."""
    import secrets  # lazy: start-up

    return str(secrets.choice(range(1, 10))) + "".join(secrets.choice("0123456789") for _ in range(11))


class Unfinished(StoreError):
    """A committed transaction could not be applied to the files (a full disk, an I/O error):
    its journal stays, readers read through it, and the next writer finishes it."""


class Store:
    """An account directory on disk. Use `Store(path).read()` / `.write()` for transactions.

    Every file and folder is reached from a descriptor of the directory itself, one path
    component at a time, each opened with O_NOFOLLOW (`openat`): a symbolic link anywhere inside
    the directory is refused, on reads as on writes, and no lookup can be redirected by a link
    swapped in between a check and a use. The folder descriptors are kept for the length of a
    transaction, so a read costs one `openat` of the file.
    """

    def __init__(self, root: Path | str, account: str | None = None):
        self.root = Path(root)
        self.selected_account = account
        self._state = self.root / STATE_DIR
        self._fds: dict[str, int] = {}  # folder (relative, "" for the root) -> open descriptor
        self.notes: list[str] = []  # what a command should tell its user (created, committed, ...)

    # -- opening -----------------------------------------------------------------------

    def exists(self) -> bool:
        return self.file_exists(MANIFEST)

    def init(self, account_id: str | None = None) -> tuple[str, bool]:
        """Create the workspace (if needed) and an account in it; return (id, created?).

        With no id, the default account is created when the workspace has none.
        """
        if account_id is not None and not _ACCOUNT_ID.match(account_id):
            raise InvalidInput(f"account id {account_id!r} is not 12 digits")
        with self._exclusive(create=True) as progress:
            txn = Txn(self, writable=True, account="", fresh=not self.exists())
            if account_id is None:
                account_id = txn.manifest().get("default_account") or new_account_id()
            if txn.account_exists(account_id):
                progress.done = True
                return account_id, False
            txn.create_account(account_id)
            txn.commit()
            progress.done = True
            return account_id, True

    @contextmanager
    def _exclusive(self, *, create: bool) -> Iterator[_Progress]:
        """The exclusive lock, after any unfinished transaction is finished and an older layout
        upgraded. A directory this creates is removed again unless `progress.done` is set (a
        commit happened) by the end."""
        made = self._prepare_root(create=create)
        progress = _Progress()
        try:
            with self._locked(exclusive=True):
                self._recover()
                self._upgrade()
                yield progress
        finally:
            self.close()
            if made is not None and not progress.done:
                self._remove_made(made)

    def _prepare_root(self, *, create: bool) -> Path | None:
        """Check that the directory is a workspace, or (with `create`) may become one, creating
        the folder itself; return the topmost folder created, to remove if nothing commits."""
        if self.exists():
            return None
        root = self.root
        if not create:
            raise NotAnAccountDirectory(f"{root} is not an iamctl account directory: `iamctl init` creates one "
                                        "there")
        if root.is_symlink():
            raise StoreError(f"{root} is a symbolic link; refusing to use it as an account directory")
        if root.exists():
            if not root.is_dir():
                raise StoreError(f"{root} is not a directory")
            if any(p for p in root.iterdir() if p.name not in (STATE_DIR, ".git", ".gitignore")):
                raise StoreError(
                    f"{root} is not an iamctl account directory (no {MANIFEST}) and is not empty; "
                    "choose another directory"
                )
            return None
        top = root.absolute()
        while not top.parent.exists():
            top = top.parent
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the account directory {root}: {e.strerror}") from e
        self.close()  # a descriptor of a root that did not exist yet is none
        return top

    def _remove_made(self, top: Path) -> None:
        """Undo `_prepare_root` after a failed first command: the folders it made, and the
        working files in them, go; anything else found there stays."""
        state = self._state
        with contextlib.suppress(OSError):
            (state / "tmp").rmdir()
        for name in ("lock", "turnstile", "generation"):
            with contextlib.suppress(OSError):
                (state / name).unlink()
        root = self.root.absolute()
        for folder in (state.absolute(), root, *root.parents):
            try:
                folder.rmdir()
            except OSError:
                return
            if folder == top:
                return

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Txn]:
        """A read-only view of a consistent state.

        Under the shared lock when it can be taken. A journal found there was left by a writer
        that died: it is finished first (under the exclusive lock), or, when that cannot be
        done (a full disk), read through. A reader without write access to `.iamctl/` cannot
        take the lock at all: it reads through any journal and compares the commit generation
        before and after, refusing a view a writer changed meanwhile rather than showing it.
        """
        self._prepare_root(create=False)
        try:
            finish = True
            while True:
                with self._locked(exclusive=False) as shared:
                    generation = None if shared else self._generation()
                    ops = self._journal_ops()
                    if ops is None or not shared or not finish:
                        try:
                            yield Txn(self, writable=False, overlay=ops)
                        except Exception as e:
                            if generation is not None and self._generation() != generation:
                                raise self._changed() from e
                            raise
                        if generation is not None and self._generation() != generation:
                            raise self._changed()
                        return
                try:
                    with self._locked(exclusive=True):
                        self._recover()
                except Unfinished:
                    finish = False  # cannot be finished now: read through it
        finally:
            self.close()

    def _changed(self) -> StoreError:
        return StoreError(
            f"{self.root} changed while this command read it (another iamctl process wrote to it, and without "
            f"write access to {self._state} this one cannot take the lock that keeps writers out): run it again")

    @contextmanager
    def write(self, *, create: bool = True) -> Iterator[Txn]:
        """A transaction under the exclusive lock: committed if the block ends normally.

        On a directory that is not a workspace yet (and `create`), the workspace and its first
        account are created in the same transaction, so a command that fails, or changes nothing,
        creates nothing; `notes` then says what was created.

        If the block raises, only its attempt records (writes staged with ``attempt=True``) are
        committed, and then the exception goes on: an operation that must record a failed
        attempt before refusing (a wrong password, a wrong MFA code) stages the record and
        raises its refusal, and both happen in that order. (In a workspace this transaction
        would create there is nothing to record: nothing is.)"""
        with self._exclusive(create=create) as progress:
            fresh = not self.exists()
            if fresh:
                txn = Txn(self, writable=True, account="", fresh=True)
                account_id = txn.create_account(self.selected_account or new_account_id()).account_id
                untouched = dict(txn._staged)
            else:
                txn = Txn(self, writable=True)
            try:
                yield txn
            except BaseException:
                if not fresh:
                    txn.commit_attempts()  # record the attempt, then refuse: see Txn.put(attempt=True)
                    progress.done = True
                raise
            if fresh and txn._staged == untouched:
                return  # the command changed nothing: no account is made for it
            txn.commit()
            progress.done = True
            if fresh:
                self.notes.append(f"created the account directory {self.root} with account {account_id}")

    def close(self) -> None:
        """Close the folder descriptors a transaction opened."""
        fds, self._fds = self._fds, {}
        for fd in fds.values():
            os.close(fd)

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[bool]:
        """Writers hold `lock` exclusively, readers share it. Everyone passes through the
        `turnstile` first, so a waiting writer is not starved by a stream of readers.

        Yields True when locked; a reader that cannot create or open the lock files (a
        read-only file system, no write access to `.iamctl/`) gets False and no lock."""
        try:
            state = self._folder_fd(STATE_DIR, create=True, lockless_ok=not exclusive)
        except _NoWriteAccess:
            yield False
            return
        fds: list[int] = []
        try:
            for name in ("turnstile", "lock"):
                try:
                    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600,
                                 dir_fd=state)
                except OSError as e:
                    if e.errno in _NO_WRITE and not exclusive and not fds:
                        break
                    if e.errno == errno.ELOOP:
                        raise self._symlink_error(f"{STATE_DIR}/{name}") from e
                    raise StoreError(f"cannot open the lock file {self._state / name}: {e.strerror}") from e
                fds.append(fd)
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise StoreError(f"{self._state / name} is {_what(os.fstat(fd).st_mode)}, not a lock file: "
                                     "remove it (iamctl creates it again)")
            if not fds:
                yield False
                return
            turnstile, lock = fds
            timeout = lock_timeout()
            deadline = time.monotonic() + timeout
            self._flock(turnstile, fcntl.LOCK_EX, deadline, timeout)
            try:
                self._flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, deadline, timeout)
            finally:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
            yield True
        finally:
            for fd in fds:
                os.close(fd)  # closing releases the lock

    def _flock(self, fd: int, mode: int, deadline: float, timeout: float) -> None:
        delay = 0.0005
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreLocked(
                        f"{self.root} is locked by another iamctl process "
                        f"(waited {timeout:g} s; set IAMCTL_LOCK_TIMEOUT to wait longer)"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.02)

    # -- the journal -------------------------------------------------------------------

    def _journal_ops(self) -> list[dict[str, Any]] | None:
        """The committed transaction in `.iamctl/journal`, or None when there is none."""
        text = self._read_text(f"{STATE_DIR}/journal", what="iamctl's journal")
        if text is None:
            return None
        where = self._state / "journal"
        try:
            ops = jsonload.loads(text)["ops"]
            if not isinstance(ops, list):
                raise ValueError("ops is not a list")
            for op in ops:
                if not (isinstance(op, dict) and isinstance(op.get("path"), str)
                        and (op.get("data") is None or isinstance(op["data"], str))
                        and isinstance(op.get("secret"), bool)):
                    raise ValueError(f"not an operation: {str(op)[:60]}")
                self._check_path(op["path"])
        except (ValueError, KeyError, TypeError, StoreError) as e:
            raise StoreError(f"{where} is damaged ({e}); the last transaction cannot be finished") from e
        return ops

    def _recover(self) -> None:
        """Finish a committed transaction a killed process left behind; drop uncommitted ones."""
        state = self._folder_fd(STATE_DIR)
        if state is None:
            return
        try:
            os.unlink("journal.tmp", dir_fd=state)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise StoreError(f"cannot remove {self._state / 'journal.tmp'} ({e.strerror}): iamctl writes its "
                             "uncommitted journal there; remove it") from e
        tmp = self._folder_fd(f"{STATE_DIR}/tmp")
        if tmp is not None:
            for leftover in os.listdir(tmp):
                with contextlib.suppress(IsADirectoryError, PermissionError, FileNotFoundError):
                    os.unlink(leftover, dir_fd=tmp)  # only files of ours; a folder is not
        ops = self._journal_ops()
        if ops is None:
            return
        try:
            self._bump_generation()
            self._apply(ops)
            os.unlink("journal", dir_fd=state)
            os.fsync(state)
        except _TargetError as e:
            raise Unfinished(f"cannot finish the last transaction in {self.root}: {e}") from e
        except OSError as e:
            raise Unfinished(f"cannot finish the last transaction in {self.root}: {e.strerror}") from e

    def _upgrade(self) -> None:
        """Bring a directory an older iamctl wrote up to this one's schema, in one transaction
        (upgrade.py); under the exclusive lock, after recovery."""
        if not self.exists():
            return
        txn = Txn(self, writable=True, account="")
        version = txn.manifest().get("schema_version")
        if isinstance(version, int) and version < SCHEMA_VERSION:
            from iamctl.core.store import upgrade  # lazy: start-up (only an old directory needs it)

            upgrade.upgrade(txn, version)
            txn.commit()

    def _commit(self, ops: list[dict[str, Any]]) -> None:
        if not ops:
            return
        self._check_targets(ops)  # nothing is committed that could not be applied
        payload = json.dumps({"schema_version": SCHEMA_VERSION, "ops": ops})
        state: int | None = None
        try:
            state = self._folder_fd(STATE_DIR, create=True)
            self._folder_fd(f"{STATE_DIR}/tmp", create=True)
            assert state is not None
            fd = os.open("journal.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=state)
            try:
                _write_all(fd, payload.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace("journal.tmp", "journal", src_dir_fd=state, dst_dir_fd=state)  # the commit point
            os.fsync(state)
        except OSError as e:  # a full disk, a read-only or failing file system: nothing changed
            if state is not None and e.errno != errno.ELOOP:
                with contextlib.suppress(OSError):
                    os.unlink("journal.tmp", dir_fd=state)
            raise StoreError(f"cannot write to {self.root}: {e.strerror}; nothing was changed") from e
        try:
            self._bump_generation()
            self._apply(ops)
            os.unlink("journal", dir_fd=state)
            os.fsync(state)
        except (OSError, _TargetError) as e:
            why = e.strerror if isinstance(e, OSError) else str(e)
            self.notes.append(
                f"the change is committed, but {self.root} could not be updated in place ({why}): commands read "
                "it as committed, and the next command that can write there finishes it")

    def _bump_generation(self) -> None:
        """Tell readers that cannot lock (see `read`) that files are about to change: a new
        random generation, renamed into place before the first target is touched."""
        state = self._folder_fd(STATE_DIR, create=True)
        tmp = self._folder_fd(f"{STATE_DIR}/tmp", create=True)
        assert state is not None and tmp is not None
        _write_at(tmp, state, "generation", os.urandom(8).hex() + "\n", 0o644)

    def _generation(self) -> str | None:
        try:
            return self._read_text(f"{STATE_DIR}/generation", what="iamctl's commit generation")
        except StoreError:
            return "unreadable"

    def _apply(self, ops: list[dict[str, Any]]) -> None:
        tmp = self._folder_fd(f"{STATE_DIR}/tmp", create=True)
        assert tmp is not None
        written: list[tuple[int, str]] = []
        touched: set[int] = set()
        for op in ops:
            rel = op["path"]
            self._check_path(rel)
            folder, _, name = rel.rpartition("/")
            made: list[int] = []
            try:
                dfd = self._folder_fd(folder, create=op["data"] is not None, secret=op["secret"], made=made)
                if op["data"] is None:
                    if dfd is None:
                        continue
                    try:
                        os.unlink(name, dir_fd=dfd)
                    except FileNotFoundError:
                        continue
                else:
                    assert dfd is not None
                    _write_at(tmp, dfd, name, op["data"], 0o600 if op["secret"] else 0o644)
                    written.append((dfd, name))
            except StoreError as e:
                raise _TargetError(str(e)) from e
            except OSError as e:
                if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS):
                    raise
                raise _TargetError(f"{self.root / rel}: {e.strerror}") from e
            # A folder made here must be durable in its parent too, or a power cut loses it,
            # and the files in it, after the journal is gone.
            touched.update(made)
            touched.add(dfd)
        # The journal holds the data until every file is on disk; only then may it go.
        if len(touched) > 8 or len(ops) > 64:
            os.sync()
        else:
            for dfd, name in written:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            for folder_fd in touched:
                os.fsync(folder_fd)

    def _check_targets(self, ops: list[dict[str, Any]]) -> None:
        """Refuse, before anything is committed, a change that could not be applied: a target
        that is a folder (or a link, a pipe, ...), a folder on the way that is a file or a link,
        or working files in `.iamctl/` that the commit itself needs and could not replace."""
        self._folder_fd(f"{STATE_DIR}/tmp", create=True)
        for op in [*ops, {"path": f"{STATE_DIR}/generation"}]:
            rel = op["path"]
            self._check_path(rel)
            folder, _, name = rel.rpartition("/")
            dfd = self._folder_fd(folder)
            if dfd is None:
                continue  # created on the way
            try:
                mode = os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode):
                raise self._symlink_error(rel)
            if not stat.S_ISREG(mode):
                raise StoreError(f"{self.root / rel} is {_what(mode)}, where iamctl keeps a file: move it away; "
                                 "nothing was changed")

    # -- paths -------------------------------------------------------------------------

    def _check_path(self, rel: str) -> None:
        """Refuse a path that is not a plain relative path inside the directory."""
        parts = rel.split("/")
        if not rel or any(p in ("", ".", "..") for p in parts) or os.path.isabs(rel):
            raise StoreError(f"refusing to write outside the account directory: {rel!r}")

    def _symlink_error(self, rel: str) -> StoreError:
        return StoreError(
            f"{self.root / rel} is a symbolic link; iamctl does not follow links inside an account directory "
            "(remove it, or restore the file it replaced)"
        )

    def _not_a(self, rel: str, parent_fd: int, name: str, wanted: str) -> StoreError:
        try:
            mode = os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode
        except OSError:
            return StoreError(f"{self.root / rel} is not a {wanted}")
        if stat.S_ISLNK(mode):
            return self._symlink_error(rel)
        return StoreError(f"{self.root / rel} is {_what(mode)}, not a {wanted}: iamctl keeps a {wanted} there "
                          "(move it away)")

    def _folder_fd(self, rel: str, *, create: bool = False, secret: bool = False, made: list[int] | None = None,
                   lockless_ok: bool = False) -> int | None:
        """A descriptor of the folder `rel` ("" for the directory itself), reached component by
        component without following links; None when it does not exist (and not `create`).
        `made` collects the descriptors of folders in which a folder was created."""
        fd = self._fds.get(rel)
        if fd is not None:
            return fd
        if rel == "":
            try:
                fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                return None
            except NotADirectoryError:
                raise StoreError(f"{self.root} is not a directory") from None
            except OSError as e:
                raise StoreError(f"cannot open {self.root}: {e.strerror}") from e
        else:
            parent, _, name = rel.rpartition("/")
            parent_fd = self._folder_fd(parent, create=create, secret=secret, made=made, lockless_ok=lockless_ok)
            if parent_fd is None:
                return None
            try:
                fd = self._open_folder_at(parent_fd, name, rel)
            except FileNotFoundError:
                if not create:
                    return None
                secret_folder = secret or rel.split("/")[0] in (SECRETS_DIR, STATE_DIR)
                try:
                    os.mkdir(name, 0o700 if secret_folder else 0o755, dir_fd=parent_fd)
                except FileExistsError:
                    pass
                except OSError as e:
                    if lockless_ok and e.errno in _NO_WRITE:
                        raise _NoWriteAccess() from e
                    raise StoreError(f"cannot create {self.root / rel}: {e.strerror}") from e
                if made is not None:
                    made.append(parent_fd)
                fd = self._open_folder_at(parent_fd, name, rel)
        self._fds[rel] = fd
        return fd

    def _open_folder_at(self, parent_fd: int, name: str, rel: str) -> int:
        try:
            return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
        except FileNotFoundError:
            raise
        except NotADirectoryError:  # a link (with O_NOFOLLOW) or something else than a folder
            raise self._not_a(rel, parent_fd, name, "folder") from None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise self._symlink_error(rel) from e
            raise StoreError(f"cannot open {self.root / rel}: {e.strerror}") from e

    def _open_file(self, rel: str, *, what: str = "file") -> int | None:
        """A read descriptor of the regular file `rel`, or None when it does not exist."""
        folder, _, name = rel.rpartition("/")
        dfd = self._folder_fd(folder)
        if dfd is None:
            return None
        try:
            # O_NONBLOCK: a named pipe planted here must not hang the command.
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
        except FileNotFoundError:
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise self._symlink_error(rel) from e
            raise StoreError(f"cannot read {self.root / rel}: {e.strerror}") from e
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise StoreError(f"{self.root / rel} is {_what(mode)}, not {what}: move it away")
        return fd

    def _read_bytes(self, rel: str, *, what: str = "file") -> bytes | None:
        fd = self._open_file(rel, what=what)
        if fd is None:
            return None
        try:
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as e:
            raise StoreError(f"cannot read {self.root / rel}: {e.strerror}") from e
        finally:
            os.close(fd)

    def _read_text(self, rel: str, *, what: str = "a file") -> str | None:
        raw = self._read_bytes(rel, what=what)
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise StoreError(f"{self.root / rel}: damaged file: not UTF-8 text (byte {e.start})") from e

    def file_exists(self, rel: str) -> bool:
        """Whether the regular file `rel` exists (a link or a folder there is an error)."""
        folder, _, name = rel.rpartition("/")
        dfd = self._folder_fd(folder)
        if dfd is None:
            return False
        try:
            mode = os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return False
        except OSError as e:
            raise StoreError(f"cannot read {self.root / rel}: {e.strerror}") from e
        if stat.S_ISLNK(mode):
            raise self._symlink_error(rel)
        if not stat.S_ISREG(mode):
            raise StoreError(f"{self.root / rel} is {_what(mode)}, not a file: move it away")
        return True

    def list_folder(self, rel: str) -> list[str]:
        """The names in the folder `rel` (none when it does not exist); a link there is refused."""
        dfd = self._folder_fd(rel)
        if dfd is None:
            return []
        try:
            return os.listdir(dfd)
        except OSError as e:
            raise StoreError(f"cannot list {self.root / rel}: {e.strerror}") from e

    # -- reading files -----------------------------------------------------------------

    def read_toml(self, rel: str) -> tuple[dict[str, Any], str] | None:
        """Parse one file; None when it does not exist. Damage raises StoreError with path:line."""
        text = self._read_text(rel)
        if text is None:
            return None
        path = self.root / rel
        try:
            return tomllib.loads(text), text
        except tomllib.TOMLDecodeError as e:
            detail = str(e)
            if "at end of document" in detail:  # tomllib gives no line here: it is the last one
                detail = detail.replace("at end of document", f"at end of document, line {text.count(chr(10)) + 1}")
            raise StoreError(f"{path}: damaged file: {detail}") from e

    def decode(self, rel: str, cls: type, data: dict[str, Any], text: str) -> Any:
        try:
            return codec.from_dict(cls, data)
        except codec.DecodeError as e:
            line = codec.line_of(text, e.key)
            where = f"{self.root / rel}" + (f":{line}" if line else "")
            raise StoreError(f"{where}: damaged file: {e}") from e


class _Progress:
    """Whether a transaction under `Store._exclusive` committed."""

    done = False


class _NoWriteAccess(Exception):
    """The lock files cannot be created or opened for writing (read-only, no permission)."""


class _TargetError(Exception):
    """A committed change cannot be applied to one of its targets (see `_check_targets`)."""


_NO_WRITE = (errno.EACCES, errno.EROFS, errno.EPERM)


def _what(mode: int) -> str:
    """What a file-system entry is, in words: "a folder", "a named pipe", ..."""
    for test, words in ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return words
    return "not a regular file"


def lock_timeout() -> float:
    """IAMCTL_LOCK_TIMEOUT: seconds to wait for another process's lock (default 60)."""
    raw = os.environ.get("IAMCTL_LOCK_TIMEOUT")
    if raw is None or not raw.strip():
        return LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= 86400 * 365):
        raise InvalidInput(f"IAMCTL_LOCK_TIMEOUT={raw!r} is not a number of seconds from 0 to 31536000")
    return value


def _merged_gitignore(existing: str | None) -> str:
    """The directory's .gitignore with iamctl's lines: an existing file is kept and only the
    lines it lacks are added, so a repository's own rules survive `iamctl init`."""
    if existing is None:
        return GITIGNORE
    present = {line.strip() for line in existing.splitlines()}
    missing = [line for line in GITIGNORE.splitlines()[1:] if line not in present]
    if not missing:
        return existing
    head = existing if existing.endswith("\n") or not existing else existing + "\n"
    return head + GITIGNORE.splitlines()[0] + "\n" + "\n".join(missing) + "\n"


class Txn:
    """One transaction: reads see its own staged writes; nothing touches disk until commit.

    Entities are addressed by kind ("user", "group", ...) and name, case-insensitively, in
    the selected account (or another one, for cross-account reads).
    """

    def __init__(self, store: Store, *, writable: bool, account: str | None = None,
                 overlay: list[dict[str, Any]] | None = None, fresh: bool = False):
        self.store = store
        self.writable = writable
        # A read through a committed journal (see Store.read) sees its changes as staged ones.
        self._staged: dict[str, str | None] = {op["path"]: op["data"] for op in overlay or ()}
        self._secret_paths: set[str] = {op["path"] for op in overlay or () if op["secret"]}
        self._attempts: dict[str, str | None] = {}  # attempt records as staged, see put(attempt=True)
        self._cache: dict[str, Any] = {}
        self._folders: dict[str, set[str]] = {}  # folder -> keys, see _folder
        self._manifest: dict[str, Any] | None = None
        self._manifest_text = ""
        self._account_id = account if account else None
        if fresh:  # a new workspace: its manifest and .gitignore commit with the first change
            self._stage(".gitignore", _merged_gitignore(store._read_text(".gitignore")), secret=False)
            self._stage(MANIFEST, f"# iamctl account directory\nschema_version = {SCHEMA_VERSION}\n", secret=False)
        self._check_schema()
        if account == "":
            return  # workspace set-up: no account selected yet
        if self._account_id is None:
            self._account_id = store.selected_account or self.manifest().get("default_account")
        if not self._account_id:
            raise StoreError(f"{store.root} has no account yet (run `iamctl init`)")
        if not self.account_exists(self._account_id):
            raise NoSuchEntity(f"the account {self._account_id} does not exist in {store.root}")

    # -- workspace --------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        if self._manifest is None:
            if MANIFEST in self._staged:
                self._manifest = self._read_raw(MANIFEST) or {}
            else:
                found = self.store.read_toml(MANIFEST)
                self._manifest, self._manifest_text = found if found is not None else ({}, "")
        return self._manifest

    def _check_schema(self) -> None:
        manifest = self.manifest()
        version = manifest.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise StoreError(f"{self.store.root / MANIFEST}: damaged file: schema_version must be an integer")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.store.root} was written by a newer iamctl (schema version {version}; this "
                f"iamctl understands up to {SCHEMA_VERSION}): upgrade iamctl to use it"
            )
        if version < 1:
            raise StoreError(f"{self.store.root / MANIFEST}: damaged file: schema_version {version} is not valid")
        if MANIFEST not in self._staged:
            self.store.decode(MANIFEST, Manifest, manifest, self._manifest_text)

    @property
    def account_id(self) -> str:
        assert self._account_id is not None
        return self._account_id

    def account_ids(self) -> list[str]:
        """Every account in the workspace, sorted."""
        found = {
            name
            for name in self.store.list_folder("")
            if _ACCOUNT_ID.match(name) and self._file_exists(f"{name}/account.toml")
        }
        found |= {p.split("/")[0] for p, d in self._staged.items() if d and p.endswith("/account.toml")}
        return sorted(found)

    def account_exists(self, account_id: str) -> bool:
        rel = f"{account_id}/account.toml"
        return self._file_exists(rel)

    def _file_exists(self, rel: str) -> bool:
        if rel in self._staged:
            return self._staged[rel] is not None
        return self.store.file_exists(rel)

    def create_account(self, account_id: str) -> Account:
        """Add an account to the workspace; the first one becomes the default."""
        if not _ACCOUNT_ID.match(account_id):
            raise InvalidInput(f"account id {account_id!r} is not 12 digits")
        if self.account_exists(account_id):
            raise EntityAlreadyExists(f"the account {account_id} already exists")
        account = Account(account_id=account_id, created=clock.iso())
        self._account_id = account_id
        self.put_account(account)
        manifest = dict(self.manifest())
        if not manifest.get("default_account"):
            manifest["default_account"] = account_id
            self._manifest = manifest
            self._stage(MANIFEST, "# iamctl account directory\n" + _dumps(manifest), secret=False)
        return account

    def set_schema_version(self, version: int) -> None:
        """Stage the manifest's schema_version (the store's upgrade, upgrade.py)."""
        manifest = dict(self.manifest())
        manifest["schema_version"] = version
        self._manifest = manifest
        self._stage(MANIFEST, "# iamctl account directory\n" + _dumps(manifest), secret=False)

    def in_account(self, account_id: str) -> Txn:
        """A view of another account of the workspace sharing this transaction's staging."""
        if not self.account_exists(account_id):
            raise NoSuchEntity(f"the account {account_id} does not exist in {self.store.root}")
        view = Txn.__new__(Txn)
        view.__dict__.update(self.__dict__)
        view._account_id = account_id
        return view

    # -- the account ------------------------------------------------------------------

    @property
    def account(self) -> Account:
        rel = f"{self.account_id}/account.toml"
        if rel not in self._cache:
            found = self._read(rel, Account)
            if found is None:
                raise NoSuchEntity(f"the account {self.account_id} does not exist")
            self._cache[rel] = found
        return self._cache[rel]

    def put_account(self, account: Account) -> None:
        rel = f"{account.account_id}/account.toml"
        self._cache[rel] = account
        self._stage(rel, _dumps(codec.to_dict(account)), secret=False)

    # -- entities ---------------------------------------------------------------------

    def _rel(self, kind: Kind, name: str) -> str:
        key = file_key(name)
        if kind.workspace:  # one per directory, whichever account is selected (the organization)
            return f"{kind.folder}/{key}.toml"
        if kind.secret:
            return f"{SECRETS_DIR}/{self.account_id}/{kind.folder}/{key}.toml"
        return f"{self.account_id}/{kind.folder}/{key}.toml"

    # One overload per kind (KindName), so that `get("user", n)` is a `User | None` to a type
    # checker; for a kind held in a variable (of KindName or a part of it, e.g. EntityKind)
    # mypy unions the overloads' answers (`User | Group | Role | None`).
    @overload
    def get(self, kind: Literal["user"], name: str) -> User | None: ...
    @overload
    def get(self, kind: Literal["group"], name: str) -> Group | None: ...
    @overload
    def get(self, kind: Literal["role"], name: str) -> Role | None: ...
    @overload
    def get(self, kind: Literal["policy"], name: str) -> ManagedPolicy | None: ...
    @overload
    def get(self, kind: Literal["mfa"], name: str) -> MfaDevice | None: ...
    @overload
    def get(self, kind: Literal["instance-profile"], name: str) -> InstanceProfile | None: ...
    @overload
    def get(self, kind: Literal["access-key"], name: str) -> AccessKeyRecord | None: ...
    @overload
    def get(self, kind: Literal["aws-policy"], name: str) -> AwsPolicyUse | None: ...
    @overload
    def get(self, kind: Literal["session"], name: str) -> Session | None: ...
    @overload
    def get(self, kind: Literal["session-token"], name: str) -> SessionTokenIndex | None: ...
    @overload
    def get(self, kind: Literal["session-expiry"], name: str) -> SessionExpiry | None: ...
    @overload
    def get(self, kind: Literal["oidc-provider"], name: str) -> OidcProvider | None: ...
    @overload
    def get(self, kind: Literal["saml-provider"], name: str) -> SamlProvider | None: ...
    @overload
    def get(self, kind: Literal["password-attempts"], name: str) -> PasswordAttempts | None: ...
    @overload
    def get(self, kind: Literal["signin-decoy"], name: str) -> SignInDecoy | None: ...
    @overload
    def get(self, kind: Literal["organization"], name: str) -> Organization | None: ...
    @overload
    def get(self, kind: Literal["org-root"], name: str) -> OrgRoot | None: ...
    @overload
    def get(self, kind: Literal["org-ou"], name: str) -> OrgUnit | None: ...
    @overload
    def get(self, kind: Literal["org-account"], name: str) -> OrgAccount | None: ...
    @overload
    def get(self, kind: Literal["org-policy"], name: str) -> OrgPolicy | None: ...
    def get(self, kind: KindName, name: str) -> Record | None:
        """The entity of that kind and name (any case), or None."""
        k = KINDS[kind]
        try:
            rel = self._rel(k, name)
        except InvalidInput:
            return None  # a name that cannot be stored cannot exist
        if rel not in self._cache:
            self._cache[rel] = self._read(rel, k.cls)
        return self._cache[rel]

    @overload
    def require(self, kind: Literal["user"], name: str) -> User: ...
    @overload
    def require(self, kind: Literal["group"], name: str) -> Group: ...
    @overload
    def require(self, kind: Literal["role"], name: str) -> Role: ...
    @overload
    def require(self, kind: Literal["policy"], name: str) -> ManagedPolicy: ...
    @overload
    def require(self, kind: Literal["mfa"], name: str) -> MfaDevice: ...
    @overload
    def require(self, kind: Literal["instance-profile"], name: str) -> InstanceProfile: ...
    @overload
    def require(self, kind: Literal["access-key"], name: str) -> AccessKeyRecord: ...
    @overload
    def require(self, kind: Literal["aws-policy"], name: str) -> AwsPolicyUse: ...
    @overload
    def require(self, kind: Literal["session"], name: str) -> Session: ...
    @overload
    def require(self, kind: Literal["session-token"], name: str) -> SessionTokenIndex: ...
    @overload
    def require(self, kind: Literal["session-expiry"], name: str) -> SessionExpiry: ...
    @overload
    def require(self, kind: Literal["oidc-provider"], name: str) -> OidcProvider: ...
    @overload
    def require(self, kind: Literal["saml-provider"], name: str) -> SamlProvider: ...
    @overload
    def require(self, kind: Literal["password-attempts"], name: str) -> PasswordAttempts: ...
    @overload
    def require(self, kind: Literal["signin-decoy"], name: str) -> SignInDecoy: ...
    @overload
    def require(self, kind: Literal["organization"], name: str) -> Organization: ...
    @overload
    def require(self, kind: Literal["org-root"], name: str) -> OrgRoot: ...
    @overload
    def require(self, kind: Literal["org-ou"], name: str) -> OrgUnit: ...
    @overload
    def require(self, kind: Literal["org-account"], name: str) -> OrgAccount: ...
    @overload
    def require(self, kind: Literal["org-policy"], name: str) -> OrgPolicy: ...
    def require(self, kind: KindName, name: str) -> Record:
        """The entity, or NoSuchEntity with AWS's wording; ValidationError for a name outside
        AWS's alphabet, which no entity can have (as AWS's API refuses it, before any lookup)."""
        found = self.get(kind, name)
        if found is None:
            if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
                raise ValidationError(
                    f"1 validation error detected: Value {name!r} at '{KINDS[kind].title} name' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ (ASCII)")
            raise NoSuchEntity(f"The {KINDS[kind].title} with name {name} cannot be found.")
        return found

    def exists(self, kind: KindName, name: str) -> bool:
        k = KINDS[kind]
        try:
            rel = self._rel(k, name)
        except InvalidInput:
            return False
        if rel in self._cache:
            return self._cache[rel] is not None
        return self._file_exists(rel)

    def put(self, kind: KindName, obj: Record, *, attempt: bool = False) -> None:
        """Stage a create or update of an entity (its file is named by its key field).

        `attempt=True` makes it an attempt record: the record of a try that may be refused (a
        failure count, a lock, a spent MFA code). It is committed with the transaction, and
        also when the transaction ends in an exception, alone, as it was when staged: so an
        operation records the attempt, then raises its refusal, and the refusal cannot undo
        the record. Keep attempt state in files of its own (nothing else staged in that file
        should survive a failure)."""
        k = KINDS[kind]
        if not isinstance(obj, k.cls):
            raise TypeError(f"{kind} expects {k.cls.__name__}, got {type(obj).__name__}")
        rel = self._rel(k, getattr(obj, k.key_field))
        self._cache[rel] = obj
        self._stage(rel, _dumps(codec.to_dict(obj), literal=k.literal), secret=k.secret, attempt=attempt)

    def delete(self, kind: KindName, name: str, *, attempt: bool = False) -> None:
        """Stage the removal of an entity's file (`attempt`: as for `put`)."""
        k = KINDS[kind]
        rel = self._rel(k, name)
        self._cache[rel] = None
        self._stage(rel, None, secret=k.secret, attempt=attempt)

    def keys(self, kind: KindName) -> list[str]:
        """The lower-case file keys of every entity of a kind: a directory listing, no reads."""
        return sorted(self._folder(kind))

    def _folder(self, kind: KindName) -> set[str]:
        """The keys of a kind as this transaction sees them. The folder is listed once per
        transaction and then kept in step with staged writes, so that creating thousands of
        entities in one transaction (an import) does not list the folder thousands of times."""
        folder = self._rel(KINDS[kind], "x").rsplit("/", 1)[0]
        found = self._folders.get(folder)
        if found is None:
            found = {name[:-5] for name in self.store.list_folder(folder) if name.endswith(".toml")}
            prefix = folder + "/"
            for rel, data in self._staged.items():
                if rel.startswith(prefix) and "/" not in rel[len(prefix):]:
                    (found.add if data is not None else found.discard)(rel[len(prefix):-5])
            self._folders[folder] = found
        return found

    @overload
    def list(self, kind: Literal["user"]) -> list[User]: ...
    @overload
    def list(self, kind: Literal["group"]) -> list[Group]: ...
    @overload
    def list(self, kind: Literal["role"]) -> list[Role]: ...
    @overload
    def list(self, kind: Literal["policy"]) -> list[ManagedPolicy]: ...
    @overload
    def list(self, kind: Literal["mfa"]) -> list[MfaDevice]: ...
    @overload
    def list(self, kind: Literal["instance-profile"]) -> list[InstanceProfile]: ...
    @overload
    def list(self, kind: Literal["access-key"]) -> list[AccessKeyRecord]: ...
    @overload
    def list(self, kind: Literal["aws-policy"]) -> list[AwsPolicyUse]: ...
    @overload
    def list(self, kind: Literal["session"]) -> list[Session]: ...
    @overload
    def list(self, kind: Literal["session-token"]) -> list[SessionTokenIndex]: ...
    @overload
    def list(self, kind: Literal["session-expiry"]) -> list[SessionExpiry]: ...
    @overload
    def list(self, kind: Literal["oidc-provider"]) -> list[OidcProvider]: ...
    @overload
    def list(self, kind: Literal["saml-provider"]) -> list[SamlProvider]: ...
    @overload
    def list(self, kind: Literal["password-attempts"]) -> list[PasswordAttempts]: ...
    @overload
    def list(self, kind: Literal["signin-decoy"]) -> list[SignInDecoy]: ...
    @overload
    def list(self, kind: Literal["organization"]) -> list[Organization]: ...
    @overload
    def list(self, kind: Literal["org-root"]) -> list[OrgRoot]: ...
    @overload
    def list(self, kind: Literal["org-ou"]) -> list[OrgUnit]: ...
    @overload
    def list(self, kind: Literal["org-account"]) -> list[OrgAccount]: ...
    @overload
    def list(self, kind: Literal["org-policy"]) -> list[OrgPolicy]: ...
    def list(self, kind: KindName) -> list[Any]:  # list is invariant: Any lets each overload's list[X] stand
        """Every entity of a kind, sorted by name (reads each file)."""
        return [obj for key in self.keys(kind) if (obj := self.get(kind, key)) is not None]

    def count(self, kind: KindName) -> int:
        return len(self._folder(kind))

    # -- secrets ----------------------------------------------------------------------

    def _secret_rel(self, kind: KindName, name: str) -> str:
        return f"{SECRETS_DIR}/{self.account_id}/{KINDS[kind].folder}/{file_key(name)}.toml"

    def get_secret(self, kind: KindName, name: str) -> dict[str, Any] | None:
        """The secret record kept for an entity (hashes, seeds), or None."""
        rel = self._secret_rel(kind, name)
        if rel not in self._cache:
            self._cache[rel] = self._read_raw(rel, schema=SECRETS.get(kind))
        found = self._cache[rel]
        return dict(found) if found is not None else None

    def secret_keys(self, kind: KindName) -> builtins.list[str]:  # (`list` is a method here)
        """The file keys of a kind's secret records on disk (for `account check`)."""
        folder = self._secret_rel(kind, "x").rsplit("/", 1)[0]
        return sorted(name[:-5] for name in self.store.list_folder(folder) if name.endswith(".toml"))

    def path_of(self, kind: KindName, name: str, *, secret: bool = False) -> Path:
        """The file holding an entity (or, with `secret`, its secret record)."""
        return self.store.root / (self._secret_rel(kind, name) if secret else self._rel(KINDS[kind], name))

    def put_secret(self, kind: KindName, name: str, record: dict[str, Any], *, attempt: bool = False) -> None:
        """Stage an entity's secret record (`attempt`: an attempt record, as for `put`)."""
        rel = self._secret_rel(kind, name)
        self._cache[rel] = dict(record)
        self._stage(rel, _dumps(record), secret=True, attempt=attempt)

    def delete_secret(self, kind: KindName, name: str) -> None:
        rel = self._secret_rel(kind, name)
        self._cache[rel] = None
        self._stage(rel, None, secret=True)

    # -- staging and reading ----------------------------------------------------------

    def _stage(self, rel: str, data: str | None, *, secret: bool, attempt: bool = False) -> None:
        if not self.writable:
            raise RuntimeError("write attempted in a read-only transaction")
        self._staged[rel] = data
        if attempt:
            self._attempts[rel] = data
        if secret:
            self._secret_paths.add(rel)
        folder, _, name = rel.rpartition("/")
        listed = self._folders.get(folder)
        if listed is not None and name.endswith(".toml"):
            (listed.add if data is not None else listed.discard)(name[:-5])

    def _read_raw(self, rel: str, *, schema: type | None = None) -> dict[str, Any] | None:
        """A file as a plain table; checked against `schema` (a Record type) when read from disk."""
        if rel in self._staged:
            data = self._staged[rel]
            return None if data is None else tomllib.loads(data)
        found = self.store.read_toml(rel)
        if found is None:
            return None
        if schema is not None:
            self.store.decode(rel, schema, *found)
        return found[0]

    def _read(self, rel: str, cls: type) -> Any | None:
        if rel in self._staged:
            data = self._staged[rel]
            return None if data is None else codec.from_dict(cls, tomllib.loads(data))
        found = self.store.read_toml(rel)
        if found is None:
            return None
        return self.store.decode(rel, cls, *found)

    def commit(self) -> None:
        self._commit_only(self._staged)

    def commit_attempts(self) -> None:
        """Commit the attempt records alone (as staged), dropping every other change: what a
        transaction that failed keeps (see `put`)."""
        self._commit_only(self._attempts)

    def _commit_only(self, staged: dict[str, str | None]) -> None:
        ops = [
            {"path": rel, "data": data, "secret": rel in self._secret_paths}
            for rel, data in sorted(staged.items())
        ]
        self._staged = {}
        self._attempts = {}
        self.store._commit(ops)


def _dumps(data: dict[str, Any], *, literal: tuple[str, ...] = ()) -> str:
    """TOML text for a record. The top-level string fields named in `literal` (a Kind's, for
    documents such as an SCP's JSON) are written as multi-line literal strings, so the text reads
    as written, quotes unescaped, whenever TOML allows it."""
    import tomli_w  # lazy: only writers need it

    # A multi-line string keeps a carriage return only escaped: TOML readers turn a raw CR LF in
    # one into LF, so a record holding one is written with every string on one line.
    multiline = not _has_cr(data)
    texts = {k: data[k] for k in literal if _literal_ok(data.get(k))}
    if not texts:
        return tomli_w.dumps(data, multiline_strings=multiline)
    marks = {k: f"@iamctl-literal-{os.urandom(8).hex()}" for k in texts}
    out = tomli_w.dumps({**data, **marks}, multiline_strings=multiline)
    for key, mark in marks.items():
        out = out.replace(f'"{mark}"', "'''\n" + texts[key] + "'''", 1)
    return out


def _has_cr(value: Any) -> bool:
    if isinstance(value, str):
        return "\r" in value
    if isinstance(value, dict):
        return any(_has_cr(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cr(v) for v in value)
    return False


def _literal_ok(value: Any) -> bool:
    """Whether a string can be a TOML multi-line literal string: no `'''`, no control
    characters but tab and line feed, and not ending in a quote (which would touch the closing
    delimiter)."""
    return (isinstance(value, str) and "'''" not in value and not value.endswith("'")
            and not any(c < " " and c not in "\t\n" or c == "\x7f" for c in value))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _write_at(tmp_fd: int, folder_fd: int, name: str, text: str, mode: int, *, sync: bool = False) -> None:
    """Write a file whole: a private temporary file in `.iamctl/tmp/`, renamed over `name` in
    the folder `folder_fd` (never through a link: both ends are descriptors)."""
    tmp = f"{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=tmp_fd)
    try:
        try:
            _write_all(fd, text.encode("utf-8"))
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=tmp_fd, dst_dir_fd=folder_fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=tmp_fd)
