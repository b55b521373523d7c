"""Batch onboarding (iamctl.core.bulk.onboarding): parsing, validation of the whole file, planning,
applying in one transaction, credentials, ForceMFA, export and the MFA-pending listing."""

from __future__ import annotations

import json

import pytest

from iamctl.core.bulk import onboarding
from iamctl.core.bulk.onboarding import ImportRejected
from iamctl.core.credentials import password_policy, passwords
from iamctl.core.identities import account, groups, policies
from iamctl.core.store.directory import Store

HEADER = "name,path,groups,tags,policies,boundary,password,require_reset,access_key,mfa\n"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a")
    s.init("111122223333")
    with s.write() as txn:
        groups.create_group(txn, "developers")
        groups.create_group(txn, "sales")
    return s


def parse(text: str, fmt: str | None = "csv"):
    return onboarding.parse_file(text, fmt=fmt, source="hires.csv")


def run(store, text, *, sync=False, create_groups=False, fmt="csv"):
    with store.write() as txn:
        plan = onboarding.plan_import(txn, parse(text, fmt), sync=sync, create_groups=create_groups)
        return onboarding.apply_import(txn, plan)


def plan_of(store, text, **options):
    with store.read() as txn:
        return onboarding.plan_import(txn, parse(text), **options)


def files(store) -> dict[str, bytes]:
    root = store.root
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".iamctl" not in p.parts}


def test_every_problem_in_the_file_is_reported_at_once_with_row_and_column(store):
    text = (HEADER
            + "bad name!,,,,,,,,,\n"                                   # row 2: AWS name alphabet
            + "Alice,,,,,,,,,\n"                                       # row 3
            + "alice,,,,,,,,,\n"                                       # row 4: duplicate by case
            + "bob,,nosuchgroup,,,,,,,\n"                              # row 5: unknown group
            + "carol,,,,NoSuchPolicyAnywhere,,,,,\n"                   # row 6: unknown policy
            + "dave,,,team,,,,,,\n"                                    # row 7: tag without =
            + "erin,,,,,,hunter2,,,\n"                                 # row 8: plain password
            + "frank,no-slash,,,,,,,maybe,\n")                         # row 9: path, access_key
    with pytest.raises(ImportRejected) as caught:
        plan_of(store, text)
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(2, "name"), (4, "name"), (5, "groups"), (6, "policies"), (7, "tags"), (8, "password"),
                     (9, "path"), (9, "access_key")}
    by_place = {(e.row, e.column): e.message for e in caught.value.errors}
    assert "duplicate of row 3" in by_place[(4, "name")]
    assert "unknown group 'nosuchgroup'" in by_place[(5, "groups")]
    assert {e.remedy for e in caught.value.errors if (e.row, e.column) == (5, "groups")} == {"create_groups"}
    assert "never reads a password" in by_place[(8, "password")]
    assert caught.value.code == "InvalidInput"
    assert "nothing was written" in caught.value.message


def test_quota_the_import_would_exceed_is_reported_on_the_first_row_past_it(store):
    with store.write() as txn:
        account.set_quota(txn, "users", 2)
        account.set_quota(txn, "groups-per-user", 1)
    with pytest.raises(ImportRejected) as caught:
        plan_of(store, "name,groups\nu1,\nu2,\nu3,\nu4,developers;sales\n")
    messages = {(e.row, e.column): e.message for e in caught.value.errors}
    assert "UsersPerAccount (2" in messages[(4, "name")]
    assert "GroupsPerUser (1)" in messages[(5, "groups")]
    assert len(caught.value.errors) == 2  # the users quota is reported once, not for every row past it


def test_nothing_is_written_when_any_row_is_bad(store):
    before = files(store)
    with pytest.raises(ImportRejected):
        run(store, "name,groups\ngood1,developers\ngood2,\nbad/name,\n")
    assert files(store) == before


def test_planning_writes_nothing(store):
    before = files(store)
    with store.write() as txn:
        plan = onboarding.plan_import(txn, parse("name,groups,mfa\nnew1,brand-new,required\n"), create_groups=True)
    assert [(i.name, i.action) for i in plan.items] == [("new1", "create")]
    assert plan.new_groups == ["brand-new"] and plan.create_force_mfa
    assert files(store) == before


def test_created_users_get_path_groups_tags_policies_boundary(store):
    run(store, HEADER + "alice,/eng/,developers;sales,team=web;cc=41,ReadOnlyAccess,"
                        "arn:aws:iam::aws:policy/PowerUserAccess,,,,\n")
    with store.read() as txn:
        alice = txn.get("user", "alice")
        assert alice.path == "/eng/" and alice.tags == {"team": "web", "cc": "41"}
        assert alice.groups == ["developers", "sales"]
        # Membership is stored on both sides, as AddUserToGroup keeps it.
        assert txn.get("group", "developers").members == ["alice"]
        assert alice.attached_policies == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
        assert txn.get("aws-policy", "ReadOnlyAccess").attachments == ["user/alice"]
        assert alice.permissions_boundary == "arn:aws:iam::aws:policy/PowerUserAccess"


def test_policy_names_resolve_to_customer_or_aws_managed_and_an_ambiguous_name_is_refused(store):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    with store.write() as txn:
        policies.create_policy(txn, "S3Admin", doc)
        policies.create_policy(txn, "ReadOnlyAccess", doc)  # same name as an AWS managed policy
    plan = plan_of(store, "name,policies\nu1,S3Admin;arn:aws:iam::aws:policy/AWSSupportAccess\n")
    assert plan.items[0].policies == ["arn:aws:iam::111122223333:policy/S3Admin",
                                      "arn:aws:iam::aws:policy/AWSSupportAccess"]
    with pytest.raises(ImportRejected) as caught:
        plan_of(store, "name,policies\nu2,ReadOnlyAccess\n")
    assert "write the ARN" in caught.value.errors[0].message


def test_second_run_of_the_same_file_changes_nothing_and_issues_no_credentials(store):
    text = HEADER + "alice,/eng/,developers,team=web,ReadOnlyAccess,,generate,,yes,required\n"
    first = run(store, text)
    assert first.summary["created"] == 1 and len(first.credentials) == 1
    before = files(store)
    second = run(store, text)
    assert second.summary == {"created": 0, "updated": 0, "unchanged": 1, "conflicts": 0,
                              "credentials_issued": 0}
    assert second.credentials == []
    assert files(store) == before
    with store.read() as txn:
        assert len(txn.get("user", "alice").access_keys) == 1


def test_a_user_that_differs_is_a_conflict_and_is_left_alone_without_sync(store):
    run(store, "name,groups,tags\nalice,developers,team=web\n")
    before = files(store)
    plan = plan_of(store, "name,groups,tags\nalice,sales,team=api\n")
    assert plan.items[0].action == "conflict"
    assert plan.items[0].changes == ["groups: +sales -developers", "tags: +team=api"]
    result = run(store, "name,groups,tags\nalice,sales,team=api\n")
    assert result.summary["conflicts"] == 1
    assert files(store) == before


def test_sync_brings_groups_tags_and_policies_to_the_file_state(store):
    run(store, "name,groups,tags,policies\nalice,developers,team=web;old=1,ReadOnlyAccess\n")
    result = run(store, "name,groups,tags,policies\nalice,sales,team=api,AWSSupportAccess\n", sync=True)
    assert result.summary["updated"] == 1
    with store.read() as txn:
        alice = txn.get("user", "alice")
        assert alice.groups == ["sales"] and alice.tags == {"team": "api"}
        assert alice.attached_policies == ["arn:aws:iam::aws:policy/AWSSupportAccess"]
        assert txn.get("group", "developers").members == []
        assert txn.get("group", "sales").members == ["alice"]
        assert txn.get("aws-policy", "ReadOnlyAccess") is None  # the last attachment went with it
    assert run(store, "name,groups,tags,policies\nalice,sales,team=api,AWSSupportAccess\n").summary["unchanged"] == 1


def test_columns_absent_from_the_file_are_left_alone(store):
    run(store, "name,groups,tags\nalice,developers,team=web\n")
    plan = plan_of(store, "name,path\nalice,/\n")
    assert plan.items[0].action == "unchanged"


def test_users_match_existing_ones_without_regard_to_case(store):
    run(store, "name\nAlice\n")
    plan = plan_of(store, "name\nalice\n")
    assert [(i.name, i.action) for i in plan.items] == [("Alice", "unchanged")]


def test_create_groups_creates_missing_groups_once(store):
    run(store, "name,groups\nu1,platform\nu2,Platform;developers\n", create_groups=True)
    with store.read() as txn:
        assert txn.keys("group") == ["developers", "platform", "sales"]
        assert txn.get("group", "platform").members == ["u1", "u2"]
        assert txn.get("user", "u2").groups == ["platform", "developers"]


def test_generated_passwords_satisfy_the_policy_are_hashed_and_reset_is_required_by_default(store):
    result = run(store, "name,password,require_reset\nalice,generate,\nbob,generate,false\n")
    by_name = {c.user_name: c for c in result.credentials}
    with store.read() as txn:
        alice, bob = txn.get("user", "alice"), txn.get("user", "bob")
        assert alice.login_profile.password_reset_required is True
        assert bob.login_profile.password_reset_required is False
        assert passwords.verify_user_password(txn, alice, by_name["alice"].password)
        assert not passwords.verify_user_password(txn, bob, by_name["alice"].password)
        assert password_policy.password_violations(txn.account.password_policy, by_name["bob"].password,
                                               username="bob") == []


def test_many_passwords_are_hashed_in_parallel_and_each_verifies(store, monkeypatch):
    monkeypatch.setattr(onboarding, "PARALLEL_HASHING_FROM", 2)
    result = run(store, "name,password\n" + "".join(f"u{i},generate\n" for i in range(4)))
    with store.read() as txn:
        for c in result.credentials:
            assert passwords.verify_user_password(txn, txn.get("user", c.user_name), c.password)


def test_access_keys_are_issued_once_and_authenticate(store):
    from iamctl.core.credentials import access_keys

    result = run(store, "name,access_key\nbot,yes\n")
    (issued,) = result.credentials
    assert issued.password is None and issued.access_key_id.startswith("AKIA")
    with store.write() as txn:
        user = access_keys.authenticate_access_key(txn, issued.access_key_id, issued.secret_access_key)
        assert user.name == "bot"


def test_mfa_required_attaches_the_force_mfa_policy_created_on_first_use_from_aws_document(store):
    run(store, "name,mfa\nalice,required\n")
    run(store, "name,mfa\nbob,required\ncarol,\n")
    shipped = (onboarding._force_mfa_document())
    with store.read() as txn:
        policy = txn.get("policy", "ForceMFA")
        assert policy.versions[0].document == shipped
        assert sorted(policy.attachments) == ["user/alice", "user/bob"]
        assert json.loads(shipped)["Statement"][-1]["Sid"] == "DenyAllExceptListedIfNoMFA"
        assert txn.get("user", "alice").mfa_required is True
        assert txn.get("user", "carol").mfa_required is False
        assert [u.name for u in onboarding.mfa_pending(txn).items] == ["alice", "bob"]


def test_a_user_with_an_enabled_mfa_device_is_no_longer_pending(store):
    from msgspec import structs

    run(store, "name,mfa\nalice,required\nbob,required\n")
    with store.write() as txn:
        alice = txn.get("user", "alice")
        txn.put("user", structs.replace(alice, mfa_devices=["arn:aws:iam::111122223333:mfa/alice"]))
    with store.read() as txn:
        assert [u.name for u in onboarding.mfa_pending(txn).items] == ["bob"]


def test_force_mfa_counts_against_the_managed_policies_per_user_quota(store):
    with store.write() as txn:
        account.set_quota(txn, "managed-policies-per-user", 1)
    with pytest.raises(ImportRejected) as caught:
        plan_of(store, "name,policies,mfa\nalice,ReadOnlyAccess,required\n")
    assert "PoliciesPerUser (1)" in caught.value.errors[0].message


def test_json_lines_take_native_lists_objects_and_booleans(store):
    text = (json.dumps({"name": "alice", "groups": ["developers"], "tags": {"team": "web"},
                        "access_key": True, "mfa": True}) + "\n\n"
            + json.dumps({"name": "bob", "groups": "sales", "tags": "team=api"}) + "\n")
    parsed = onboarding.parse_file(text, source="hires.jsonl")
    assert parsed.format == "jsonl" and parsed.errors == []
    alice, bob = parsed.rows
    assert (alice.row, alice.groups, alice.tags, alice.access_key, alice.mfa) == (1, ["developers"],
                                                                                 {"team": "web"}, True, True)
    assert (bob.row, bob.groups, bob.tags) == (3, ["sales"], {"team": "api"})


def test_json_lines_problems_carry_their_line(store):
    parsed = onboarding.parse_file('{"name": "a"}\nnot json\n{"nom": "b"}\n', fmt="jsonl", source="x")
    assert {(e.row, e.column) for e in parsed.errors} == {(2, "name"), (3, "nom"), (3, "name")}


def test_csv_header_must_name_known_columns_and_name(store):
    parsed = parse("user,groups\nalice,developers\n")
    assert {(e.row, e.column) for e in parsed.errors} == {(1, "user"), (1, "name")}


def test_csv_rows_keep_their_line_numbers_across_quoted_newlines(store):
    parsed = parse('name,tags\n"alice","team=a"\n"bob","team=\nb"\ncarol,\n')
    assert [(r.row, r.name) for r in parsed.rows] == [(2, "alice"), (3, "bob"), (5, "carol")]


def test_credentials_csv_has_the_aws_console_layout(store):
    issued = [onboarding.IssuedCredentials("alice", "pw", "AKIAEXAMPLE", "secret"),
              onboarding.IssuedCredentials("bot", None, "AKIAEXAMPLE2", "secret2")]
    with store.write() as txn:
        account.set_alias(txn, "acme-corp")
        link = onboarding.signin_url(txn)
    assert link == "https://acme-corp.signin.aws.amazon.com/console"
    assert onboarding.credentials_csv(issued, link).splitlines() == [
        "User name,Password,Access key ID,Secret access key,Console sign-in link",
        "alice,pw,AKIAEXAMPLE,secret,https://acme-corp.signin.aws.amazon.com/console",
        "bot,,AKIAEXAMPLE2,secret2,",
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_then_import_into_a_new_account_reproduces_the_users(store, tmp_path, fmt):
    run(store, HEADER + "alice,/eng/,developers;sales,team=web;cc=41,ReadOnlyAccess,"
                        "arn:aws:iam::aws:policy/PowerUserAccess,generate,,yes,required\n"
                        "bob,/,,,,,,,,\n")
    with store.read() as txn:
        exported = onboarding.export_users(txn, fmt=fmt)
    assert "AKIA" not in exported and "argon2" not in exported
    # Into the same account: nothing to do.
    with store.read() as txn:
        again = onboarding.plan_import(txn, onboarding.parse_file(exported, fmt=fmt))
    assert [i.action for i in again.items] == ["unchanged", "unchanged"]
    # Into a fresh account: the same users come out again.
    other = Store(tmp_path / "b")
    other.init("444455556666")
    with other.write() as txn:
        plan = onboarding.plan_import(txn, onboarding.parse_file(exported, fmt=fmt), create_groups=True)
        onboarding.apply_import(txn, plan)
    with other.read() as txn:
        assert onboarding.export_users(txn, fmt=fmt) == exported
        assert txn.get("user", "alice").mfa_required is True


def test_write_behind_view_serialises_a_large_group_once(store, monkeypatch):
    """10,000 members must not mean 10,000 dumps of the growing member list (O(n²))."""
    from iamctl.core.store import directory as store_module

    dumps = []
    real = store_module._dumps
    monkeypatch.setattr(store_module, "_dumps",
                        lambda data, **kw: dumps.append(data.get("name")) or real(data, **kw))
    run(store, "name,groups\n" + "".join(f"u{i},developers\n" for i in range(50)))
    assert dumps.count("developers") == 1


def test_groups_and_policies_per_account_quotas_are_checked_for_what_the_import_creates(store):
    with store.write() as txn:
        account.set_quota(txn, "groups", 2)  # developers and sales exist
        account.set_quota(txn, "policies", 0)
    with pytest.raises(ImportRejected) as caught:
        with store.read() as txn:
            onboarding.plan_import(txn, parse("name,groups,mfa\nu1,developers,required\nu2,newgroup,required\n"),
                                   create_groups=True)
    messages = {(e.row, e.column): e.message for e in caught.value.errors}
    assert set(messages) == {(2, "mfa"), (3, "groups")}
    assert "PoliciesPerAccount (0)" in messages[(2, "mfa")]
    assert "GroupsPerAccount (2)" in messages[(3, "groups")]
