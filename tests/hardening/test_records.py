"""Hand-edited TOML of every record kind, secrets included (issue 20.15).

An attacker (or a tired administrator) edits one value of one file of a full account: a user,
group, role, policy, MFA device, instance profile, access-key index, AWS managed policy use,
login and role sessions and their indexes, OIDC and SAML providers, the account, the manifest,
and the secret records of users and MFA devices. The value becomes one of another type, or a
string of the wrong format (`created = "yesterday"`), or goes missing, or an unknown key
appears. Then real commands run on the directory. Each one ends with exit 0, 1, 2 or 3, never
70; a failure is one line; and whenever a command reports the file as damaged, `account check`
lists that file too.

40 edits in CI, 1,000 with IAMCTL_STRESS=full (each with three commands drawn from the list
below, and `account check`); `test_every_wrong_type_edit_is_found_by_account_check` goes over
every value of every file with one wrong type each.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamctl.core.base import clock
from iamctl.core.credentials import totp

from . import support
from .support import ACCOUNT, NOW, run

EXAMPLES = support.scale(40, 1000)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not support.FULL,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
T = clock.parse_instant(NOW)
PASSWORD = "Records-fuzz-Passw0rd!"
DOC = ('{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", '
       '"Resource": "*"}]}')
TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
         f'"arn:aws:iam::{ACCOUNT}:root"}}, "Action": ["sts:AssumeRole", "sts:TagSession"]}}]}}')
SAML = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com" '
        f'validUntil="2030-01-01T00:00:00Z"><!-- {"x" * 1000} --></md:EntityDescriptor>')
# What a wrong edit puts in place of a value: each TOML type, and strings of the wrong format.
COUNTS = {"edits": 0, "commands": 0, "refused as damaged": 0}
WRONG = [7, -1, 1.5, True, "x", "", "yesterday", "2026-13-45T99:99:99Z", [], [1, "a"], {"k": 1}]


class World:
    """The template account and what its build printed (the secrets shown once)."""

    def __init__(self, root: Path, key_id: str, secret: str, seed: str, token: str):
        self.root, self.key_id, self.secret, self.seed, self.token = root, key_id, secret, seed, token


def _build(root: Path) -> World:
    work = root.parent
    (work / "doc.json").write_text(DOC)
    (work / "trust.json").write_text(TRUST)
    (work / "saml.xml").write_text(SAML)

    def ok(*args, input=None):
        result = run(root, *args, input=input)
        assert result.code == 0, (args, result.stderr)
        return result

    ok("init", "--account-id", ACCOUNT)
    ok("account", "set-alias", "fuzz-corp")
    ok("account", "password-policy", "set", "--minimum-password-length", "12", "--max-password-age", "90",
       "--password-reuse-prevention", "3", "--allow-users-to-change-password")
    ok("policy", "create", "base", "--document", str(work / "doc.json"), "--tag", "team=a")
    ok("policy", "create-version", "base", "--document", str(work / "doc.json"), "--set-as-default")
    ok("user", "create", "alice", "--tag", "team=web", "--permissions-boundary", "arn:aws:iam::aws:policy/PowerUserAccess")
    ok("user", "create", "bob")
    ok("group", "create", "staff")
    ok("group", "add-user", "staff", "alice")
    ok("group", "put-policy", "staff", "inline", "--document", str(work / "doc.json"))
    ok("user", "attach-policy", "alice", f"arn:aws:iam::{ACCOUNT}:policy/base")
    ok("user", "attach-policy", "alice", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    ok("user", "put-policy", "alice", "own", "--document", str(work / "doc.json"))
    ok("user", "set-password", "alice", "--password-stdin", input=PASSWORD + "\n")
    key = ok("user", "create-access-key", "alice", "-o", "json").json()["AccessKey"]
    ok("whoami", "--access-key-id", key["AccessKeyId"], "--secret-stdin", input=key["SecretAccessKey"] + "\n")
    ok("mfa", "create", "alice-phone", "--seed-file", str(work / "seed"))
    seed = (work / "seed").read_text().strip()
    ok("mfa", "enable", "--user", "alice", "--serial", "alice-phone", "--code1", totp.code_at(seed, T - 30),
       "--code2", totp.code_at(seed, T))
    login = ok("login", "alice", "--password-stdin", "--mfa-code", totp.code_at(seed, T + 30), "-o", "json",
               input=PASSWORD + "\n").json()["Credentials"]
    ok("mfa", "create", "spare", "--seed-file", str(work / "spare-seed"))
    ok("role", "create", "deploy", "--trust-policy", str(work / "trust.json"), "--description", "Deploys",
       "--tag", "team=ops")
    ok("role", "attach-policy", "deploy", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    ok("role", "put-policy", "deploy", "inline", "--document", str(work / "doc.json"))
    ok("role", "instance-profile", "create", "web")
    ok("role", "instance-profile", "add-role", "web", "deploy")
    ok("role", "provider", "create-oidc", "--url", "https://token.example.com", "--client-id", "sts.amazonaws.com")
    ok("role", "provider", "create-saml", "corp-idp", "--metadata", str(work / "saml.xml"))
    ok("role", "revoke-sessions", "deploy")
    return World(root, key["AccessKeyId"], key["SecretAccessKey"], seed, login["SessionToken"])


@pytest.fixture(scope="module")
def world():
    """Built once per module in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="iamctl-records-"))
    try:
        yield _build(folder / "acct")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _commands(w: World) -> list[tuple[list[str], str | None, dict | None]]:
    later = {"IAMCTL_NOW": str(T + 120)}
    return [
        (["user", "show", "alice"], None, None), (["user", "list"], None, None),
        (["user", "list-access-keys", "alice"], None, None), (["user", "list-groups", "alice"], None, None),
        (["group", "show", "staff"], None, None), (["group", "list"], None, None),
        (["role", "show", "deploy"], None, None), (["role", "list"], None, None),
        (["role", "sessions", "deploy"], None, None), (["policy", "show", "base"], None, None),
        (["policy", "get-version", "base", "v1"], None, None), (["policy", "list-versions", "base"], None, None),
        (["policy", "list"], None, None), (["mfa", "list"], None, None), (["account", "show"], None, None),
        (["account", "list"], None, None), (["account", "credential-report"], None, None),
        (["account", "export"], None, None), (["account", "export", "--format", "cloudformation"], None, None),
        (["account", "password-policy", "show"], None, None), (["user", "export", "-"], None, None),
        (["simulate", "principal", "--user", "alice", "-a", "s3:GetObject"], None, None),
        (["simulate", "principal", "--role", "deploy", "-a", "s3:GetObject"], None, None),
        (["simulate", "principal", "--session", w.token, "-a", "s3:GetObject"], None, None),
        (["role", "instance-profile", "show", "web"], None, None), (["role", "provider", "list"], None, None),
        (["whoami", "--access-key-id", w.key_id, "--secret-stdin"], w.secret + "\n", None),
        (["login", "alice", "--password-stdin", "--mfa-code", totp.code_at(w.seed, T + 120)], PASSWORD + "\n", later),
        (["mfa", "verify", "alice", totp.code_at(w.seed, T + 120)], None, later),
        (["role", "assume", "deploy", "--as", "user/alice", "--session-name", "fuzz"], None, None),
        (["user", "tag", "alice", "k=v"], None, None), (["user", "delete", "bob", "--force"], None, None),
        (["user", "update", "alice", "--new-name", "alice2"], None, None),
        (["account", "password-policy", "delete"], None, None),
    ]


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.toml") if ".iamctl" not in p.parts)


def _paths(value, prefix=()) -> list[tuple]:
    """Every key path in a parsed TOML document: tables, arrays and the values in them."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


def _edit(path: Path, keys: tuple, new, *, delete: bool = False) -> None:
    data = tomllib.loads(path.read_text())
    holder = data
    for k in keys[:-1]:
        holder = holder[k]
    if delete:
        del holder[keys[-1]]
    elif new == "<unknown key>":
        target = holder[keys[-1]]
        if isinstance(target, dict):
            target["bogus_key"] = 1
        else:
            holder[keys[-1]] = target  # nothing to add to: leave it
    else:
        holder[keys[-1]] = new
    path.write_text(tomli_w.dumps(data))


def _check_command(root: Path, args, stdin, env) -> str | None:
    """Run one command; return its stderr when it failed cleanly."""
    result = run(root, *args, input=stdin, env=env)
    assert result.code in support.CLEAN_EXITS, (args, result.code, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    if result.code in (1, 2):
        assert result.clean_failure(), (args, result.stderr)
        return result.stderr
    return None


def _case(world: World, rel: str, keys: tuple, new, *, delete: bool, commands) -> None:
    work = Path(tempfile.mkdtemp(prefix="iamctl-record-case-"))
    try:
        root = work / "acct"
        shutil.copytree(world.root, root, symlinks=True)
        _edit(root / rel, keys, new, delete=delete)
        damaged = False
        COUNTS["edits"] += 1
        for args, stdin, env in commands:
            err = _check_command(root, args, stdin, env)
            COUNTS["commands"] += 1
            COUNTS["refused as damaged"] += err is not None and "damaged" in err
            damaged |= err is not None and "damaged" in err and rel in err
        check = run(root, "account", "check")
        assert check.code in (0, 1) and "Traceback" not in check.stderr, check.stderr
        if damaged:
            assert check.code == 1 and rel in check.stderr, (rel, keys, new, check.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@FUZZ
@given(data=st.data())
def test_a_hand_edited_record_never_ends_a_command_with_exit_70(world, data):
    files = _files(world.root)
    rel = data.draw(st.sampled_from(files), label="file")
    keys = data.draw(st.sampled_from(_paths(tomllib.loads((world.root / rel).read_text()))), label="key")
    delete = data.draw(st.booleans(), label="delete") if data.draw(st.integers(0, 5)) == 0 else False
    new = None if delete else data.draw(st.sampled_from([*WRONG, "<unknown key>"]), label="value")
    commands = data.draw(st.lists(st.sampled_from(_commands(world)), min_size=3, max_size=3), label="commands")
    _case(world, rel, keys, new, delete=delete, commands=commands)


def test_zz_report_record_edit_counts():
    """Runs after the fuzz test of this file: prints what it did."""
    print(f"\nrecords fuzz: {COUNTS['edits']} edits, {COUNTS['commands']} commands, "
          f"{COUNTS['refused as damaged']} refused as damage")


def _wrong_type(value):
    """A value of another TOML type than `value`'s."""
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return "7"
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return "x"
    return 7


def test_every_wrong_type_edit_is_found_by_account_check(world):
    """Every value of every file (tables and arrays included), replaced by a value of another
    type: `account check` names the file, and the credential report, user list and export end
    cleanly. Values whose type is free (tags, imported fields) are not counted."""
    cases = [(rel, keys) for rel in _files(world.root)
             for keys in _paths(tomllib.loads((world.root / rel).read_text()))]
    if not support.FULL:
        cases = cases[::3]  # a spread over every file in CI
    missed = []
    for rel, keys in cases:
        work = Path(tempfile.mkdtemp(prefix="iamctl-record-case-"))
        try:
            root = work / "acct"
            shutil.copytree(world.root, root, symlinks=True)
            data = tomllib.loads((root / rel).read_text())
            value = data
            for k in keys:
                value = value[k]
            _edit(root / rel, keys, _wrong_type(value))
            for args in (["account", "credential-report"], ["user", "list"], ["account", "export"]):
                _check_command(root, args, None, None)
            check = run(root, "account", "check")
            free = keys[0] in ("tags", "extra") or (len(keys) > 1 and keys[-2] in ("tags", "extra"))
            if not free and not (check.code == 1 and rel in check.stderr):
                missed.append((rel, keys))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nrecords: {len(cases)} wrong-type edits over {len(_files(world.root))} files; account check missed "
          f"{len(missed)}")
    assert not missed, missed[:20]


def test_created_yesterday_is_damage_not_a_crash(world, tmp_path):
    """The issue's example: `created = "yesterday"` passed `account check` and crashed the
    credential report. Now check names the file and line, and the report refuses in one line."""
    root = tmp_path / "acct"
    shutil.copytree(world.root, root, symlinks=True)
    path = root / ACCOUNT / "users" / "alice.toml"
    text = path.read_text()
    path.write_text(text.replace(text[text.index("created = "):].split("\n")[0], 'created = "yesterday"', 1))
    check = run(root, "account", "check")
    assert check.code == 1 and f"{ACCOUNT}/users/alice.toml:" in check.stderr and "created" in check.stderr
    report = run(root, "account", "credential-report")
    assert report.clean_failure() and "alice.toml" in report.stderr and "yesterday" in report.stderr, report.stderr
