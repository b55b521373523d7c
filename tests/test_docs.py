"""Help text is documentation (STYLE.md §14): every registered command has a one-line summary,
details or at least an `Example:` with a real invocation, and is shown in the README."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")

def _load_gen_docs():
    """scripts/gen_docs.py as a module (it is a script, not part of the package)."""
    if "gen_docs" not in sys.modules:
        spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["gen_docs"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["gen_docs"]


gen_docs = _load_gen_docs()

COMMANDS = {" ".join(n.words): n for n in gen_docs.all_commands()}

# Commands whose README section is still being written by the group's owner. Each is an xfail
# that must fail: once the README shows the command, the test passes unexpectedly and fails the
# run, and the command comes off this list.
README_PENDING: set[str] = {
    "group attach-policy",
    "group delete-policy",
    "group detach-policy",
    "group get-policy",
    "group list-attached-policies",
    "group list-policies",
    "group put-policy",
    "role delete-policy",
    "role detach-policy",
    "role get-policy",
    "role instance-profile delete",
    "role instance-profile remove-role",
    "role instance-profile show",
    "role list-attached-policies",
    "role list-policies",
    "role list-tags",
    "role provider delete",
    "role put-policy",
    "role untag",
    "simulate policy",
}


def invoked(words: str, text: str) -> bool:
    """Does `text` show `iamctl [global options] WORDS` (e.g. `iamctl -o json user list`)?"""
    return re.search(r"iamctl(?:\s+-[-\w]+(?:[ =](?!-)\S+)?)*\s+" + re.escape(words) + r"(?![\w-])", text) is not None


def test_the_walk_sees_every_group_and_top_level_command():
    """The root group loads groups lazily; the documentation walk must still reach all of them."""
    from iamctl.cli.main import COMMANDS as TOP
    from iamctl.cli.main import GROUPS

    tops = {words.split()[0] for words in COMMANDS}
    assert set(GROUPS) | set(TOP) <= tops


@pytest.mark.parametrize("words", sorted(COMMANDS))
def test_command_has_a_summary_and_an_example(words):
    node = COMMANDS[words]
    help_text = gen_docs.parse_help(node.command.help)
    assert help_text.summary, f"`iamctl {words}` has no help text (its docstring)"
    first_line = (node.command.help or "").strip().splitlines()[0]
    assert first_line.strip() == help_text.summary, (
        f"`iamctl {words}`: the summary must be one line, followed by a blank line"
    )
    assert help_text.examples, f"`iamctl {words}`: the docstring has no `Example: iamctl {words} ...` line"
    assert any(invoked(words, ex) for ex in help_text.examples), (
        f"`iamctl {words}`: no example runs this command: {help_text.examples}"
    )


@pytest.mark.parametrize(
    "words",
    [pytest.param(w, marks=pytest.mark.xfail(
        strict=True, reason="README does not show it yet; once it does, delete it from README_PENDING"))
     if w in README_PENDING else w for w in sorted(COMMANDS)],
)
def test_command_appears_in_the_readme(words):
    assert invoked(words, README), (
        f"README.md never shows `iamctl {words}`: add it to its group's section"
        + (" (and remove it from README_PENDING in tests/test_docs.py)" if words in README_PENDING else "")
    )
