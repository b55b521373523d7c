"""`iamctl policy ...` and the shared attach/detach/inline commands, through the real CLI.

Each test names the AWS rule it checks (IAM API Reference: CreatePolicy, CreatePolicyVersion,
DeletePolicyVersion, DeletePolicy, AttachUserPolicy, PutUserPolicy and twins; IAM User Guide:
"IAM and AWS STS quotas"). Documents are AWS's own examples from tests/data/.

The user/group/role commands are hosted here on small Typer apps built with
`add_policy_commands`, so these tests do not depend on the user, group and role groups; the
entities themselves are written straight into the account directory.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
MFA = DATA / "force_mfa_self_manage_credentials.json"  # 1,940 characters without whitespace
SOURCE_IP = DATA / "deny_outside_source_ip.json"
ROTATE = DATA / "rotate_own_credentials_aws_username.json"
DATES = DATA / "allow_between_dates.json"
TRUST = DATA / "trust_require_mfa.json"  # has a Principal: a trust policy, not an identity policy
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@pytest.fixture
def hosts(monkeypatch):
    """`iamctl t-user|t-group|t-role ...`: the shared policy commands on stand-in groups."""
    import typer

    from iamctl.cli import main
    from iamctl.cli.policy_commands import add_policy_commands

    for kind in ("user", "group", "role"):
        module = types.ModuleType(f"iamctl_test_policy_host_{kind}")
        module.app = typer.Typer(no_args_is_help=True)
        add_policy_commands(module.app, kind)
        monkeypatch.setitem(sys.modules, module.__name__, module)
        monkeypatch.setitem(main.GROUPS, f"t-{kind}", (module.__name__, f"test host for {kind}"))


@pytest.fixture
def entities(iam, account_dir, hosts):
    """Users alice and bob, group devs (alice is a member) and role app, written directly."""
    from iamctl.core.store.directory import Store
    from iamctl.core.store.records import Group, Role, User

    with Store(account_dir).write() as txn:
        txn.put("user", User("alice", "AIDAALICE", "/", "2024-01-01T00:00:00Z", groups=["devs"]))
        txn.put("user", User("bob", "AIDABOB", "/", "2024-01-01T00:00:00Z"))
        txn.put("group", Group("devs", "AGPADEVS", "/", "2024-01-01T00:00:00Z", members=["alice"]))
        txn.put("role", Role("app", "AROAAPP", "/", "2024-01-01T00:00:00Z", assume_role_policy=TRUST.read_text()))
    return iam


def account_id(iam) -> str:
    """The id of the test's account, created by `init` if it does not exist yet."""
    return iam("init", "-o", "json").json()["Account"]["AccountId"]


def create(iam, name, path=MFA, *extra, expect=0):
    return iam("policy", "create", name, "--document", str(path), *extra, "-o", "json", expect=expect)


def error(result) -> str:
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def sized_document(chars: int, *, padding: int = 0) -> str:
    """A valid identity policy of exactly `chars` characters not counting whitespace, with
    `padding` extra spaces that IAM does not count."""
    head = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::'
    tail = '"}]}'
    bucket = "b" * (chars - len(head) - len(tail))
    return head + bucket + tail + " " * padding


# -- create / show ---------------------------------------------------------------------


def test_create_returns_aws_shape_with_anpa_id_and_policy_arn(iam):
    policy = create(iam, "ForceMFA", MFA, "--path", "/security/", "--description", "MFA first",
                    "--tag", "team=sec").json()["Policy"]
    assert policy["PolicyName"] == "ForceMFA"
    assert policy["PolicyId"].startswith("ANPA") and len(policy["PolicyId"]) == 21
    assert policy["Arn"] == f"arn:aws:iam::{account_id(iam)}:policy/security/ForceMFA"
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0
    assert policy["Description"] == "MFA first"
    assert policy["Tags"] == [{"Key": "team", "Value": "sec"}]


def test_show_returns_the_document_exactly_as_written(iam):
    create(iam, "DenyOutsideIp", SOURCE_IP)
    text = SOURCE_IP.read_text()
    shown = iam("policy", "show", "DenyOutsideIp", "-o", "text").stdout
    assert shown.endswith(text if text.endswith("\n") else text + "\n")
    table = iam("policy", "show", "DenyOutsideIp", "-o", "table").stdout
    assert text.strip() in table


def test_show_json_has_the_document_parsed_under_document(iam):
    create(iam, "DenyOutsideIp", SOURCE_IP)
    policy = iam("policy", "show", "DenyOutsideIp", "-o", "json").json()["Policy"]
    assert policy["Document"] == json.loads(SOURCE_IP.read_text())
    assert policy["PolicyName"] == "DenyOutsideIp"


def test_show_by_arn_and_an_arn_with_another_path_is_not_found(iam):
    arn = create(iam, "Rotate", ROTATE, "--path", "/self/").json()["Policy"]["Arn"]
    assert iam("policy", "show", arn, "-o", "json").json()["Policy"]["PolicyName"] == "Rotate"
    wrong = arn.replace("/self/", "/")
    assert error(iam("policy", "show", wrong, expect=1)) == f"iamctl: error: NoSuchEntity: Policy {wrong} was not found."


def test_show_an_aws_managed_policy_by_arn(iam):
    iam("init")
    policy = iam("policy", "show", READ_ONLY, "-o", "json").json()["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"
    assert policy["Document"]["Statement"]


def test_create_reads_the_document_from_stdin(iam):
    text = DATES.read_text()
    iam("policy", "create", "Dates", "--document", "-", input=text)
    assert iam("policy", "get-version", "Dates", "v1", "-o", "text").stdout.endswith(text.rstrip("\n") + "\n")


def test_create_accepts_the_aws_cli_file_url_form(iam):
    iam("policy", "create", "Dates", "--document", f"file://{DATES}")
    assert iam("policy", "show", "Dates", "-o", "json").json()["Policy"]["Document"] == json.loads(DATES.read_text())


def test_a_missing_document_file_is_a_usage_error(iam):
    result = iam("policy", "create", "X", "--document", "/nonexistent/p.json", expect=2)
    assert "no such file" in result.stderr


def test_policy_names_are_unique_without_regard_to_case(iam):
    create(iam, "ForceMFA")
    result = create(iam, "forcemfa", expect=1)
    assert error(result) == (
        "iamctl: error: EntityAlreadyExists: A policy called forcemfa already exists. Duplicate names are not allowed."
    )


def test_policy_names_are_1_to_128_characters(iam):
    create(iam, "p" * 128)
    assert "ValidationError" in error(create(iam, "p" * 129, expect=1))


def test_customer_managed_policies_per_account_quota_limit_exceeded(iam):
    iam("account", "set-quota", "policies", "1")
    create(iam, "One")
    assert error(create(iam, "Two", expect=1)) == "iamctl: error: LimitExceeded: Cannot exceed quota for PoliciesPerAccount: 1."


def test_managed_policy_size_is_6144_characters_not_counting_whitespace(iam, tmp_path):
    fits = tmp_path / "fits.json"
    fits.write_text(sized_document(6144, padding=500))
    create(iam, "Fits", fits)
    too_big = tmp_path / "big.json"
    too_big.write_text(sized_document(6145))
    message = error(create(iam, "TooBig", too_big, expect=1))
    assert message.startswith("iamctl: error: LimitExceeded: Cannot exceed quota for PolicySize: 6144.")


# -- validation ------------------------------------------------------------------------


def test_sizes_are_checked_before_the_document_is_parsed(iam, tmp_path):
    """Issue 20.19: a document over the quota is refused for its size (LimitExceeded) before
    anything reads it as JSON: one that is also not JSON at all, and 8 MB of it, says
    LimitExceeded, not MalformedPolicyDocument, for managed, inline and trust policies alike."""
    huge = tmp_path / "huge.json"
    huge.write_text("{" + '"x": [' * 10 + "1" * (8 * 1024 * 1024))
    assert error(create(iam, "Huge", huge, expect=1)).startswith(
        "iamctl: error: LimitExceeded: Cannot exceed quota for PolicySize: 6144.")
    iam("user", "create", "u")
    r = iam("user", "put-policy", "u", "inline", "--document", str(huge), expect=1)
    assert error(r).startswith("iamctl: error: LimitExceeded: Maximum policy size of 2048 bytes exceeded")
    r = iam("role", "create", "r", "--trust-policy", str(huge), expect=1)
    assert error(r).startswith("iamctl: error: LimitExceeded: Cannot exceed quota for ACLSizePerRole: 2048")




def test_invalid_json_is_malformed_with_line_and_column(iam, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "Version": "2012-10-17"\n    "Statement": []\n}\n')
    assert error(create(iam, "Bad", bad, expect=1)) == (
        "iamctl: error: MalformedPolicyDocument: invalid JSON at line 3 column 5: "
        "Expecting ',' delimiter"
    )


def with_principal(tmp_path) -> Path:
    """An identity-style statement (with a Resource) that also names a Principal."""
    doc = json.loads(TRUST.read_text())
    doc["Statement"][0]["Resource"] = "*"
    path = tmp_path / "principal.json"
    path.write_text(json.dumps(doc, indent=4))
    return path


def test_identity_policies_must_not_have_a_principal(iam, tmp_path):
    message = error(create(iam, "Trust", with_principal(tmp_path), expect=1))
    assert message.startswith("iamctl: error: MalformedPolicyDocument: statement #1")
    assert "Principal" in message


def test_grammar_errors_name_the_statement_and_the_fault(iam, tmp_path):
    doc = json.loads(ROTATE.read_text())
    doc["Statement"][1]["Effect"] = "Permit"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc, indent=2))
    message = error(create(iam, "Bad", bad, expect=1))
    assert message.startswith("iamctl: error: MalformedPolicyDocument: statement #2")
    assert "Effect" in message and "Permit" in message


def test_documents_may_hold_only_tab_lf_cr_and_u0020_to_u00ff(iam, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(sized_document(200).replace("bbbb", "b\u20acbb", 1), encoding="utf-8")
    assert "U+20AC" in error(create(iam, "Euro", bad, expect=1))


# -- versions --------------------------------------------------------------------------


def test_at_most_five_versions_limit_exceeded(iam):
    create(iam, "P")
    for n in range(2, 6):
        version = iam("policy", "create-version", "P", "--document", str(ROTATE), "-o", "json").json()
        assert version["PolicyVersion"] == {"VersionId": f"v{n}", "IsDefaultVersion": False,
                                            "CreateDate": version["PolicyVersion"]["CreateDate"]}
    result = iam("policy", "create-version", "P", "--document", str(ROTATE), expect=1)
    assert error(result) == "iamctl: error: LimitExceeded: Cannot exceed quota for PolicyVersionsPerPolicy: 5."


def test_version_ids_are_never_reused_after_a_delete(iam):
    create(iam, "P")
    iam("policy", "create-version", "P", "--document", str(ROTATE))
    iam("policy", "delete-version", "P", "v2")
    version = iam("policy", "create-version", "P", "--document", str(DATES), "-o", "json").json()
    assert version["PolicyVersion"]["VersionId"] == "v3"
    listed = iam("policy", "list-versions", "P", "-o", "json").json()["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [("v3", False), ("v1", True)]


def test_default_version_cannot_be_deleted_delete_conflict(iam):
    create(iam, "P")
    result = iam("policy", "delete-version", "P", "v1", expect=1)
    assert error(result).startswith("iamctl: error: DeleteConflict: Cannot delete the default version of a policy.")


def test_set_as_default_makes_the_new_version_the_one_shown(iam):
    create(iam, "P")
    iam("policy", "create-version", "P", "--document", str(DATES), "--set-as-default")
    shown = iam("policy", "show", "P", "-o", "json").json()["Policy"]
    assert shown["DefaultVersionId"] == "v2"
    assert shown["Document"] == json.loads(DATES.read_text())
    iam("policy", "delete-version", "P", "v1")  # no longer the default


def test_set_default_version_switches_the_version_in_effect(iam):
    create(iam, "P")
    iam("policy", "create-version", "P", "--document", str(DATES), "--set-as-default")
    iam("policy", "set-default-version", "P", "v1")
    shown = iam("policy", "show", "P", "-o", "json").json()["Policy"]
    assert shown["DefaultVersionId"] == "v1"
    assert shown["Document"] == json.loads(MFA.read_text())
    assert "DeleteConflict" in error(iam("policy", "delete-version", "P", "v1", expect=1))


def test_a_version_that_does_not_exist_is_no_such_entity(iam):
    create(iam, "P")
    assert "NoSuchEntity" in error(iam("policy", "set-default-version", "P", "v7", expect=1))
    assert "NoSuchEntity" in error(iam("policy", "delete-version", "P", "v7", expect=1))
    assert "NoSuchEntity" in error(iam("policy", "get-version", "P", "v7", expect=1))


def test_version_ids_are_written_v_and_a_number(iam):
    create(iam, "P")
    assert "ValidationError" in error(iam("policy", "get-version", "P", "1", expect=1))


def test_get_version_returns_that_versions_document_exactly(iam):
    create(iam, "P")
    iam("policy", "create-version", "P", "--document", str(ROTATE))
    version = iam("policy", "get-version", "P", "v2", "-o", "json").json()["PolicyVersion"]
    assert version["Document"] == json.loads(ROTATE.read_text())
    assert version["IsDefaultVersion"] is False
    assert ROTATE.read_text().strip() in iam("policy", "get-version", "P", "v2", "-o", "text").stdout


def test_new_versions_are_validated_too(iam):
    create(iam, "P")
    assert "MalformedPolicyDocument" in error(iam("policy", "create-version", "P", "--document", str(TRUST), expect=1))
    assert len(iam("policy", "list-versions", "P", "-o", "json").json()["Versions"]) == 1


# -- delete ----------------------------------------------------------------------------


def test_delete_while_attached_is_delete_conflict_then_deletes_with_its_versions(entities):
    iam = entities
    arn = create(iam, "P").json()["Policy"]["Arn"]
    iam("policy", "create-version", "P", "--document", str(ROTATE))
    iam("t-user", "attach-policy", "alice", arn)
    assert error(iam("policy", "delete", "P", expect=1)).startswith(
        "iamctl: error: DeleteConflict: Cannot delete a policy attached to entities."
    )
    iam("t-user", "detach-policy", "alice", arn)
    iam("policy", "delete", "P")
    assert "NoSuchEntity" in error(iam("policy", "show", "P", expect=1))
    assert "NoSuchEntity" in error(iam("policy", "get-version", arn, "v2", expect=1))
    create(iam, "P")  # the name is free again, and versions start over
    assert iam("policy", "show", "P", "-o", "json").json()["Policy"]["DefaultVersionId"] == "v1"


def test_delete_an_unknown_policy_is_no_such_entity(iam):
    assert error(iam("policy", "delete", "Nope", expect=1)) == (
        "iamctl: error: NoSuchEntity: The policy with name Nope cannot be found."
    )


# -- list ------------------------------------------------------------------------------


def test_list_scopes_path_prefix_and_attachment_counts(entities):
    iam = entities
    team = create(iam, "TeamPolicy", ROTATE, "--path", "/team/").json()["Policy"]["Arn"]
    create(iam, "Other", DATES)
    iam("t-user", "attach-policy", "alice", team)
    iam("t-group", "attach-policy", "devs", team)
    iam("t-role", "attach-policy", "app", READ_ONLY)

    local = iam("policy", "list", "--scope", "Local", "-o", "json").json()["Policies"]
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in local] == [("Other", 0), ("TeamPolicy", 2)]
    aws = iam("policy", "list", "--scope", "AWS", "--only-attached", "-o", "json").json()["Policies"]
    assert [(p["Arn"], p["AttachmentCount"]) for p in aws] == [(READ_ONLY, 1)]
    everything = iam("policy", "list", "--only-attached", "-o", "json").json()["Policies"]
    assert [p["PolicyName"] for p in everything] == ["ReadOnlyAccess", "TeamPolicy"]
    under = iam("policy", "list", "--scope", "Local", "--path-prefix", "/team/", "-o", "json").json()["Policies"]
    assert [p["PolicyName"] for p in under] == ["TeamPolicy"]


def test_list_aws_scope_lists_the_bundled_aws_managed_policies(iam):
    from iamctl.core.engine import aws_managed

    iam("init")
    listed = iam("policy", "list", "--scope", "AWS", "-o", "json").json()["Policies"]
    assert len(listed) == len(aws_managed.names())
    job = iam("policy", "list", "--scope", "AWS", "--path-prefix", "/job-function/", "-o", "json").json()
    assert job["Policies"] and all(p["Path"] == "/job-function/" for p in job["Policies"])


@pytest.mark.parametrize("output", ["json", "text", "table"])
def test_list_shows_the_same_values_in_every_format(iam, output):
    create(iam, "ForceMFA")
    out = iam("policy", "list", "--scope", "Local", "-o", output).stdout
    assert "ForceMFA" in out and "v1" in out
    assert "\x1b[" not in out


def test_bad_scope_is_invalid_input(iam):
    iam("init")
    assert "InvalidInput" in error(iam("policy", "list", "--scope", "Everything", expect=1))


# -- attach / detach -------------------------------------------------------------------


@pytest.mark.parametrize("kind,name", [("user", "alice"), ("group", "devs"), ("role", "app")])
def test_attach_and_detach_customer_and_aws_managed_policies(entities, kind, name):
    iam = entities
    arn = create(iam, "P").json()["Policy"]["Arn"]
    iam(f"t-{kind}", "attach-policy", name, arn)
    iam(f"t-{kind}", "attach-policy", name, READ_ONLY)
    listed = iam(f"t-{kind}", "list-attached-policies", name, "-o", "json").json()
    assert listed == {"AttachedPolicies": [{"PolicyName": "P", "PolicyArn": arn},
                                           {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]}
    assert iam("policy", "show", "P", "-o", "json").json()["Policy"]["AttachmentCount"] == 1
    iam(f"t-{kind}", "detach-policy", name, READ_ONLY)
    iam(f"t-{kind}", "detach-policy", name, arn)
    assert iam(f"t-{kind}", "list-attached-policies", name, "-o", "json").json() == {"AttachedPolicies": []}
    assert iam("policy", "show", "P", "-o", "json").json()["Policy"]["AttachmentCount"] == 0
    assert iam("policy", "show", READ_ONLY, "-o", "json").json()["Policy"]["AttachmentCount"] == 0


def test_attaching_an_attached_policy_again_is_a_no_op(entities):
    iam = entities
    arn = create(iam, "P").json()["Policy"]["Arn"]
    iam("t-user", "attach-policy", "alice", arn)
    iam("t-user", "attach-policy", "alice", arn)
    assert len(iam("t-user", "list-attached-policies", "alice", "-o", "json").json()["AttachedPolicies"]) == 1
    assert iam("policy", "show", "P", "-o", "json").json()["Policy"]["AttachmentCount"] == 1


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::aws:policy/NoSuchManagedPolicy",
    "arn:aws:iam::123456789012:policy/Nope",
])
def test_attaching_a_policy_that_does_not_exist_is_no_such_entity(entities, arn):
    result = entities("t-user", "attach-policy", "alice", arn, expect=1)
    assert error(result) == f"iamctl: error: NoSuchEntity: Policy {arn} does not exist or is not attachable."


def test_attaching_to_a_user_that_does_not_exist_is_no_such_entity(entities):
    result = entities("t-user", "attach-policy", "carol", READ_ONLY, expect=1)
    assert error(result) == "iamctl: error: NoSuchEntity: The user with name carol cannot be found."


def test_detaching_a_policy_that_is_not_attached_is_no_such_entity(entities):
    assert "NoSuchEntity" in error(entities("t-user", "detach-policy", "alice", READ_ONLY, expect=1))


@pytest.mark.parametrize("kind,name,quota", [
    ("user", "bob", "PoliciesPerUser"), ("group", "devs", "PoliciesPerGroup"), ("role", "app", "PoliciesPerRole"),
])
def test_at_most_ten_managed_policies_per_entity_limit_exceeded(entities, kind, name, quota):
    iam = entities
    arns = [create(iam, f"P{i}", ROTATE).json()["Policy"]["Arn"] for i in range(10)]
    for arn in arns:
        iam(f"t-{kind}", "attach-policy", name, arn)
    result = iam(f"t-{kind}", "attach-policy", name, READ_ONLY, expect=1)
    assert error(result) == f"iamctl: error: LimitExceeded: Cannot exceed quota for {quota}: 10."
    iam(f"t-{kind}", "attach-policy", name, arns[0])  # already attached: still a no-op at the quota


@pytest.mark.parametrize("output", ["json", "text", "table"])
def test_list_attached_policies_same_values_in_every_format(entities, output):
    entities("t-user", "attach-policy", "alice", READ_ONLY)
    out = entities("t-user", "list-attached-policies", "alice", "-o", output).stdout
    assert "ReadOnlyAccess" in out and READ_ONLY in out


# -- inline policies -------------------------------------------------------------------


@pytest.mark.parametrize("kind,name", [("user", "alice"), ("group", "devs"), ("role", "app")])
def test_inline_policy_put_get_list_delete_round_trip_exactly(entities, kind, name):
    iam = entities
    iam(f"t-{kind}", "put-policy", name, "Rotate", "--document", str(ROTATE))
    iam(f"t-{kind}", "put-policy", name, "Dates", "--document", "-", input=DATES.read_text())
    got = iam(f"t-{kind}", "get-policy", name, "Rotate", "-o", "json").json()
    assert got == {f"{kind.capitalize()}Name": name, "PolicyName": "Rotate",
                   "PolicyDocument": json.loads(ROTATE.read_text())}
    assert ROTATE.read_text().strip() in iam(f"t-{kind}", "get-policy", name, "Rotate", "-o", "text").stdout
    assert iam(f"t-{kind}", "list-policies", name, "-o", "json").json() == {"PolicyNames": ["Dates", "Rotate"]}
    iam(f"t-{kind}", "delete-policy", name, "Rotate")
    assert iam(f"t-{kind}", "list-policies", name, "-o", "text").stdout == "Dates\n"
    missing = iam(f"t-{kind}", "get-policy", name, "Rotate", expect=1)
    assert error(missing).startswith(f"iamctl: error: NoSuchEntity: The {kind} policy with name Rotate cannot be found.")


def test_user_inline_policies_total_at_most_2048_characters_not_counting_whitespace(entities):
    iam = entities
    iam("t-user", "put-policy", "alice", "ForceMFA", "--document", str(MFA))  # 1,940
    iam("t-user", "put-policy", "alice", "ForceMFA", "--document", str(MFA))  # replacing: not added twice
    result = iam("t-user", "put-policy", "alice", "AlsoMFA", "--document", str(MFA), expect=1)
    assert error(result).startswith(
        "iamctl: error: LimitExceeded: Maximum policy size of 2048 bytes exceeded for user alice."
    )
    assert iam("t-user", "list-policies", "alice", "-o", "json").json() == {"PolicyNames": ["ForceMFA"]}


@pytest.mark.parametrize("kind,name,limit", [("user", "bob", 2048), ("group", "devs", 5120), ("role", "app", 10240)])
def test_inline_aggregate_size_limits_per_entity_kind(entities, tmp_path, kind, name, limit):
    iam = entities
    fits = tmp_path / "fits.json"
    fits.write_text(sized_document(limit - 200, padding=1000))
    iam(f"t-{kind}", "put-policy", name, "Big", "--document", str(fits))
    small = tmp_path / "small.json"
    small.write_text(sized_document(200))
    iam(f"t-{kind}", "put-policy", name, "Small", "--document", str(small))
    one_more = tmp_path / "one.json"
    one_more.write_text(sized_document(201))
    result = iam(f"t-{kind}", "put-policy", name, "Small", "--document", str(one_more), expect=1)
    assert f"Maximum policy size of {limit} bytes exceeded for {kind} {name}." in error(result)


def test_inline_policies_are_validated_and_take_no_principal(entities, tmp_path):
    result = entities("t-role", "put-policy", "app", "Trust", "--document", str(with_principal(tmp_path)), expect=1)
    assert "MalformedPolicyDocument" in error(result) and "Principal" in result.stderr


def test_inline_policy_names_follow_the_policy_name_rules(entities):
    result = entities("t-user", "put-policy", "alice", "has space", "--document", str(ROTATE), expect=1)
    assert "ValidationError" in error(result)


def test_deleting_an_inline_policy_that_does_not_exist_is_no_such_entity(entities):
    assert "NoSuchEntity" in error(entities("t-group", "delete-policy", "devs", "Nope", expect=1))


def test_policy_text_is_printed_literally_not_as_markup(entities, tmp_path):
    doc = tmp_path / "markup.json"
    doc.write_text('{"Version": "2012-10-17", "Statement": {"Sid": "x[bold]y", "Effect": "Allow", '
                   '"Action": "s3:GetObject", "Resource": "*"}}')
    entities("t-user", "put-policy", "alice", "Markup", "--document", str(doc))
    assert "x[bold]y" in entities("t-user", "get-policy", "alice", "Markup", "-o", "table").stdout


def test_every_shared_command_has_help_with_an_example(hosts, iam):
    for command in ("attach-policy", "detach-policy", "list-attached-policies", "put-policy",
                    "get-policy", "delete-policy", "list-policies"):
        out = iam("t-group", command, "--help").stdout
        assert "Example: iamctl group" in out


def test_policy_used_as_a_permissions_boundary_counts_and_cannot_be_deleted(iam):
    """GetPolicy's PermissionsBoundaryUsageCount counts the users and roles whose boundary the
    policy is; DeletePolicy refuses (DeleteConflict) until PutUserPermissionsBoundary's use is
    removed (DeleteUserPermissionsBoundary: `user update --remove-permissions-boundary`)."""
    arn = iam("policy", "create", "Bound", "--document", str(ROTATE), "-o", "json").json()["Policy"]["Arn"]
    iam("user", "create", "alice")
    iam("user", "update", "alice", "--permissions-boundary", arn)
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    assert iam("policy", "show", "Bound", "-o", "json").json()["Policy"]["PermissionsBoundaryUsageCount"] == 1
    listed = iam("policy", "list", "--scope", "Local", "-o", "json").json()["Policies"]
    assert [p["PermissionsBoundaryUsageCount"] for p in listed] == [1]
    refused = iam("policy", "delete", "Bound", expect=1)
    assert refused.stderr.startswith("iamctl: error: DeleteConflict: Cannot delete a policy attached to entities.")
    assert "user/alice" in refused.stderr
    iam("user", "update", "alice", "--remove-permissions-boundary")
    assert iam("policy", "show", "Bound", "-o", "json").json()["Policy"]["PermissionsBoundaryUsageCount"] == 0
    iam("policy", "delete", "Bound")
