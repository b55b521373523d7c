"""The one error boundary: every AWS-style error is one stderr line, exit 1, nothing on stdout."""

from __future__ import annotations

import json
import re

import pytest

ALLOW = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def _setup(iam):
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    iam("account", "set-quota", "users", "1")


CASES = [
    ("NoSuchEntity", ["user", "show", "ghost"]),
    ("EntityAlreadyExists", ["user", "create", "ALICE"]),  # names are unique without regard to case
    ("DeleteConflict", ["group", "delete", "devs"]),  # a group with members
    ("LimitExceeded", ["user", "create", "bob"]),  # the users quota is 1 here
    ("ValidationError", ["user", "create", "bad/name"]),
    ("InvalidInput", ["account", "set-quota", "bananas", "1"]),
    ("MalformedPolicyDocument", ["user", "put-policy", "alice", "P", "--document", "-"]),
]


@pytest.mark.parametrize("code, args", CASES, ids=[c for c, _ in CASES])
def test_each_error_code_is_one_line_on_stderr_and_exit_1(iam, code, args):
    _setup(iam)
    before = iam("user", "list", "-o", "json").stdout
    r = iam(*args, expect=1, input='{"Version": "2012-10-17", "Statement": []')
    assert r.stdout == ""
    assert re.fullmatch(rf"iamctl: error: {code}: [^\n]+\n", r.stderr), r.stderr
    assert "Traceback" not in r.stderr
    assert iam("user", "list", "-o", "json").stdout == before  # nothing changed


def test_a_policy_document_with_markup_prints_literally(iam):
    """Rich markup in user-supplied text is never interpreted (STYLE: markup=False)."""
    iam("user", "create", "alice")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Bold", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::[bold]x[/bold]"}]})
    iam("user", "put-policy", "alice", "Markup", "--document", "-", input=doc)
    out = iam("user", "get-policy", "alice", "Markup", "-o", "table").stdout
    assert "[bold]x[/bold]" in out
