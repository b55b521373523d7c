"""The hardening tests clean up after themselves (issue 19.12): a run leaves no temporary
directory behind (test_fuzz.py used to leave its template account in /tmp on every run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_fuzz_tests_leave_no_temporary_directory(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    here = Path(__file__).resolve().parent
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("IAMCTL_STRESS", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                             str(here / "test_fuzz.py"), "-k", "policy_create or hostile_policy_arns",
                             "--basetemp", str(tmp_path / "basetemp")],
                            cwd=here.parents[1], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert sorted(p.name for p in tmp.iterdir()) == []
