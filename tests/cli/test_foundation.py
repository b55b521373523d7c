"""The CLI skeleton: version, help, global options, output formats, the error boundary."""

from __future__ import annotations

import json
import os
import re
import select
import sys
import time

import pytest

from iamctl import __version__


def test_version(iam):
    assert iam("--version").stdout == f"iamctl {__version__}\n"


def test_help_lists_every_command_group(iam):
    from iamctl.cli.main import GROUPS

    out = iam("--help").stdout
    for name in GROUPS:
        assert name in out


def test_first_change_creates_an_account_with_a_12_digit_id_and_says_so(iam, account_dir):
    """Issue 19.1: a mutating command may create the account implicitly, with a note on stderr
    naming the directory and the new account id."""
    created = iam("user", "create", "alice")
    note = re.fullmatch(r"iamctl: created the account directory (.+) with account ([1-9]\d{11})\n", created.stderr)
    assert note and note.group(1) == str(account_dir), created.stderr
    out = iam("account", "show", "-o", "json").json()["Account"]
    assert out["AccountId"] == note.group(2) and out["Users"] == 1
    assert (account_dir / "iamctl.toml").is_file()
    assert (account_dir / out["AccountId"] / "account.toml").is_file()
    # The same account is used by the next command, which says nothing more.
    assert iam("user", "create", "bob").stderr == ""


@pytest.mark.parametrize("command", [["user", "list"], ["account", "check"], ["account", "show"],
                                     ["user", "show", "alice"], ["simulate", "principal", "--user", "a", "-a", "s3:x"],
                                     ["account", "export"], ["account", "credential-report"]])
@pytest.mark.parametrize("where", ["env", "deep"])
def test_a_read_only_command_on_a_mistyped_directory_creates_nothing(iam, tmp_path, monkeypatch, command, where):
    """Issue 19.1: `IAMCTL_DIR=./crop iamctl user list` used to exit 0 and create crop/<id>/;
    `--dir /nonexistent/deep/path user list` built the whole path. A read-only command fails in
    one line naming the directory and saying that `iamctl init` creates one."""
    if where == "env":
        target = tmp_path / "crop"
        monkeypatch.setenv("IAMCTL_DIR", str(target))
        args = command
    else:
        target = tmp_path / "nonexistent" / "deep" / "path"
        args = ["--dir", str(target), *command]
    r = iam(*args, expect=1)
    assert r.stdout == ""
    assert r.stderr == (f"iamctl: error: StoreError: {target} is not an iamctl account directory: `iamctl init` "
                        "creates one there (or choose another with --dir or IAMCTL_DIR)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing may be created"


def test_a_failing_first_change_creates_nothing(iam, tmp_path):
    """A mutating command that fails on a directory that does not exist leaves nothing behind,
    not even the folders on the way: the account would be created in its transaction."""
    target = tmp_path / "a" / "b"
    r = iam("--dir", str(target), "account", "set-alias", "NOT_VALID", expect=1)
    assert r.stderr.startswith("iamctl: error: ValidationError") and r.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    # A command that writes only to record what it saw (a sign-in) and saw nothing makes nothing.
    r = iam("--dir", str(target), "login", "alice", "--password-stdin", input="pw\n", expect=1)
    assert r.stderr.startswith("iamctl: error: AccessDenied") and r.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    iam("--dir", str(target), "account", "set-alias", "valid-alias")
    assert iam("--dir", str(target), "account", "show", "-o", "json").json()["Account"]["AccountAlias"] == "valid-alias"


def test_init_with_an_account_id(iam, account_dir):
    out = iam("init", "--account-id", "111122223333", "-o", "json").json()["Account"]
    assert out == {"AccountId": "111122223333", "Created": True, "Directory": str(account_dir)}
    again = iam("init", "--account-id", "111122223333", "-o", "json").json()["Account"]
    assert again["Created"] is False
    assert iam("account", "show", "-o", "json").json()["Account"]["AccountId"] == "111122223333"


def test_init_a_second_account_and_select_it(iam):
    iam("init", "--account-id", "111122223333")
    iam("init", "--account-id", "444455556666")
    ids = [a["AccountId"] for a in iam("account", "list", "-o", "json").json()["Accounts"]]
    assert ids == ["111122223333", "444455556666"]
    shown = iam("--account", "444455556666", "account", "show", "-o", "json").json()["Account"]
    assert shown["AccountId"] == "444455556666"
    err = iam("--account", "999999999999", "account", "show", expect=1).stderr
    assert err == f"iamctl: error: NoSuchEntity: the account 999999999999 does not exist in {iam_dir(iam)}\n"


def iam_dir(iam):
    import os

    return os.environ["IAMCTL_DIR"]


def test_dir_option_beats_environment(iam, tmp_path):
    other = tmp_path / "other"
    iam("--dir", str(other), "init", "--account-id", "123456789012")
    assert (other / "123456789012" / "account.toml").is_file()


@pytest.mark.parametrize("bad", ["init --account-id 12345", "init --account-id abcdefghijkl"])
def test_bad_account_id(iam, bad):
    r = iam(*bad.split(), expect=1)
    assert r.stderr.startswith("iamctl: error: InvalidInput: account id")
    assert r.stdout == ""


@pytest.mark.parametrize(
    "alias, ok",
    [
        ("abc", True),
        ("example-corp", True),
        ("a" * 63, True),
        ("ab", False),  # 3 to 63 characters
        ("a" * 64, False),
        ("-abc", False),  # not starting with a hyphen
        ("abc-", False),  # nor ending with one
        ("Abc", False),  # lower case only
        ("ab_c", False),
        ("ab--c", False),  # AWS's pattern forbids two hyphens in a row
    ],
)
def test_account_alias_rules_follow_aws_create_account_alias(iam, alias, ok):
    iam("init")
    r = iam("account", "set-alias", "--", alias, expect=0 if ok else 1)
    shown = iam("account", "show", "-o", "json").json()["Account"]["AccountAlias"]
    assert shown == (alias if ok else None)
    if not ok:
        assert r.stderr.startswith("iamctl: error: ValidationError: account alias")


def test_delete_alias(iam):
    iam("account", "set-alias", "acme")
    iam("account", "delete-alias")
    assert iam("account", "show", "-o", "json").json()["Account"]["AccountAlias"] is None
    assert "NoSuchEntity" in iam("account", "delete-alias", expect=1).stderr


def test_quotas_default_to_aws_and_can_be_raised(iam):
    iam("init")
    quotas = iam("account", "show", "-o", "json").json()["Account"]["Quotas"]
    assert quotas["users"] == 5000
    assert quotas["groups"] == 300
    assert quotas["roles"] == 1000
    assert quotas["policies"] == 1500
    assert quotas["groups-per-user"] == 10
    assert quotas["managed-policies-per-user"] == 10
    assert quotas["versions-per-policy"] == 5
    assert quotas["access-keys-per-user"] == 2
    assert quotas["mfa-devices-per-user"] == 8
    assert quotas["tags-per-entity"] == 50
    iam("account", "set-quota", "users", "20000")
    assert iam("account", "show", "-o", "json").json()["Account"]["Quotas"]["users"] == 20000


def test_unknown_quota_is_an_invalid_input(iam):
    r = iam("account", "set-quota", "bananas", "3", expect=1)
    assert r.stderr.startswith("iamctl: error: InvalidInput: unknown quota 'bananas'")


@pytest.mark.parametrize("fmt", ["json", "text", "table"])
def test_every_format_shows_the_same_account(iam, fmt):
    iam("init", "--account-id", "111122223333")
    iam("account", "set-alias", "acme")
    out = iam("account", "show", "-o", fmt).stdout
    assert "111122223333" in out
    assert "acme" in out
    assert "\x1b[" not in out  # never colour codes when not on a terminal
    if fmt == "json":
        assert json.loads(out)["Account"]["AccountAlias"] == "acme"
    if fmt == "text":
        assert "AccountAlias\tacme\n" in out


def test_global_output_option_and_piped_default(iam):
    # CliRunner's stdout is not a terminal: the default is JSON.
    iam("init")
    assert json.loads(iam("account", "show").stdout)["Account"]
    assert iam("--output", "text", "account", "show").stdout.startswith("AccountId\t")


def test_bad_output_format_is_a_usage_error(iam):
    r = iam("account", "show", "-o", "yaml", expect=2)
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("iamctl: error: usage:")


@pytest.mark.parametrize("args", [["account", "show"], ["-o", "json", "account", "show"], ["user", "delete", "x"]])
def test_a_bad_iamctl_output_is_a_usage_error_like_a_bad_o(iam, account_dir, args):
    """README "Environment": IAMCTL_OUTPUT is the default format; a value that is not one is a
    usage error naming it, for every command, before the account directory is touched."""
    r = iam(*args, env={"IAMCTL_OUTPUT": "xml"}, expect=2)
    assert r.stdout == ""
    assert r.stderr == ("iamctl: error: usage: Invalid value for IAMCTL_OUTPUT: 'xml' is not one of table, json, "
                        "text (see 'iamctl --help')\n")
    assert not account_dir.exists()
    iam("init")
    assert iam("account", "show", env={"IAMCTL_OUTPUT": "text"}).stdout.startswith("AccountId\t")
    assert iam("account", "show", env={"IAMCTL_OUTPUT": ""}).json()["Account"]  # empty: unset


def _run_on_a_terminal(args: list[str], env: dict[str, str], *, until: bytes, then: bytes) -> tuple[int, bytes]:
    """Run `iamctl ARGS` on a new pseudo-terminal, type `then` once `until` is on screen; return the
    exit status and everything it showed."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: only exec, nothing of pytest's
        os.execve(sys.executable, [sys.executable, "-m", "iamctl", *args], env)
    shown, typed, deadline = b"", False, time.monotonic() + 30
    while time.monotonic() < deadline:
        if not typed and until in shown:
            os.write(fd, then)
            typed = True
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown


def test_ctrl_c_at_a_prompt_exits_130(account_dir):
    """README "Exit status": 130 is interrupted (Ctrl-C), also at a prompt (where Click turns
    Ctrl-C into an abort), with no error line."""
    env = {**os.environ, "IAMCTL_DIR": str(account_dir)}
    status, shown = _run_on_a_terminal(["whoami", "--access-key-id", "AKIAIOSFODNN7EXAMPLE"], env,
                                       until=b"Secret access key", then=b"\x03")
    assert status == 130, shown
    assert b"error" not in shown and b"Traceback" not in shown


@pytest.mark.parametrize(
    "args",
    [["account", "bogus"], ["account", "show", "--bogus"], ["account", "set-quota", "users", "many"]],
)
def test_usage_errors_exit_2_with_one_line(iam, args):
    r = iam(*args, expect=2)
    assert r.stdout == ""
    assert r.stderr.startswith("iamctl: error: usage: ")
    assert r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


def test_iam_errors_exit_1_with_one_line_and_no_traceback(iam):
    r = iam("account", "delete-alias", expect=1)
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert re.fullmatch(r"iamctl: error: NoSuchEntity: .+\n", r.stderr)


def test_debug_shows_the_traceback(iam):
    r = iam("--debug", "account", "delete-alias", expect=1)
    assert "Traceback" in r.stderr
    assert r.stderr.rstrip().endswith("the account has no alias") or "NoSuchEntity" in r.stderr


def test_refuses_a_non_empty_foreign_directory(iam, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    r = iam("--dir", str(foreign), "account", "show", expect=1)
    assert "is not an iamctl account directory" in r.stderr
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
