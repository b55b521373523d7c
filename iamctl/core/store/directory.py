"""The account directory: one TOML file per entity, a lock, and a write-ahead journal.

Layout of a directory (a "workspace" that can hold several AWS accounts)::

    iamctl.toml                       schema_version, default account
    .gitignore                        keeps secrets/ and .iamctl/ out of git
    <account-id>/account.toml         id, alias, quotas, password policy
    <account-id>/users/<name>.toml    one file per entity (users, groups, roles, policies, ...)
    secrets/<account-id>/<kind>/...   password hashes, key hashes, MFA seeds (0700 / 0600)
    .iamctl/lock                      flock: writers exclusive, readers shared
    .iamctl/journal                   a committed transaction not yet fully applied
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
journal (writing whole files, so replay is idempotent). Readers take a shared lock, so they
never see a transaction half-applied.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from iamctl.core.base import clock
from iamctl.core.base.errors import EntityAlreadyExists, InvalidInput, NoSuchEntity, StoreError, StoreLocked
from iamctl.core.store import codec
from iamctl.core.store.records import KINDS, SCHEMA_VERSION, Account, Kind, KindName

if TYPE_CHECKING:
    from iamctl.core.store.records import (
        AccessKeyRecord,
        AwsPolicyUse,
        Group,
        InstanceProfile,
        ManagedPolicy,
        MfaDevice,
        OidcProvider,
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

# The characters AWS allows in IAM names (plus lower-case only, since keys are lowered).
_SAFE_KEY = re.compile(r"^[a-z0-9+=,.@_-]{1,128}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
LOCK_TIMEOUT = float(os.environ.get("IAMCTL_LOCK_TIMEOUT", "60"))


def default_directory() -> Path:
    """`$IAMCTL_DIR`, else `$XDG_DATA_HOME/iamctl`, else `~/.local/share/iamctl`."""
    env = os.environ.get("IAMCTL_DIR")
    if env:
        return Path(env)
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "iamctl"


def file_key(name: str) -> str:
    """The file-name stem for an entity name: lower case, from a safe alphabet only."""
    key = name.lower()
    if not _SAFE_KEY.match(key):
        raise InvalidInput(f"the name {name!r} contains characters that cannot be stored")
    return key


def new_account_id() -> str:
    """A random 12-digit AWS account id (never starting with 0, as AWS's do not in practice)."""
    import secrets  # lazy: start-up

    return str(secrets.choice(range(1, 10))) + "".join(secrets.choice("0123456789") for _ in range(11))


class Store:
    """An account directory on disk. Use `Store(path).read()` / `.write()` for transactions."""

    def __init__(self, root: Path | str, account: str | None = None):
        self.root = Path(root)
        self.selected_account = account
        self._state = self.root / STATE_DIR

    # -- opening -----------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.root / MANIFEST).is_file()

    def init(self, account_id: str | None = None) -> tuple[str, bool]:
        """Create the workspace (if needed) and an account in it; return (id, created?).

        With no id, the default account is created when the workspace has none.
        """
        if account_id is not None and not _ACCOUNT_ID.match(account_id):
            raise InvalidInput(f"account id {account_id!r} is not 12 digits")
        self._ensure_workspace()
        with self._locked(exclusive=True):
            self._recover()
            self._upgrade()
            txn = Txn(self, writable=True, account="")
            if account_id is None:
                account_id = txn.manifest().get("default_account") or new_account_id()
            if txn.account_exists(account_id):
                return account_id, False
            txn.create_account(account_id)
            txn.commit()
            return account_id, True

    def _ensure_workspace(self) -> None:
        """Create the directory, manifest and .gitignore for a brand-new workspace."""
        if self.exists():
            return
        root = self.root
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
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._state.mkdir(mode=0o700, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the account directory {root}: {e.strerror}") from e
        with self._locked(exclusive=True):
            if self.exists():
                return
            tmp = self._state / "tmp"
            tmp.mkdir(mode=0o700, exist_ok=True)
            _atomic_write(tmp, root / ".gitignore", GITIGNORE, 0o644)
            manifest = f"# iamctl account directory\nschema_version = {SCHEMA_VERSION}\n"
            _atomic_write(tmp, root / MANIFEST, manifest, 0o644)

    def _open_checks(self, *, create: bool) -> None:
        if not self.exists():
            if not create:
                raise StoreError(f"{self.root} is not an iamctl account directory (run `iamctl init`)")
            self.init(self.selected_account)

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def read(self, *, create: bool = True) -> Iterator[Txn]:
        """A read-only view under a shared lock. Creates the account on first use."""
        self._open_checks(create=create)
        while True:
            with self._locked(exclusive=False):
                # Under the shared lock no writer is mid-commit, so a journal here was left
                # by a writer that died: finishing it needs the exclusive lock.
                if not (self._state / "journal").exists():
                    yield Txn(self, writable=False)
                    return
            with self._locked(exclusive=True):
                self._recover()

    @contextmanager
    def write(self, *, create: bool = True) -> Iterator[Txn]:
        """A transaction under the exclusive lock: committed if the block ends normally.

        If the block raises, only its attempt records (writes staged with ``attempt=True``) are
        committed, and then the exception goes on: an operation that must record a failed
        attempt before refusing (a wrong password, a wrong MFA code) stages the record and
        raises its refusal, and both happen in that order."""
        self._open_checks(create=create)
        with self._locked(exclusive=True):
            self._recover()
            self._upgrade()
            txn = Txn(self, writable=True)
            try:
                yield txn
            except BaseException:
                txn.commit_attempts()  # record the attempt, then refuse: see Txn.put(attempt=True)
                raise
            txn.commit()

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        """Writers hold `lock` exclusively, readers share it. Everyone passes through the
        `turnstile` first, so a waiting writer is not starved by a stream of readers."""
        self._check_not_symlink(self._state)
        try:
            self._state.mkdir(mode=0o700, exist_ok=True)
            turnstile = os.open(self._state / "turnstile", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM) and not exclusive:
                # A read-only directory can still be read, without a lock.
                yield
                return
            raise StoreError(f"cannot open the lock file in {self._state}: {e.strerror}") from e
        try:
            lock = os.open(self._state / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as e:
            os.close(turnstile)
            raise StoreError(f"cannot open the lock file in {self._state}: {e.strerror}") from e
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            self._flock(turnstile, fcntl.LOCK_EX, deadline)
            try:
                self._flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, deadline)
            finally:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
            yield
        finally:
            os.close(lock)  # closing releases the lock
            os.close(turnstile)

    def _flock(self, fd: int, mode: int, deadline: float) -> None:
        delay = 0.0005
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreLocked(
                        f"{self.root} is locked by another iamctl process "
                        f"(waited {LOCK_TIMEOUT:g} s; set IAMCTL_LOCK_TIMEOUT to wait longer)"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.02)

    # -- the journal -------------------------------------------------------------------

    def _recover(self) -> None:
        """Finish a committed transaction a killed process left behind; drop uncommitted ones."""
        journal = self._state / "journal"
        pending = self._state / "journal.tmp"
        if pending.exists():
            pending.unlink()
        tmp = self._state / "tmp"
        self._check_not_symlink(tmp)  # else emptying it would delete files wherever it points
        if tmp.is_dir():
            for leftover in tmp.iterdir():
                leftover.unlink()
        if journal.exists():
            try:
                ops = json.loads(journal.read_text(encoding="utf-8"))["ops"]
            except (ValueError, KeyError) as e:
                raise StoreError(f"{journal} is damaged ({e}); the last transaction cannot be finished") from e
            try:
                self._apply(ops)
                journal.unlink()
                _fsync_dir(self._state)
            except OSError as e:
                raise StoreError(f"cannot finish the last transaction in {self.root}: {e.strerror}") from e

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
        for op in ops:
            self._check_path(op["path"])
        tmp = self._state / "tmp"
        pending = self._state / "journal.tmp"
        payload = json.dumps({"schema_version": SCHEMA_VERSION, "ops": ops})
        try:
            tmp.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                _write_all(fd, payload.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(pending, self._state / "journal")  # the commit point
            _fsync_dir(self._state)
        except OSError as e:  # a full disk, a read-only or failing file system: nothing changed
            if e.errno != errno.ELOOP:
                pending.unlink(missing_ok=True)
            raise StoreError(f"cannot write to {self.root}: {e.strerror}; nothing was changed") from e
        try:
            self._apply(ops)
            (self._state / "journal").unlink()
            _fsync_dir(self._state)
        except OSError as e:
            raise StoreError(f"cannot write to {self.root}: {e.strerror}; the change is committed and the next "
                             "command that can write there will finish it") from e

    def _apply(self, ops: list[dict[str, Any]]) -> None:
        tmp = self._state / "tmp"
        self._check_not_symlink(tmp)
        tmp.mkdir(mode=0o700, exist_ok=True)
        touched: set[Path] = set()
        for op in ops:
            target = self.root / op["path"]
            self._check_path(op["path"])
            if op["data"] is None:
                try:
                    target.unlink()
                except FileNotFoundError:
                    continue
            else:
                # A folder made here must be durable in its parent too, or a power cut loses
                # it, and the files in it, after the journal is gone.
                touched.update(made.parent for made in self._make_parents(target.parent, secret=op["secret"]))
                _atomic_write(tmp, target, op["data"], 0o600 if op["secret"] else 0o644, sync=False)
            touched.add(target.parent)
        # The journal holds the data until every file is on disk; only then may it go.
        if len(touched) > 8 or len(ops) > 64:
            os.sync()
        else:
            for op in ops:
                if op["data"] is not None:
                    _fsync_file(self.root / op["path"])
            for folder in touched:
                _fsync_dir(folder)

    def _make_parents(self, folder: Path, *, secret: bool) -> list[Path]:
        """Create the missing folders down to `folder`; return those it created."""
        if folder.is_dir():
            return []
        made = []
        rel = folder.relative_to(self.root)
        current = self.root
        for part in rel.parts:
            current = current / part
            if not current.exists():
                current.mkdir(mode=0o700 if secret or part == SECRETS_DIR else 0o755)
                made.append(current)
        return made

    def _check_path(self, rel: str) -> None:
        """Refuse to write through a symbolic link planted anywhere under the directory."""
        parts = Path(rel).parts
        if not parts or any(p in ("", ".", "..") for p in parts) or os.path.isabs(rel):
            raise StoreError(f"refusing to write outside the account directory: {rel!r}")
        current = self.root
        for part in parts:
            current = current / part
            self._check_not_symlink(current)

    def _check_not_symlink(self, path: Path) -> None:
        if path.is_symlink():
            raise StoreError(
                f"{path} is a symbolic link; iamctl does not follow links inside an account directory "
                "(remove it, or restore the file it replaced)"
            )

    # -- reading files -----------------------------------------------------------------

    def read_toml(self, rel: str) -> tuple[dict[str, Any], str] | None:
        """Parse one file; None when it does not exist. Damage raises StoreError with path:line."""
        path = self.root / rel
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                self._check_not_symlink(path)
            raise StoreError(f"cannot read {path}: {e.strerror}") from e
        with os.fdopen(fd, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8")
            return tomllib.loads(text), text
        except UnicodeDecodeError as e:
            raise StoreError(f"{path}: damaged file: not UTF-8 text (byte {e.start})") from e
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


class Txn:
    """One transaction: reads see its own staged writes; nothing touches disk until commit.

    Entities are addressed by kind ("user", "group", ...) and name, case-insensitively, in
    the selected account (or another one, for cross-account reads).
    """

    def __init__(self, store: Store, *, writable: bool, account: str | None = None):
        self.store = store
        self.writable = writable
        self._staged: dict[str, str | None] = {}
        self._attempts: dict[str, str | None] = {}  # attempt records as staged, see put(attempt=True)
        self._secret_paths: set[str] = set()
        self._cache: dict[str, Any] = {}
        self._folders: dict[str, set[str]] = {}  # folder -> keys, see _folder
        self._manifest: dict[str, Any] | None = None
        self._account_id = account if account else None
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
            self._manifest = self._read_raw(MANIFEST) or {}
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

    @property
    def account_id(self) -> str:
        assert self._account_id is not None
        return self._account_id

    def account_ids(self) -> list[str]:
        """Every account in the workspace, sorted."""
        found = {
            p.name
            for p in self.store.root.iterdir()
            if _ACCOUNT_ID.match(p.name) and (p / "account.toml").is_file()
        }
        found |= {p.split("/")[0] for p, d in self._staged.items() if d and p.endswith("/account.toml")}
        return sorted(found)

    def account_exists(self, account_id: str) -> bool:
        rel = f"{account_id}/account.toml"
        if rel in self._staged:
            return self._staged[rel] is not None
        return (self.store.root / rel).is_file()

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
    def require(self, kind: KindName, name: str) -> Record:
        """The entity, or NoSuchEntity with AWS's wording."""
        found = self.get(kind, name)
        if found is None:
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
        if rel in self._staged:
            return self._staged[rel] is not None
        return (self.store.root / rel).is_file()

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
        self._stage(rel, _dumps(codec.to_dict(obj)), secret=k.secret, attempt=attempt)

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
            found = set()
            path = self.store.root / folder
            if path.is_dir():
                self.store._check_not_symlink(path)
                with os.scandir(path) as entries:
                    found = {e.name[:-5] for e in entries if e.name.endswith(".toml")}
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
            self._cache[rel] = self._read_raw(rel)
        found = self._cache[rel]
        return dict(found) if found is not None else None

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

    def _read_raw(self, rel: str) -> dict[str, Any] | None:
        if rel in self._staged:
            data = self._staged[rel]
            return None if data is None else tomllib.loads(data)
        found = self.store.read_toml(rel)
        return None if found is None else found[0]

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


def _dumps(data: dict[str, Any]) -> str:
    import tomli_w  # lazy: only writers need it

    return tomli_w.dumps(data, multiline_strings=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _atomic_write(tmp_dir: Path, target: Path, text: str, mode: int, *, sync: bool = True) -> None:
    """Write a file whole: a private temporary file renamed over the target (never followed)."""
    tmp = tmp_dir / f"{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        try:
            _write_all(fd, text.encode("utf-8"))
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
