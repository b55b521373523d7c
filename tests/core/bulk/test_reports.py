"""Tests for iamctl.core.bulk.reports: AWS's credential report format."""

from __future__ import annotations

import csv
import io

import pytest

from iamctl.core.bulk import reports
from iamctl.core.credentials import access_keys, passwords
from iamctl.core.identities import users
from iamctl.core.store.directory import Store

AWS_COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
    "cert_2_active,cert_2_last_rotated"
)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMCTL_NOW", "2026-03-01T10:00:00Z")
    s = Store(tmp_path / "a")
    with s.write() as txn:
        users.create_user(txn, "alice")
        users.create_user(txn, "bob")
    return s


def _rows(store):
    with store.read() as txn:
        text = reports.credential_report(txn)
    return text, list(csv.DictReader(io.StringIO(text)))


def test_header_is_aws_column_list(store):
    text, _ = _rows(store)
    assert text.splitlines()[0] == AWS_COLUMNS


def test_root_account_row_comes_first_with_not_supported_password_columns(store):
    _, rows = _rows(store)
    root = rows[0]
    with store.read() as txn:
        assert root["arn"] == f"arn:aws:iam::{txn.account_id}:root"
    assert root["user"] == "<root_account>"
    assert (root["password_enabled"], root["password_last_used"], root["password_last_changed"],
            root["password_next_rotation"]) == ("not_supported", "no_information", "not_supported", "not_supported")


def test_user_without_credentials_has_false_and_na(store):
    _, rows = _rows(store)
    bob = rows[2]
    assert bob["user"] == "bob" and bob["user_creation_time"] == "2026-03-01T10:00:00+00:00"
    assert bob["password_enabled"] == "false" and bob["password_last_used"] == "N/A"
    assert bob["password_last_changed"] == "N/A" and bob["password_next_rotation"] == "N/A"
    assert bob["access_key_1_active"] == "false" and bob["access_key_1_last_rotated"] == "N/A"
    assert bob["cert_1_active"] == "false" and bob["cert_2_last_rotated"] == "N/A"


def test_password_and_keys_columns(store, monkeypatch):
    with store.write() as txn:
        passwords.set_password_policy(txn, max_password_age=90)
        passwords.set_password(txn, "alice", "Corr3ct-Horse")
        first = access_keys.create_access_key(txn, "alice")
        second = access_keys.create_access_key(txn, "alice")
        access_keys.update_access_key(txn, "alice", second.key.access_key_id, "Inactive")
    monkeypatch.setenv("IAMCTL_NOW", "2026-03-02T08:00:00Z")
    with store.write() as txn:
        access_keys.authenticate_access_key(txn, first.key.access_key_id, first.secret_access_key)
    text, rows = _rows(store)
    alice = rows[1]
    # A password never used: no_information; next rotation = last changed + MaxPasswordAge.
    assert alice["password_enabled"] == "true" and alice["password_last_used"] == "no_information"
    assert alice["password_last_changed"] == "2026-03-01T10:00:00+00:00"
    assert alice["password_next_rotation"] == "2026-05-30T10:00:00+00:00"
    assert alice["access_key_1_active"] == "true"
    assert alice["access_key_1_last_used_date"] == "2026-03-02T08:00:00+00:00"
    assert alice["access_key_1_last_used_service"] == "sts"
    assert alice["access_key_2_active"] == "false"
    assert alice["access_key_2_last_rotated"] == "2026-03-01T10:00:00+00:00"
    assert alice["access_key_2_last_used_date"] == "N/A"
    assert first.secret_access_key not in text and second.secret_access_key not in text
