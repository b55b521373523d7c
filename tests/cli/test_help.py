"""Help is read by people: placeholders are words, and each command lists only its own options.

Typer 0.28 writes `{NAME}` and `<str>`; iamctl shows NAME, [NAME], NAME..., TEXT, INTEGER
(iamctl/cli/placeholders.py). Shell completion is installed for `iamctl` as a whole, so only the
root's help offers --install-completion, not `login --help` or `whoami --help`.
"""

from __future__ import annotations

import re

import gen_docs_module
import pytest

gen_docs = gen_docs_module.load()
COMMANDS = sorted(" ".join(n.words) for n in gen_docs.walk(gen_docs.command_tree()))
# {NAME} and <str>, <int range>, <parse_tag>: Typer's brackets around Click's type names and
# parser functions (not AWS's literal <root_account> of the credential report).
TYPER_PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}|<[a-z]+(?: range)?>|<parse_\w+>")


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: w or "iamctl")
def test_help_placeholders_are_words(iam, words):
    out = iam(*words.split(), "--help").stdout
    assert not TYPER_PLACEHOLDER.search(out), TYPER_PLACEHOLDER.findall(out)


def test_usage_shows_required_optional_and_repeated_arguments_as_words(iam):
    assert "Usage: iamctl user create [OPTIONS] NAME " in iam("user", "create", "--help").stdout
    assert "Usage: iamctl user tag [OPTIONS] NAME KEY=VALUE... " in iam("user", "tag", "--help").stdout
    assert re.search(r"--path\s+TEXT\s", iam("user", "create", "--help").stdout)


def test_a_missing_argument_is_named_as_help_shows_it(iam):
    r = iam("user", "create", expect=2)
    assert "Missing argument 'NAME'" in r.stderr


def test_the_placeholder_check_sees_typers_brackets():
    assert TYPER_PLACEHOLDER.findall("Usage: x {NAME}  --path <str>  --n <int range>  --tag <parse_tag>") == [
        "{NAME}", "<str>", "<int range>", "<parse_tag>"]


@pytest.mark.parametrize("words", [w for w in COMMANDS if w])
def test_only_the_root_offers_to_install_completion(iam, words):
    assert "--install-completion" not in iam(*words.split(), "--help").stdout


def test_the_root_offers_to_install_completion(iam):
    out = iam("--help").stdout
    assert "--install-completion" in out and "--show-completion" in out
