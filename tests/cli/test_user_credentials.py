"""`iamctl user` password and access-key commands, through the real CLI, each naming its AWS rule."""

from __future__ import annotations

import os
import stat

import pytest

GOOD = "Corr3ct-Horse"


@pytest.fixture
def alice(iam):
    iam("user", "create", "alice")
    return iam


def _key(iam, user="alice"):
    return iam("user", "create-access-key", user, "-o", "json").json()["AccessKey"]


# --- passwords --------------------------------------------------------------------------------


def test_set_password_from_stdin_creates_the_login_profile(alice):
    out = alice("user", "set-password", "alice", "--password-stdin", "--require-reset", "-o", "json",
                input=GOOD + "\n").json()
    assert set(out["LoginProfile"]) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert out["LoginProfile"]["PasswordResetRequired"] is True
    shown = alice("user", "show", "alice", "-o", "json").stdout
    assert "PasswordResetRequired" in shown and GOOD not in shown


def test_set_password_prompts_twice_without_stdin_flag(alice, terminal):
    alice("user", "set-password", "alice", input=f"{GOOD}\n{GOOD}\n")
    alice("user", "delete-password", "alice")


@pytest.mark.parametrize("command", [["user", "set-password", "alice"], ["user", "change-password", "alice"],
                                     ["login", "alice"]])
def test_a_password_piped_without_password_stdin_is_refused_in_one_line(alice, command):
    """Issue 19.8: no terminal to ask on and no --password-stdin: a usage error naming the option,
    never Python's GetPassWarning, and the piped password is not taken."""
    alice("account", "password-policy", "set", "--allow-users-to-change-password")
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n")
    result = alice(*command, input=f"{GOOD}\nBrand-new-1\nBrand-new-1\n", expect=2)
    assert result.stderr.count("\n") == 1 and "--password-stdin" in result.stderr
    assert "standard input is not a terminal" in result.stderr and "Warning" not in result.stderr
    assert GOOD not in result.stderr
    alice("login", "alice", "--password-stdin", input=GOOD + "\n")  # the password did not change


def test_password_is_never_a_command_line_argument(alice):
    result = alice("user", "set-password", "alice", GOOD, expect=2)
    assert GOOD not in result.stdout


def test_password_stdin_and_generate_are_exclusive(alice):
    alice("user", "set-password", "alice", "--password-stdin", "--generate", input=GOOD + "\n", expect=2)


def test_generate_prints_a_policy_conforming_password_once(alice):
    alice("account", "password-policy", "set", "--minimum-password-length", "24", "--require-symbols",
          "--require-numbers", "--require-uppercase-characters", "--require-lowercase-characters",
          "--allow-users-to-change-password")
    password = alice("user", "set-password", "alice", "--generate", "-o", "json").json()["LoginProfile"]["Password"]
    assert len(password) >= 24
    # The generated password is the user's password: it works as the old one for a change.
    alice("user", "change-password", "alice", "--password-stdin", input=f"{password}\nAn0ther-Passw0rd!xyzabcde\n")
    assert password not in alice("user", "show", "alice", "-o", "json").stdout


def test_default_policy_requires_three_of_four_character_types(alice):
    # AWS default password policy (no custom policy): min 8, three of four character types.
    r = alice("user", "set-password", "alice", "--password-stdin", input="alllowercase\n", expect=1)
    assert "PasswordPolicyViolation" in r.stderr and "three of" in r.stderr and r.stdout == ""


def test_policy_violation_names_every_rule_broken(alice):
    alice("account", "password-policy", "set", "--minimum-password-length", "12", "--require-symbols",
          "--require-numbers", "--require-uppercase-characters")
    r = alice("user", "set-password", "alice", "--password-stdin", input="short\n", expect=1)
    line = r.stderr.strip()
    assert len(r.stderr.splitlines()) == 1 and line.startswith("iamctl: error: PasswordPolicyViolation:")
    for rule in ("at least 12 characters", "uppercase letter", "number (0-9)", "symbol"):
        assert rule in line


def test_password_reuse_prevention_checks_history(alice):
    alice("account", "password-policy", "set", "--password-reuse-prevention", "2")
    for pw in ("first-pass", "second-pass"):
        alice("user", "set-password", "alice", "--password-stdin", input=pw + "\n")
    r = alice("user", "set-password", "alice", "--password-stdin", input="first-pass\n", expect=1)
    assert "last 2 passwords" in r.stderr


def test_set_password_for_missing_user_is_no_such_entity(iam):
    r = iam("user", "set-password", "ghost", "--password-stdin", input=GOOD + "\n", expect=1)
    assert "NoSuchEntity: The user with name ghost cannot be found." in r.stderr


def test_delete_password_twice_is_no_such_entity(alice):
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n")
    alice("user", "delete-password", "alice")
    r = alice("user", "delete-password", "alice", expect=1)
    assert "NoSuchEntity: Login Profile for User alice cannot be found." in r.stderr


def test_change_password_checks_the_old_password(alice):
    alice("account", "password-policy", "set", "--allow-users-to-change-password")
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n")
    r = alice("user", "change-password", "alice", "--password-stdin", input="wrong\nBrand-new-1\n", expect=1)
    assert "AccessDenied" in r.stderr
    alice("user", "change-password", "alice", "--password-stdin", input=f"{GOOD}\nBrand-new-1\n")
    alice("user", "change-password", "alice", "--password-stdin", input=f"Brand-new-1\n{GOOD}x\n")


def test_change_password_prompts_on_a_terminal(alice, terminal):
    alice("account", "password-policy", "set", "--allow-users-to-change-password")
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n")
    alice("user", "change-password", "alice", input=f"{GOOD}\nBrand-new-1\nBrand-new-1\n")


def test_change_password_refused_unless_users_may_change_their_own(alice):
    # AllowUsersToChangePassword false (and no IAMUserChangePassword): the user cannot; an
    # administrator's set-password still can.
    alice("account", "password-policy", "set", "--minimum-password-length", "8")
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n")
    r = alice("user", "change-password", "alice", "--password-stdin", input=f"{GOOD}\nBrand-new-1\n", expect=1)
    assert "AccessDenied" in r.stderr and "iam:ChangePassword" in r.stderr
    alice("user", "set-password", "alice", "--password-stdin", input="Brand-new-1\n")


def test_change_password_must_satisfy_the_policy(alice):
    alice("account", "password-policy", "set", "--allow-users-to-change-password", "--minimum-password-length", "10")
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n")
    r = alice("user", "change-password", "alice", "--password-stdin", input=f"{GOOD}\nshort\n", expect=1)
    assert "PasswordPolicyViolation" in r.stderr


def test_hard_expiry_blocks_the_user_but_not_the_administrator(alice):
    env = {"IAMCTL_NOW": "2026-01-01T00:00:00Z"}
    alice("account", "password-policy", "set", "--max-password-age", "1", "--hard-expiry",
          "--allow-users-to-change-password", env=env)
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n", env=env)
    later = {"IAMCTL_NOW": "2026-01-03T00:00:00Z"}
    r = alice("user", "change-password", "alice", "--password-stdin", input=f"{GOOD}\nBrand-new-1\n",
              env=later, expect=1)
    assert "hard expiry" in r.stderr
    alice("user", "set-password", "alice", "--password-stdin", input="Brand-new-1\n", env=later)


# --- access keys ------------------------------------------------------------------------------


def test_create_access_key_prints_aws_shape_once(alice):
    key = _key(alice)
    assert set(key) == {"UserName", "AccessKeyId", "Status", "SecretAccessKey", "CreateDate"}
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    listed = alice("user", "list-access-keys", "alice", "-o", "json").json()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    assert "SecretAccessKey" not in listed[0]


def test_create_access_key_for_missing_user_is_no_such_entity(iam):
    r = iam("user", "create-access-key", "ghost", expect=1)
    assert "NoSuchEntity" in r.stderr and r.stdout == ""


def test_at_most_two_access_keys_including_inactive(alice):
    first = _key(alice)
    alice("user", "update-access-key", "alice", first["AccessKeyId"], "--status", "Inactive")
    _key(alice)
    r = alice("user", "create-access-key", "alice", expect=1)
    assert "LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2." in r.stderr


def test_update_access_key_status_values(alice):
    key = _key(alice)
    alice("user", "update-access-key", "alice", key["AccessKeyId"], "--status", "Inactive")
    listed = alice("user", "list-access-keys", "alice", "-o", "json").json()["AccessKeyMetadata"]
    assert listed[0]["Status"] == "Inactive"
    r = alice("user", "update-access-key", "alice", key["AccessKeyId"], "--status", "Off", expect=1)
    assert "ValidationError" in r.stderr


def test_delete_access_key_then_unknown(alice):
    key = _key(alice)
    alice("user", "delete-access-key", "alice", key["AccessKeyId"])
    assert alice("user", "list-access-keys", "alice", "-o", "json").json() == {"AccessKeyMetadata": []}
    r = alice("user", "delete-access-key", "alice", key["AccessKeyId"], expect=1)
    assert f"NoSuchEntity: The Access Key with id {key['AccessKeyId']} cannot be found." in r.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "text"])
def test_list_access_keys_shows_the_same_data_in_every_format(alice, fmt):
    key = _key(alice)
    out = alice("user", "list-access-keys", "alice", "-o", fmt).stdout
    assert key["AccessKeyId"] in out and "Active" in out and key["SecretAccessKey"] not in out


# --- secrets stay secret ----------------------------------------------------------------------


def test_no_secret_in_any_output_or_diffable_file_and_secret_files_are_0600(alice, account_dir):
    alice("user", "set-password", "alice", "--password-stdin", input=GOOD + "\n")
    key = _key(alice)
    secret = key["SecretAccessKey"]
    outputs = [
        alice("user", "show", "alice", "-o", fmt).stdout for fmt in ("json", "text", "table")
    ] + [
        alice("user", "list", "-o", "json").stdout,
        alice("user", "list-access-keys", "alice", "-o", "json").stdout,
        alice("account", "credential-report").stdout,
        alice("account", "show", "-o", "json").stdout,
    ]
    for out in outputs:
        assert GOOD not in out and secret not in out
    secret_files = []
    for root, _dirs, files in os.walk(account_dir):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, account_dir)
            text = open(path, encoding="utf-8", errors="replace").read()
            assert GOOD not in text and secret not in text, rel
            if rel.startswith("secrets" + os.sep):
                secret_files.append(path)
                assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, rel
            else:
                assert "argon2" not in text and "sha256$" not in text, rel
    assert secret_files, "the password and key hashes live under secrets/"
