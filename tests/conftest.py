"""Shared fixtures: a temporary account directory, `iam(...)`, the one way tests run iamctl, and
`golden`, the comparison with tests/golden/ (refreshed by `pytest --update-golden`)."""

from __future__ import annotations

import os

import pytest

# Deterministic output whatever the developer's terminal: no colour, fixed width.
os.environ["NO_COLOR"] = "1"
os.environ["TERMINAL_WIDTH"] = "100"
os.environ["COLUMNS"] = "100"
os.environ["_TYPER_FORCE_DISABLE_TERMINAL"] = "1"
os.environ.pop("IAMCTL_OUTPUT", None)
os.environ.pop("IAMCTL_NOW", None)


class IamResult:
    def __init__(self, result):
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception

    def json(self):
        import json

        return json.loads(self.stdout)


T0 = 1_800_000_000  # the pinned "now" of clock-dependent tests: a TOTP step boundary (T0 / 30 is whole)


@pytest.fixture
def now(monkeypatch):
    """now(t): pin iamctl's clock (IAMCTL_NOW) to epoch seconds t and return t; starts at T0."""

    def pin(t: float) -> float:
        monkeypatch.setenv("IAMCTL_NOW", str(t))
        return t

    pin(T0)
    return pin


@pytest.fixture
def wall(monkeypatch):
    """wall(t): set the system clock that lockouts and throttles are kept on (clock.system_now,
    which IAMCTL_NOW does not move) to epoch seconds t, and return t; it starts at T0."""
    from iamctl.core.base import clock

    current = [float(T0)]
    monkeypatch.setattr(clock, "system_now", lambda: current[0], raising=False)

    def set_to(t: float) -> float:
        current[0] = float(t)
        return t

    return set_to


@pytest.fixture
def account_dir(tmp_path, monkeypatch):
    """An empty account directory, selected through IAMCTL_DIR."""
    path = tmp_path / "acct"
    monkeypatch.setenv("IAMCTL_DIR", str(path))
    monkeypatch.delenv("IAMCTL_ACCOUNT", raising=False)
    return path


@pytest.fixture
def iam(account_dir):
    """Run `iamctl ARGS...` in-process; fail loudly (showing stderr) on an unexpected exit code.

    `iam("user", "create", "alice")` expects exit 0; pass `expect=1` for an error, `input=` for
    standard input. Returns stdout, stderr and exit_code separately.
    """
    from typer.testing import CliRunner

    from iamctl.cli.main import app

    runner = CliRunner()

    def run(*args: str, expect: int | None = 0, input: str | bytes | None = None, env=None) -> IamResult:
        result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        if expect is not None and result.exit_code != expect:
            raise AssertionError(
                f"iamctl {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return IamResult(result)

    return run


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/* from the current output instead of comparing (then review "
                          "`git diff tests/golden` and commit)")


@pytest.fixture
def golden(request):
    """golden(name, text): `text` must equal tests/golden/NAME exactly (a unified diff otherwise);
    under `pytest --update-golden` the file is rewritten instead."""
    import golden_files

    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        try:
            golden_files.compare(golden_files.GOLDEN / name, text, update=update)
            return
        except golden_files.GoldenMismatch as e:
            failure = str(e)
        pytest.fail(failure, pytrace=False)  # the diff is the whole story: no traceback

    return check
