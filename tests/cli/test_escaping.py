"""Control characters never reach the terminal (issue 20.16).

ANSI and OSC escape sequences used to reach it: a Sid written with JSON `\\u001b` escapes, a policy
`--description`, a role description brought in by `account import`, argv echoed in errors. Every
human output (tables, text, notes) and every error now shows them as escapes (`\\x1b`), and JSON
output writes the characters a terminal would act on as `\\uXXXX` escapes (same JSON value).
"""

from __future__ import annotations

import json

import pytest

ESC = "\x1b]0;pwned\x07\x1b[2J"  # retitle the terminal, then clear the screen
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J"
C1_AND_BIDI = "a\x9b31mb\u202ec"  # a one-character CSI, then RIGHT-TO-LEFT OVERRIDE


def raw_controls(text: str) -> list[str]:
    """The characters in `text` that a terminal would act on (tab and newline are layout)."""
    return [c for c in text if (ord(c) < 0x20 and c not in "\t\n") or 0x7f <= ord(c) <= 0x9f or c == "\u202e"]


def policy_with_sid(sid: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


@pytest.fixture
def sid_policy(iam, tmp_path):
    iam("init", "--account-id", "111122223333")
    path = tmp_path / "sid.json"
    path.write_text(policy_with_sid("A" + ESC + "B"))
    iam("policy", "create", "esc", "--document", str(path), "--description", "red" + ESC)
    iam("user", "create", "alice")
    iam("user", "attach-policy", "alice", "arn:aws:iam::111122223333:policy/esc")
    return path


@pytest.mark.parametrize("fmt", ["table", "text"])
@pytest.mark.parametrize("args", [
    ["simulate", "principal", "--user", "alice", "-a", "s3:GetObject"],
    ["simulate", "principal", "--user", "alice", "-a", "s3:GetObject", "--explain"],
    ["policy", "show", "esc"], ["policy", "list", "--scope", "Local"],
    ["policy", "get-version", "esc", "v1"],
])
def test_a_sid_or_description_with_escapes_is_shown_escaped(iam, sid_policy, args, fmt):
    out = iam(*args, "-o", fmt, expect=None)
    assert out.exit_code in (0, 3), out.stderr
    assert not raw_controls(out.stdout + out.stderr), repr(out.stdout)
    if args[0] == "simulate" or args[1] == "show":
        assert "\\x1b" in out.stdout


def test_json_output_carries_the_same_value_escaped(iam, sid_policy):
    out = iam("policy", "show", "esc", "-o", "json")
    assert "\x1b" not in out.stdout and out.json()["Policy"]["Description"] == "red" + ESC


def test_validate_findings_escape_the_sid(iam, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(policy_with_sid("A" + ESC) .replace('"Resource": "*"', '"Resource": "not-an-arn"'))
    for fmt in ("table", "text"):
        out = iam("policy", "validate", str(path), "-o", fmt, expect=3)
        assert not raw_controls(out.stdout + out.stderr), repr(out.stdout)


def test_an_imported_role_description_is_shown_escaped(iam, tmp_path):
    details = {"RoleDetailList": [{
        "Path": "/", "RoleName": "web", "RoleId": "AROAEXAMPLEEXAMPLE123", "Arn": "arn:aws:iam::444455556666:role/web",
        "CreateDate": "2024-01-01T00:00:00Z", "Description": "web " + ESC + C1_AND_BIDI,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "InstanceProfileList": [], "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": []}]}
    path = tmp_path / "auth.json"
    path.write_text(json.dumps(details))
    iam("account", "import", str(path))
    for fmt in ("table", "text"):
        out = iam("role", "show", "web", "-o", fmt)
        assert not raw_controls(out.stdout), repr(out.stdout)
        assert SHOWN in out.stdout and "\\x9b" in out.stdout and "\\u202e" in out.stdout
    shown = iam("role", "show", "web", "-o", "json")
    assert not raw_controls(shown.stdout.replace("\\u", ""))
    assert shown.json()["Role"]["Description"] == "web " + ESC + C1_AND_BIDI


@pytest.mark.parametrize("args", [
    [ESC], ["user", "show", ESC], ["user", "create", "--path", "/" + ESC + "/", "bob"], ["user", "tag", "bob", ESC],
    ["--output", ESC, "user", "list"], ["user", "show", "--" + ESC],
])
def test_argv_echoed_in_an_error_is_escaped(iam, args):
    iam("init")
    out = iam(*args, expect=None)
    assert out.exit_code in (1, 2), out.stderr
    assert out.stderr.startswith("iamctl: error: ") and out.stderr.count("\n") == 1, out.stderr
    assert not raw_controls(out.stderr), repr(out.stderr)
    assert "\\x1b" in out.stderr, out.stderr
