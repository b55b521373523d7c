"""Attacks on credentials and sessions, performed through the CLI (issue 20, items 1, 2, 4, 6-10).

Each test is the attack as an adversary ran it against iamctl, and checks that it now fails the
way AWS would have it fail. IAM User Guide: "IAM identifiers" (unique ids: a user or role created
again under a name is another principal), "AWS JSON policy elements: Principal" (IAM role and
user principals: a trust policy keeps the principal's unique id), "Revoking IAM role temporary
security credentials"; STS API Reference: GetCallerIdentity, and the common errors
InvalidClientTokenId, SignatureDoesNotMatch and ExpiredToken for requests signed with temporary
credentials.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support import ACCOUNT, NOW, run

PASSWORD = "Attack-test-pw-1!"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "acct"
    _ok(run(root, "init", "--account-id", ACCOUNT))
    return root


def _ok(result):
    assert result.code == 0, result.stderr
    return result


def _refused(result, code: str, status: int = 1) -> str:
    assert result.code == status and result.clean_failure(), result.stderr
    assert f": {code}: " in result.stderr or (status == 2 and "usage:" in result.stderr), result.stderr
    return result.stderr


def _user_with_password(root, name: str) -> None:
    _ok(run(root, "user", "create", name))
    _ok(run(root, "user", "set-password", name, "--password-stdin", input=PASSWORD + "\n"))


def _login(root, name: str, password: str = PASSWORD, env: dict | None = None):
    return run(root, "login", name, "--password-stdin", "-o", "json", input=password + "\n", env=env)


def _creds_file(tmp: Path, printed: str) -> str:
    path = tmp / f"creds-{len(list(tmp.iterdir()))}.json"
    path.write_text(printed)
    return str(path)


# -- 20.1: a login session does not outlive its user --------------------------------------------


@pytest.mark.parametrize("replace", ["delete", "rename"])
def test_a_login_session_does_not_act_as_the_next_user_of_that_name(root, tmp_path, replace):
    """Login as alice; alice deleted (or renamed); a new alice with AdministratorAccess. The old
    session acted as the new alice; sessions are bound to the user's unique id (AIDA...)."""
    _user_with_password(root, "alice")
    printed = _ok(_login(root, "alice")).stdout
    creds = _creds_file(tmp_path, printed)
    if replace == "delete":
        _ok(run(root, "user", "delete", "alice", "--force"))
    else:
        _ok(run(root, "user", "update", "alice", "--new-name", "alice-old"))
    _ok(run(root, "user", "create", "alice"))
    _ok(run(root, "user", "attach-policy", "alice", ADMIN))
    _ok(run(root, "role", "create", "ops", "--trust-account", ACCOUNT))
    assumed = run(root, "role", "assume", "ops", "--as", "session", "--session-name", "xx", input=_lines(printed))
    assert "no longer exists" in _refused(assumed, "InvalidClientTokenId")
    denied = run(root, "simulate", "principal", "--session", creds, "-a", "iam:CreateUser")
    _refused(denied, "InvalidClientTokenId")
    whoami = run(root, "whoami", "--access-key-id", json.loads(printed)["Credentials"]["AccessKeyId"],
                 "--secret-stdin", input=_secret_and_token(printed))
    _refused(whoami, "InvalidClientTokenId")


def _lines(printed: str) -> str:
    """Credentials as three lines, the access key id first (the first line is what `--as session`
    read as the token or id before it needed all three)."""
    c = json.loads(printed)["Credentials"]
    return f"{c['AccessKeyId']}\n{c['SecretAccessKey']}\n{c['SessionToken']}\n"


def _secret_and_token(printed: str) -> str:
    c = json.loads(printed)["Credentials"]
    return f"{c['SecretAccessKey']}\n{c['SessionToken']}\n"


# -- 20.2: a session's access key id alone is nothing ------------------------------------------


def test_a_session_id_alone_or_a_token_alone_is_not_a_credential(root, tmp_path):
    """`role sessions -o json` lists the ASIA... ids; with the id alone (or the token alone) on
    stdin, `role assume --as session` passed a --require-mfa trust. A session is used only with its
    secret and token, checked against the stored hashes."""
    _user_with_password(root, "bob")
    _ok(run(root, "user", "attach-policy", "bob", ADMIN))
    _ok(run(root, "role", "create", "deploy", "--trust-account", ACCOUNT))
    _ok(run(root, "role", "create", "prod", "--trust-account", ACCOUNT, "--require-mfa"))
    printed = _ok(run(root, "role", "assume", "deploy", "--as", "user/bob", "--session-name", "bb", "-o", "json")).stdout
    listed = _ok(run(root, "role", "sessions", "deploy", "-o", "json")).json()["Sessions"]
    key_id = listed[0]["AccessKeyId"]
    creds = json.loads(printed)["Credentials"]
    for alone in (key_id, creds["SessionToken"]):
        r = run(root, "role", "assume", "prod", "--as", "session", "--session-name", "xx", input=alone + "\n")
        _refused(r, "", status=2)
        assert "alone is not a credential" in r.stderr and creds["SessionToken"] not in r.stderr
        r = run(root, "simulate", "principal", "--session", alone, "-a", "s3:GetObject")
        _refused(r, "", status=2)
        assert creds["SessionToken"] not in r.stderr
    forged = {"Credentials": {**creds, "SecretAccessKey": "x" * 40}}
    r = run(root, "role", "assume", "prod", "--as", "session", "--session-name", "xx", input=json.dumps(forged))
    _refused(r, "SignatureDoesNotMatch")
    forged = {"Credentials": {**creds, "SessionToken": "y" * 128}}
    r = run(root, "simulate", "principal", "--session", _creds_file(tmp_path, json.dumps(forged)), "-a", "s3:*")
    _refused(r, "InvalidClientTokenId")
    # With all three parts the session works, and the --require-mfa trust still refuses it (no MFA).
    r = run(root, "role", "assume", "prod", "--as", "session", "--session-name", "xx", input=printed)
    assert "AccessDenied" in _refused(r, "AccessDenied") and "MultiFactorAuthPresent" in r.stderr


# -- 20.4: change-password is not an oracle beside the lockout ---------------------------------


def test_change_password_counts_towards_the_sign_in_lockout_and_refuses_while_locked(root):
    """After 5 wrong logins lock carol, 20 wrong change-password attempts each answered "old
    password is incorrect" and the right one then succeeded. Now both commands share one lockout,
    one answer and one cost."""
    _ok(run(root, "account", "password-policy", "set", "--allow-users-to-change-password"))
    _user_with_password(root, "carol")
    answers = {_login(root, "carol", "wrong-1").stderr for _ in range(5)}
    for _ in range(20):
        r = run(root, "user", "change-password", "carol", "--password-stdin", input="guess\nNew-pass-word-9!\n")
        answers.add(_refused(r, "AccessDenied"))
    right = run(root, "user", "change-password", "carol", "--password-stdin", input=f"{PASSWORD}\nNew-pass-word-9!\n")
    answers.add(_refused(right, "AccessDenied"))
    assert len(answers) == 1, answers  # locked: the same answer as a wrong password, the right one too
    # The other way round: wrong old passwords lock login.
    _user_with_password(root, "dave")
    for _ in range(5):
        run(root, "user", "change-password", "dave", "--password-stdin", input="guess\nNew-pass-word-9!\n")
    assert _login(root, "dave").stderr in answers


# -- 20.6: revocation and re-creation compare instants, and sessions know their role ------------


def _clock(seconds: float) -> dict:
    return {"IAMCTL_NOW": f"{1_768_478_400 + seconds}"}  # NOW, plus a fraction of a second


def test_revoke_sessions_revokes_sessions_issued_earlier_in_the_same_second(root):
    """8 of 10 sessions issued in the second before `role revoke-sessions` survived it: the times
    were compared in whole seconds."""
    _ok(run(root, "user", "create", "bob"))
    _ok(run(root, "role", "create", "deploy", "--trust-user", f"arn:aws:iam::{ACCOUNT}:user/bob"))
    _ok(run(root, "role", "attach-policy", "deploy", ADMIN))
    _ok(run(root, "role", "create", "next", "--trust-account", ACCOUNT))
    sessions = [_ok(run(root, "role", "assume", "deploy", "--as", "user/bob", "--session-name", f"s{i}", "-o", "json",
                        env=_clock(0.1 * (i + 1)))).stdout for i in range(5)]
    _ok(run(root, "role", "revoke-sessions", "deploy", env=_clock(0.75)))
    after = _ok(run(root, "role", "assume", "deploy", "--as", "user/bob", "--session-name", "late", "-o", "json",
                    env=_clock(0.9))).stdout
    for printed in sessions:  # each revoked session tries to act: chain into another role
        r = run(root, "role", "assume", "next", "--as", "session", "--session-name", "hop", input=_lines(printed),
                env=_clock(0.95))
        assert "explicitly denied" in _refused(r, "AccessDenied")
    _ok(run(root, "role", "assume", "next", "--as", "session", "--session-name", "hop", input=_lines(after),
            env=_clock(0.95)))


def test_a_role_created_again_in_the_same_second_does_not_honour_the_old_roles_sessions(root):
    """8 of 10 sessions of a deleted role were honoured by one created again under its name: the
    creation time was compared with the issue time in whole seconds. Sessions are bound to the
    role's unique id (AROA...)."""
    _ok(run(root, "user", "create", "bob"))
    trust = ["--trust-user", f"arn:aws:iam::{ACCOUNT}:user/bob"]
    _ok(run(root, "role", "create", "deploy", *trust))
    _ok(run(root, "role", "create", "next", "--trust-account", ACCOUNT))
    printed = _ok(run(root, "role", "assume", "deploy", "--as", "user/bob", "--session-name", "ss", "-o", "json",
                      env=_clock(0.2))).stdout
    _ok(run(root, "role", "delete", "deploy", "--force", env=_clock(0.4)))
    _ok(run(root, "role", "create", "deploy", *trust, env=_clock(0.5)))
    _ok(run(root, "role", "attach-policy", "deploy", ADMIN, env=_clock(0.6)))
    r = run(root, "role", "assume", "next", "--as", "session", "--session-name", "hop", input=_lines(printed),
            env=_clock(0.7))
    _refused(r, "InvalidClientTokenId")
    r = run(root, "simulate", "principal", "--session", "-", "-a", "iam:CreateUser", input=printed, env=_clock(0.7))
    _refused(r, "InvalidClientTokenId")
    assert _ok(run(root, "role", "sessions", "deploy", "-o", "json", env=_clock(0.8))).json()["Sessions"] == []


# -- 20.7: a trust policy trusts the principal, not its name ------------------------------------


def test_a_trust_policy_naming_a_user_does_not_trust_a_recreated_namesake(root, tmp_path):
    """IAM keeps the unique id of a principal named in a trust policy when the policy is saved,
    and shows the id once that principal is gone; a user created again under the name is not
    trusted until the policy is saved again."""
    alice_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    _ok(run(root, "user", "create", "alice"))
    old_id = _ok(run(root, "user", "show", "alice", "-o", "json")).json()["User"]["UserId"]
    _ok(run(root, "role", "create", "deploy", "--trust-user", alice_arn))
    _ok(run(root, "role", "assume", "deploy", "--as", "user/alice", "--session-name", "aa"))
    _ok(run(root, "user", "delete", "alice", "--force"))
    shown = _ok(run(root, "role", "show", "deploy", "-o", "json")).json()["Role"]["AssumeRolePolicyDocument"]
    assert shown["Statement"][0]["Principal"] == {"AWS": old_id}  # the id, once the user is gone
    _ok(run(root, "user", "create", "alice"))
    r = run(root, "role", "assume", "deploy", "--as", "user/alice", "--session-name", "aa")
    assert "trust policy does not allow" in _refused(r, "AccessDenied")
    shown = _ok(run(root, "role", "show", "deploy", "-o", "json")).json()["Role"]["AssumeRolePolicyDocument"]
    assert shown["Statement"][0]["Principal"] == {"AWS": old_id}  # the namesake is not the principal
    # Saving the policy again (as AWS asks) binds it to the new alice.
    (tmp_path / "trust.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "sts:AssumeRole"}]}))
    _ok(run(root, "role", "update-trust-policy", "deploy", "--trust-policy", str(tmp_path / "trust.json")))
    _ok(run(root, "role", "assume", "deploy", "--as", "user/alice", "--session-name", "aa"))
    shown = _ok(run(root, "role", "show", "deploy", "-o", "json")).json()["Role"]["AssumeRolePolicyDocument"]
    assert shown["Statement"][0]["Principal"] == {"AWS": alice_arn}


def test_a_renamed_user_stays_trusted_by_its_unique_id(root):
    """The trust follows the principal: a renamed user is still the user the policy named."""
    _ok(run(root, "user", "create", "alice"))
    _ok(run(root, "role", "create", "deploy", "--trust-user", f"arn:aws:iam::{ACCOUNT}:user/alice"))
    _ok(run(root, "user", "update", "alice", "--new-name", "alicia"))
    _ok(run(root, "role", "assume", "deploy", "--as", "user/alicia", "--session-name", "aa"))


# -- 20.8: timing and messages do not tell which users exist ------------------------------------

_COUNTING = """
import sys
import argon2
counts = {"hash": 0, "verify": 0}
real_hash, real_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify
def counted_hash(self, *a, **k):
    counts["hash"] += 1
    return real_hash(self, *a, **k)
def counted_verify(self, *a, **k):
    counts["verify"] += 1
    return real_verify(self, *a, **k)
argon2.PasswordHasher.hash, argon2.PasswordHasher.verify = counted_hash, counted_verify
from iamctl.cli.main import app
try:
    app(args=sys.argv[1:], prog_name="iamctl")
finally:
    print("ARGON2", counts["hash"], counts["verify"], file=sys.__stdout__)
"""


def _argon2_cost(root, user: str, password: str) -> tuple[tuple[int, int], str]:
    """(hashes, verifications) that `iamctl login USER` made in a process of its own, and its error."""
    env = {**os.environ, "IAMCTL_DIR": str(root), "IAMCTL_NOW": NOW}
    done = subprocess.run([sys.executable, "-c", _COUNTING, "login", user, "--password-stdin"], input=password + "\n",
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1, done.stderr
    hashes, verifies = done.stdout.rsplit("ARGON2", 1)[1].split()
    return (int(hashes), int(verifies)), done.stderr


def test_every_failed_login_costs_one_verification_and_gets_one_answer(root):
    """Unknown user 163 ms, no password 163 ms, wrong password 141 ms: the decoy hash was made in
    every process. Now it is made once, at init, and every failure (wrong password, unknown user,
    user without a password, locked user) costs exactly one Argon2 verification and no hashing,
    and is answered alike. (`benchmarks/login_timing.py` measures the times.)"""
    _user_with_password(root, "alice")
    _ok(run(root, "user", "create", "nopass"))
    _user_with_password(root, "locked")
    for _ in range(5):
        run(root, "login", "locked", "--password-stdin", input="wrong\n")
    seen = {}
    for label, user, password in [("wrong password", "alice", "wrong"), ("unknown user", "ghost", PASSWORD),
                                  ("no password", "nopass", PASSWORD), ("locked, right password", "locked", PASSWORD)]:
        cost, stderr = _argon2_cost(root, user, password)
        assert cost == (0, 1), (label, cost)
        seen[label] = stderr
    assert len(set(seen.values())) == 1, seen


def test_after_five_failures_an_unknown_user_behaves_as_a_locked_one(root):
    """A real user was told "locked" after 5 failures and an unknown one never was."""
    _user_with_password(root, "alice")
    answers = set()
    for user in ("alice", "ghost"):
        for _ in range(6):
            answers.add(_refused(_login(root, user, "wrong"), "AccessDenied"))
    assert len(answers) == 1 and "locked" not in answers.pop()
    assert _login(root, "alice").code == 1  # alice is locked: even the right password is refused


# -- 20.9: IAMCTL_NOW does not move the lockout -------------------------------------------------


def test_a_clock_pinned_into_the_future_does_not_lift_a_lock(root, wall):
    """A locked user logged in with IAMCTL_NOW=now+301. Locks are kept on the system clock."""
    _user_with_password(root, "alice")
    start = 1_768_478_400
    for i in range(5):
        wall(start + i)
        _login(root, "alice", "wrong", env={"IAMCTL_NOW": str(start + i)})
    wall(start + 10)
    _refused(_login(root, "alice", env={"IAMCTL_NOW": str(start + 301)}), "AccessDenied")
    _refused(_login(root, "alice", env={"IAMCTL_NOW": "2099-01-01T00:00:00Z"}), "AccessDenied")
    wall(start + 4 + 300)  # 300 s of the system clock
    _ok(_login(root, "alice"))


def test_failures_under_a_clock_pinned_into_the_future_lock_for_300_seconds_only(root, wall):
    """Five failures under IAMCTL_NOW=2099-... locked the user for 70 years (and an MFA device)."""
    _user_with_password(root, "alice")
    future = {"IAMCTL_NOW": "2099-01-01T00:00:00Z"}
    wall(1_768_478_400)
    for _ in range(5):
        _login(root, "alice", "wrong", env=future)
    _refused(_login(root, "alice"), "AccessDenied")
    wall(1_768_478_400 + 300)
    _ok(_login(root, "alice"))


def test_the_administrator_lifts_a_lockout_with_unlock_or_set_password(root):
    _user_with_password(root, "alice")
    for _ in range(5):
        _login(root, "alice", "wrong")
    _refused(_login(root, "alice"), "AccessDenied")
    unlocked = _ok(run(root, "user", "unlock", "alice"))
    assert "sign-in of alice unlocked" in unlocked.stderr
    _ok(_login(root, "alice"))
    for _ in range(5):
        _login(root, "alice", "wrong")
    _ok(run(root, "user", "set-password", "alice", "--password-stdin", input="Another-pw-2!\n"))
    _ok(_login(root, "alice", "Another-pw-2!"))
    _refused(run(root, "user", "unlock", "ghost"), "NoSuchEntity")


# -- 20.10: the session token stays off the command line ----------------------------------------


def test_simulate_as_a_session_reads_its_credentials_from_a_file_or_stdin(root, tmp_path):
    """The documented `simulate principal --session "$TOKEN"` put the token in `ps`."""
    _user_with_password(root, "alice")
    printed = _ok(_login(root, "alice")).stdout
    token = json.loads(printed)["Credentials"]["SessionToken"]
    r = run(root, "simulate", "principal", "--session", token, "-a", "s3:GetObject")
    _refused(r, "", status=2)
    assert token not in r.stderr and "--session" in r.stderr
    assert run(root, "simulate", "principal", "--session", _creds_file(tmp_path, printed), "-a", "iam:GetUser",
               "-r", f"arn:aws:iam::{ACCOUNT}:user/alice").code == 3  # alice has no policies: denied, not refused
    _ok(run(root, "user", "attach-policy", "alice", ADMIN))
    _ok(run(root, "simulate", "principal", "--session", "-", "-a", "iam:GetUser", input=printed))
