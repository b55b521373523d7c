"""`iamctl user ...` through the real CLI; each test names the AWS rule it checks."""

from __future__ import annotations

import re

import pytest
from msgspec import structs

from iamctl.core.store.directory import Store
from iamctl.core.store.records import AccessKeyMeta, LoginProfile, ManagedPolicy, MfaDevice, PolicyVersion


def seed(account_dir, fn):
    """Change the account directly, for state whose commands belong to other groups."""
    with Store(account_dir).write() as txn:
        fn(txn)


def account_id(iam) -> str:
    """The id of the test's account, created by `init` if it does not exist yet."""
    return iam("init", "-o", "json").json()["Account"]["AccountId"]


def error(result) -> str:
    assert result.stdout == ""
    return result.stderr


def add_policy(txn, name="ReadStuff", path="/"):
    txn.put("policy", ManagedPolicy(name=name, policy_id="ANPA" + "X" * 17, path=path, created="2026-01-01T00:00:00Z", updated="2026-01-01T00:00:00Z",
                                    default_version="v1", versions=[PolicyVersion("v1", "{}", "2026-01-01T00:00:00Z")]))


# -- create / show ------------------------------------------------------------------------------


def test_create_user_returns_aws_getuser_shape(iam):
    acct = account_id(iam)
    user = iam("user", "create", "alice", "--path", "/eng/", "-o", "json").json()["User"]
    assert user["UserName"] == "alice" and user["Path"] == "/eng/"
    assert user["Arn"] == f"arn:aws:iam::{acct}:user/eng/alice"
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", user["UserId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["CreateDate"])


def test_user_names_are_unique_without_regard_to_case(iam):
    iam("user", "create", "alice")
    r = iam("user", "create", "Alice", expect=1)
    assert error(r) == "iamctl: error: EntityAlreadyExists: User with name Alice already exists.\n"


@pytest.mark.parametrize("name, ok", [
    ("a" * 64, True), ("a" * 65, False), ("x+=,.@_-9", True), ("bad name", False), ("bad/name", False),
    ("ümlaut", False), ("bad*", False),
])
def test_user_name_is_1_to_64_of_the_aws_alphabet(iam, name, ok):
    r = iam("user", "create", "--", name, expect=0 if ok else 1)
    if not ok:
        assert "ValidationError" in error(r)


@pytest.mark.parametrize("path, ok", [
    ("/", True), ("/a/b/", True), ("a/", False), ("/a", False), ("/" + "a/" * 255, True), ("/" + "a" * 511 + "/", False),
    ("/a b/", False),
])
def test_user_path_begins_and_ends_with_slash_and_is_at_most_512(iam, path, ok):
    iam("user", "create", "alice", "--path", path, expect=0 if ok else 1)


def test_users_quota_is_enforced(iam):
    """IAM quota UsersPerAccount (5,000 by default; lowered here)."""
    iam("account", "set-quota", "users", "2")
    iam("user", "create", "a")
    iam("user", "create", "b")
    r = iam("user", "create", "c", expect=1)
    assert error(r) == "iamctl: error: LimitExceeded: Cannot exceed quota for UsersPerAccount: 2.\n"


def test_show_missing_user_is_no_such_entity_with_aws_wording(iam):
    iam("init")
    r = iam("user", "show", "ghost", expect=1)
    assert error(r) == "iamctl: error: NoSuchEntity: The user with name ghost cannot be found.\n"


def test_show_gives_everything_about_a_user_and_no_secrets(iam, account_dir):
    acct = account_id(iam)
    iam("user", "create", "alice", "--tag", "team=web", "--permissions-boundary",
        "arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    serial = f"arn:aws:iam::{acct}:mfa/alice-phone"

    def equip(txn):
        user = txn.get("user", "alice")
        txn.put("mfa", MfaDevice(name="alice-phone", serial=serial, path="/", created="2026-01-02T00:00:00Z", user="alice",
                                 enabled="2026-01-02T00:00:00Z"))
        txn.put_secret("user", "alice", {"password": {"hash": "$argon2id$SECRETHASH"}})
        txn.put("user", structs.replace(
            user, login_profile=LoginProfile(created="2026-01-01T00:00:00Z", password_reset_required=True),
            access_keys=[AccessKeyMeta("AKIAEXAMPLEEXAMPLE12", "Active", "2026-01-03T00:00:00Z")],
            mfa_devices=[serial], inline_policies={"s3": "{}"},
            attached_policies=["arn:aws:iam::aws:policy/ReadOnlyAccess"]))

    seed(account_dir, equip)
    shown = iam("user", "show", "alice", "-o", "json").json()["User"]
    assert shown["Tags"] == [{"Key": "team", "Value": "web"}]
    assert shown["Groups"] == ["devs"]
    assert shown["AttachedPolicies"] == [{"PolicyName": "ReadOnlyAccess",
                                          "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
    assert shown["InlinePolicies"] == ["s3"]
    assert shown["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy",
                                            "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert shown["LoginProfile"] == {"CreateDate": "2026-01-01T00:00:00Z", "PasswordResetRequired": True}
    assert shown["AccessKeys"] == [{"AccessKeyId": "AKIAEXAMPLEEXAMPLE12", "Status": "Active",
                                    "CreateDate": "2026-01-03T00:00:00Z"}]
    assert shown["MFADevices"] == [{"SerialNumber": serial, "EnableDate": "2026-01-02T00:00:00Z"}]
    for form in ("json", "text", "table"):
        out = iam("user", "show", "alice", "-o", form).stdout
        assert "SECRETHASH" not in out and "argon2" not in out
        assert "AKIAEXAMPLEEXAMPLE12" in out and "devs" in out


# -- permissions boundary -----------------------------------------------------------------------


def test_boundary_may_be_an_existing_customer_managed_policy(iam, account_dir):
    acct = account_id(iam)
    seed(account_dir, add_policy)
    arn = f"arn:aws:iam::{acct}:policy/ReadStuff"
    iam("user", "create", "alice", "--permissions-boundary", arn)
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn


@pytest.mark.parametrize("arn", ["arn:aws:iam::{acct}:policy/Nope", "arn:aws:iam::aws:policy/NoSuchAwsPolicy"])
def test_boundary_policy_must_exist(iam, arn):
    """AWS CreateUser with PermissionsBoundary: NoSuchEntity for a policy that does not exist."""
    arn = arn.format(acct=account_id(iam))
    r = iam("user", "create", "alice", "--permissions-boundary", arn, expect=1)
    assert error(r) == f"iamctl: error: NoSuchEntity: Policy {arn} does not exist or is not attachable.\n"
    iam("user", "show", "alice", expect=1)


def test_boundary_must_be_a_policy_arn(iam):
    r = iam("user", "create", "alice", "--permissions-boundary", "ReadOnlyAccess", expect=1)
    assert error(r) == "iamctl: error: InvalidInput: ARN ReadOnlyAccess is not valid.\n"


# -- tags ---------------------------------------------------------------------------------------


def test_at_most_50_tags_per_user(iam):
    """IAM quota: 50 tags per entity."""
    tags = [f"k{i}=v" for i in range(50)]
    iam("user", "create", "alice", *[a for t in tags for a in ("--tag", t)])
    r = iam("user", "tag", "alice", "one-more=v", expect=1)
    assert "LimitExceeded" in error(r) and "TagsPerEntity: 50" in r.stderr
    assert len(iam("user", "list-tags", "alice", "-o", "json").json()["Tags"]) == 50


@pytest.mark.parametrize("tag, ok", [
    ("k" * 128 + "=v", True), ("k" * 129 + "=v", False), ("=v", False),
    ("k=" + "v" * 256, True), ("k=" + "v" * 257, False), ("k=", True),
])
def test_tag_key_1_to_128_and_value_0_to_256(iam, tag, ok):
    iam("user", "create", "alice", "--tag", tag, expect=0 if ok else 1)


def test_tag_keys_are_unique_without_regard_to_case_in_one_request(iam):
    r = iam("user", "create", "alice", "--tag", "Team=a", "--tag", "team=b", expect=1)
    assert "InvalidInput" in error(r) and "duplicate tag key" in r.stderr


def test_tagging_an_existing_key_overwrites_its_value(iam):
    """AWS TagUser: a tag with an existing key replaces that tag's value."""
    iam("user", "create", "alice", "--tag", "team=web", "--tag", "env=prod")
    iam("user", "tag", "alice", "Team=api", "owner=bob")
    tags = iam("user", "list-tags", "alice", "-o", "json").json()["Tags"]
    assert tags == [{"Key": "env", "Value": "prod"}, {"Key": "Team", "Value": "api"},
                    {"Key": "owner", "Value": "bob"}]


def test_untag_removes_keys_and_ignores_absent_ones(iam):
    """AWS UntagUser: keys the user does not have are ignored."""
    iam("user", "create", "alice", "--tag", "team=web", "--tag", "env=prod")
    iam("user", "untag", "alice", "TEAM", "nothing-here")
    assert iam("user", "list-tags", "alice", "-o", "json").json()["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_aws_prefix_is_reserved_in_tag_keys(iam):
    assert "InvalidInput" in iam("user", "create", "alice", "--tag", "aws:x=1", expect=1).stderr


# -- list ---------------------------------------------------------------------------------------


def test_list_is_sorted_by_name_and_filters_by_path_prefix(iam):
    for name, path in [("dave", "/eng/"), ("Carol", "/eng/web/"), ("bob", "/"), ("alice", "/sales/")]:
        iam("user", "create", name, "--path", path)
    names = [u["UserName"] for u in iam("user", "list", "-o", "json").json()["Users"]]
    assert names == ["alice", "bob", "Carol", "dave"]
    eng = [u["UserName"] for u in iam("user", "list", "--path-prefix", "/eng/", "-o", "json").json()["Users"]]
    assert eng == ["Carol", "dave"]
    iam("user", "list", "--path-prefix", "eng", expect=1)


def test_list_pages_with_max_items_and_starting_token_like_the_aws_cli(iam):
    for name in ["e", "d", "c", "b", "a"]:
        iam("user", "create", name)
    first = iam("user", "list", "--max-items", "2", "-o", "json").json()
    assert [u["UserName"] for u in first["Users"]] == ["a", "b"]
    second = iam("user", "list", "--max-items", "2", "--starting-token", first["NextToken"], "-o", "json").json()
    assert [u["UserName"] for u in second["Users"]] == ["c", "d"]
    last = iam("user", "list", "--max-items", "2", "--starting-token", second["NextToken"], "-o", "json").json()
    assert last == {"Users": [last["Users"][0]]} and last["Users"][0]["UserName"] == "e"
    text = iam("user", "list", "--max-items", "1", "-o", "text")
    assert text.stdout.startswith("a\t") and "--starting-token" in text.stderr


def test_list_shows_the_same_users_in_json_text_and_table(iam):
    for name in ["alice", "bob", "carol"]:
        iam("user", "create", name, "--path", "/eng/")
    users = iam("user", "list", "-o", "json").json()["Users"]
    text = [line.split("\t") for line in iam("user", "list", "-o", "text").stdout.splitlines()]
    assert [row[0] for row in text] == [u["UserName"] for u in users]
    assert [row[2] for row in text] == [u["UserId"] for u in users]
    table = iam("user", "list", "-o", "table").stdout
    assert all(u["UserName"] in table for u in users)
    assert "\x1b[" not in table


# -- update -------------------------------------------------------------------------------------


def test_rename_and_move_user_keeps_its_groups(iam):
    acct = account_id(iam)
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    iam("user", "update", "alice", "--new-name", "alicia", "--new-path", "/sales/")
    iam("user", "show", "alice", expect=1)
    shown = iam("user", "show", "alicia", "-o", "json").json()["User"]
    assert shown["Arn"] == f"arn:aws:iam::{acct}:user/sales/alicia" and shown["Groups"] == ["devs"]
    members = iam("group", "show", "devs", "-o", "json").json()["Group"]["Users"]
    assert [m["UserName"] for m in members] == ["alicia"]


def test_rename_to_a_name_differing_only_in_case_is_allowed(iam):
    """AWS UpdateUser accepts a case-only rename."""
    iam("user", "create", "alice")
    iam("user", "update", "alice", "--new-name", "Alice")
    assert [u["UserName"] for u in iam("user", "list", "-o", "json").json()["Users"]] == ["Alice"]


def test_rename_onto_an_existing_user_is_refused(iam):
    iam("user", "create", "alice")
    iam("user", "create", "bob")
    r = iam("user", "update", "alice", "--new-name", "Bob", expect=1)
    assert error(r) == "iamctl: error: EntityAlreadyExists: User with name Bob already exists.\n"


def test_update_needs_something_to_change(iam):
    iam("user", "create", "alice")
    iam("user", "update", "alice", expect=2)


# -- delete -------------------------------------------------------------------------------------


def test_delete_plain_user(iam):
    iam("user", "create", "alice")
    iam("user", "delete", "alice")
    iam("user", "show", "alice", expect=1)
    iam("user", "delete", "alice", expect=1)


def test_delete_is_a_conflict_while_things_are_attached_and_force_removes_them(iam, account_dir):
    """AWS DeleteUser: DeleteConflict naming what is attached; --force removes it all first."""
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")

    def give_password(txn):
        user = txn.get("user", "alice")
        txn.put("user", structs.replace(user, login_profile=LoginProfile(created="2026-01-01T00:00:00Z")))
        txn.put_secret("user", "alice", {"password": {"hash": "h"}})

    seed(account_dir, give_password)
    r = iam("user", "delete", "alice", expect=1)
    assert error(r).startswith("iamctl: error: DeleteConflict: Cannot delete entity, must delete login profile first.")
    assert "membership of 1 group (devs)" in r.stderr and "--force" in r.stderr
    iam("user", "delete", "alice", "--force")
    iam("user", "show", "alice", expect=1)
    assert iam("group", "show", "devs", "-o", "json").json()["Group"]["Users"] == []


def test_list_groups_for_a_user(iam):
    iam("user", "create", "alice")
    for g in ["ops", "devs"]:
        iam("group", "create", g)
        iam("group", "add-user", g, "alice")
    groups = iam("user", "list-groups", "alice", "-o", "json").json()["Groups"]
    assert [g["GroupName"] for g in groups] == ["devs", "ops"]
    iam("user", "list-groups", "ghost", expect=1)


# -- with the real policy and credential commands -----------------------------------------------

POLICY_DOC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'


def fully_equipped(iam) -> tuple[str, str]:
    """alice with a password, an access key, a group and managed + inline policies; returns
    (customer policy ARN, access key id, secret)."""
    iam("user", "create", "alice")
    iam("group", "create", "devs")
    iam("group", "add-user", "devs", "alice")
    arn = iam("policy", "create", "ReadStuff", "--document", "-", "-o", "json", input=POLICY_DOC).json()["Policy"]["Arn"]
    iam("user", "attach-policy", "alice", arn)
    iam("user", "attach-policy", "alice", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam("user", "put-policy", "alice", "s3", "--document", "-", input=POLICY_DOC)
    iam("user", "set-password", "alice", "--password-stdin", "--require-reset", input="Corr3ct-Horse-Battery\n")
    key = iam("user", "create-access-key", "alice", "-o", "json").json()["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


def test_show_reports_password_keys_and_policies_set_by_their_commands(iam):
    arn, key_id, secret = fully_equipped(iam)
    shown = iam("user", "show", "alice", "-o", "json").json()["User"]
    assert shown["LoginProfile"]["PasswordResetRequired"] is True
    assert [k["AccessKeyId"] for k in shown["AccessKeys"]] == [key_id]
    assert [p["PolicyArn"] for p in shown["AttachedPolicies"]] == [arn, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert shown["InlinePolicies"] == ["s3"]
    for form in ("json", "text", "table"):
        out = iam("user", "show", "alice", "-o", form).stdout
        assert secret not in out and "Corr3ct-Horse-Battery" not in out


def test_renamed_user_keeps_working_credentials_and_attachments(iam):
    """AWS UpdateUser: the user's keys, password and policies survive a rename."""
    arn, key_id, secret = fully_equipped(iam)
    iam("user", "update", "alice", "--new-name", "alicia")
    who = iam("whoami", "--access-key-id", key_id, "--secret-stdin", "-o", "json", input=secret + "\n").json()
    assert "user/alicia" in json_text(who)
    assert [p["PolicyArn"] for p in iam("user", "list-attached-policies", "alicia", "-o", "json").json()["AttachedPolicies"]] == [
        arn, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert iam("user", "show", "alicia", "-o", "json").json()["User"]["LoginProfile"] is not None
    iam("policy", "delete", arn, expect=1)  # still attached, now to alicia


def test_delete_names_everything_attached_and_force_removes_it_all(iam):
    """AWS DeleteUser: DeleteConflict lists the obstacles; --force clears them in one transaction."""
    arn, key_id, secret = fully_equipped(iam)
    err = iam("user", "delete", "alice", expect=1).stderr
    assert err.startswith("iamctl: error: DeleteConflict: Cannot delete entity, must delete login profile first.")
    for part in ("login profile", "1 access key", "1 inline policy", "2 attached managed policies", "(devs)"):
        assert part in err
    iam("user", "delete", "alice", "--force")
    iam("whoami", "--access-key-id", key_id, "--secret-stdin", input=secret + "\n", expect=1)
    iam("policy", "delete", arn)  # no longer attached to anything
    assert iam("group", "show", "devs", "-o", "json").json()["Group"]["Users"] == []
    iam("user", "create", "alice")  # the name is free again, with nothing left over
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["LoginProfile"] is None


def json_text(obj) -> str:
    import json

    return json.dumps(obj)
