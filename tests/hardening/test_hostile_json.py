"""Hostile JSON at every JSON entry point, through the real commands (issue 20.12 and 20.13).

Deep nesting within the size limits (3,000 levels), a 5,001-digit number, `Infinity`, `NaN` and
an escaped lone surrogate (`"\\ud800"`) used to end policy create, put-policy, validate, role
create, account import, a `.jsonl` import, `--context-file` and `--claims` with exit 70, and a
lone surrogate stored in a policy made `account export` and `get-version -o json` exit 70 for
good. Every JSON input now goes through one loader (iamctl/core/base/jsonload.py) that refuses
them with a one-line error, and nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support import ACCOUNT, fingerprint, run

HOSTILE = {
    "deep": ("[" * 3000 + "]" * 3000, r"nested more than 64 levels deep"),
    "deep within 2,048 characters": ("[" * 900 + "]" * 900, r"nested more than 64 levels deep"),
    "long number": ("9" * 5001, r"a number of 5,001 characters \(at most 100\)"),
    "huge float": ("1e400", r"the number 1e400 is out of range"),
    "Infinity": ("Infinity", r"Infinity is not a JSON value"),
    "NaN": ("NaN", r"NaN is not a JSON value"),
    "lone surrogate": ('"a\\ud800b"', r"lone surrogate"),
}


def policy(value: str) -> str:
    return ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", '
            '"Condition": {"StringEquals": {"aws:username": ' + value + '}}}]}')


def trust(value: str) -> str:
    return ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, '
            '"Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:username": ' + value + '}}}]}')


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "acct"
    work = tmp_path / "work"
    work.mkdir()
    (work / "ok.json").write_text(policy('"alice"'))
    for args in (["init", "--account-id", ACCOUNT], ["user", "create", "alice"],
                 ["role", "provider", "create-oidc", "--url", "https://token.example.com", "--client-id", "sts.amazonaws.com"],
                 ["role", "create", "gha", "--trust-oidc", "token.example.com",
                  "--condition", "token.example.com:aud=sts.amazonaws.com"]):
        assert run(root, *args).code == 0, args
    return root


ENTRY_POINTS = {
    "policy create": (policy, lambda f: ["policy", "create", "hostile", "--document", f]),
    "policy create-version": (policy, lambda f: ["policy", "create-version", "base", "--document", f]),
    "put-policy": (policy, lambda f: ["user", "put-policy", "alice", "inline", "--document", f]),
    "role create": (trust, lambda f: ["role", "create", "hostile", "--trust-policy", f]),
    "update-trust-policy": (trust, lambda f: ["role", "update-trust-policy", "gha", "--trust-policy", f]),
    "session policy": (policy, lambda f: ["role", "assume", "gha", "--as", "user/alice", "--session-name", "web",
                                          "--policy-file", f]),
    "simulate policy": (policy, lambda f: ["simulate", "policy", "-p", f, "-a", "s3:GetObject"]),
    "context file": (lambda v: '{"aws:username": ' + v + "}",
                     lambda f: ["simulate", "policy", "-p", "{work}/ok.json", "-a", "s3:GetObject", "--context-file", f]),
    "claims": (lambda v: '{"iss": "https://token.example.com", "aud": "sts.amazonaws.com", "sub": ' + v + "}",
               lambda f: ["role", "assume-web-identity", "gha", "--claims", f, "--session-name", "ci"]),
    "jsonl import": (lambda v: '{"name": "newbie", "tags": ' + v + "}\n", lambda f: ["user", "import", f, "--format", "jsonl"]),
    "session credentials": (lambda v: '{"Credentials": {"AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": '
                                      + v + ', "SessionToken": "t"}}',
                            lambda f: ["simulate", "principal", "--session", f, "-a", "s3:GetObject"]),
    "account import": (lambda v: '{"UserDetailList": [{"UserName": "x", "Path": "/", "Tags": ' + v + "}]}",
                       lambda f: ["--account", "444455556666", "account", "import", f]),
}


# Documents of at most 2,048 characters (whitespace not counted): a user's inline policies, a
# trust policy, a session policy. A bigger one is refused for its size before it is parsed.
SIZE_LIMITED = {"put-policy", "role create", "update-trust-policy", "session policy"}


@pytest.mark.parametrize("value", sorted(HOSTILE))
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_hostile_json_is_refused_in_one_line_and_writes_nothing(root, tmp_path, entry, value):
    wrap, command = ENTRY_POINTS[entry]
    text, message = HOSTILE[value]
    work = tmp_path / "work"
    path = work / "hostile.json"
    path.write_text(wrap(text))
    if entry == "policy create-version":
        assert run(root, "policy", "create", "base", "--document", str(work / "ok.json")).code == 0
    before = fingerprint(root)
    args = [a.replace("{work}", str(work)) for a in command(str(path))]
    result = run(root, *args)
    if entry in SIZE_LIMITED and len("".join(wrap(text).split())) > 2048:  # the size is checked first
        assert result.clean_failure() and "LimitExceeded" in result.stderr, result.stderr
        return
    if entry == "jsonl import":  # reports every bad row on a line of its own, then sums up
        lines = result.stderr.splitlines()
        assert result.code == 1 and len(lines) == 2 and all(x.startswith("iamctl: error: ") for x in lines), lines
    else:
        assert result.clean_failure(), (args, result.code, result.stderr)
    if entry == "session credentials":  # a usage error, which does not echo credentials back
        assert result.code == 2 and "the JSON does not parse" in result.stderr, result.stderr
    else:
        assert re.search(message, result.stderr), result.stderr
        assert re.search(r"line \d+, column \d+|line \d+ column \d+|column \d+", result.stderr), result.stderr
    assert fingerprint(root) == before


@pytest.mark.parametrize("value", sorted(HOSTILE))
def test_validate_reports_hostile_json_as_a_syntax_error(root, tmp_path, value):
    """`policy validate` reports a finding (exit 3), as it does for any JSON syntax error."""
    text, message = HOSTILE[value]
    path = tmp_path / "work" / "hostile.json"
    path.write_text(policy(text))
    result = run(root, "policy", "validate", str(path), "-o", "json")
    assert result.code == 3, result.stderr
    (finding,) = result.json()["Findings"]
    assert finding["IssueCode"] == "JSON_SYNTAX_ERROR" and re.search(message, finding["Message"])
    assert finding["Line"] == 1 and finding["Column"] > 100  # where the value starts


def test_a_hostile_web_identity_token_is_refused(root, tmp_path):
    """The JWT's payload is JSON too: PyJWT parses it with plain json.loads, so iamctl's loader
    sees it first."""
    import base64

    def segment(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    token = tmp_path / "work" / "token.jwt"
    token.write_text(".".join([segment('{"alg": "RS256", "typ": "JWT"}'), segment('{"sub": ' + "[" * 3000 + "]" * 3000 + "}"),
                               segment("sig")]))
    result = run(root, "role", "assume-web-identity", "gha", "--token", str(token), "--session-name", "ci")
    assert result.clean_failure(), (result.code, result.stderr)
    assert "InvalidIdentityToken" in result.stderr and "nested more than 64 levels" in result.stderr


def _poison(root: Path, document: str) -> None:
    """Hand-edit the stored document of policy `base` v1 (as an older iamctl could store it)."""
    import tomllib

    import tomli_w

    path = root / ACCOUNT / "policies" / "base.toml"
    record = tomllib.loads(path.read_text())
    record["versions"][0]["document"] = document
    path.write_text(tomli_w.dumps(record))


@pytest.mark.parametrize("value", ["lone surrogate", "deep", "NaN"])
def test_a_poisoned_stored_document_never_ends_a_command_with_exit_70(root, tmp_path, value):
    """Issue 20.12: after a lone surrogate was stored, `account export` and `get-version -o json`
    exited 70 forever. A poisoned document is reported as damage (exit 1, naming the policy), and
    `account check` lists it."""
    assert run(root, "policy", "create", "base", "--document", str(tmp_path / "work" / "ok.json")).code == 0
    _poison(root, policy(HOSTILE[value][0]))
    for args in (["account", "export"], ["account", "export", "--format", "cloudformation"],
                 ["policy", "get-version", "base", "v1", "-o", "json"], ["policy", "show", "base", "-o", "json"]):
        result = run(root, *args)
        assert result.clean_failure(), (args, result.code, result.stderr)
        assert "policy base" in result.stderr, result.stderr
    # Text output prints the document as stored, which is plain ASCII text.
    shown = run(root, "policy", "get-version", "base", "v1", "-o", "table")
    assert shown.code == 0, shown.stderr
    check = run(root, "account", "check")
    assert check.code == 1 and "base.toml" in check.stderr, check.stderr
