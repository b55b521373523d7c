"""Crash safety and concurrency of the store (issue: every mutating command is one atomic
transaction surviving kill -9 at any instant; concurrent writers never lose an update)."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from iamctl.core.base import clock
from iamctl.core.identities.account import check_directory
from iamctl.core.store.directory import Store
from iamctl.core.store.records import User

FULL = os.environ.get("IAMCTL_STRESS") == "full"
FILES = 20


def _user(name: str, gen: int) -> User:
    return User(name=name, user_id="AIDA" + "X" * 17, path="/", created=clock.iso(), tags={"gen": str(gen)})


def _write_generations(root, start: int, report_fd: int) -> None:
    """Child: commit generation after generation, each a 20-file transaction with a secret,
    an account change and a file that exists only in even generations; report each commit."""
    store = Store(root)
    gen = start
    while True:
        gen += 1
        with store.write() as txn:
            for j in range(FILES):
                txn.put("user", _user(f"u{j}", gen))
            txn.put_secret("user", "u0", {"signin": {"failures": gen}})
            if gen % 2 == 0:
                txn.put("user", _user("even", gen))
            else:
                txn.delete("user", "even")
        os.write(report_fd, f"{gen}\n".encode())


def _state(store: Store) -> int:
    """The one generation every file agrees on; fails if the files disagree."""
    with store.read() as txn:
        gens = {txn.require("user", f"u{j}").tags["gen"] for j in range(FILES)}
        assert len(gens) == 1, f"files from different transactions: {sorted(gens)}"
        gen = int(gens.pop())
        assert txn.get_secret("user", "u0") == {"signin": {"failures": gen}}
        assert (txn.get("user", "even") is not None) == (gen % 2 == 0)
        assert check_directory(txn) == []
    return gen


def test_kill_9_at_random_instants_leaves_the_state_before_or_after(tmp_path):
    """At least 200 SIGKILLs at random instants during multi-file transactions; after each the
    directory opens (finishing or discarding the journal) in exactly one transaction's state."""
    kills = 1000 if FULL else 200
    store = Store(tmp_path / "acct")
    store.init("123456789012")
    with store.write() as txn:
        for j in range(FILES):
            txn.put("user", _user(f"u{j}", 0))
        txn.put("user", _user("even", 0))
        txn.put_secret("user", "u0", {"signin": {"failures": 0}})
    rng = random.Random(1234)
    gen = 0
    mid_commit = 0
    for _ in range(kills):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            try:
                os.close(read_fd)
                _write_generations(store.root, gen, write_fd)
            finally:
                os._exit(0)
        os.close(write_fd)
        time.sleep(rng.uniform(0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with os.fdopen(read_fd) as reports:
            reported = [int(line) for line in reports.read().split()]
        last = reported[-1] if reported else gen
        if (store.root / ".iamctl" / "journal").exists() or (store.root / ".iamctl" / "journal.tmp").exists():
            mid_commit += 1
        now = _state(store)
        # Either the last reported commit, or the one after it (committed, not yet reported).
        assert now in (last, last + 1), (now, last)
        gen = now
        assert not any((store.root / ".iamctl" / "tmp").iterdir())
    assert gen > kills // 4  # the children made progress between kills
    assert mid_commit > 0  # some kills really landed inside a commit


def _create_users(root, worker: int, count: int) -> None:
    store = Store(root)
    for i in range(count):
        with store.write() as txn:
            txn.put("user", _user(f"w{worker}-{i}", i))
            # A read-modify-write of one shared file: a lost update would lose a count.
            account = txn.account
            account.quotas.users += 1
            txn.put_account(account)


def test_concurrent_writers_serialise_and_lose_nothing(tmp_path):
    """8 processes creating entities at once: every one is there, no file damaged, and the
    shared counter each of them incremented counts every increment."""
    workers, count = 8, (100 if FULL else 25)
    store = Store(tmp_path / "acct")
    store.init("123456789012")
    pids = []
    for w in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                _create_users(store.root, w, count)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    with store.read() as txn:
        assert txn.count("user") == workers * count
        assert txn.account.quotas.users == 5000 + workers * count
        assert check_directory(txn) == []


def test_readers_never_see_a_half_applied_transaction(tmp_path):
    store = Store(tmp_path / "acct")
    store.init("123456789012")
    with store.write() as txn:
        for j in range(FILES):
            txn.put("user", _user(f"u{j}", 0))
        txn.put("user", _user("even", 0))
        txn.put_secret("user", "u0", {"signin": {"failures": 0}})
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            _write_generations(store.root, 0, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        seen = {_state(store) for _ in range(100 if not FULL else 1000)}
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_fd)
    assert len(seen) > 1  # the writer really was writing while we read


@pytest.mark.slow
def test_kill_9_during_cli_commands(tmp_path):
    """The real `iamctl` command killed at random instants: the account file is always whole."""
    import subprocess
    import sys

    root = tmp_path / "acct"
    env = {**os.environ, "IAMCTL_DIR": str(root)}
    subprocess.run([sys.executable, "-m", "iamctl", "init", "--account-id", "123456789012"], env=env, check=True,
                   capture_output=True)
    rng = random.Random(99)
    values = set()
    for i in range(60 if FULL else 20):
        value = 6000 + i
        proc = subprocess.Popen([sys.executable, "-m", "iamctl", "account", "set-quota", "users", str(value)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.4))
        proc.kill()
        proc.wait()
        values.add(value)
        store = Store(root)
        with store.read() as txn:
            assert txn.account.quotas.users in values | {5000}
