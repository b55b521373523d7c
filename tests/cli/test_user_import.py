"""`iamctl user import` / `user export` / `user list --mfa-pending`, driven through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest

HIRES = (
    "name,path,groups,tags,policies,boundary,password,require_reset,access_key,mfa\n"
    "alice,/eng/,developers,team=web,ReadOnlyAccess,,generate,,yes,required\n"
    "bob,/eng/,developers;oncall,team=api,,,generate,false,,\n"
    "deploy-bot,/automation/,,owner=platform,,,,,yes,\n"
)
PLAIN = "name,groups,tags\ncarol,developers,team=web\ndave,,team=ops\n"


@pytest.fixture
def hires(tmp_path):
    path = tmp_path / "hires.csv"
    path.write_text(HIRES)
    return path


@pytest.fixture
def account(iam):
    iam("group", "create", "developers")
    iam("group", "create", "oncall")
    return iam


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".iamctl" not in p.parts}


def user_names(iam) -> list[str]:
    return [u["UserName"] for u in iam("user", "list", "-o", "json").json()["Users"]]


def test_every_bad_row_is_one_stderr_line_and_nothing_is_written(account, tmp_path, account_dir):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,groups,policies\nok-user,developers,\nAlice,,\nalice,nosuch,\nbad name,,NoSuchPolicyX\n")
    before = snapshot(account_dir)
    result = account("user", "import", str(bad), "-o", "json", expect=1)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [
        f"iamctl: error: {bad}: row 4, column name: 'alice' is a duplicate of row 3 (user names are unique "
        "without regard to case)",
        f"iamctl: error: {bad}: row 4, column groups: unknown group 'nosuch' (create it first, or pass "
        "--create-groups)",
        f"iamctl: error: {bad}: row 5, column name: user name 'bad name' may contain only letters, digits "
        "and the characters + = , . @ _ -",
        f"iamctl: error: {bad}: row 5, column policies: unknown policy 'NoSuchPolicyX' (no customer managed "
        "or AWS managed policy has that name)",
        f"iamctl: error: InvalidInput: {bad}: 4 problems in 2 rows; nothing was written",
    ]
    assert snapshot(account_dir) == before


def test_dry_run_shows_the_plan_and_writes_nothing(account, tmp_path, account_dir):
    account("user", "create", "carol")
    path = tmp_path / "plain.csv"
    path.write_text(PLAIN)
    before = snapshot(account_dir)
    out = account("user", "import", str(path), "--dry-run", "-o", "json").json()
    assert out["DryRun"] is True
    assert [(p["UserName"], p["Action"], p["Changes"]) for p in out["Plan"]] == [
        ("carol", "conflict", ["groups: +developers", "tags: +team=web"]),
        ("dave", "create", []),
    ]
    assert out["Summary"] == {"Created": 1, "Updated": 0, "Unchanged": 0, "Conflicts": 1, "CredentialsIssued": 0}
    assert snapshot(account_dir) == before
    table = account("user", "import", str(path), "--dry-run", "-o", "table").stdout
    assert "Plan (dry run: nothing written)" in table and "conflict" in table


def test_an_import_that_creates_credentials_refuses_to_run_without_credentials_out(account, hires, account_dir):
    before = snapshot(account_dir)
    err = account("user", "import", str(hires), expect=1).stderr
    assert "InvalidInput" in err and "--credentials-out" in err
    assert snapshot(account_dir) == before


def test_credentials_file_is_0600_in_the_aws_console_layout_and_secrets_are_nowhere_else(
        account, hires, tmp_path, account_dir):
    creds = tmp_path / "creds.csv"
    out = account("user", "import", str(hires), "--credentials-out", str(creds), "-o", "json")
    assert out.json()["Summary"] == {"Created": 3, "Updated": 0, "Unchanged": 0, "Conflicts": 0,
                                     "CredentialsIssued": 3}
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(creds.read_text())))
    assert rows[0] == ["User name", "Password", "Access key ID", "Secret access key", "Console sign-in link"]
    by_user = {r[0]: r for r in rows[1:]}
    assert sorted(by_user) == ["alice", "bob", "deploy-bot"]
    account_id = account("account", "show", "-o", "json").json()["Account"]["AccountId"]
    assert by_user["alice"][4] == f"https://{account_id}.signin.aws.amazon.com/console"
    assert by_user["bob"][2:4] == ["", ""] and by_user["deploy-bot"][1] == ""
    secrets = [v for r in rows[1:] for v in (r[1], r[3]) if v]
    assert len(secrets) == 4
    stored = b"".join(snapshot(account_dir).values())
    for secret in secrets:
        assert secret.encode() not in stored
        assert secret not in out.stdout and secret not in out.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_credentials_out_refuses_to_overwrite_an_existing_file(account, hires, tmp_path, account_dir):
    creds = tmp_path / "creds.csv"
    creds.write_text("keep me\n")
    before = snapshot(account_dir)
    err = account("user", "import", str(hires), "--credentials-out", str(creds), expect=1).stderr
    assert "already exists; refusing to overwrite it" in err
    assert creds.read_text() == "keep me\n"
    assert snapshot(account_dir) == before


def test_a_credentials_file_that_cannot_be_written_stops_the_import(account, hires, tmp_path, monkeypatch):
    from iamctl.cli import user_import

    def fail(path, text):
        path.write_text(text[:10])  # a partial write, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(user_import, "_write_private", fail)
    creds = tmp_path / "creds.csv"
    err = account("user", "import", str(hires), "--credentials-out", str(creds), expect=1).stderr
    assert err == (f"iamctl: error: InvalidInput: --credentials-out {creds}: cannot write it (No space left "
                   "on device); nothing was imported\n")
    assert user_names(account) == []
    assert sorted(os.listdir(tmp_path)) == ["acct", "hires.csv"]


def test_credentials_are_not_written_when_the_transaction_does_not_commit(account, hires, tmp_path, monkeypatch):
    from iamctl.core.base.errors import StoreError
    from iamctl.core.store.directory import Store

    def fail(self, ops):
        raise StoreError("disk full")

    monkeypatch.setattr(Store, "_commit", fail)
    creds = tmp_path / "creds.csv"
    account("user", "import", str(hires), "--credentials-out", str(creds), expect=1)
    monkeypatch.undo()
    assert not creds.exists()
    assert list(tmp_path.glob(".creds.csv.*")) == []
    assert user_names(account) == []


def test_second_run_changes_nothing_and_creates_no_second_set_of_credentials(account, hires, tmp_path, account_dir):
    account("user", "import", str(hires), "--credentials-out", str(tmp_path / "c1.csv"))
    before = snapshot(account_dir)
    out = account("user", "import", str(hires), "--credentials-out", str(tmp_path / "c2.csv"), "-o", "json").json()
    assert out["Summary"] == {"Created": 0, "Updated": 0, "Unchanged": 3, "Conflicts": 0, "CredentialsIssued": 0}
    assert out["CredentialsFile"] is None
    assert not (tmp_path / "c2.csv").exists()
    assert snapshot(account_dir) == before
    # ... and without --credentials-out it runs, since it would create none.
    account("user", "import", str(hires))


def test_conflict_without_sync_and_update_with_sync(account, tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(PLAIN)
    account("user", "import", str(path))
    path.write_text("name,groups,tags\ncarol,oncall,team=web\ndave,,team=ops\n")
    result = account("user", "import", str(path), "-o", "json")
    assert result.json()["Summary"]["Conflicts"] == 1
    assert "--sync" in result.stderr
    assert account("user", "list-groups", "carol", "-o", "json").json()["Groups"][0]["GroupName"] == "developers"
    synced = account("user", "import", str(path), "--sync", "-o", "json").json()
    assert synced["Plan"][0] == {"Row": 2, "UserName": "carol", "Action": "update",
                                 "Changes": ["groups: +oncall -developers"]}
    assert [g["GroupName"] for g in account("user", "list-groups", "carol", "-o", "json").json()["Groups"]] == ["oncall"]
    assert account("group", "show", "developers", "-o", "json").json()["Group"].get("Users", []) == []


def test_jsonl_from_standard_input(account):
    lines = (json.dumps({"name": "erin", "groups": ["developers"], "tags": {"team": "web"}}) + "\n"
             + json.dumps({"name": "frank"}) + "\n")
    out = account("user", "import", "-", "-o", "json", input=lines).json()
    assert [(p["UserName"], p["Action"]) for p in out["Plan"]] == [("erin", "create"), ("frank", "create")]
    assert account("user", "list-tags", "erin", "-o", "json").json()["Tags"] == [{"Key": "team", "Value": "web"}]


def test_csv_from_standard_input(account):
    out = account("user", "import", "-", "--format", "csv", "-o", "json", input=PLAIN).json()
    assert out["Summary"]["Created"] == 2
    assert user_names(account) == ["carol", "dave"]


def test_export_then_import_round_trip(account, hires, tmp_path, monkeypatch):
    account("user", "import", str(hires), "--create-groups", "--credentials-out", str(tmp_path / "c.csv"))
    exported = tmp_path / "users.csv"
    account("user", "export", str(exported))
    text = exported.read_text()
    assert text.splitlines()[0] == "name,path,groups,tags,policies,boundary,mfa"
    assert "AKIA" not in text
    assert account("user", "export", "-").stdout == text
    # The same account: every user unchanged.
    out = account("user", "import", str(exported), "-o", "json").json()
    assert out["Summary"]["Unchanged"] == 3
    # Another account directory: the same users again.
    monkeypatch.setenv("IAMCTL_DIR", str(tmp_path / "other"))
    account("user", "import", str(exported), "--create-groups")
    again = tmp_path / "again.csv"
    account("user", "export", str(again))
    assert again.read_text() == text


def test_export_jsonl_by_file_name(account, tmp_path):
    account("user", "import", "-", "--format", "csv", input=PLAIN)
    path = tmp_path / "users.jsonl"
    account("user", "export", str(path))
    first = json.loads(path.read_text().splitlines()[0])
    assert first == {"name": "carol", "path": "/", "groups": ["developers"], "tags": {"team": "web"},
                     "policies": [], "boundary": None, "mfa": ""}


def test_user_list_mfa_pending_shows_who_has_not_enrolled(account, hires, tmp_path):
    account("user", "import", str(hires), "--credentials-out", str(tmp_path / "c.csv"))
    account("user", "create", "zed")
    pending = account("user", "list", "--mfa-pending", "-o", "json").json()["Users"]
    assert [u["UserName"] for u in pending] == ["alice"]
    shown = account("user", "show", "alice", "-o", "json").json()["User"]
    assert "ForceMFA" in [p["PolicyName"] for p in shown["AttachedPolicies"]]


def test_a_large_import_is_quiet_when_piped(account):
    rows = "name,groups\n" + "".join(f"user{i:04d},developers\n" for i in range(250))
    result = account("user", "import", "-", "--format", "csv", "-o", "json", input=rows)
    assert result.stderr == ""
    assert result.json()["Summary"]["Created"] == 250
    assert len(account("group", "show", "developers", "-o", "json").json()["Group"]["Users"]) == 250


def test_import_and_export_have_help_with_an_example(iam):
    for command in ("import", "export"):
        assert f"Example: iamctl user {command}" in " ".join(iam("user", command, "--help").stdout.split())


def test_credentials_out_directory_missing_is_refused_before_anything_is_written(account, hires, tmp_path):
    err = account("user", "import", str(hires), "--credentials-out", str(tmp_path / "no" / "c.csv"),
                  expect=1).stderr
    assert "cannot create it" in err
    assert user_names(account) == []
    assert sorted(os.listdir(tmp_path)) == ["acct", "hires.csv"]


def test_the_readme_example_file_imports(iam, tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "new-hires.csv"
    iam("init")
    plan = iam("user", "import", str(example), "--create-groups", "--dry-run", "-o", "json").json()
    assert [(p["UserName"], p["Action"]) for p in plan["Plan"]] == [
        ("alice.ng", "create"), ("bob.okafor", "create"), ("carol.diaz", "create"), ("deploy-bot", "create")]
    creds = tmp_path / "creds.csv"
    iam("user", "import", str(example), "--create-groups", "--credentials-out", str(creds))
    assert len(creds.read_text().splitlines()) == 5
    assert [u["UserName"] for u in iam("user", "list", "--mfa-pending", "-o", "json").json()["Users"]] == [
        "alice.ng", "bob.okafor"]


def test_an_unknown_format_is_a_usage_error(iam):
    err = iam("user", "import", "-", "--format", "xlsx", input="name\na\n", expect=2).stderr
    assert "'xlsx' is not one of csv, jsonl" in err
