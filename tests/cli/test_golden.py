"""Golden files of the human-readable output: table and text renderings at 80 and 120 columns.

The example account is the `world` fixture's (tests/cli/conftest.py), built through the real
commands with the clock pinned (IAMCTL_NOW) and the ids minted reproducibly
(`iamctl.core.base.ids.reproducible`), so every run renders the same bytes. Each rendering is
compared exactly with tests/golden/NAME.table-WIDTH.txt or NAME.text.txt (text does not depend
on the width: both widths must give the same file). A change shows as a unified diff; when it is
intended, `pytest --update-golden` rewrites the files for review with `git diff tests/golden`.
"""

from __future__ import annotations

import golden_files
import pytest

from iamctl.core.base import ids

WIDTHS = (80, 120)
REQUEST = ("-r", "arn:aws:s3:::reports/q3.csv")
# name -> (the command, its exit status)
CASES: dict[str, tuple[tuple[str, ...], int]] = {
    "user-show": (("user", "show", "alice"), 0),
    "user-show-bare": (("user", "show", "bob"), 0),
    "group-show": (("group", "show", "developers"), 0),
    "policy-show": (("policy", "show", "ReadReports"), 0),
    "role-show": (("role", "show", "deploy"), 0),
    "simulate-allowed-explain": (("simulate", "principal", "--user", "alice", "-a", "s3:GetObject", *REQUEST,
                                  "--explain"), 0),
    "simulate-denied-explain": (("simulate", "principal", "--user", "alice", "-a", "s3:PutObject", *REQUEST,
                                 "-a", "iam:CreateUser", "--explain"), 3),
    "simulate-role-explain": (("simulate", "principal", "--role", "deploy", "-a", "s3:GetObject", "-a",
                               "iam:PassRole", *REQUEST, "--explain"), 3),
    "analyze-who-can": (("analyze", "who-can", "-a", "s3:GetObject", *REQUEST), 0),
    "account-show": (("account", "show"), 0),
    "mfa-list": (("mfa", "list"), 0),
    "mfa-list-user": (("mfa", "list", "--user", "alice"), 0),
}
SEED = 14  # any fixed seed: the ids in the golden files come from it


@pytest.fixture
def _reproducible_ids():
    with ids.reproducible(SEED):
        yield


@pytest.fixture
def example(_reproducible_ids, world, iam, monkeypatch):
    """The example account, ids reproducible; `render(args, code, width)` is the command's stdout."""

    def render(args: tuple[str, ...], code: int, width: int) -> str:
        monkeypatch.setenv("COLUMNS", str(width))  # Rich's width
        monkeypatch.setenv("TERMINAL_WIDTH", str(width))  # Typer's
        return iam(*args, expect=code).stdout

    return render


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", CASES)
def test_table(example, golden, name, width):
    args, code = CASES[name]
    golden(f"{name}.table-{width}.txt", example((*args, "-o", "table"), code, width))


@pytest.mark.parametrize("name", CASES)
def test_text_is_the_same_at_every_width(example, golden, name):
    args, code = CASES[name]
    narrow, wide = (example((*args, "-o", "text"), code, width) for width in WIDTHS)
    assert narrow == wide, "text output must not depend on the terminal's width"
    golden(f"{name}.text.txt", narrow)


def test_the_ids_are_reproducible():
    """The golden files can only hold ids because the same seed mints the same ids."""
    with ids.reproducible(SEED):
        first = [ids.new_unique_id("AIDA"), ids.new_access_key_id()]
    with ids.reproducible(SEED):
        assert [ids.new_unique_id("AIDA"), ids.new_access_key_id()] == first
    assert ids.new_unique_id("AIDA") != first[0]  # outside the block: the CSPRNG again


def _expected_files() -> set[str]:
    from .test_org import GOLDEN as ORG_CASES  # the organization's, rendered from its own example

    names = [*CASES, *ORG_CASES]
    return ({f"{n}.table-{w}.txt" for n in names for w in WIDTHS} | {f"{n}.text.txt" for n in names})


def test_every_golden_file_has_its_case(request):
    """A removed or renamed case leaves no stale file behind (--update-golden deletes it)."""
    stale = {p.name for p in golden_files.GOLDEN.glob("*.t*.txt")} - _expected_files()
    if request.config.getoption("--update-golden"):
        for name in stale:
            (golden_files.GOLDEN / name).unlink()
        return
    assert not stale, f"stale golden files (run pytest --update-golden): {sorted(stale)}"


def test_a_changed_rendering_fails_with_a_readable_diff(tmp_path):
    path = tmp_path / "x.table-80.txt"
    golden_files.compare(path, "Name  alice\nPath  /\n", update=True)
    golden_files.compare(path, "Name  alice\nPath  /\n")
    with pytest.raises(golden_files.GoldenMismatch) as caught:
        golden_files.compare(path, "Name  alice\nPath  /eng/\n")
    message = str(caught.value)
    assert "-Path  /\n+Path  /eng/\n" in message and "pytest --update-golden" in message
    with pytest.raises(golden_files.GoldenMismatch, match="no golden file"):
        golden_files.compare(tmp_path / "missing.txt", "x")
