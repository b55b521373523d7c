"""table, json and text show the same data (README "Output"), and piped output is plain.

For each read command, every value in its JSON (names, ARNs, ids, dates, counts, flags, policy
documents) must appear in its text and table output too, except the keys a listing's columns
leave out on purpose (`json_only` below: e.g. a role list's table has no MaxSessionDuration
column). Tables are rendered at COLUMNS=1000, so that no cell wraps, and compared with their
box-drawing characters removed. The output is piped (CliRunner is not a terminal) and NO_COLOR
is unset: no ANSI escape codes may appear in any format, and no box-drawing characters in json
or text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from iamctl.core.credentials import totp

from .conftest import PASSWORD, T0, World

BOX = re.compile("[\u2500-\u257f]")
ANSI = "\x1b["
PLAIN_ENV = {"NO_COLOR": None, "COLUMNS": "1000"}
KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
SIMULATE_JSON_ONLY = frozenset({"boundary_allowed", "scp_allowed", "rcp_allowed", "session_allowed", "resource_allowed",
                                "errors", "warnings", "missing_context_keys", "effect", "index"})
SECRETS = frozenset({"AccessKeyId", "SecretAccessKey", "SessionToken"})


@dataclass(frozen=True)
class Case:
    """`args` may depend on the world and the run number (1 for the JSON, 2 for the format)."""

    args: tuple[str, ...] | Callable[[World, int], tuple[str, ...]]
    json_only: frozenset[str] = frozenset()
    stdin: Callable[[World], str] | None = None
    one_time: bool = False  # prints a new secret each run: ids and secrets are checked by pattern
    expect: int = 0

    def argv(self, world: World, run: int) -> tuple[str, ...]:
        return self.args(world, run) if callable(self.args) else self.args


def _login(world: World, run: int) -> tuple[str, ...]:
    # a code is accepted once: the second sign-in is 30 s later, with the next code
    return ("login", "alice", "--password-stdin", "--mfa-code", totp.code_at(world.mfa_seed, T0 + 30 + 30 * run))


CASES = {
    "user show": Case(("user", "show", "alice")),
    "user list": Case(("user", "list"), frozenset({"PasswordLastUsed"})),
    "user list-tags": Case(("user", "list-tags", "alice")),
    "user list-groups": Case(("user", "list-groups", "alice")),
    "user list-access-keys": Case(("user", "list-access-keys", "alice"), frozenset({"UserName"})),
    "user get-policy": Case(("user", "get-policy", "alice", "AllowS3")),
    "user list-policies": Case(("user", "list-policies", "alice")),
    "user list-attached-policies": Case(("user", "list-attached-policies", "alice")),
    "user create-access-key": Case(("user", "create-access-key", "bob"), SECRETS, one_time=True),
    "user import --dry-run": Case(lambda w, n: ("user", "import", w.files["import"], "--dry-run"),
                                  frozenset({"DryRun", "CredentialsFile"})),
    "group show": Case(("group", "show", "developers")),
    "group list": Case(("group", "list")),
    "group list-for-user": Case(("group", "list-for-user", "alice")),
    "group get-policy": Case(("group", "get-policy", "developers", "GroupInline")),
    "group list-policies": Case(("group", "list-policies", "developers")),
    "group list-attached-policies": Case(("group", "list-attached-policies", "developers")),
    "role show": Case(("role", "show", "deploy")),
    "role list": Case(("role", "list"), frozenset({"MaxSessionDuration", "Description"})),
    "role sessions": Case(("role", "sessions", "deploy"), frozenset({"Type", "Tags", "SourceIdentity"})),
    "role get-policy": Case(("role", "get-policy", "deploy", "RoleInline")),
    "role list-policies": Case(("role", "list-policies", "deploy")),
    "role list-attached-policies": Case(("role", "list-attached-policies", "deploy")),
    "role assume": Case(("role", "assume", "deploy", "--as", "user/alice", "--session-name", "s1",
                         "--source-identity", "alice"), SECRETS, one_time=True),
    "role instance-profile show": Case(("role", "instance-profile", "show", "web-server")),
    "role instance-profile list": Case(("role", "instance-profile", "list"),
                                       frozenset({"InstanceProfileId", "CreateDate"})),
    "role provider list": Case(("role", "provider", "list"), frozenset({"JwksRegistered", "ValidUntil"})),
    "policy show": Case(("policy", "show", "ReadReports")),
    "policy list": Case(("policy", "list", "--scope", "Local"),
                        frozenset({"PolicyId", "Path", "IsAttachable", "CreateDate", "Description", "Tags"})),
    "policy list-versions": Case(("policy", "list-versions", "ReadReports")),
    "policy get-version": Case(("policy", "get-version", "ReadReports", "v1")),
    "policy validate": Case(lambda w, n: ("policy", "validate", w.files["lax"])),
    "mfa list": Case(("mfa", "list")),
    "mfa list --user": Case(("mfa", "list", "--user", "alice")),
    "account show": Case(("account", "show")),
    "account list": Case(("account", "list")),
    "account password-policy show": Case(("account", "password-policy", "show")),
    "whoami": Case(lambda w, n: ("whoami", "--access-key-id", w.access_key_id, "--secret-stdin"),
                   stdin=lambda w: w.secret_access_key + "\n"),
    "login": Case(_login, SECRETS | {"Expiration"}, stdin=lambda w: PASSWORD + "\n", one_time=True),
    "simulate principal": Case(("simulate", "principal", "--user", "alice", "-a", "s3:GetObject", "-a",
                                "s3:PutObject", "-r", "arn:aws:s3:::reports/q3.csv"), SIMULATE_JSON_ONLY, expect=3),
    "analyze who-can": Case(("analyze", "who-can", "-a", "s3:GetObject", "-r", "arn:aws:s3:::reports/q3.csv"),
                            frozenset({"effect", "index"})),
    "simulate policy": Case(lambda w, n: ("simulate", "policy", "-p", w.files["doc"], "-a", "s3:GetObject",
                                          "-r", "arn:aws:s3:::reports/q3.csv"), SIMULATE_JSON_ONLY),
}


def _shown(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def values(data: Any, json_only: frozenset[str]) -> Iterator[str]:
    """Every scalar in a JSON output, as table and text print it; nulls and `json_only` keys skipped."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key not in json_only:
                yield from values(value, json_only)
    elif isinstance(data, list):
        for item in data:
            yield from values(item, json_only)
    elif data is not None and data != "":
        yield _shown(data)


def _squash(text: str) -> str:
    return " ".join(BOX.sub(" ", text).split())


def _run(iam, world: World, case: Case, form: str, run: int):
    stdin = case.stdin(world) if case.stdin else None
    return iam(*case.argv(world, run), "-o", form, input=stdin, env=PLAIN_ENV, expect=case.expect)


@pytest.mark.parametrize("form", ["table", "json", "text"])
@pytest.mark.parametrize("name", list(CASES))
def test_every_format_shows_the_same_values(iam, world, name, form):
    case = CASES[name]
    reference = _run(iam, world, case, "json", 1)
    data = reference.json()
    out = _run(iam, world, case, form, 2).stdout
    assert out.strip(), f"{name} -o {form} printed nothing"
    assert ANSI not in out, f"{name} -o {form}: ANSI escape codes in piped output"
    if form == "json":
        again = json.loads(out)
        assert case.one_time or again == data, "the same command printed different JSON"
        assert not BOX.search(out)
        return
    if form == "text":
        assert not BOX.search(out), f"{name} -o text: box-drawing characters"
    shown = _squash(out)
    missing = [v for v in values(data, case.json_only) if _squash(v) not in shown]
    assert not missing, f"{name}: in the JSON but not in -o {form}: {missing}"
    if case.one_time:
        assert KEY_ID.search(out), f"{name} -o {form}: no access key id"


def test_piped_output_without_o_is_json(iam, world):
    """The default format when stdout is not a terminal (README "Output")."""
    out = iam("user", "list", env=PLAIN_ENV).stdout
    assert {u["UserName"] for u in json.loads(out)["Users"]} == {"alice", "bob"}


def test_decision_colours_never_reach_a_pipe(iam, world):
    """simulate colours decisions in its table, on a terminal only."""
    out = iam("simulate", "principal", "--user", "bob", "-a", "s3:GetObject", "-o", "table",
              env=PLAIN_ENV, expect=3).stdout
    assert "implicitDeny" in out and ANSI not in out
