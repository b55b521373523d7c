"""8 processes running mixed mutating commands on one account at once, through the real CLI.

Every command must succeed or fail with one clear error line, and the final directory must
equal a serial replay of the successful commands.

How the serial order is recovered honestly: the workload is designed so that the order between
workers cannot matter, and the order within a worker is known. Each worker owns its users
(`w3-u1`, ...) and only creates, updates, tags, deletes, gives keys to and moves them; what the
workers share is the groups their users join and leave and the managed policies attached to
their users: files that every worker reads and rewrites (a group's member list, a policy's
attachment list), where a lost update or a torn write would show. Those shared changes commute
(membership and attachment are sets), so every interleaving the lock could grant ends in the
same state, up to the order of names in those lists (compared as sets). Randomness is pinned per
command (the same seed in the concurrent run and in the replay), so ids and key secrets agree.
The replay runs each worker's successful commands in turn, on a copy of the starting directory,
and each must succeed again; the failed ones must fail again.

Sizes: 8 workers x 25 commands in CI; 8 x 200 with IAMCTL_STRESS=full (the slow test).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
import tomllib
from pathlib import Path

import pytest

from . import support
from .support import ACCOUNT, Forked, dump, run

WORKERS = 8
GROUPS = ["g0", "g1", "g2", "g3"]
POLICIES = [f"arn:aws:iam::{ACCOUNT}:policy/p0", f"arn:aws:iam::{ACCOUNT}:policy/p1"]
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


class _Worker:
    """Picks each next command from what its own earlier commands did (so most succeed)."""

    def __init__(self, w: int):
        self.w = w
        self.rng = random.Random(1000 + w)
        self.users: dict[str, dict] = {}  # name -> {"groups": set, "policies": set, "keys": list}

    def next(self) -> list[str]:
        rng, live = self.rng, sorted(self.users)
        name = f"w{self.w}-u{rng.randrange(5)}"
        if not live or rng.random() < 0.15:
            return ["user", "create", name, "--tag", f"worker={self.w}"]
        user = rng.choice(live)
        state = self.users[user]
        choice = rng.choice(["join", "join", "leave", "attach", "detach", "key", "key", "unkey", "tag",
                             "path", "delete", "fail"])
        if choice == "join":
            return ["group", "add-user", rng.choice(GROUPS), user]
        if choice == "leave":
            return ["group", "remove-user", rng.choice(sorted(state["groups"]) or GROUPS), user]
        if choice == "attach":
            return ["user", "attach-policy", user, rng.choice(POLICIES)]
        if choice == "detach":
            return ["user", "detach-policy", user, rng.choice(sorted(state["policies"]) or POLICIES)]
        if choice == "key":  # a third key is refused: LimitExceeded
            return ["user", "create-access-key", user, "-o", "json"]
        if choice == "unkey" and state["keys"]:
            return ["user", "delete-access-key", user, rng.choice(state["keys"])]
        if choice == "tag":
            return ["user", "tag", user, f"n={rng.randrange(100)}"]
        if choice == "path":
            return ["user", "update", user, "--new-path", f"/team{rng.randrange(3)}/"]
        if choice == "delete":
            return ["user", "delete", user, "--force"]
        # Commands that must fail cleanly: a duplicate, a missing group, a bad name.
        return rng.choice([["user", "create", user], ["group", "add-user", "nosuchgroup", user],
                           ["user", "create", "bad/name"], ["user", "delete", f"w{self.w}-ghost"]])

    def learn(self, args: list[str], result: support.Result) -> None:
        if result.code != 0:
            return
        verb = args[:2]
        if verb == ["user", "create"]:
            self.users[args[2]] = {"groups": set(), "policies": set(), "keys": []}
        elif verb == ["user", "delete"]:
            del self.users[args[2]]
        elif verb == ["group", "add-user"]:
            self.users[args[3]]["groups"].add(args[2])
        elif verb == ["group", "remove-user"]:
            self.users[args[3]]["groups"].discard(args[2])
        elif verb == ["user", "attach-policy"]:
            self.users[args[2]]["policies"].add(args[3])
        elif verb == ["user", "detach-policy"]:
            self.users[args[2]]["policies"].discard(args[3])
        elif verb == ["user", "create-access-key"]:
            self.users[args[2]]["keys"].append(json.loads(result.stdout)["AccessKey"]["AccessKeyId"])
        elif verb == ["user", "delete-access-key"]:
            self.users[args[2]]["keys"].remove(args[3])


def _seed(w: int, i: int) -> int:
    return w * 100_000 + i


def _work(root: Path, w: int, count: int, out: Path) -> None:
    """A worker process: run `count` commands one after another, record each outcome."""
    worker = _Worker(w)
    log = []
    for i in range(count):
        args = worker.next()
        run_ = Forked(root, args, seed=_seed(w, i))
        result = run_.wait()
        worker.learn(args, result)
        log.append({"i": i, "args": args, "code": result.code, "stderr": result.stderr, "stdout": result.stdout,
                    "started": run_.started, "ended": run_.ended})
    out.write_text(json.dumps(log))


def _canonical(files: dict[str, bytes]) -> dict[str, object]:
    """A dump in which the shared sets (group members, policy attachments) are sorted."""
    found: dict[str, object] = {}
    for rel, data in files.items():
        if rel.startswith(f"{ACCOUNT}/groups/") or rel.startswith(f"{ACCOUNT}/policies/"):
            parsed = tomllib.loads(data.decode())
            for key in ("members", "attachments"):
                if key in parsed:
                    parsed[key] = sorted(parsed[key])
            found[rel] = parsed
        else:
            found[rel] = data
    return found


def _setup(root: Path, tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text(DOC)
    assert run(root, "init", "--account-id", ACCOUNT).code == 0
    for g in GROUPS:
        assert run(root, "group", "create", g).code == 0
    for p in ("p0", "p1"):
        assert run(root, "policy", "create", p, "--document", str(doc)).code == 0


def _stress(tmp_path: Path, count: int) -> None:
    support.preload()
    root, start, replay = tmp_path / "acct", tmp_path / "start", tmp_path / "replay"
    _setup(root, tmp_path)
    shutil.copytree(root, start)
    began = time.monotonic()
    pids = []
    for w in range(WORKERS):
        pid = os.fork()
        if pid == 0:  # a worker never returns into pytest
            code = 1
            try:
                _work(root, w, count, tmp_path / f"w{w}.json")
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    elapsed = time.monotonic() - began
    logs = [json.loads((tmp_path / f"w{w}.json").read_text()) for w in range(WORKERS)]

    # Every command succeeded or failed with one clear line (never a traceback, never exit 70).
    outcomes = [entry for log in logs for entry in log]
    assert len(outcomes) == WORKERS * count
    for entry in outcomes:
        assert entry["code"] == 0 or support.Result(entry["code"], "", entry["stderr"]).clean_failure(), entry
    ok = [e for e in outcomes if e["code"] == 0]
    assert len(ok) > len(outcomes) * 0.6  # the workload really changes things
    assert len(ok) < len(outcomes)  # and some commands really were refused
    # Commands really ran at the same time: some overlap in time across workers.
    spans = sorted((e["started"], e["ended"]) for e in outcomes)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))

    check = run(root, "account", "check")
    assert check.code == 0, check.stdout + check.stderr

    # The serial replay: each worker's commands in its order, on a copy of the start.
    shutil.copytree(start, replay)
    for w, log in enumerate(logs):
        for entry in log:
            again = Forked(replay, entry["args"], seed=_seed(w, entry["i"])).wait()
            assert again.code == entry["code"], (entry["args"], entry["stderr"], again.stderr)
            assert again.stdout == entry["stdout"], entry["args"]
    assert _canonical(dump(root)) == _canonical(dump(replay)), support.diff(dump(root), dump(replay))
    print(f"\nconcurrency: {WORKERS} processes x {count} commands ({len(ok)} succeeded, "
          f"{len(outcomes) - len(ok)} refused cleanly) in {elapsed:.1f} s; final directory equals the serial replay")


def test_concurrent_commands_equal_a_serial_replay(tmp_path):
    """8 processes x 25 mixed mutating commands (users, group membership, policy attachment,
    access keys, tags, paths, deletes, and refusals) at once."""
    _stress(tmp_path, 25)


@pytest.mark.slow
@pytest.mark.skipif(not support.FULL, reason="8 x 200 commands: run with IAMCTL_STRESS=full")
def test_8_processes_x_200_commands(tmp_path):
    _stress(tmp_path, 200)
