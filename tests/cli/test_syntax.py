"""Command-line syntax is the CLI's: a malformed word is a usage error naming its option.

`--tag foo`, `--context k`, `--as user`, `--condition =x`, `--max-items 0`: exit 2, one line
`iamctl: error: usage: Invalid value for '--tag': ...`, nothing written, for every command that
takes the option (found by walking the live command tree, so a new command is covered too).
What the values mean stays the core's: a duplicate tag key is still AWS's InvalidInput (exit 1).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gen_docs_module
import pytest

gen_docs = gen_docs_module.load()
CORE = Path(__file__).resolve().parents[2] / "iamctl" / "core"


def _taking(option: str) -> list[str]:
    """The commands (words after `iamctl`) with an option or argument shown as `option`."""
    found = []
    for node in gen_docs.all_commands():
        for param in node.command.get_params(node.ctx):
            shown = param.opts if param.param_type_name == "option" else [param.make_metavar(node.ctx)]
            if option in shown:
                found.append(" ".join(node.words))
    return found


# option -> (a malformed value, what the message says, the commands that must be among those found)
BAD = {
    "--tag": ("foo", "'foo' must be written KEY=VALUE", {
        "user create", "role create", "role assume", "policy create", "mfa create",
        "role instance-profile create", "role provider create-oidc", "role provider create-saml"}),
    "KEY=VALUE...": ("foo", "'foo' must be written KEY=VALUE", {"user tag", "role tag"}),
    "--context": ("k", "'k' must be written KEY=VALUE", {"simulate policy", "simulate principal"}),
    "--as": ("user", "'user': expected user/NAME, role/NAME or session", {"role assume"}),
    "--condition": ("=x", "'=x' must be written [OPERATOR ]KEY=VALUE", {"role create"}),
    "--max-items": ("0", "0 is not in the range x>=1", {
        "user list", "group list", "role list", "role instance-profile list"}),
}
CASES = [(option, command) for option in BAD for command in _taking(option)]


@pytest.mark.parametrize("option", list(BAD))
def test_the_walk_finds_every_command_taking_the_option(option):
    assert BAD[option][2] <= set(_taking(option))


@pytest.mark.parametrize(("option", "command"), CASES, ids=[f"{c}:{o}" for o, c in CASES])
def test_a_malformed_word_is_a_usage_error_naming_the_option(iam, account_dir, option, command):
    value, message, _ = BAD[option]
    words = command.split()
    # An argument's value goes after a name for the command's first argument (user tag NAME KEY=VALUE).
    args = [*words, "someone", value] if option.isupper() or option.endswith("...") else [*words, option, value]
    r = iam(*args, expect=2)
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"iamctl: error: usage: Invalid value for '{option}'"), r.stderr
    assert message in r.stderr
    assert not account_dir.exists()  # refused before the account directory is touched


@pytest.mark.parametrize("bad", ["-1", "0"])
def test_max_items_must_be_positive_also_for_mfa_pending(iam, bad):
    r = iam("user", "list", "--mfa-pending", "--max-items", bad, expect=2)
    assert "Invalid value for '--max-items'" in r.stderr


def test_well_formed_words_reach_the_core_as_values(iam):
    iam("user", "create", "alice", "--tag", "team=web", "--tag", "note=a=b", "--tag", "empty=")
    iam("user", "tag", "alice", "owner=bob")
    tags = iam("user", "list-tags", "alice", "-o", "json").json()["Tags"]
    assert tags == [{"Key": "team", "Value": "web"}, {"Key": "note", "Value": "a=b"},
                    {"Key": "empty", "Value": ""}, {"Key": "owner", "Value": "bob"}]


@pytest.mark.parametrize("tags", [("team=a", "team=b"), ("Team=a", "team=b")])
def test_a_tag_key_given_twice_is_still_awss_invalid_input(iam, account_dir, tags):
    """TagUser: keys are unique without regard to case, in one request too (InvalidInput)."""
    iam("init")
    r = iam("user", "create", "alice", *[w for t in tags for w in ("--tag", t)], expect=1)
    assert r.stderr.startswith("iamctl: error: InvalidInput: duplicate tag key")
    assert iam("user", "list", "-o", "json").json()["Users"] == []


def test_context_values_with_commas_are_lists(iam, tmp_path):
    policy = tmp_path / "p.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
                      '"Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "web"}}}]}')
    out = iam("simulate", "policy", "-p", str(policy), "-a", "s3:GetObject", "-c", "aws:PrincipalTag/team=api,web",
              "-o", "json").json()
    assert out["results"][0]["decision"] == "allowed"


def test_as_session_without_its_credentials_on_stdin_is_a_usage_error(iam, account_dir):
    r = iam("role", "assume", "deploy", "--as", "session", "--session-name", "s", input="", expect=2)
    assert r.stderr.startswith("iamctl: error: usage: Invalid value for '--as': expected the session's credentials")
    assert not account_dir.exists()


def test_an_mfa_code_goes_only_with_a_user_caller(iam):
    r = iam("role", "assume", "deploy", "--as", "role/other", "--mfa-code", "123456", "--session-name", "s",
            expect=2)
    assert "Invalid value for '--mfa-code': only a user caller (--as user/NAME) has an MFA device" in r.stderr


def test_a_condition_is_parsed_into_the_trust_policy(iam):
    iam("role", "provider", "create-oidc", "--url", "https://token.actions.githubusercontent.com",
        "--client-id", "sts.amazonaws.com")
    iam("role", "create", "gha", "--trust-oidc", "token.actions.githubusercontent.com",
        "--condition", "StringLike token.actions.githubusercontent.com:sub=repo:org/repo:*",
        "--condition", "token.actions.githubusercontent.com:aud=sts.amazonaws.com")
    doc = iam("role", "show", "gha", "-o", "json").json()["Role"]["AssumeRolePolicyDocument"]
    assert doc["Statement"][0]["Condition"] == {
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/repo:*"},
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_a_delete_conflict_names_force_where_the_cli_adds_it(iam, tmp_path, kind):
    """The core's DeleteConflict says what is attached; the command adds the option that removes it."""
    doc = tmp_path / "d.json"
    doc.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}')
    create = ["role", "create", "x", "--trust-service", "ec2.amazonaws.com"] if kind == "role" else [kind, "create", "x"]
    iam(*create)
    iam(kind, "put-policy", "x", "inline", "--document", str(doc))
    r = iam(kind, "delete", "x", expect=1)
    assert r.stderr.startswith("iamctl: error: DeleteConflict: Cannot delete entity, must delete policies first.")
    assert r.stderr.endswith(f" (use --force to remove them with the {kind}).\n")
    iam(kind, "delete", "x", "--force")


def _message_strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module that are not docstrings (f-string parts included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_core_message_names_a_command_line_option():
    """The core speaks the API's terms; options are the CLI's to name (it may add them to a message)."""
    option = re.compile(r"(?<![\w-])--[a-z]")
    found = [f"{path.relative_to(CORE.parent.parent)}:{line}: {text!r}"
             for path in sorted(CORE.rglob("*.py")) for line, text in _message_strings(path) if option.search(text)]
    assert not found, "\n".join(found)


def test_the_source_check_sees_an_option_in_a_message(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""Docs may say --force."""\ndef f(x):\n    raise ValueError(f"{x}: use --force")\n')
    assert [text for _, text in _message_strings(module) if "--" in text] == [": use --force"]
