"""Names outside AWS's alphabet are refused by every command, not only by create (issue 20.17).

`user show $'\\u212aate'` acted on `kate`: the KELVIN SIGN (U+212A) lower-cases to an ASCII
"k", and file names are the lower-cased name. AWS's pattern for names is `[\\w+=,.@-]+` with
ASCII `\\w`; a name outside it is a ValidationError before any lookup, as in AWS's API.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

KELVIN = "\u212aate"  # looks like "Kate"; str.lower() gives "kate"
LOOKALIKES = [KELVIN, "kate\n", "ka\u0301te", "\uff4bate"]  # Kelvin sign, final newline, combining accent, fullwidth k


def snapshot(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".iamctl" not in p.parts:
            h.update(p.as_posix().encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def kate(iam, account_dir):
    iam("init", "--account-id", "111122223333")
    iam("user", "create", "kate", "--tag", "team=a")
    iam("group", "create", "staff")
    iam("role", "create", "kate", "--trust-service", "ec2.amazonaws.com")
    return account_dir


@pytest.mark.parametrize("name", LOOKALIKES, ids=["kelvin", "newline", "combining", "fullwidth"])
@pytest.mark.parametrize("command", [
    ["user", "show", "{}"], ["user", "delete", "{}"], ["user", "tag", "{}", "k=v"], ["user", "list-tags", "{}"],
    ["user", "update", "{}", "--new-path", "/x/"], ["user", "create-access-key", "{}"],
    ["user", "attach-policy", "{}", "arn:aws:iam::aws:policy/ReadOnlyAccess"], ["group", "add-user", "staff", "{}"],
    ["role", "show", "{}"], ["role", "delete", "{}"], ["simulate", "principal", "--user", "{}", "-a", "s3:GetObject"],
])
def test_a_lookalike_name_acts_on_nothing(iam, kate, name, command):
    before = snapshot(kate)
    args = [a.replace("{}", name) for a in command]
    out = iam(*args, expect=1)
    assert out.stderr.startswith("iamctl: error: ValidationError: ") and out.stderr.count("\n") == 1, out.stderr
    assert snapshot(kate) == before
    assert out.stdout == ""


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_a_name_with_a_final_newline_cannot_be_created(iam, kate, kind):
    """`$` in a regular expression also matches before a final newline: names are matched whole."""
    extra = ["--trust-service", "ec2.amazonaws.com"] if kind == "role" else []
    out = iam(kind, "create", "bob\n", *extra, expect=1)
    assert "ValidationError" in out.stderr
    assert not list(kate.rglob("bob*"))
