"""No secret leaks: after a full scenario, no later command's output, no diffable file and no
journal holds a password, secret access key, MFA seed, session token or session secret; secret
files are 0600 in 0700 folders; and no documented flow takes a secret on the command line."""

from __future__ import annotations

import inspect
import json
import stat
from pathlib import Path

import pytest

from .support import ACCOUNT, run

PASSWORD = "Leak-test-password-1!"


def _scenario(root: Path, files: Path) -> dict[str, list[str]]:
    """Users, passwords, access keys, MFA enrolment, login and assume-role; returns every
    secret shown (once) along the way."""
    import pyotp

    from iamctl.core.base import clock

    secrets: dict[str, list[str]] = {"password": [PASSWORD], "secret key": [], "seed": [], "token": []}
    ok = lambda *a, **kw: _ok(run(root, *a, **kw), a)  # noqa: E731
    ok("init", "--account-id", ACCOUNT)
    for name in ("alice", "bob"):
        ok("user", "create", name, "--tag", "team=a")
        ok("user", "set-password", name, "--password-stdin", input=PASSWORD + "\n")
        key = json.loads(ok("user", "create-access-key", name, "-o", "json").stdout)["AccessKey"]
        secrets["secret key"].append(key["SecretAccessKey"])
    generated = json.loads(ok("user", "set-password", "bob", "--generate", "-o", "json").stdout)
    secrets["password"] += [v for k, v in _walk(generated) if k == "Password"]
    ok("mfa", "create", "alice-phone", "--seed-file", str(files / "seed"))
    seed = (files / "seed").read_text().strip()
    secrets["seed"].append(seed)
    now = clock.parse_instant("2026-01-15T12:00:00Z")
    totp = pyotp.TOTP(seed)
    ok("mfa", "enable", "--user", "alice", "--serial", "alice-phone", "--code1", totp.at(now - 30),
       "--code2", totp.at(now))
    later = {"IAMCTL_NOW": str(now + 60)}
    creds = json.loads(ok("login", "alice", "--password-stdin", "--mfa-code", totp.at(now + 60), "-o", "json",
                          input=PASSWORD + "\n", env=later).stdout)["Credentials"]
    secrets["secret key"].append(creds["SecretAccessKey"])
    secrets["token"].append(creds["SessionToken"])
    ok("role", "create", "deploy", "--trust-account", ACCOUNT)
    ok("role", "attach-policy", "deploy", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    ok("user", "attach-policy", "bob", "arn:aws:iam::aws:policy/AdministratorAccess")
    assumed = json.loads(ok("role", "assume", "deploy", "--as", "user/bob", "--session-name", "bob-session", "-o", "json",
                            env=later).stdout)
    for key, value in _walk(assumed):
        if key == "SecretAccessKey":
            secrets["secret key"].append(value)
        if key == "SessionToken":
            secrets["token"].append(value)
    assert all(secrets.values()), secrets
    return secrets


def _ok(result, args):
    assert result.code == 0, (args, result.stderr)
    return result


def _walk(data):
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, str):
                yield k, v
            yield from _walk(v)
    elif isinstance(data, list):
        for v in data:
            yield from _walk(v)


LATER_COMMANDS = [
    ["user", "list"], ["user", "show", "alice"], ["user", "show", "bob"], ["user", "list-access-keys", "alice"],
    ["group", "list"], ["role", "list"], ["role", "show", "deploy"], ["role", "sessions", "deploy"],
    ["mfa", "list"], ["account", "show"], ["account", "check"], ["account", "credential-report"],
    ["whoami"], ["simulate", "principal", "--user", "bob", "-a", "s3:GetObject"],
    ["user", "export", "-"], ["policy", "list"],
]


def test_no_secret_in_any_later_output_file_or_journal(tmp_path):
    root, files = tmp_path / "acct", tmp_path / "files"
    files.mkdir()
    secrets = _scenario(root, files)
    found_outputs = 0
    for command in LATER_COMMANDS:
        for fmt in ("json", "table", "text"):
            result = run(root, *command, "-o", fmt) if command[-1] != "-" else run(root, *command)
            if result.code == 2:  # a command that is not there (yet) or takes no -o
                continue
            found_outputs += 1
            for kind, values in secrets.items():
                for value in values:
                    assert value not in result.stdout + result.stderr, (command, fmt, kind)
    assert found_outputs > 20
    # The diffable files (everything outside secrets/) and any journal or temporary file.
    scanned = 0
    for path in root.rglob("*"):
        if not path.is_file() or path.relative_to(root).parts[0] == "secrets":
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        scanned += 1
        for kind, values in secrets.items():
            for value in values:
                assert value not in text, (path, kind)
    # Inside secrets/ only hashes: no password, key secret or token in clear (seeds must be there).
    for path in (root / "secrets").rglob("*.toml"):
        text = path.read_text()
        for kind in ("password", "secret key", "token"):
            for value in secrets[kind]:
                assert value not in text, (path, kind)
    assert scanned > 5


def test_secret_files_are_0600_in_0700_folders(tmp_path):
    root, files = tmp_path / "acct", tmp_path / "files"
    files.mkdir()
    _scenario(root, files)
    checked = 0
    for path in [root / "secrets", *(root / "secrets").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
        checked += 1
    assert checked > 8
    assert stat.S_IMODE((files / "seed").stat().st_mode) == 0o600  # the --seed-file too
    state = root / ".iamctl"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


# Parameters whose value would be a secret: named after one (last word password, secret, seed
# or token). Each must be a flag (read it from standard input, or generate one) or take a FILE
# (its metavar says so): never the secret itself. Pagination tokens are not secrets.
SECRET_WORDS = {"password", "secret", "seed", "token"}
NOT_SECRETS = {"starting_token"}


def _walk_commands(command, path=()):
    import typer

    ctx = typer.Context(command)
    names = command.list_commands(ctx) if hasattr(command, "list_commands") else []
    if not names:
        yield path, command
    for name in names:
        sub = command.get_command(ctx, name)
        if sub is not None:
            yield from _walk_commands(sub, (*path, name))


def test_no_command_takes_a_secret_as_an_argument_or_option_value():
    """Walk the whole command tree: any parameter named like a secret is a from-stdin flag, a
    generate switch or a FILE (secrets in argv are visible to every user in `ps`)."""
    import typer

    from iamctl.cli.main import app

    offenders, seen, secretish = [], 0, 0
    for path, command in _walk_commands(typer.main.get_command(app)):
        for param in command.params:
            seen += 1
            name = (param.name or "").lower()
            words = set(name.split("_"))
            numeric = getattr(param.type, "name", "") in ("int", "integer", "float")  # a policy's length, age
            if name in NOT_SECRETS or numeric or not (words & SECRET_WORDS):
                continue
            secretish += 1
            takes_file = name.endswith(("_file", "_out")) or "FILE" in (param.metavar or "")
            if not (getattr(param, "is_flag", False) or takes_file):
                offenders.append((" ".join(path), name, param.metavar))
    assert seen > 100 and secretish >= 5
    assert offenders == []


@pytest.mark.parametrize("command", [
    ["user", "set-password", "alice", "--password-stdin"],
    ["user", "change-password", "alice", "--password-stdin"],
    ["login", "alice", "--password-stdin"],
])
def test_the_flows_with_secrets_read_them_from_standard_input(tmp_path, command):
    root = tmp_path / "acct"
    _ok(run(root, "init", "--account-id", ACCOUNT), "init")
    _ok(run(root, "user", "create", "alice"), "create")
    _ok(run(root, "account", "password-policy", "set", "--allow-users-to-change-password"), "policy")
    _ok(run(root, "user", "set-password", "alice", "--password-stdin", input=PASSWORD + "\n"), "set")
    stdin = f"{PASSWORD}\nNew-leak-password-2!\nNew-leak-password-2!\n"
    result = run(root, *command, input=stdin)
    assert result.code == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "New-leak-password-2!" not in result.stdout + result.stderr


def test_the_cli_hides_locals_from_tracebacks():
    """Typer's pretty tracebacks would print local variables (a password, a seed): off."""
    from iamctl.cli.main import app

    assert app.pretty_exceptions_show_locals is False
    assert "show_locals" not in inspect.getsource(__import__("iamctl.cli.render", fromlist=["x"]))
