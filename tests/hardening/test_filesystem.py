"""A hostile or failing file system: planted symbolic links, a read-only directory, a full disk.

Each must end the command with one clear error line (exit 1), follow no link to write outside
the account directory, and leave the previous state intact.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from . import support
from .support import ACCOUNT, dump, fingerprint, run

DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "acct"
    assert run(root, "init", "--account-id", ACCOUNT).code == 0
    assert run(root, "user", "create", "alice").code == 0
    assert run(root, "user", "set-password", "alice", "--password-stdin", input="Fs-test-password-1!\n").code == 0
    return root


def _outside(tmp_path: Path) -> Path:
    """A folder outside the account directory holding a file an attacker wants overwritten."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep me\n")
    return outside


def _plant(root: Path, rel: str, outside: Path) -> None:
    """Replace `rel` (file or folder) by a symbolic link to a copy of it in `outside`."""
    target = root / rel
    copy = outside / target.name
    if target.is_dir():
        shutil.copytree(target, copy)
        shutil.rmtree(target)
    elif target.exists():
        shutil.copy2(target, copy)
        target.unlink()
    else:
        copy.mkdir()
    target.symlink_to(copy)


@pytest.mark.parametrize(("rel", "command"), [
    (f"{ACCOUNT}/users/alice.toml", ["user", "tag", "alice", "team=x"]),
    (f"{ACCOUNT}/users", ["user", "create", "bob"]),
    (f"secrets/{ACCOUNT}/users", ["user", "set-password", "alice", "--password-stdin"]),
    (f"secrets/{ACCOUNT}", ["user", "create-access-key", "alice"]),
    (".iamctl/tmp", ["user", "create", "bob"]),
    (".iamctl", ["user", "create", "bob"]),
])
def test_a_planted_symbolic_link_is_not_followed_on_write(root, tmp_path, rel, command):
    outside = _outside(tmp_path)
    _plant(root, rel, outside)
    before_outside = fingerprint(outside)
    result = run(root, *command, input="Another-password-2!\n")
    assert result.clean_failure(), (result.code, result.stderr)
    assert "symbolic link" in result.stderr
    assert fingerprint(outside) == before_outside  # nothing written, nothing deleted out there


def test_a_planted_journal_link_is_not_written_through(root, tmp_path):
    """A link at .iamctl/journal or .iamctl/journal.tmp: the commit replaces the link itself,
    and the file it pointed at stays as it was."""
    outside = _outside(tmp_path)
    for name in ("journal.tmp", "journal"):
        link = root / ".iamctl" / name
        link.symlink_to(outside / "precious")
        before = fingerprint(outside)
        result = run(root, "user", "tag", "alice", f"via={name.replace('.', '-')}")
        assert result.code == 1 and result.clean_failure() or result.code == 0, result.stderr
        assert fingerprint(outside) == before
        link.unlink(missing_ok=True)
    assert run(root, "account", "check").code == 0


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def read_only(root, tmp_path):
    """The account directory seen through a read-only bind mount (root ignores file modes)."""
    view = tmp_path / "ro"
    view.mkdir()
    if not _mount("--bind", str(root), str(view)):
        pytest.skip("this sandbox cannot bind-mount (mount --bind refused); no read-only directory for root")
    try:
        if not _mount("-o", "remount,ro,bind", str(view)):
            pytest.skip("this sandbox cannot remount a bind mount read-only")
        yield view
    finally:
        subprocess.run(["umount", str(view)], capture_output=True)


def test_a_read_only_directory_gives_one_clear_line_and_reads_still_work(read_only):
    before = fingerprint(read_only)
    result = run(read_only, "user", "create", "bob")
    assert result.clean_failure(), (result.code, result.stderr)
    assert str(read_only) in result.stderr and "Read-only file system" in result.stderr
    assert fingerprint(read_only) == before
    listed = run(read_only, "user", "list", "-o", "json")
    assert listed.code == 0, listed.stderr
    assert [u["UserName"] for u in listed.json()["Users"]] == ["alice"]


@pytest.fixture
def tiny_disk(tmp_path):
    disk = tmp_path / "tiny"
    disk.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)):
        pytest.skip("this sandbox cannot mount a tmpfs (mount -t tmpfs refused)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the file system but for about `leave` bytes."""
    filler = disk / "filler"
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler.write_bytes(b"\0" * max(free - leave, 0))
    return filler


def test_a_full_disk_fails_the_command_cleanly_and_keeps_the_previous_state(tiny_disk, tmp_path):
    root = tiny_disk / "acct"
    assert run(root, "init", "--account-id", ACCOUNT).code == 0
    assert run(root, "user", "create", "alice").code == 0
    doc = tmp_path / "doc.json"
    doc.write_text(DOC)
    before = dump(root)
    filler = _fill(tiny_disk, 0)
    failures = 0
    for command in (["user", "put-policy", "alice", "inline", "--document", str(doc)],
                    ["policy", "create", "managed", "--document", str(doc)],
                    ["user", "create", "bob", "--tag", "team=x"]):
        result = run(root, *command)
        assert result.code in (0, 1), (command, result.stderr)
        if result.code == 1:
            failures += 1
            assert result.clean_failure(), result.stderr
            assert "No space left on device" in result.stderr and str(root) in result.stderr, result.stderr
            # The previous state is intact, readable and valid, even before space is freed.
            assert dump(root) == before
            assert run(root, "user", "list").code == 0
    assert failures, "the disk never filled up"
    filler.unlink()
    assert run(root, "account", "check").code == 0
    assert dump(root) == before
    assert run(root, "user", "put-policy", "alice", "inline", "--document", str(doc)).code == 0


def _forge_password(folder: Path, password: str) -> None:
    """Rewrite alice's secret record in `folder` (a copy of secrets/ACCT/users) with the hash
    of a password the attacker chose."""
    import tomllib

    import tomli_w

    from iamctl.core.credentials import hashing

    path = folder / "alice.toml"
    record = tomllib.loads(path.read_text())
    record["password"]["hash"] = hashing.hash_password(password)
    path.write_text(tomli_w.dumps(record))


def test_a_linked_secrets_folder_cannot_forge_a_sign_in(root, tmp_path):
    """Issue 20.3: a link at secrets/ACCT/users to a folder holding a forged password hash made
    `login` issue credentials. The link is refused on read: no credentials, one clear line."""
    outside = _outside(tmp_path)
    _plant(root, f"secrets/{ACCOUNT}/users", outside)
    _forge_password(outside / "users", "Forged-password-9!")
    result = run(root, "login", "alice", "--password-stdin", "-o", "json", input="Forged-password-9!\n")
    assert result.clean_failure(), (result.code, result.stdout, result.stderr)
    assert "symbolic link" in result.stderr and f"secrets/{ACCOUNT}/users" in result.stderr
    assert "SessionToken" not in result.stdout


@pytest.mark.parametrize("rel", [f"{ACCOUNT}/users", ACCOUNT, f"{ACCOUNT}/users/alice.toml", "iamctl.toml",
                                 f"{ACCOUNT}/account.toml", "secrets"])
@pytest.mark.parametrize("command", [["user", "show", "alice"], ["user", "list"], ["account", "show"],
                                     ["simulate", "principal", "--user", "alice", "-a", "s3:GetObject"],
                                     ["account", "check"], ["login", "alice", "--password-stdin"]])
def test_a_planted_symbolic_link_is_not_followed_on_read(root, tmp_path, rel, command):
    """Issue 20.3: a linked ACCT/users or account folder was read by show, list and simulate.
    A link at any path component inside the directory is refused, on reads as on writes."""
    outside = _outside(tmp_path)
    _plant(root, rel, outside)
    before_outside = fingerprint(outside)
    result = run(root, *command, input="Fs-test-password-1!\n")
    assert fingerprint(outside) == before_outside
    # What a command does not read, it need not refuse: the count of users is a folder listing,
    # and only login and check read secrets.
    reads_it = {"secrets": command[0] == "login" or command[:2] == ["account", "check"],
                f"{ACCOUNT}/users/alice.toml": command[:2] != ["account", "show"]}.get(rel, True)
    if not reads_it:
        assert result.code in (0, 3), result.stderr  # 3: simulate's "denied"
        return
    assert result.code == 1, (result.code, result.stdout, result.stderr)
    assert "symbolic link" in result.stderr, result.stderr
    if command[:2] != ["account", "check"]:  # check lists every damaged file, then sums up
        assert result.clean_failure(), result.stderr


@pytest.mark.parametrize(("planted", "kind", "command"), [
    (f"{ACCOUNT}/users/bob.toml", "folder", ["user", "create", "bob"]),
    (f"{ACCOUNT}/users/bob.toml", "folder", ["user", "update", "alice", "--new-name", "bob"]),
    (f"secrets/{ACCOUNT}/users/alice.toml", "folder", ["user", "set-password", "alice", "--password-stdin"]),
    (f"{ACCOUNT}/groups", "file", ["group", "create", "staff"]),
    (f"{ACCOUNT}/users/bob.toml", "fifo", ["user", "create", "bob"]),
])
def test_an_odd_file_in_place_of_a_record_is_refused_before_the_commit(root, planted, kind, command):
    """Issue 20.14: an entity file replaced by a folder bricked the directory (the journal named
    a target it could not write, so every later command failed), and once the folder was gone
    the create reported as failed was applied. Targets are checked before anything commits: the
    command fails in one line naming the path, leaves no journal, and the rest keeps working."""
    target = root / planted
    target.unlink(missing_ok=True)  # (alice's secret record) replaced
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.write_text("not a folder\n")
    before = dump(root)
    result = run(root, *command, input="Another-password-2!\n")
    assert result.clean_failure(), (result.code, result.stderr)
    assert str(target) in result.stderr, result.stderr
    assert not (root / ".iamctl" / "journal").exists() and not (root / ".iamctl" / "journal.tmp").exists()
    assert dump(root) == before
    # Nothing is bricked: other commands work, and reads that do not touch the odd file too.
    assert run(root, "user", "create", "carol").code == 0
    assert run(root, "user", "show", "alice").code == 0
    # Once the odd file is gone, the refused command was not applied behind the user's back.
    if kind == "file":
        target.unlink()
    else:
        (target.rmdir if kind == "folder" else target.unlink)()
    assert run(root, "account", "check").code == 0
    listed = run(root, "user", "list", "-o", "json").json()["Users"]
    assert sorted(u["UserName"] for u in listed) == ["alice", "carol"]
    again = run(root, *command, input="Another-password-2!\n")
    assert again.code == 0, again.stderr


def test_a_reader_without_write_access_never_sees_a_torn_snapshot(root, read_only):
    """Issue 20.11: readers that cannot take the lock (no write access to .iamctl/: here a
    read-only view of the directory) read without it, and 3 of 300 snapshots were torn. Such a
    reader now reads through a committed journal and compares the commit generation before and
    after: every `user list` it prints is one transaction's state, or it refuses in one line.

    A writer renames a user back and forth (alice <-> alice2: in every committed state exactly
    one of them exists) while a reader lists the users through the read-only view."""
    import signal
    import time

    for i in range(30):
        assert run(root, "user", "create", f"u{i:02d}").code == 0
    support.preload()
    writer = os.fork()
    if writer == 0:  # the child: rename until killed
        try:
            names = ["alice", "alice2"]
            while True:
                run(root, "user", "update", names[0], "--new-name", names[1])
                names.reverse()
        finally:
            os._exit(0)
    shown = refused = 0
    try:
        deadline = time.monotonic() + support.scale(4, 30)
        while time.monotonic() < deadline:
            result = run(read_only, "user", "list", "-o", "json")
            if result.code == 1:
                assert result.clean_failure() and "changed while this command read it" in result.stderr, result.stderr
                refused += 1
                continue
            assert result.code == 0, result.stderr
            users = [u["UserName"] for u in result.json()["Users"]]
            assert len(users) == 31 and len({"alice", "alice2"} & set(users)) == 1, users
            shown += 1
    finally:
        os.kill(writer, signal.SIGKILL)
        os.waitpid(writer, 0)
    print(f"\nlockless reads: {shown} consistent snapshots shown, {refused} refused as changed meanwhile, 0 torn")
    assert shown > 0, "no read got through: the test shows nothing"


def test_a_full_disk_after_the_commit_reports_the_commit_and_reads_keep_working(tiny_disk):
    """Issue 20.20: when the disk filled up after the commit point (the journal written, the
    files not yet), the command reported failure though the change was committed, and every
    reader was refused until space was freed. Now such a command succeeds with a note saying
    the change is committed; readers read through the journal while the disk is still full; the
    first command that can write once space is freed finishes it."""
    root = tiny_disk / "acct"
    assert run(root, "init", "--account-id", ACCOUNT).code == 0
    assert run(root, "user", "create", "alice").code == 0
    outcomes = set()
    for pages in range(0, 8):
        before = dump(root)
        name = f"bob{pages}"
        filler = _fill(tiny_disk, pages * 4096)
        try:
            result = run(root, "user", "create", name, "--tag", "team=x")
            if result.code == 1:
                assert result.clean_failure() and "nothing was changed" in result.stderr, result.stderr
                assert dump(root) == before and not (root / ".iamctl" / "journal").exists()
                outcomes.add("refused")
                continue
            assert result.code == 0, result.stderr
            pending = (root / ".iamctl" / "journal").exists()
            if pending:
                assert "the change is committed" in result.stderr, result.stderr
                outcomes.add("committed, not yet applied")
            else:
                assert result.stderr == "", result.stderr
                outcomes.add("applied")
            # The disk is still full: readers that need no write see the committed state.
            listed = run(root, "user", "list", "-o", "json")
            assert listed.code == 0, listed.stderr
            assert name in [u["UserName"] for u in listed.json()["Users"]]
            assert run(root, "user", "show", name).code == 0
            assert run(root, "account", "check").code == 0
        finally:
            filler.unlink()
        # Space is back: the next writer finishes what was committed.
        assert run(root, "user", "tag", "alice", f"after={pages}").code == 0
        assert not (root / ".iamctl" / "journal").exists()
        assert (root / ACCOUNT / "users" / f"{name}.toml").is_file()
    print(f"\nfull disk: {sorted(outcomes)}")
    assert "committed, not yet applied" in outcomes and "refused" in outcomes, outcomes


WORKING_FILES = [".iamctl/journal", ".iamctl/journal.tmp", ".iamctl/tmp", ".iamctl/lock", ".iamctl/turnstile",
                 ".iamctl/generation", ".iamctl"]


def _plant_odd(root: Path, rel: str, kind: str, tmp_path: Path) -> None:
    path = root / rel
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    if kind == "folder":
        path.mkdir()
        (path / "stray").write_text("x")
    elif kind == "junk":
        path.write_bytes(b"\x00\xffnot what iamctl wrote\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dangling link":
        path.symlink_to(tmp_path / "nowhere")
    else:
        path.symlink_to(_outside(tmp_path) / "precious")


@pytest.mark.parametrize("kind", ["folder", "junk", "fifo", "dangling link", "link"])
@pytest.mark.parametrize("rel", WORKING_FILES)
def test_odd_working_files_give_one_clear_line(root, tmp_path, rel, kind):
    """Issue 20.18: odd working files (`.iamctl/journal` as a directory, ...) ended commands with
    exit 70. Each now ends a command cleanly: it works, or it fails in one line naming the file."""
    import signal

    _plant_odd(root, rel, kind, tmp_path)

    def alarm(signum, frame):
        raise TimeoutError(f"a command hung on {rel} as a {kind}")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(20)
    try:
        for command in (["user", "list"], ["user", "show", "alice"], ["user", "create", "bob"], ["account", "check"]):
            result = run(root, *command)
            assert result.code in (0, 1), (command, result.code, result.stderr)
            if result.code == 1 and command[:2] != ["account", "check"]:
                assert result.clean_failure(), (command, result.stderr)
                assert rel in result.stderr or ".iamctl" in result.stderr, result.stderr
            if command[1] == "create" and result.code == 0:  # applied in full, not left pending
                assert "committed" not in result.stderr and not (root / ".iamctl" / "journal").exists()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize(("variable", "value"), [
    ("IAMCTL_LOCK_TIMEOUT", "soon"), ("IAMCTL_LOCK_TIMEOUT", "nan"), ("IAMCTL_LOCK_TIMEOUT", "-1"),
    ("IAMCTL_LOCK_TIMEOUT", "1e400"), ("IAMCTL_NOW", "tomorrow"), ("IAMCTL_NOW", "nan"), ("IAMCTL_NOW", "inf"),
    ("IAMCTL_NOW", "1e20"), ("IAMCTL_NOW", "2026-13-01T00:00:00Z"), ("IAMCTL_NOW", "-99999999999999"),
])
@pytest.mark.parametrize("command", [["user", "list"], ["user", "create", "bob"], ["login", "alice", "--password-stdin"],
                                     ["user", "create-access-key", "alice"]])
def test_a_bad_environment_value_gives_one_clear_line(root, variable, value, command):
    """Issue 20.18: a bad IAMCTL_LOCK_TIMEOUT or IAMCTL_NOW ended commands with exit 70."""
    before = fingerprint(root)
    result = run(root, *command, input="Fs-test-password-1!\n", env={variable: value})
    assert result.clean_failure(), (result.code, result.stderr)
    assert f"{variable}={value!r}" in result.stderr, result.stderr
    assert fingerprint(root) == before
