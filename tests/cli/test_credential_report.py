"""`iamctl account credential-report`: AWS's credential report CSV, to stdout or a file."""

from __future__ import annotations

import csv
import io


def test_credential_report_to_stdout_has_root_then_users(iam):
    iam("user", "create", "zed")
    iam("user", "create", "amy")
    rows = list(csv.DictReader(io.StringIO(iam("account", "credential-report").stdout)))
    assert [r["user"] for r in rows] == ["<root_account>", "amy", "zed"]
    assert len(rows[0]) == 22


def test_credential_report_out_file_matches_stdout(iam, tmp_path):
    iam("user", "create", "amy")
    iam("user", "set-password", "amy", "--password-stdin", input="Corr3ct-Horse\n")
    out = tmp_path / "report.csv"
    result = iam("account", "credential-report", "--out", str(out))
    assert result.stdout == ""
    assert out.read_text() == iam("account", "credential-report").stdout
    assert "amy" in out.read_text() and "Corr3ct-Horse" not in out.read_text()
