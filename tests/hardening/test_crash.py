"""Crash safety of real commands: SIGKILL at random instants, and a simulated power cut.

Every mutating command is one store transaction, so whatever instant it dies at, the next
command must find the directory whole (`account check` passes) and in exactly the state before
the command or the state after it. "After" is known exactly: the same command, with the same
pinned clock and the same random draws (see support._determinise), is first run to completion on
a copy of the directory. A kill that left the state "before" is retried at another instant.

Sizes: 100 kills in CI; the slow test runs 500 with IAMCTL_STRESS=full
(`IAMCTL_STRESS=full python -m pytest tests/hardening/test_crash.py -s`).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from . import support
from .support import ACCOUNT, Forked, dump, run

TRUST_ACCOUNT = "111122223333"
POLICY_DOC = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def _codes(seed: str) -> tuple[str, str]:
    """Two consecutive codes of a device at the pinned clock (the later one is current)."""
    import pyotp

    from iamctl.core.base import clock

    now = clock.parse_instant(support.NOW)
    totp = pyotp.TOTP(seed)
    return totp.at(now - 30), totp.at(now)


def _setup(root: Path, files: Path) -> None:
    assert run(root, "init", "--account-id", ACCOUNT).code == 0
    (files / "doc.json").write_text(POLICY_DOC)
    for args in (["group", "create", "staff"], ["group", "create", "ops"],
                 ["policy", "create", "reader", "--document", str(files / "doc.json")]):
        result = run(root, *args)
        assert result.code == 0, result.stderr


def _steps(n: int, files: Path):
    """The commands of cycle n: build up a user with everything (password, keys, groups,
    policies, an enabled MFA device) and a role, then delete both with --force."""
    user, role, policy = f"u{n}", f"r{n}", f"arn:aws:iam::{ACCOUNT}:policy/reader"
    doc = str(files / "doc.json")
    yield ["user", "create", user, "--tag", f"cycle={n}", "--tag", "team=a"], ""
    yield ["user", "set-password", user, "--password-stdin"], "Crash-test-pw-1!\n"
    yield ["user", "create-access-key", user], ""
    yield ["user", "create-access-key", user], ""
    yield ["group", "add-user", "staff", user], ""
    yield ["group", "add-user", "ops", user], ""
    yield ["user", "attach-policy", user, policy], ""
    yield ["user", "put-policy", user, "inline", "--document", doc], ""
    yield ["mfa", "create", f"{user}-dev", "--seed-file", "SEEDFILE"], ""
    yield ["mfa", "enable", "--user", user, "--serial", f"{user}-dev", "--code1", "C1", "--code2", "C2"], ""
    yield ["role", "create", role, "--trust-account", TRUST_ACCOUNT], ""
    yield ["role", "attach-policy", role, policy], ""
    yield ["role", "put-policy", role, "inline", "--document", doc], ""
    yield ["user", "delete", user, "--force"], ""
    yield ["role", "delete", role, "--force"], ""


def _fill(args: list[str], files: Path, attempt: str) -> list[str]:
    """Give each run its own new seed file; put the device's current codes in."""
    out = []
    for a in args:
        if a == "SEEDFILE":
            a = str(files / f"seed-{attempt}")
        out.append(a)
    if "enable" in args:
        seed_file = max(files.glob("seed-ref-*"), key=os.path.getmtime)
        c1, c2 = _codes(seed_file.read_text().strip())
        out = [c1 if a == "C1" else c2 if a == "C2" else a for a in out]
    return out


def test_sigkill_during_mutating_commands_leaves_the_state_before_or_after(tmp_path):
    """SIGKILL at random instants of real commands, multi-file ones included (`user delete
    --force` of a user with a password, 2 keys, 2 groups, a managed and an inline policy and an
    enabled MFA device; `role delete --force`): after each kill the directory opens, `account
    check` passes and it holds exactly the state before or after the command."""
    _kill_commands(tmp_path, 100)


def _kill_commands(tmp_path: Path, kills: int) -> None:
    support.preload()
    root, ref, files = tmp_path / "acct", tmp_path / "ref", tmp_path / "files"
    files.mkdir()
    _setup(root, files)
    rng = random.Random(20260115)
    stats = {"before": 0, "after": 0, "mid_commit": 0, "commands": 0}
    cycle, seed = 0, 0
    started = time.monotonic()
    while stats["before"] + stats["after"] < kills:
        for args, stdin in list(_steps(cycle, files)):
            if stats["before"] + stats["after"] >= kills:
                break  # the kills are spent: stop here, whatever state this cycle is in
            seed += 1
            before = dump(root)
            shutil.rmtree(ref, ignore_errors=True)
            shutil.copytree(root, ref, symlinks=True)
            reference = Forked(ref, _fill(args, files, f"ref-{seed}"), input=stdin, seed=seed)
            result = reference.wait()
            assert result.code == 0, (args, result.stderr)
            duration = reference.ended - reference.started
            after = dump(ref)
            assert after != before, args
            stats["commands"] += 1
            for attempt in range(6):
                if stats["before"] + stats["after"] >= kills:
                    break
                victim = Forked(root, _fill(args, files, f"{seed}-{attempt}"), input=stdin, seed=seed)
                # Half the kills anywhere in the run, half in its last part, where it commits.
                low = 0.0 if attempt % 2 == 0 else duration * 0.6
                time.sleep(rng.uniform(low, duration * 1.2))
                victim.kill()
                victim.wait()
                if (root / ".iamctl" / "journal").exists():
                    stats["mid_commit"] += 1
                check = run(root, "account", "check")
                assert check.code == 0, (args, check.stdout, check.stderr)
                now = dump(root)
                assert not (root / ".iamctl" / "journal").exists()
                assert not any((root / ".iamctl" / "tmp").iterdir())
                if now == after:
                    stats["after"] += 1
                    break
                assert now == before, f"{args}: neither before nor after: {support.diff(now, after)}"
                stats["before"] += 1
            else:
                # Killed early every time: finish the command so the cycle can go on.
                finish = Forked(root, _fill(args, files, f"{seed}-done"), input=stdin, seed=seed).wait()
                assert finish.code == 0, finish.stderr
                assert dump(root) == after
        cycle += 1
    elapsed = time.monotonic() - started
    print(f"\ncrash: {kills} SIGKILLs over {stats['commands']} commands ({cycle} cycles) in {elapsed:.1f} s: "
          f"{stats['after']} left the state after, {stats['before']} before, "
          f"{stats['mid_commit']} landed inside a commit (journal on disk)")
    assert stats["after"] > 0 and stats["before"] > 0


@pytest.mark.slow
@pytest.mark.skipif(not support.FULL, reason="500 kills: run with IAMCTL_STRESS=full")
def test_500_sigkills_during_mutating_commands(tmp_path):
    """The full run of the kill test: 500 SIGKILLs."""
    _kill_commands(tmp_path, 500)


# -- power cut ----------------------------------------------------------------------------------
#
# A power cut loses whatever the kernel had not yet made durable. The model below follows POSIX,
# pessimistically: a file's data is durable once fsync(file) returned; a change to a folder's
# entries (create, rename in or out, unlink, mkdir) is durable once fsync(folder) returned; sync()
# makes everything durable. Anything else may or may not have reached the disk: the pessimistic
# variant drops all of it, the random variants keep each un-synced piece (a folder entry change,
# a file's data or a prefix of it) by a coin toss. The command runs for real, with the os calls it
# makes under the directory recorded; the disk after a cut at operation k is then rebuilt from
# the state before and the first k operations, written to a new folder, and opened.


class _Recorder:
    """Records the os-level operations a command makes under `root` (the calls still happen).

    The store reaches its files through folder descriptors (`openat`, `renameat`, `unlinkat`,
    `mkdirat`): an operation relative to a folder descriptor opened under `root` is recorded
    with the full path it acted on."""

    NAMES = ("open", "write", "fsync", "close", "replace", "rename", "unlink", "mkdir", "rmdir", "sync")

    def __init__(self, root: Path):
        self.root = str(root)
        self.ops: list[tuple] = []
        self.fds: set[int] = set()
        self.folders: dict[int, str] = {}  # descriptor of a folder under root -> its path

    def _mine(self, path) -> bool:
        return path is not None and (path == self.root or path.startswith(self.root + "/"))

    def _full(self, path, dir_fd) -> str | None:
        p = os.fspath(path)
        if dir_fd is None:
            return os.path.abspath(p)
        if dir_fd in self.folders:
            return os.path.join(self.folders[dir_fd], p)
        return None

    def __enter__(self):
        real = self.real = {name: getattr(os, name) for name in self.NAMES}

        def open_(path, flags, mode=0o777, *, dir_fd=None):
            full = self._full(path, dir_fd)
            existed = full is not None and os.path.lexists(full)
            fd = real["open"](path, flags, mode, dir_fd=dir_fd)
            if self._mine(full):
                self.fds.add(fd)
                if flags & os.O_DIRECTORY:
                    self.folders[fd] = full
                self.ops.append(("open", full, fd, flags, existed))
            return fd

        def write(fd, data):
            n = real["write"](fd, data)
            if fd in self.fds:
                self.ops.append(("write", fd, bytes(data[:n])))
            return n

        def fsync(fd):
            real["fsync"](fd)
            if fd in self.fds:
                self.ops.append(("fsync", fd))

        def close(fd):
            real["close"](fd)
            if fd in self.fds:
                self.fds.discard(fd)
                self.folders.pop(fd, None)
                self.ops.append(("close", fd))

        def replace(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
            real["replace"](src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)
            full_dst = self._full(dst, dst_dir_fd)
            if self._mine(full_dst):
                self.ops.append(("replace", self._full(src, src_dir_fd), full_dst))

        def rename(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
            real["rename"](src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)
            full_dst = self._full(dst, dst_dir_fd)
            if self._mine(full_dst):
                self.ops.append(("replace", self._full(src, src_dir_fd), full_dst))

        def unlink(path, *, dir_fd=None):
            real["unlink"](path, dir_fd=dir_fd)
            full = self._full(path, dir_fd)
            if self._mine(full):
                self.ops.append(("unlink", full))

        def mkdir(path, mode=0o777, *, dir_fd=None):
            real["mkdir"](path, mode, dir_fd=dir_fd)
            full = self._full(path, dir_fd)
            if self._mine(full):
                self.ops.append(("mkdir", full))

        def rmdir(path, *, dir_fd=None):
            real["rmdir"](path, dir_fd=dir_fd)
            full = self._full(path, dir_fd)
            if self._mine(full):
                self.ops.append(("unlink", full))

        def sync():
            real["sync"]()
            self.ops.append(("sync",))

        for name, fn in {"open": open_, "write": write, "fsync": fsync, "close": close, "replace": replace,
                         "rename": rename, "unlink": unlink, "mkdir": mkdir, "rmdir": rmdir, "sync": sync}.items():
            setattr(os, name, fn)
        return self

    def __exit__(self, *exc):
        for name, fn in self.real.items():
            setattr(os, name, fn)


class _Disk:
    """The durable and the volatile state of the files under a root, as operations apply."""

    def __init__(self, root: Path):
        self.root = str(root)
        self.data_vol: dict[int, bytes] = {}
        self.data_dur: dict[int, bytes] = {}
        self.vol: dict[str, int | str] = {}  # path -> inode number, or "DIR"
        self.dur: dict[str, int | str] = {}
        self.pending: dict[str, list[tuple[str, int | str | None]]] = {}  # folder -> entry changes
        self.fds: dict[int, tuple[str, int | str | None]] = {}
        self.next = 0
        self.vol[self.root] = self.dur[self.root] = "DIR"
        for path in sorted(Path(root).rglob("*")):
            p = str(path)
            if path.is_dir():
                self.vol[p] = self.dur[p] = "DIR"
            else:
                ino = self._inode(path.read_bytes())
                self.vol[p] = self.dur[p] = ino
                self.data_dur[ino] = self.data_vol[ino]

    def _inode(self, data: bytes) -> int:
        self.next += 1
        self.data_vol[self.next] = data
        self.data_dur[self.next] = b""
        return self.next

    def _entry(self, path: str, value: int | str | None) -> None:
        if value is None:
            self.vol.pop(path, None)
        else:
            self.vol[path] = value
        self.pending.setdefault(os.path.dirname(path), []).append((path, value))

    def apply(self, op: tuple) -> None:
        kind = op[0]
        if kind == "open":
            _, path, fd, flags, existed = op
            if flags & os.O_CREAT and not existed:
                self._entry(path, self._inode(b""))
            ino = self.vol.get(path)
            if flags & os.O_TRUNC and isinstance(ino, int):
                self.data_vol[ino] = b""
            self.fds[fd] = (path, ino)
        elif kind == "write":
            _, fd, data = op
            ino = self.fds[fd][1]
            self.data_vol[ino] += data
        elif kind == "fsync":
            path, ino = self.fds[op[1]]
            if ino == "DIR":
                for entry, value in self.pending.pop(path, []):
                    if value is None:
                        self.dur.pop(entry, None)
                    else:
                        self.dur[entry] = value
            else:
                self.data_dur[ino] = self.data_vol[ino]
        elif kind == "close":
            self.fds.pop(op[1], None)
        elif kind == "replace":
            _, src, dst = op
            ino = self.vol[src]
            self._entry(src, None)
            self._entry(dst, ino)
        elif kind == "unlink":
            self._entry(op[1], None)
        elif kind == "mkdir":
            self._entry(op[1], "DIR")
        elif kind == "sync":
            self.dur = dict(self.vol)
            self.data_dur = dict(self.data_vol)
            self.pending = {}

    def crash(self, rng: random.Random | None) -> dict[str, bytes | None]:
        """The files found after the power comes back: path -> bytes (None for a folder)."""
        entries = dict(self.dur)
        data = dict(self.data_dur)
        if rng is not None:  # each un-synced change may have reached the disk after all
            for changes in self.pending.values():
                for entry, value in changes:
                    if rng.random() < 0.5:
                        if value is None:
                            entries.pop(entry, None)
                        else:
                            entries[entry] = value
            for ino, vol in self.data_vol.items():
                if vol != data.get(ino) and rng.random() < 0.5:
                    data[ino] = vol[: rng.randint(0, len(vol))] if rng.random() < 0.5 else vol
        found: dict[str, bytes | None] = {}
        for path, value in entries.items():
            if path == self.root:
                continue
            parent = os.path.dirname(path)
            reachable = True
            while parent != self.root:
                if entries.get(parent) != "DIR":
                    reachable = False
                    break
                parent = os.path.dirname(parent)
            if reachable:
                found[os.path.relpath(path, self.root)] = None if value == "DIR" else data[value]
        return found


def _materialise(files: dict[str, bytes | None], target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    for rel, content in sorted(files.items()):
        path = target / rel
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            if rel.startswith("secrets/"):
                path.chmod(0o600)


def _power_cut_states(tmp_path: Path, root: Path, args: list[str], stdin: str, *, variants: int,
                      rng: random.Random) -> int:
    """Run `args` recording its operations, then check every cut point; return the number checked."""
    before = dump(root)
    disk = _Disk(root)
    with _Recorder(root) as recorder:
        result = run(root, *args, input=stdin)
    assert result.code == 0, (args, result.stderr)
    after = dump(root)
    crashed = tmp_path / "crashed"
    checked = 0
    for k in range(len(recorder.ops) + 1):
        if k:
            disk.apply(recorder.ops[k - 1])
        for variant in range(variants + 1):
            _materialise(disk.crash(rng if variant else None), crashed)
            check = run(crashed, "account", "check")
            assert check.code == 0, (args, k, recorder.ops[max(k - 1, 0)], check.stdout, check.stderr)
            now = dump(crashed)
            assert now in (before, after), (
                f"{args}: power cut after operation {k} of {len(recorder.ops)} ({recorder.ops[k - 1][:2]}), "
                f"variant {variant}: neither before nor after: "
                f"vs before: {support.diff(now, before)}; vs after: {support.diff(now, after)}")
            checked += 1
    return checked


def test_power_cut_at_every_operation_leaves_the_state_before_or_after(tmp_path):
    """A simulated power cut after each file operation of multi-file commands (a first MFA
    device and role, which create folders; a user with everything deleted with --force):
    recovery gives the state before or after, whatever un-synced data was lost or kept."""
    support.preload()
    root, files = tmp_path / "acct", tmp_path / "files"
    files.mkdir()
    _setup(root, files)
    rng = random.Random(7)
    variants = support.scale(1, 5)
    checked = 0
    started = time.monotonic()
    for seed, (args, stdin) in enumerate(_steps(0, files)):
        args = _fill(args, files, f"ref-{seed}")
        # CI: the first secret of a user and the first MFA device (both make new folders) and the
        # multi-file delete; IAMCTL_STRESS=full: every command of the cycle, 5 random variants.
        if args[:2] in (["user", "set-password"], ["mfa", "create"], ["user", "delete"]) or support.FULL:
            checked += _power_cut_states(tmp_path, root, args, stdin, variants=variants, rng=rng)
        else:
            result = run(root, *args, input=stdin)
            assert result.code == 0, (args, result.stderr)
    print(f"\npower cut: {checked} crash states checked in {time.monotonic() - started:.1f} s")


# -- the credentials file of an import ------------------------------------------------------------


def test_kill_9_during_an_import_leaves_nothing_at_the_credentials_file_until_it_is_complete(tmp_path):
    """Issue 19.12: `kill -9` during `user import --credentials-out F` left an empty F, which
    blocked the re-run ("already exists"). As the README promises, nothing is at F until the
    credentials are complete: after any kill F is absent or whole, and running the import again
    works."""
    root, files = tmp_path / "acct", tmp_path / "files"
    files.mkdir()
    assert run(root, "init", "--account-id", ACCOUNT).code == 0
    rows = "".join(f"hire{i},/,,,,,generate,,yes,\n" for i in range(3))
    (files / "hires.csv").write_text("name,path,groups,tags,policies,boundary,password,require_reset,access_key,mfa\n"
                                     + rows)
    support.preload()
    rng = random.Random(19_12)
    kills = support.scale(20, 100)
    outcomes = {"nothing yet": 0, "file complete": 0, "committed, file not yet linked": 0}
    for k in range(kills):
        out = files / f"creds{k}.csv"
        args = ["user", "import", str(files / "hires.csv"), "--credentials-out", str(out)]
        run_ = Forked(root, args)
        time.sleep(rng.uniform(0, 0.35))
        run_.kill()
        run_.wait()
        created = run(root, "user", "list", "-o", "json").json()["Users"]
        if out.exists():
            lines = out.read_text().splitlines()
            assert len(lines) == 4 and all(line.count(",") == 4 for line in lines), lines
            outcomes["file complete"] += 1
        elif created:
            assert any(p.name.startswith(f".{out.name}.") for p in files.iterdir()), "the credentials must be kept"
            outcomes["committed, file not yet linked"] += 1
        else:
            outcomes["nothing yet"] += 1
            again = run(root, *args)
            assert again.code == 0, again.stderr  # F does not block the re-run
            assert len(out.read_text().splitlines()) == 4
        for user in run(root, "user", "list", "-o", "json").json()["Users"]:
            assert run(root, "user", "delete", user["UserName"], "--force").code == 0
        for leftover in files.glob(".creds*.tmp"):
            leftover.unlink()
    print(f"\nimport kills: {kills}: " + ", ".join(f"{v} {k}" for k, v in outcomes.items()))
