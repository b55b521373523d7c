"""The JSON output is a contract: every command's keys, pinned with TypedDicts.

The shapes are iamctl/cli/contract.py's, from which README's "JSON output reference" is
generated (scripts/gen_docs.py). `assert_shape` checks that an output has exactly the
TypedDict's keys, recursively through nested records and lists of them, and the value types
where they are simple. A key marked NotRequired is one the command
prints only in some states (as AWS omits PasswordLastUsed before the first sign-in); the state
built by the `world` fixture (tests/cli/conftest.py) shows every one of them, so each test
also fails when an optional key is never printed. Renaming, adding or removing a key fails.
"""

import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import pytest

from iamctl.cli.contract import (
    OUTPUTS,
    AccessKeysOut,
    AccountListOut,
    AccountShowOut,
    AssumeOut,
    AttachedPoliciesOut,
    CallerIdentityOut,
    CreateAccessKeyOut,
    EscalationOut,
    GroupInlinePolicyOut,
    GroupListOut,
    GroupShowOut,
    GroupsOfUserOut,
    ImportOut,
    InstanceProfileListOut,
    InstanceProfileShowOut,
    LoginOut,
    MfaDevicesOut,
    OrgAccountListOut,
    OrgAccountOut,
    OrgAccountShowOut,
    OrgCreateOut,
    OrgEffectiveOut,
    OrgImportOut,
    OrgPolicyListOut,
    OrgPolicyOut,
    OrgPolicyShowOut,
    OrgShowOut,
    OrgUnitListOut,
    OrgUnitOut,
    OrgUnitShowOut,
    PasswordPolicyOut,
    PolicyListOut,
    PolicyNamesOut,
    PolicyShowOut,
    ProvidersOut,
    RevokeSessionsOut,
    RoleInlinePolicyOut,
    RoleListOut,
    RoleShowOut,
    SessionsOut,
    SimulateOut,
    TagsOut,
    UserInlinePolicyOut,
    UserListOut,
    UserShowOut,
    ValidateOut,
    VersionOut,
    VersionsOut,
    VirtualMfaDevicesOut,
    WhoCanOut,
)

from .conftest import ACCOUNT, DOC, PASSWORD, T0, TRUST

# -- the checker ----------------------------------------------------------------------------------


class _Check:
    def __init__(self) -> None:
        self.optional: set[str] = set()  # "Td.key" for every optional key of every record visited
        self.present: set[str] = set()  # ... and those that were there

    def record(self, obj: Any, td: type, where: str) -> None:
        assert isinstance(obj, dict), f"{where}: expected a {td.__name__} object, got {obj!r}"
        keys, required = set(obj), set(td.__required_keys__)
        expected = required | (keys & td.__optional_keys__)
        assert keys == expected, (f"{where}: {td.__name__} keys differ: unexpected {sorted(keys - expected)}, "
                                  f"missing {sorted(expected - keys)}")
        self.optional |= {f"{td.__name__}.{k}" for k in td.__optional_keys__}
        self.present |= {f"{td.__name__}.{k}" for k in keys & td.__optional_keys__}
        for key, hint in typing.get_type_hints(td).items():
            if key in obj:
                self.value(obj[key], hint, f"{where}.{key}")

    def value(self, value: Any, hint: Any, where: str) -> None:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if typing.is_typeddict(hint):
            self.record(value, hint, where)
        elif hint is Any:
            pass
        elif origin is Literal:
            assert value in args, f"{where}: {value!r} is not one of {args}"
        elif origin in (types.UnionType, typing.Union):
            failures = []
            for arg in args:
                attempt = _Check()
                try:
                    attempt.value(value, arg, where)
                except AssertionError as e:
                    failures.append(str(e))
                    continue
                self.optional |= attempt.optional
                self.present |= attempt.present
                return
            raise AssertionError(" / ".join(failures))
        elif origin is list:
            assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
            for i, item in enumerate(value):
                self.value(item, args[0], f"{where}[{i}]")
        elif origin is dict:
            assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
            for k, v in value.items():
                self.value(v, args[1], f"{where}.{k}")
        elif hint is type(None):
            assert value is None, f"{where}: expected null, got {value!r}"
        else:
            ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
            assert ok, f"{where}: expected {hint.__name__}, got {value!r}"


def assert_shape(td: type, *outputs: dict) -> None:
    """Each output is exactly `td`; together they show every optional key at least once."""
    check = _Check()
    for n, out in enumerate(outputs):
        check.record(out, td, f"output {n}")
    never = check.optional - check.present
    assert not never, f"optional keys never printed, so not checked: {sorted(never)}"


def js(iam, *args: str, **kw) -> dict:
    return iam(*args, "-o", "json", **kw).json()


# -- the checker itself fails when it should -------------------------------------------------------


def test_the_contract_fails_when_a_key_is_renamed_added_or_removed():
    user = {"UserName": "a", "UserId": "AIDA", "Arn": "arn", "Path": "/", "CreateDate": "d", "PasswordLastUsed": "d"}
    assert_shape(UserListOut, {"Users": [user], "NextToken": "t"})
    renamed = {**{k: v for k, v in user.items() if k != "UserId"}, "UserID": "AIDA"}
    added = {**user, "Extra": 1}
    removed = {k: v for k, v in user.items() if k != "Arn"}
    wrong_type = {**user, "Path": 1}
    for bad in (renamed, added, removed, wrong_type):
        with pytest.raises(AssertionError):
            assert_shape(UserListOut, {"Users": [bad], "NextToken": "t"})
    with pytest.raises(AssertionError):  # a top-level key added
        assert_shape(UserListOut, {"Users": [user], "NextToken": "t", "Marker": "x"})
    with pytest.raises(AssertionError, match="never printed"):  # an optional key never shown
        assert_shape(UserListOut, {"Users": [user]})


# -- users ----------------------------------------------------------------------------------------


def test_user_show_is_get_user_plus_everything_attached(iam, world):
    alice = js(iam, "user", "show", "alice")
    assert_shape(UserShowOut, alice, js(iam, "user", "show", "bob"))
    assert alice["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"


def test_user_list_is_list_users_with_next_token_when_paged(iam, world):
    assert_shape(UserListOut, js(iam, "user", "list"), js(iam, "user", "list", "--max-items", "1"))


def test_user_tags_groups_and_access_keys(iam, world):
    assert_shape(TagsOut, js(iam, "user", "list-tags", "alice"))
    assert_shape(GroupsOfUserOut, js(iam, "user", "list-groups", "alice"), js(iam, "group", "list-for-user", "alice"))
    keys = js(iam, "user", "list-access-keys", "alice")
    assert_shape(AccessKeysOut, keys)
    assert keys["AccessKeyMetadata"][0]["AccessKeyId"].startswith("AKIA")


def test_create_access_key_shows_the_secret_once_in_create_access_key_shape(iam, world):
    out = js(iam, "user", "create-access-key", "bob")
    assert_shape(CreateAccessKeyOut, out)
    assert len(out["AccessKey"]["SecretAccessKey"]) == 40


# -- groups ---------------------------------------------------------------------------------------


def test_group_show_and_list(iam, world):
    assert_shape(GroupShowOut, js(iam, "group", "show", "developers"))
    iam("group", "create", "ops")
    assert_shape(GroupListOut, js(iam, "group", "list"), js(iam, "group", "list", "--max-items", "1"))


# -- roles ----------------------------------------------------------------------------------------


def test_role_show_and_list(iam, world):
    iam("role", "create", "plain", "--trust-service", "ec2.amazonaws.com")
    deploy = js(iam, "role", "show", "deploy")
    assert_shape(RoleShowOut, deploy, js(iam, "role", "show", "plain"))
    assert deploy["Role"]["AssumeRolePolicyDocument"] == TRUST
    assert_shape(RoleListOut, js(iam, "role", "list"), js(iam, "role", "list", "--max-items", "1"))


def test_role_sessions(iam, world):
    out = js(iam, "role", "sessions", "deploy")
    assert_shape(SessionsOut, out)
    assert [s["SourceIdentity"] for s in out["Sessions"]] == ["alice"]


def test_role_assume_prints_assume_role_credentials(iam, world):
    plain = js(iam, "role", "assume", "deploy", "--as", "user/alice", "--session-name", "s1")
    sourced = js(iam, "role", "assume", "deploy", "--as", "user/alice", "--session-name", "s2",
                 "--source-identity", "alice")
    assert_shape(AssumeOut, plain, sourced)
    assert plain["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/s1"


def test_role_revoke_sessions_names_the_cutoff_as_role_show_does(iam, world):
    cutoff = js(iam, "role", "revoke-sessions", "deploy")
    assert_shape(RevokeSessionsOut, cutoff)
    assert js(iam, "role", "show", "deploy")["Role"]["SessionsRevokedBefore"] == cutoff["SessionsRevokedBefore"]


def test_instance_profiles(iam, world):
    assert_shape(InstanceProfileShowOut, js(iam, "role", "instance-profile", "show", "web-server"))
    iam("role", "instance-profile", "create", "empty")
    assert_shape(InstanceProfileListOut, js(iam, "role", "instance-profile", "list"),
                 js(iam, "role", "instance-profile", "list", "--max-items", "1"))


def test_identity_providers(iam, world):
    out = js(iam, "role", "provider", "list")
    assert_shape(ProvidersOut, out)
    assert [p["Type"] for p in out["Providers"]] == ["OIDC", "SAML"]


# -- policies -------------------------------------------------------------------------------------


def test_managed_policy_show_list_and_versions(iam, world):
    iam("policy", "create", "Bare", "--document", world.files["doc"])
    assert_shape(PolicyShowOut, js(iam, "policy", "show", "ReadReports"), js(iam, "policy", "show", "Bare"))
    assert_shape(PolicyListOut, js(iam, "policy", "list", "--scope", "Local"),
                 js(iam, "policy", "list", "--scope", "AWS", "--only-attached"))
    assert_shape(VersionsOut, js(iam, "policy", "list-versions", "ReadReports"))
    version = js(iam, "policy", "get-version", "ReadReports", "v1")
    assert_shape(VersionOut, version)
    assert version["PolicyVersion"]["Document"] == DOC


@pytest.mark.parametrize(("kind", "name", "policy", "shape"), [
    ("user", "alice", "AllowS3", UserInlinePolicyOut),
    ("group", "developers", "GroupInline", GroupInlinePolicyOut),
    ("role", "deploy", "RoleInline", RoleInlinePolicyOut),
])
def test_inline_and_attached_policies_of_each_kind(iam, world, kind, name, policy, shape):
    out = js(iam, kind, "get-policy", name, policy)
    assert_shape(shape, out)
    assert out["PolicyDocument"] == DOC
    assert_shape(PolicyNamesOut, js(iam, kind, "list-policies", name))
    assert_shape(AttachedPoliciesOut, js(iam, kind, "list-attached-policies", name))


def test_policy_validate_findings(iam, world):
    out = js(iam, "policy", "validate", world.files["lax"])
    assert_shape(ValidateOut, out)
    assert {f["IssueCode"] for f in out["Findings"]} >= {"PASS_ROLE_WITH_STAR_IN_RESOURCE", "UNKNOWN_ACTION"}


# -- MFA, account, sign-in -------------------------------------------------------------------------


def test_mfa_list_has_two_shapes_like_aws(iam, world):
    assert_shape(VirtualMfaDevicesOut, js(iam, "mfa", "list"))
    assert_shape(MfaDevicesOut, js(iam, "mfa", "list", "--user", "alice"))


def test_account_show_list_and_password_policy(iam, world):
    assert_shape(AccountShowOut, js(iam, "account", "show"))
    assert_shape(AccountListOut, js(iam, "account", "list"))
    assert_shape(PasswordPolicyOut, js(iam, "account", "password-policy", "show"))


def test_whoami_is_get_caller_identity(iam, world):
    out = js(iam, "whoami", "--access-key-id", world.access_key_id, "--secret-stdin",
             input=world.secret_access_key + "\n")
    assert_shape(CallerIdentityOut, out)
    assert out["Account"] == ACCOUNT


def test_login_is_get_session_token(iam, world):
    from iamctl.core.credentials import totp

    out = js(iam, "login", "alice", "--password-stdin", "--mfa-code", totp.code_at(world.mfa_seed, T0 + 60),
             input=PASSWORD + "\n")
    assert_shape(LoginOut, out)
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


# -- simulate and import ----------------------------------------------------------------------------


def test_simulate_principal_and_policy_results(iam, world):
    request = ("-a", "s3:GetObject", "-r", "arn:aws:s3:::reports/q3.csv")
    principal = js(iam, "simulate", "principal", "--user", "alice", *request)
    custom = js(iam, "simulate", "policy", "-p", world.files["doc"], *request, "--explain")
    denied = iam("simulate", "policy", "-p", world.files["doc"], "-a", "s3:PutObject", "-o", "json", expect=3).json()
    assert_shape(SimulateOut, principal, custom, denied)
    assert [r["decision"] for r in (principal["results"] + denied["results"])] == ["allowed", "implicitDeny"]


def test_analyze_who_can_and_escalation(iam, world, tmp_path):
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    own = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": f"arn:aws:iam::{ACCOUNT}:user/bob"},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    (tmp_path / "admin.json").write_text(json.dumps(admin))
    (tmp_path / "own.json").write_text(json.dumps(own))
    iam("role", "create", "ops", "--trust-account", ACCOUNT, "--require-mfa")
    iam("role", "put-policy", "ops", "All", "--document", str(tmp_path / "admin.json"))
    iam("user", "put-policy", "bob", "Own", "--document", str(tmp_path / "own.json"))
    who = js(iam, "analyze", "who-can", "-a", "s3:GetObject", "-r", "arn:aws:s3:::reports/q3.csv")
    assert_shape(WhoCanOut, who)
    assert {p["Decision"] for p in who["Principals"]} == {"allowed", "conditional"}
    plain = js(iam, "analyze", "escalation")
    replayed = js(iam, "analyze", "escalation", "--replay")
    assert_shape(EscalationOut, plain, replayed)
    assert "admin" in {e["Reaches"] for e in replayed["Escalations"]}


def test_user_import_dry_run(iam, world):
    out = js(iam, "user", "import", world.files["import"], "--dry-run")
    assert_shape(ImportOut, out)
    assert [(p["UserName"], p["Action"]) for p in out["Plan"]] == [("carol", "create"), ("bob", "conflict")]


# -- the organization ---------------------------------------------------------------------------------


def test_organization_commands_print_aws_organizations_shapes(iam, world, tmp_path):
    """DescribeOrganization, CreateOrganizationalUnit, MoveAccount, CreatePolicy, DescribePolicy,
    ListPolicies ... shapes (botocore's organizations model), plus iamctl's tree and levels."""
    member = "444455556666"
    iam("init", "--account-id", member)
    created = js(iam, "org", "create", "--management-account", ACCOUNT, "--email", "root@example.com")
    plain_dir = tmp_path / "plain"
    plain = js(iam, "--dir", str(plain_dir), "org", "create")  # no email: MasterAccountEmail left out
    assert_shape(OrgCreateOut, created, plain)
    made = js(iam, "org", "ou", "create", "Workloads")
    renamed = js(iam, "org", "ou", "rename", "Workloads", "Apps")
    js(iam, "org", "ou", "create", "Prod", "--parent", "Apps")
    assert_shape(OrgUnitOut, made, renamed)
    assert_shape(OrgUnitListOut, js(iam, "org", "ou", "list"))
    assert_shape(OrgUnitShowOut, js(iam, "org", "ou", "show", "Apps"))
    moved = js(iam, "org", "account", "move", member, "--to", "Prod")
    iam("org", "account", "remove", member)
    added = js(iam, "org", "account", "add", member, "--name", "prod", "--email", "prod@example.com", "--parent", "Prod")
    assert_shape(OrgAccountOut, moved, added)
    assert_shape(OrgAccountListOut, js(iam, "org", "account", "list"))
    assert_shape(OrgAccountShowOut, js(iam, "org", "account", "show", member))
    deny = tmp_path / "deny.json"
    deny.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", '
                    '"Resource": "*"}]}')
    policy = js(iam, "org", "policy", "create", "NoDelete", "--type", "scp", "--document", str(deny))
    updated = js(iam, "org", "policy", "update", "NoDelete", "--description", "keep the buckets")
    assert_shape(OrgPolicyOut, policy, updated)
    iam("org", "policy", "attach", "NoDelete", "--target", "Apps")
    assert_shape(OrgPolicyShowOut, js(iam, "org", "policy", "show", "NoDelete"))
    assert_shape(OrgPolicyListOut, js(iam, "org", "policy", "list"))
    assert_shape(OrgShowOut, js(iam, "org", "show"))
    assert_shape(OrgEffectiveOut, js(iam, "org", "effective", member))
    iam("org", "export", str(tmp_path / "dump"))
    assert_shape(OrgImportOut, js(iam, "--dir", str(tmp_path / "again"), "org", "import", str(tmp_path / "dump")))


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code"), [
    (("user", "show", "nobody", "-o", "json"), 1),
    (("-o", "json", "policy", "get-version", "ReadReports", "v9"), 1),
    (("role", "assume", "deploy", "--as", "user/bob", "--session-name", "x", "-o", "json"), 1),
    (("user", "list", "--max-items", "many", "-o", "json"), 2),
])
def test_errors_under_json_are_one_plain_stderr_line_and_no_stdout(iam, world, args, code):
    """Decided: `-o json` does not change errors (README "Output"): scripts test the exit status,
    stdout holds nothing to parse, and stderr is the one line people read."""
    r = iam(*args, expect=code)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    if code == 1:
        assert len(lines) == 1 and lines[0].startswith("iamctl: error: ")
        assert not lines[0].removeprefix("iamctl: error: ").startswith("{")
    assert "Traceback" not in r.stderr


# -- the reference: every shape it lists is a real command's and is checked here -------------------


def test_every_output_in_the_reference_is_a_command():
    import gen_docs_module

    commands = {" ".join(n.words) for n in gen_docs_module.load().all_commands()}
    for out in OUTPUTS:
        for command in out.commands:
            words = command.split(" --")[0]  # "mfa list --user NAME": the command is "mfa list"
            assert words in commands, f"contract.OUTPUTS names {command!r}, which is no command"


def test_every_shape_in_the_reference_is_checked_by_a_test_here():
    source = Path(__file__).read_text(encoding="utf-8")
    tests = source.split("# -- the checker itself")[1].split("# -- the reference")[0]
    unchecked = [out.shape.__name__ for out in OUTPUTS if not re.search(rf"\b{out.shape.__name__}\b", tests)]
    assert not unchecked, f"shapes in the README reference that no test checks: {unchecked}"
