"""The committed completion scripts, man pages and README's JSON reference are what
scripts/gen_docs.py makes today.

When a command, option, help text or JSON shape (iamctl/cli/contract.py) changes, these tests
fail and name the file: run `python scripts/gen_docs.py` and commit completions/, man/ and
README.md.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import gen_docs_module
import pytest

REPO = Path(__file__).resolve().parent.parent
FIX = "run `python scripts/gen_docs.py` and commit completions/, man/ and README.md"


gen_docs = gen_docs_module.load()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """Freshly generated files, written by the generator itself into a temporary tree."""
    out = tmp_path_factory.mktemp("generated")
    gen_docs.write(gen_docs.generate(), out)
    return out


def _generated_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for d in gen_docs.GENERATED_DIRS for p in (root / d).glob("*") if p.is_file()}


def test_the_committed_files_are_exactly_the_generated_set(fresh):
    """A new command group needs its page committed; a removed one, its page deleted."""
    missing = sorted(_generated_files(fresh) - _generated_files(REPO))
    stale = sorted(_generated_files(REPO) - _generated_files(fresh))
    assert not missing and not stale, f"missing: {missing}, stale: {stale}: {FIX}"


def test_committed_completions_and_man_pages_equal_fresh_ones(fresh):
    differ = []
    for rel in sorted(_generated_files(fresh) & _generated_files(REPO)):
        new, old = (fresh / rel).read_bytes(), (REPO / rel).read_bytes()
        if new != old:
            diff = difflib.unified_diff(old.decode().splitlines(), new.decode().splitlines(),
                                        f"committed {rel}", f"generated {rel}", lineterm="", n=1)
            differ.append(f"{rel} is out of date:\n" + "\n".join(list(diff)[:30]))
    assert not differ, "\n\n".join(differ) + f"\n\n{FIX}"


def test_the_readme_json_reference_is_generated_from_the_contract(fresh):
    old, new = (REPO / "README.md").read_text(encoding="utf-8"), (fresh / "README.md").read_text(encoding="utf-8")
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "committed README.md", "generated README.md",
                                lineterm="", n=1)
    assert old == new, "README's JSON output reference is out of date:\n" + "\n".join(list(diff)[:30]) + f"\n{FIX}"


def test_the_json_reference_writes_keys_notes_values_and_records():
    from typing import Annotated, Literal, NotRequired, TypedDict

    from iamctl.cli.contract import Note, Shown

    # The functional form: this module postpones annotations, which a class body would need resolved.
    item = {"Name": str, "Kind": Literal["a", "b", "c"], "Seen": Annotated[NotRequired[str], Note("once seen")]}
    Item = TypedDict("Item", item)
    Brief = TypedDict("Brief", {"Id": str})  # noqa: UP013  # see above
    Detail = TypedDict("Detail", {**item, "Items": list[Item], "Briefs": list[Brief], "Parent": Item | None,
                                  "Names": Annotated[list[str], Shown("[name]")], "Labels": list[str]})
    Out = TypedDict("Out", {"Detail": Detail, "Token": NotRequired[str]})  # noqa: UP013  # see above

    records = {"Item": Item}
    assert gen_docs._json_keys(Item, {}) == "Name, Kind (a, b or c), Seen? (once seen)"
    assert gen_docs._json_keys(Out, records, quoted=True) == (
        '"Detail": Item + Items [Item], Briefs [{Id}], Parent (Item or null), Names [name], Labels, "Token"?')
    assert gen_docs._commands_cell(("user list-policies", "role list-policies")) == "`user`, `role list-policies`"
    assert gen_docs._commands_cell(("user list-groups", "group list-for-user")) == (
        "`user list-groups`, `group list-for-user`")


def test_the_readme_keeps_its_own_text_around_the_reference():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    replaced = gen_docs.readme_with_reference(readme.replace(gen_docs.json_reference(), f"{gen_docs.JSON_BEGIN}\n"
                                                             f"stale\n{gen_docs.JSON_END}"))
    assert replaced == readme
    with pytest.raises(SystemExit, match="no .* block"):
        gen_docs.readme_with_reference("# iamctl\n")


def _linter() -> list[str] | None:
    if shutil.which("groff"):
        return ["groff", "-man", "-ww", "-z"]
    if shutil.which("mandoc"):
        return ["mandoc", "-Tlint", "-Wwarning"]
    return None


@pytest.mark.parametrize("page", sorted((REPO / "man").glob("*.1")), ids=lambda p: p.name)
def test_man_page_renders_without_warnings(page):
    linter = _linter()
    if linter is None:
        pytest.skip("neither groff nor mandoc is installed (.ci/run installs groff-base)")
    done = subprocess.run([*linter, str(page)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), f"{' '.join(linter)} {page.name}:\n{done.stderr}"


@pytest.mark.parametrize("shell", sorted(gen_docs.SHELLS))
def test_show_completion_prints_the_committed_script(shell):
    """`iamctl --show-completion SHELL` keeps working and agrees with completions/ (minus the header,
    plus gen_docs.adapt's first-TAB fix for zsh)."""
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = subprocess.run([sys.executable, "-m", "iamctl", "--show-completion", shell], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    committed = (REPO / gen_docs.SHELLS[shell]).read_text().splitlines()
    assert gen_docs.adapt(shell, done.stdout).splitlines() == [ln for ln in committed if "generated by" not in ln]


def test_every_command_group_has_a_man_page():
    from iamctl.cli.main import GROUPS

    for group in GROUPS:
        assert (REPO / "man" / f"iamctl-{group}.1").is_file(), f"no man/iamctl-{group}.1: {FIX}"


def test_man_pages_have_the_documented_sections():
    for page in sorted((REPO / "man").glob("*.1")):
        headings = [ln.split(None, 1)[1] for ln in page.read_text().splitlines() if ln.startswith(".SH ")]
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES",
                        "SEE ALSO"):
            assert section in headings, f"{page.name} has no {section} section"
        text = page.read_text()
        for variable in ("IAMCTL_DIR", "IAMCTL_ACCOUNT", "NO_COLOR"):
            assert variable in text, f"{page.name} does not mention {variable}"
        assert "$XDG_DATA_HOME/iamctl" in text


def test_the_generator_refuses_machine_specific_paths():
    """httpie's IS_MAN_PAGE lesson: a default that is this machine's home must not be published."""
    if Path.home() == Path("/"):
        pytest.skip("the home directory is /, which every page mentions")
    with pytest.raises(SystemExit, match="machine-specific"):
        gen_docs._check_portable({"man/x.1": f"default {Path.home()}/.local/share/iamctl"})


def test_pip_install_ships_every_man_page_and_the_bash_and_fish_scripts():
    """pyproject.toml's data-files put them under <prefix>/share, where man and the shells look."""
    import fnmatch
    import tomllib

    data_files = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {rel: dest for dest, globs in data_files.items() for pattern in globs
               for rel in _generated_files(REPO) if fnmatch.fnmatch(rel, pattern)}
    for page in (REPO / "man").glob("*.1"):
        assert shipped.get(f"man/{page.name}") == "share/man/man1"
    assert shipped["completions/iamctl.bash"] == "share/bash-completion/completions"
    assert shipped["completions/iamctl.fish"] == "share/fish/vendor_completions.d"
