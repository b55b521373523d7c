"""Where data leaves iamctl: git, secret files, spreadsheets (issue 20.21).

- `init` merged nothing: it overwrote an existing .gitignore (a repository's own rules lost).
- `--credentials-out`, `--seed-file` and `--qr-png` inside the account directory were accepted:
  the secrets would then sit with the account and be committed with it.
- CSV cells starting with = + - @ ran as formulas when the credential report or a user export
  was opened in a spreadsheet (OWASP, "CSV Injection"): they are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io

import pytest

ACCOUNT = "111122223333"


def test_init_merges_its_lines_into_an_existing_gitignore(iam, account_dir):
    account_dir.mkdir()
    (account_dir / ".git").mkdir()
    (account_dir / ".gitignore").write_text("node_modules/\n*.log\n/secrets/\n")
    iam("init", "--account-id", ACCOUNT)
    lines = (account_dir / ".gitignore").read_text().splitlines()
    assert lines[:3] == ["node_modules/", "*.log", "/secrets/"]  # kept, in order
    assert lines.count("/secrets/") == 1 and "/.iamctl/" in lines
    before = (account_dir / ".gitignore").read_bytes()
    iam("init", "--account-id", "444455556666")
    assert (account_dir / ".gitignore").read_bytes() == before


def test_init_writes_its_gitignore_in_a_new_directory(iam, account_dir):
    iam("init")
    assert (account_dir / ".gitignore").read_text().splitlines()[1:] == ["/secrets/", "/.iamctl/"]


@pytest.fixture
def account(iam, account_dir, tmp_path):
    iam("init", "--account-id", ACCOUNT)
    iam("user", "create", "alice")
    (tmp_path / "hires.csv").write_text("name,password\nnewbie,generate\n")
    return account_dir


@pytest.mark.parametrize("where", ["{dir}/creds.csv", "{dir}/{acct}/creds.csv", "{dir}/../acct/secrets/x",
                                   "{dir}/.iamctl/x"])
@pytest.mark.parametrize("option", ["--credentials-out", "--seed-file", "--qr-png", "--qr-png (enroll)"])
def test_a_secret_output_inside_the_account_directory_is_refused(iam, account, tmp_path, where, option):
    target = where.format(dir=account, acct=ACCOUNT)
    if option == "--credentials-out":
        args = ["user", "import", str(tmp_path / "hires.csv"), "--credentials-out", target]
    elif option == "--qr-png (enroll)":
        args = ["mfa", "enroll", "alice", "--qr-png", target, "--code1", "000000", "--code2", "000000"]
    else:
        args = ["mfa", "create", "phone", option, target]
    before = sorted(p.relative_to(account).as_posix() for p in account.rglob("*") if ".iamctl" not in p.parts)
    out = iam(*args, expect=2)
    assert out.stderr.startswith("iamctl: error: usage: ") and out.stderr.count("\n") == 1, out.stderr
    assert "inside the account directory" in out.stderr and option.split()[0] in out.stderr
    after = sorted(p.relative_to(account).as_posix() for p in account.rglob("*") if ".iamctl" not in p.parts)
    assert after == before


def test_a_secret_output_beside_the_account_directory_is_fine(iam, account, tmp_path):
    iam("mfa", "create", "phone", "--seed-file", str(tmp_path / "acct-seed"))
    assert (tmp_path / "acct-seed").read_text().strip()


FORMULAS = {"user": "=1+2", "group": "@staff", "tag": ("+k", "-v")}


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_formula_cells_are_neutralised_in_the_credential_report_and_the_export(iam, account, tmp_path):
    iam("user", "create", FORMULAS["user"], "--tag", "=".join(FORMULAS["tag"]))
    iam("group", "create", FORMULAS["group"])
    iam("group", "add-user", FORMULAS["group"], FORMULAS["user"])
    report = cells(iam("account", "credential-report").stdout)
    names = [row[0] for row in report[1:]]
    assert "'=1+2" in names and "=1+2" not in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in report for cell in row)
    exported = iam("user", "export", "-").stdout
    rows = cells(exported)
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row), rows
    row = next(r for r in rows if r[0] == "'=1+2")
    assert row[2] == "'@staff" and row[3] == "'+k=-v"
    # The export still imports back as it was: the quote is the spreadsheet's, not the data's.
    path = tmp_path / "users.csv"
    path.write_text(exported)
    plan = iam("user", "import", str(path), "--sync", "--dry-run", "-o", "json").json()["Plan"]
    assert {p["UserName"]: p["Action"] for p in plan} == {"=1+2": "unchanged", "alice": "unchanged"}
