"""Help text is documentation (STYLE.md §14): every registered command has a one-line summary,
details or at least an `Example:` with a real invocation, and is shown in the README."""

from __future__ import annotations

import re
from pathlib import Path

import gen_docs_module
import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")

gen_docs = gen_docs_module.load()

COMMANDS = {" ".join(n.words): n for n in gen_docs.all_commands()}

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


@pytest.mark.parametrize("words", sorted(COMMANDS))
def test_command_appears_in_the_readme(words):
    assert invoked(words, README), f"README.md never shows `iamctl {words}`: add it to its group's section"
