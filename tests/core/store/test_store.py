"""The account-directory store: layout, atomic transactions, locking, damage and hostility."""

from __future__ import annotations

import os
import stat

import pytest

from iamctl.core.base import clock
from iamctl.core.base.errors import InvalidInput, NoSuchEntity, StoreError
from iamctl.core.store.directory import Store
from iamctl.core.store.records import Group, User


def make_user(name: str, **kw) -> User:
    return User(name=name, user_id="AIDA" + name.upper().ljust(17, "X")[:17], path="/", created=clock.iso(), **kw)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "acct")
    s.init("123456789012")
    return s


def test_layout_is_one_toml_file_per_entity_with_secrets_apart(store):
    with store.write() as txn:
        txn.put("user", make_user("Alice", tags={"team": "blue"}))
        txn.put_secret("user", "Alice", {"password": {"hash": "x"}})
    root = store.root
    user_file = root / "123456789012" / "users" / "alice.toml"
    assert user_file.is_file()
    text = user_file.read_text()
    assert 'name = "Alice"' in text and "[tags]" in text
    secret = root / "secrets" / "123456789012" / "users" / "alice.toml"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    for folder in (root / "secrets", root / "secrets" / "123456789012", secret.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert "/secrets/" in (root / ".gitignore").read_text().splitlines()
    assert "/.iamctl/" in (root / ".gitignore").read_text().splitlines()


def test_names_are_found_without_regard_to_case(store):
    with store.write() as txn:
        txn.put("user", make_user("Alice"))
    with store.read() as txn:
        assert txn.get("user", "ALICE").name == "Alice"
        assert txn.exists("user", "alice")
        assert txn.keys("user") == ["alice"]


def test_a_transaction_that_raises_writes_nothing(store):
    with pytest.raises(RuntimeError), store.write() as txn:
        txn.put("user", make_user("bob"))
        raise RuntimeError("changed my mind")
    with store.read() as txn:
        assert txn.get("user", "bob") is None


def test_reads_see_the_transactions_own_writes_and_deletes(store):
    with store.write() as txn:
        txn.put("user", make_user("carol"))
        assert txn.require("user", "carol").name == "carol"
        assert txn.keys("user") == ["carol"]
        txn.delete("user", "carol")
        assert txn.get("user", "carol") is None
        assert txn.keys("user") == []


def test_require_raises_no_such_entity_with_aws_wording(store):
    with store.read() as txn, pytest.raises(NoSuchEntity, match=r"^The user with name dave cannot be found\.$"):
        txn.require("user", "dave")


@pytest.mark.parametrize("name", ["../escape", "a/b", "/etc/passwd", "x\x00y", "é", ""])
def test_names_that_could_escape_the_directory_are_refused(store, name):
    with pytest.raises(InvalidInput), store.write() as txn:
        txn.put("user", make_user(name))
    with store.read() as txn:
        assert txn.get("user", name) is None
    assert not (store.root / "escape.toml").exists()


def test_a_directory_from_a_newer_iamctl_is_refused(store):
    manifest = store.root / "iamctl.toml"
    manifest.write_text("schema_version = 999\ndefault_account = \"123456789012\"\n")
    with pytest.raises(StoreError, match=r"newer iamctl \(schema version 999; .* upgrade iamctl"), store.read():
        pass


def test_truncated_toml_is_reported_with_path_and_line(store):
    with store.write() as txn:
        txn.put("user", make_user("erin"))
    path = store.root / "123456789012" / "users" / "erin.toml"
    path.write_text(path.read_text()[:25])
    with pytest.raises(StoreError) as e, store.read() as txn:
        txn.get("user", "erin")
    assert str(path) in str(e.value) and "line" in str(e.value)


def test_wrong_types_are_reported_with_path_and_line(store):
    with store.write() as txn:
        txn.put("user", make_user("frank"))
    path = store.root / "123456789012" / "users" / "frank.toml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("path ="))
    lines[index] = "path = 42"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StoreError) as e, store.read() as txn:
        txn.get("user", "frank")
    assert f"{path}:{index + 1}: damaged file: path: expected a string, found an integer" == str(e.value)


def test_unknown_keys_are_reported(store):
    with store.write() as txn:
        txn.put("group", Group(name="devs", group_id="AGPAXXXXXXXXXXXXXXXXX", path="/", created=clock.iso()))
    path = store.root / "123456789012" / "groups" / "devs.toml"
    path.write_text("colour = \"red\"\n" + path.read_text())
    with pytest.raises(StoreError, match=r"devs\.toml:\d+: damaged file: colour: unknown key"), store.read() as txn:
        txn.get("group", "devs")


def test_nothing_is_written_on_top_of_a_damaged_file(store):
    with store.write() as txn:
        txn.put("user", make_user("gina"))
    path = store.root / "123456789012" / "users" / "gina.toml"
    path.write_text("name = \n")
    with pytest.raises(StoreError), store.write() as txn:
        user = txn.require("user", "gina")
        txn.put("user", user)
    assert path.read_text() == "name = \n"


def test_a_planted_symlink_is_not_followed_on_write(store, tmp_path):
    outside = tmp_path / "outside.toml"
    outside.write_text("precious\n")
    users = store.root / "123456789012" / "users"
    users.mkdir()
    (users / "hank.toml").symlink_to(outside)
    with pytest.raises(StoreError, match="symbolic link"), store.write() as txn:
        txn.put("user", make_user("hank"))
    assert outside.read_text() == "precious\n"
    with pytest.raises(StoreError, match="symbolic link"), store.read() as txn:
        txn.get("user", "hank")


def test_a_planted_directory_symlink_is_not_followed_on_write(store, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (store.root / "123456789012" / "groups").symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreError, match="symbolic link"), store.write() as txn:
        txn.put("group", Group(name="ops", group_id="AGPAXXXXXXXXXXXXXXXXX", path="/", created=clock.iso()))
    assert list(outside.iterdir()) == []


def test_an_uncommitted_journal_is_discarded_and_a_committed_one_replayed(store):
    import json

    state = store.root / ".iamctl"
    op = {"path": "123456789012/users/ivy.toml", "secret": False,
          "data": 'name = "ivy"\nuser_id = "AIDAIVYXXXXXXXXXXXXXX"\npath = "/"\ncreated = "2026-01-01T00:00:00Z"\n'}
    (state / "journal.tmp").write_text(json.dumps({"ops": [op]}))
    with store.read() as txn:
        assert txn.get("user", "ivy") is None  # never committed
    with store.write():
        pass
    assert not (state / "journal.tmp").exists()
    (state / "journal").write_text(json.dumps({"ops": [op]}))
    with store.read() as txn:
        assert txn.get("user", "ivy").name == "ivy"  # committed: finished on the next open
    assert not (state / "journal").exists()


def test_a_name_of_dots_stays_inside_its_folder(store):
    with store.write() as txn:
        txn.put("user", make_user(".."))
    assert (store.root / "123456789012" / "users" / "...toml").is_file()
    with store.read() as txn:
        assert txn.require("user", "..").name == ".."


def test_other_accounts_are_reachable_in_one_transaction(store):
    with store.write() as txn:
        txn.create_account("444455556666")
        txn.in_account("444455556666").put("user", make_user("zed"))
    with store.read() as txn:
        assert txn.get("user", "zed") is None
        assert txn.in_account("444455556666").get("user", "zed").name == "zed"
        assert txn.account_ids() == ["123456789012", "444455556666"]


def test_single_entity_reads_do_not_list_the_directory(store, monkeypatch):
    with store.write() as txn:
        for i in range(50):
            txn.put("user", make_user(f"user{i}"))
    calls = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda *a: calls.append(a) or real(*a))
    with store.read() as txn:
        assert txn.get("user", "user7").name == "user7"
    assert calls == []
