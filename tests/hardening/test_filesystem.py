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
