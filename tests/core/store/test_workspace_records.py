"""Workspace records (the organization, next to iamctl.toml) and documents written as TOML
literal strings: what the store promises for them."""

from __future__ import annotations

import json
import tomllib

from hypothesis import given
from hypothesis import strategies as st

from iamctl.core.identities import organizations as orgs
from iamctl.core.store.directory import Store, _dumps
from iamctl.core.store.records import OrgPolicy


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_a_literal_field_reads_back_exactly_whatever_it_holds(text):
    """The literal form is used only where TOML allows it; otherwise the basic string: either way
    the text reads back unchanged."""
    data = {"id": "p-abcdefgh", "content": text, "description": ""}
    assert tomllib.loads(_dumps(data, literal=("content",))) == data


def test_a_json_document_is_written_unescaped():
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*",
                                                             "Resource": "*"}]}, indent=2)
    text = _dumps({"content": doc}, literal=("content",))
    assert text == f"content = '''\n{doc}'''\n"


def test_workspace_records_are_shared_by_every_account_of_the_directory(tmp_path):
    """An organization spans the directory's accounts: whichever account a transaction selects,
    it sees the same organization/ files, and a write through one is read through another."""
    store = Store(tmp_path / "d")
    store.init("111122223333")
    store.init("444455556666")
    with Store(tmp_path / "d", account="444455556666").write() as txn:
        org = orgs.create_organization(txn, "111122223333")
        policy = orgs.create_policy(txn, "P", orgs.SCP, '{"Version": "2012-10-17", "Statement": '
                                    '[{"Effect": "Deny", "Action": "*", "Resource": "*"}]}')
    with Store(tmp_path / "d", account="111122223333").read() as txn:
        assert orgs.find_organization(txn) == org
        assert txn.get("org-policy", policy.id) == policy
        view = txn.in_account("444455556666")
        assert view.get("org-policy", policy.id) == policy
    assert (tmp_path / "d" / "organization" / "policies" / f"{policy.id}.toml").is_file()
    assert not (tmp_path / "d" / "111122223333" / "organization").exists()
    assert isinstance(policy, OrgPolicy)


def test_a_document_written_with_crlf_line_ends_is_kept_exactly(tmp_path):
    """Documents are stored exactly as written: TOML readers turn a raw CR LF inside a multi-line
    string into LF, so such a record is written with escaped strings instead."""
    from iamctl.core.identities import policies

    text = '{"Version": "2012-10-17",\r\n "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'
    store = Store(tmp_path / "d")
    with store.write() as txn:
        policies.create_policy(txn, "Crlf", text)
    with store.read() as txn:
        assert txn.require("policy", "Crlf").versions[0].document == text
