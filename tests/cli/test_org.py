"""`iamctl org`: the organization's tree, SCPs and RCPs, AWS's rules and errors, and the
organization applied to every decision.

Each test names the AWS Organizations User Guide page (or API Reference entry) it follows:
"SCP evaluation", "RCP evaluation", "Service control policies (SCPs)", "Resource control
policies (RCPs)", "Quotas for AWS Organizations", the API Reference's errors (botocore's
organizations model), and the IAM User Guide's "AWS global condition context keys".
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

MGMT = "111122223333"
MEMBER = "444455556666"
OUTSIDE = "999900001111"

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_LEAVE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "NoLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
    {"Sid": "NoBucketDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}
EC2_ONLY = {"Version": "2012-10-17", "Statement": [{"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*",
                                                    "Resource": "*"}]}


def perimeter(org_id: str) -> dict:
    """The data-perimeter RCP AWS documents: no principal outside the organization reaches S3."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id},
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}


@pytest.fixture
def doc(tmp_path):
    """doc(obj_or_text, name) -> the path of a file holding it."""

    def write(content, name="doc.json") -> str:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
        return str(path)

    return write


@pytest.fixture
def org(iam, doc):
    """Management account 1111..., member 4444... under Workloads/Prod with an admin user alice,
    an account 9999... outside the organization with an admin user mallory; DenyLeaveOrg on
    Workloads. Returns the organization's JSON."""
    return build_org(iam, doc)


def build_org(iam, doc) -> dict:
    iam("init", "--account-id", MGMT)
    iam("init", "--account-id", MEMBER)
    created = iam("org", "create", "--management-account", MGMT, "-o", "json").json()["Organization"]
    iam("init", "--account-id", OUTSIDE)  # joins the directory after the organization: stays outside
    iam("org", "ou", "create", "Workloads")
    iam("org", "ou", "create", "Prod", "--parent", "Workloads")
    iam("org", "account", "move", MEMBER, "--to", "Prod")
    iam("org", "policy", "create", "DenyLeaveOrg", "--type", "scp", "--document", doc(DENY_LEAVE, "deny.json"))
    iam("org", "policy", "attach", "DenyLeaveOrg", "--target", "Workloads")
    for account, user in ((MGMT, "boss"), (MEMBER, "alice"), (OUTSIDE, "mallory")):
        iam("--account", account, "user", "create", user)
        iam("--account", account, "user", "attach-policy", user, "arn:aws:iam::aws:policy/AdministratorAccess")
    return created


def sim(iam, account, *args, expect=0):
    out = iam("--account", account, "simulate", "principal", *args, "-o", "json", expect=expect).json()
    return out["results"]


def error(r) -> str:
    assert r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


def tree_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.toml")) if ".iamctl" not in p.parts}


def ou_id(iam, name: str) -> str:
    found = [u for u in iam("org", "ou", "list", "--parent", "root", "-o", "json").json()["OrganizationalUnits"]
             if u["Name"] == name]
    return found[0]["Id"] if found else iam("org", "ou", "show", name, "-o", "json").json()["OrganizationalUnit"]["Id"]


# -- creating the organization ----------------------------------------------------------------------


def test_create_attaches_full_aws_access_and_rcp_full_aws_access_to_the_root(iam):
    """SCP evaluation / RCP evaluation: AWS attaches FullAWSAccess and RCPFullAWSAccess to the root
    (and every OU and account) when the policy types are enabled; ids have AWS's formats."""
    iam("init", "--account-id", MGMT)
    iam("init", "--account-id", MEMBER)
    made = iam("org", "create", "-o", "json").json()["Organization"]
    assert re.fullmatch(r"o-[a-z0-9]{10}", made["Id"])
    assert made["MasterAccountId"] == MGMT  # the selected (default) account
    assert made["Arn"] == f"arn:aws:organizations::{MGMT}:organization/{made['Id']}"
    shown = iam("org", "show", "-o", "json").json()["Root"]
    assert re.fullmatch(r"r-[a-z0-9]{4}", shown["Id"])
    assert [p["Name"] for p in shown["Policies"]] == ["FullAWSAccess", "RCPFullAWSAccess"]
    assert {t["Type"] for t in shown["PolicyTypes"]} == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    members = {a["Id"]: a for a in shown["Accounts"]}
    assert set(members) == {MGMT, MEMBER}
    assert members[MGMT]["Management"] and not members[MEMBER]["Management"]
    assert all([p["Name"] for p in a["Policies"]] == ["FullAWSAccess", "RCPFullAWSAccess"] for a in members.values())


def test_one_organization_per_directory(iam):
    """API Reference, CreateOrganization: AlreadyInOrganizationException."""
    iam("org", "create")
    assert "AlreadyInOrganizationException" in error(iam("org", "create", expect=1))


def test_org_commands_without_an_organization_say_so(iam):
    """API Reference: AWSOrganizationsNotInUseException for an account in no organization."""
    iam("init")
    for args in (("org", "show"), ("org", "ou", "create", "X"), ("org", "policy", "list"),
                 ("org", "effective", MEMBER)):
        assert "AWSOrganizationsNotInUseException" in error(iam(*args, expect=1))


# -- the tree ---------------------------------------------------------------------------------------


def test_ous_nest_five_levels_deep_and_no_deeper(iam):
    """Quotas for AWS Organizations: "OU maximum nesting in a root: five levels of OUs deep under a
    root" (ConstraintViolationException, OU_DEPTH_LIMIT_EXCEEDED)."""
    iam("org", "create")
    parent = "root"
    for level in range(1, 6):
        made = iam("org", "ou", "create", f"L{level}", "--parent", parent, "-o", "json").json()
        parent = made["OrganizationalUnit"]["Id"]
        assert made["OrganizationalUnit"]["Path"].count("/ou-") == level
    err = error(iam("org", "ou", "create", "L6", "--parent", parent, expect=1))
    assert "ConstraintViolationException" in err and "OU_DEPTH_LIMIT_EXCEEDED" in err


def test_ou_names_are_unique_among_siblings_only(iam):
    """API Reference, CreateOrganizationalUnit: DuplicateOrganizationalUnitException; an unknown
    parent is ParentNotFoundException; an OU id is ou-<root id>-<8 characters>."""
    iam("org", "create")
    root = iam("org", "show", "-o", "json").json()["Root"]["Id"]
    made = iam("org", "ou", "create", "Prod", "-o", "json").json()["OrganizationalUnit"]
    assert re.fullmatch(rf"ou-{root[2:]}-[a-z0-9]{{8}}", made["Id"])
    assert "DuplicateOrganizationalUnitException" in error(iam("org", "ou", "create", "Prod", expect=1))
    iam("org", "ou", "create", "Apps")
    iam("org", "ou", "create", "Prod", "--parent", "Apps")  # another parent: fine
    assert "ParentNotFoundException" in error(iam("org", "ou", "create", "X", "--parent", "Nowhere", expect=1))
    # Two OUs named Prod now: a name that is ambiguous must be given as the id.
    assert "InvalidInputException" in error(iam("org", "ou", "show", "Prod", expect=1))
    assert iam("org", "ou", "show", made["Id"], "-o", "json").json()["OrganizationalUnit"]["Name"] == "Prod"


def test_moving_accounts_follows_move_account_errors(iam, org):
    """API Reference, MoveAccount: DestinationParentNotFoundException, DuplicateAccountException,
    AccountNotFoundException; the account's Paths follow it."""
    assert "DestinationParentNotFoundException" in error(iam("org", "account", "move", MEMBER, "--to", "Nope",
                                                             expect=1))
    assert "DuplicateAccountException" in error(iam("org", "account", "move", MEMBER, "--to", "Prod", expect=1))
    assert "AccountNotFoundException" in error(iam("org", "account", "move", OUTSIDE, "--to", "Prod", expect=1))
    moved = iam("org", "account", "move", MEMBER, "--to", "Workloads", "-o", "json").json()["Account"]
    assert moved["Paths"] == [f"{org['Id']}/{iam('org', 'show', '-o', 'json').json()['Root']['Id']}/"
                              f"{ou_id(iam, 'Workloads')}/{MEMBER}/"]


def test_accounts_join_and_leave_explicitly(iam, org):
    """Removing a member account from your organization: the management account cannot leave
    (MasterCannotLeaveOrganizationException); a joining account gets FullAWSAccess."""
    assert OUTSIDE not in {a["Id"] for a in iam("org", "account", "list", "-o", "json").json()["Accounts"]}
    added = iam("org", "account", "add", OUTSIDE, "--name", "partner", "--email", "ops@example.com",
                "--parent", "Workloads", "-o", "json").json()["Account"]
    assert added["Name"] == "partner" and added["JoinedMethod"] == "INVITED"
    shown = iam("org", "account", "show", OUTSIDE, "-o", "json").json()["Account"]
    assert [p["Name"] for p in shown["Policies"]] == ["FullAWSAccess", "RCPFullAWSAccess"]
    assert "DuplicateAccountException" in error(iam("org", "account", "add", OUTSIDE, expect=1))
    iam("org", "account", "remove", OUTSIDE)
    assert "AccountNotFoundException" in error(iam("org", "account", "show", OUTSIDE, expect=1))
    assert "MasterCannotLeaveOrganizationException" in error(iam("org", "account", "remove", MGMT, expect=1))


def test_deleting_needs_an_empty_ou_an_unattached_policy_and_an_empty_organization(iam, org):
    """API Reference: OrganizationalUnitNotEmptyException, PolicyInUseException,
    OrganizationNotEmptyException; AWS managed policies are immutable (IMMUTABLE_POLICY)."""
    assert "OrganizationalUnitNotEmptyException" in error(iam("org", "ou", "delete", "Workloads", expect=1))
    assert "PolicyInUseException" in error(iam("org", "policy", "delete", "DenyLeaveOrg", expect=1))
    assert "IMMUTABLE_POLICY" in error(iam("org", "policy", "delete", "FullAWSAccess", expect=1))
    assert "OrganizationNotEmptyException" in error(iam("org", "delete", expect=1))
    iam("org", "account", "move", MEMBER, "--to", "root")
    iam("org", "ou", "delete", "Prod")
    iam("org", "ou", "delete", "Workloads")  # its attachment of DenyLeaveOrg goes with it
    iam("org", "policy", "delete", "DenyLeaveOrg")
    iam("org", "account", "remove", MEMBER)
    iam("org", "delete")
    assert "AWSOrganizationsNotInUseException" in error(iam("org", "show", expect=1))


# -- policies ---------------------------------------------------------------------------------------


def test_policy_documents_hold_at_most_5120_characters_whitespace_included(iam, doc):
    """Quotas for AWS Organizations: maximum size of an SCP or RCP document 5,120 characters; the
    CLI and API store a policy as given, so whitespace counts (ConstraintViolationException,
    POLICY_CONTENT_LIMIT_EXCEEDED)."""
    iam("org", "create")
    text = json.dumps(ALLOW_ALL)
    exact = text[:-1] + " " * (5120 - len(text)) + "}"
    assert len(exact) == 5120
    iam("org", "policy", "create", "Exact", "--type", "scp", "--document", doc(exact, "exact.json"))
    over = text[:-1] + " " * (5121 - len(text)) + "}"
    err = error(iam("org", "policy", "create", "Over", "--type", "scp", "--document", doc(over, "over.json"),
                    expect=1))
    assert "ConstraintViolationException" in err and "POLICY_CONTENT_LIMIT_EXCEEDED" in err


def test_policy_documents_follow_their_types_grammar(iam, doc):
    """SCP syntax: no Principal; RCP syntax: a Principal; JSON errors give line and column
    (MalformedPolicyDocumentException); names are unique per type (DuplicatePolicyException)."""
    iam("org", "create")
    with_principal = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                              "Resource": "*"}]}
    err = error(iam("org", "policy", "create", "P", "--type", "scp", "--document", doc(with_principal), expect=1))
    assert "MalformedPolicyDocumentException" in err and "Principal" in err
    err = error(iam("org", "policy", "create", "P", "--type", "rcp", "--document", doc(DENY_LEAVE), expect=1))
    assert "MalformedPolicyDocumentException" in err
    err = error(iam("org", "policy", "create", "P", "--type", "scp", "--document", doc('{"Version": \n'), expect=1))
    assert "MalformedPolicyDocumentException" in err and "line 2" in err
    iam("org", "policy", "create", "P", "--type", "scp", "--document", doc(DENY_LEAVE))
    assert "DuplicatePolicyException" in error(iam("org", "policy", "create", "P", "--type", "scp", "--document",
                                                   doc(DENY_LEAVE), expect=1))
    iam("org", "policy", "create", "P", "--type", "rcp", "--document", doc(perimeter("o-aaaaaaaaaa")))
    assert "InvalidInputException" in error(iam("org", "policy", "show", "P", expect=1))  # both types: ambiguous
    assert iam("org", "policy", "show", "P", "--type", "rcp", "-o", "json").json()["Policy"]["PolicySummary"][
        "Type"] == "RESOURCE_CONTROL_POLICY"


def test_at_most_five_policies_of_each_type_per_target(iam, doc):
    """Quotas for AWS Organizations: 5 SCPs and 5 RCPs per root, OU or account
    (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED); RCPFullAWSAccess, attached everywhere, counts."""
    iam("org", "create")
    iam("org", "ou", "create", "Prod")
    for n in range(4):  # FullAWSAccess + 4
        iam("org", "policy", "create", f"S{n}", "--type", "scp", "--document", doc(DENY_LEAVE))
        iam("org", "policy", "attach", f"S{n}", "--target", "Prod")
    iam("org", "policy", "create", "S4", "--type", "scp", "--document", doc(DENY_LEAVE))
    err = error(iam("org", "policy", "attach", "S4", "--target", "Prod", expect=1))
    assert "ConstraintViolationException" in err and "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" in err
    for n in range(4):  # RCPFullAWSAccess + 4
        iam("org", "policy", "create", f"R{n}", "--type", "rcp", "--document", doc(perimeter("o-aaaaaaaaaa")))
        iam("org", "policy", "attach", f"R{n}", "--target", "Prod")
    iam("org", "policy", "create", "R4", "--type", "rcp", "--document", doc(perimeter("o-aaaaaaaaaa")))
    assert "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" in error(iam("org", "policy", "attach", "R4", "--target",
                                                                    "Prod", expect=1))


def test_attach_and_detach_follow_aws_errors(iam, org, doc):
    """API Reference, AttachPolicy / DetachPolicy: DuplicatePolicyAttachmentException,
    TargetNotFoundException, PolicyNotFoundException, PolicyNotAttachedException, the last SCP
    (ConstraintViolationException, MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED) and RCPFullAWSAccess
    (InvalidInputException, NON_DETACHABLE_POLICY)."""
    assert "DuplicatePolicyAttachmentException" in error(iam("org", "policy", "attach", "DenyLeaveOrg", "--target",
                                                             "Workloads", expect=1))
    assert "TargetNotFoundException" in error(iam("org", "policy", "attach", "DenyLeaveOrg", "--target", "Nope",
                                                  expect=1))
    assert "TargetNotFoundException" in error(iam("org", "policy", "attach", "DenyLeaveOrg", "--target", OUTSIDE,
                                                  expect=1))
    assert "PolicyNotFoundException" in error(iam("org", "policy", "attach", "Nope", "--target", "Prod", expect=1))
    assert "PolicyNotAttachedException" in error(iam("org", "policy", "detach", "DenyLeaveOrg", "--target", "Prod",
                                                     expect=1))
    err = error(iam("org", "policy", "detach", "FullAWSAccess", "--target", "Prod", expect=1))
    assert "ConstraintViolationException" in err and "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" in err
    err = error(iam("org", "policy", "detach", "RCPFullAWSAccess", "--target", "Prod", expect=1))
    assert "InvalidInputException" in err and "NON_DETACHABLE_POLICY" in err
    # The allow-list strategy: attach the replacement first, then FullAWSAccess can go.
    iam("org", "policy", "create", "Ec2Only", "--type", "scp", "--document", doc(EC2_ONLY, "ec2.json"))
    iam("org", "policy", "attach", "Ec2Only", "--target", "Prod")
    iam("org", "policy", "detach", "FullAWSAccess", "--target", "Prod")
    listed = iam("org", "policy", "list", "--target", "Prod", "-o", "json").json()["Policies"]
    assert [p["Name"] for p in listed] == ["Ec2Only", "RCPFullAWSAccess"]


def test_a_refused_command_writes_nothing(iam, org, account_dir):
    """Every command is one transaction: a refusal leaves every file as it was."""
    before = tree_files(account_dir)
    iam("org", "policy", "detach", "FullAWSAccess", "--target", "Prod", expect=1)
    iam("org", "ou", "create", "Prod", "--parent", "Workloads", expect=1)
    iam("org", "account", "move", MEMBER, "--to", "Nope", expect=1)
    assert tree_files(account_dir) == before


def test_each_relationship_is_stored_once_on_its_child_and_documents_read_as_json(iam, org, account_dir):
    """Stored as readable TOML: attaching a policy changes only the target's file (nothing is
    stored twice, nothing derived), and the policy's file holds its JSON unescaped."""
    before = tree_files(account_dir)
    iam("org", "policy", "attach", "DenyLeaveOrg", "--target", MEMBER)
    after = tree_files(account_dir)
    changed = sorted(k for k in after if before.get(k) != after[k])
    assert changed == [f"organization/accounts/{MEMBER}.toml"]
    record = tomllib.loads(after[changed[0]])
    assert record["policies"][-1].startswith("p-") and record["parent"].startswith("ou-")
    (policy_file,) = [k for k in after if k.startswith("organization/policies/")]
    text = after[policy_file]
    assert '"Action": "organizations:LeaveOrganization"' in text and '\\"' not in text
    assert json.loads(tomllib.loads(text)["content"]) == DENY_LEAVE


# -- show, effective, formats ----------------------------------------------------------------------


def test_show_is_the_tree_with_what_is_attached_where(iam, org):
    """How SCPs work / inheritance: the tree (root, OUs, accounts) with the policies attached to
    each node, RCPFullAWSAccess on every one ("RCP evaluation")."""
    root = iam("org", "show", "-o", "json").json()["Root"]
    (workloads,) = root["OrganizationalUnits"]
    (prod,) = workloads["OrganizationalUnits"]
    assert workloads["Name"] == "Workloads" and prod["Name"] == "Prod"
    assert [p["Name"] for p in workloads["Policies"]] == ["FullAWSAccess", "DenyLeaveOrg", "RCPFullAWSAccess"]
    assert [a["Id"] for a in prod["Accounts"]] == [MEMBER]
    assert [a["Id"] for a in root["Accounts"]] == [MGMT]
    table = iam("org", "show", "-o", "table").stdout
    assert "OU Workloads" in table and "DenyLeaveOrg" in table and f"account {MEMBER}" in table


def test_effective_lists_every_scp_and_rcp_level_by_level(iam, org):
    """How SCPs work / inheritance: an account is governed by what is attached to the root, every
    OU on its path and itself; the management account is exempt."""
    eff = iam("org", "effective", MEMBER, "-o", "json").json()["Effective"]
    assert not eff["ManagementAccount"]
    assert [(lvl["Type"], lvl["Name"], [p["Name"] for p in lvl["Policies"]]) for lvl in eff["ServiceControlPolicies"]] == [
        ("ROOT", "Root", ["FullAWSAccess"]),
        ("ORGANIZATIONAL_UNIT", "Workloads", ["FullAWSAccess", "DenyLeaveOrg"]),
        ("ORGANIZATIONAL_UNIT", "Prod", ["FullAWSAccess"]),
        ("ACCOUNT", MEMBER, ["FullAWSAccess"])]
    assert all([p["Name"] for p in lvl["Policies"]] == ["RCPFullAWSAccess"] for lvl in eff["ResourceControlPolicies"])
    assert iam("org", "effective", MGMT, "-o", "json").json()["Effective"]["ManagementAccount"]
    assert "AccountNotFoundException" in error(iam("org", "effective", OUTSIDE, expect=1))


@pytest.mark.parametrize("args", [("org", "show"), ("org", "effective", MEMBER), ("org", "policy", "list"),
                                  ("org", "policy", "show", "DenyLeaveOrg"), ("org", "account", "list"),
                                  ("org", "account", "show", MEMBER), ("org", "ou", "list"),
                                  ("org", "ou", "show", "Workloads")])
def test_every_format_shows_the_values_of_the_json(iam, org, args):
    """README, Output: table, json and text show the same data."""
    data = iam(*args, "-o", "json").json()

    def values(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from values(v)
        elif isinstance(x, list):
            for v in x:
                yield from values(v)
        elif x not in (None, "") and not isinstance(x, bool):
            yield str(x)

    wide = {"COLUMNS": "1000"}
    for form in ("text", "table"):
        out = " ".join(iam(*args, "-o", form, env=wide).stdout.split())
        missing = [v for v in values(data) if " ".join(v.split()) not in out]
        assert not missing, f"{' '.join(args)} -o {form} lacks {missing[:5]}"


# -- the organization in decisions -------------------------------------------------------------------


def test_a_deny_at_any_level_denies_and_explain_names_the_level_and_policy(iam, org):
    """SCP evaluation: "a Deny at any level denies" — DenyLeaveOrg on Workloads applies to the
    account two levels below; --explain names the OU and the policy; --no-org leaves it out."""
    r = iam("--account", MEMBER, "simulate", "principal", "--user", "alice", "-a", "s3:DeleteBucket",
            "-r", "arn:aws:s3:::logs", "--explain", "-o", "json", expect=3).json()["results"][0]
    assert r["decision"] == "explicitDeny" and r["scp_allowed"] is False
    workloads = ou_id(iam, "Workloads")
    assert [(m["policy"], m["sid"]) for m in r["matched_statements"]] == [("DenyLeaveOrg", "NoBucketDelete")]
    assert any(f'SCP "DenyLeaveOrg" at OU Workloads ({workloads})' in line and "NoBucketDelete" in line
               for line in r["explanation"])
    (plain,) = sim(iam, MEMBER, "--user", "alice", "-a", "s3:DeleteBucket", "-r", "arn:aws:s3:::logs", "--no-org")
    assert plain["decision"] == "allowed" and plain["scp_allowed"] is None


def test_every_level_must_allow_an_allow_list_caps_the_account(iam, org, doc):
    """SCP evaluation (allow list): with FullAWSAccess replaced on Prod by an SCP allowing only EC2,
    S3 is implicitly denied below Prod, EC2 still allowed; the identity policy (admin) is the same."""
    iam("org", "policy", "create", "Ec2Only", "--type", "scp", "--document", doc(EC2_ONLY, "ec2.json"))
    iam("org", "policy", "attach", "Ec2Only", "--target", "Prod")
    iam("org", "policy", "detach", "FullAWSAccess", "--target", "Prod")
    s3, ec2 = sim(iam, MEMBER, "--user", "alice", "-a", "s3:GetObject", "-a", "ec2:RunInstances", expect=3)
    assert (s3["decision"], s3["scp_allowed"]) == ("implicitDeny", False)
    assert (ec2["decision"], ec2["scp_allowed"]) == ("allowed", True)
    (why,) = sim(iam, MEMBER, "--user", "alice", "-a", "s3:GetObject", "--explain", expect=3)
    assert any(f"blocked at OU Prod ({ou_id(iam, 'Prod')})" in line and "Ec2Only" in line
               for line in why["explanation"]), why["explanation"]


def test_the_management_account_is_exempt_from_scps(iam, org):
    """Service control policies (SCPs): "SCPs don't affect users or roles in the management
    account"; a member account's principals are affected, the root user included."""
    iam("org", "policy", "attach", "DenyLeaveOrg", "--target", "root")
    (boss,) = sim(iam, MGMT, "--user", "boss", "-a", "s3:DeleteBucket", "-r", "arn:aws:s3:::logs")
    assert boss["decision"] == "allowed" and boss["scp_allowed"] is None


def test_service_linked_roles_are_exempt_from_scps(iam, org, doc):
    """Service control policies (SCPs): SCPs don't affect service-linked roles (path
    /aws-service-role/); an ordinary role of the same account stays limited."""
    trust = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "autoscaling.amazonaws.com"}, "Action": "sts:AssumeRole"}]}, "trust.json")
    for name, path in (("AWSServiceRoleForAutoScaling", "/aws-service-role/autoscaling.amazonaws.com/"),
                       ("ordinary", "/")):
        iam("--account", MEMBER, "role", "create", name, "--path", path, "--trust-policy", trust)
        iam("--account", MEMBER, "role", "attach-policy", name, "arn:aws:iam::aws:policy/AdministratorAccess")
    (slr,) = sim(iam, MEMBER, "--role", "AWSServiceRoleForAutoScaling", "-a", "s3:DeleteBucket")
    (plain,) = sim(iam, MEMBER, "--role", "ordinary", "-a", "s3:DeleteBucket", expect=3)
    assert slr["decision"] == "allowed" and plain["decision"] == "explicitDeny"


def test_rcps_guard_the_resources_of_member_accounts_against_outside_principals(iam, org, doc):
    """RCP evaluation / Resource control policies (RCPs): an RCP limits every request to a member
    account's resources, whoever asks; the data perimeter keeps a principal of another
    organization out and lets the organization's own in (aws:PrincipalOrgID filled, no -c)."""
    iam("org", "policy", "create", "OrgOnlyS3", "--type", "rcp", "--document", doc(perimeter(org["Id"]), "rcp.json"))
    iam("org", "policy", "attach", "OrgOnlyS3", "--target", "root")
    bucket = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": [
        f"arn:aws:iam::{OUTSIDE}:root", f"arn:aws:iam::{MGMT}:root"]}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared/*"}]}, "bucket.json")
    args = ("-a", "s3:GetObject", "-r", "arn:aws:s3:::shared/report", "--resource-owner", MEMBER,
            "--resource-policy-file", bucket)
    (mallory,) = sim(iam, OUTSIDE, "--user", "mallory", *args, expect=3)
    assert mallory["decision"] == "explicitDeny" and mallory["rcp_allowed"] is False
    assert mallory["matched_statements"][0]["sid"] == "EnforceOrgIdentities"
    (boss,) = sim(iam, MGMT, "--user", "boss", *args)
    assert boss["decision"] == "allowed" and boss["rcp_allowed"] is True


def test_rcps_apply_only_to_the_services_aws_lists_and_not_to_the_management_account(iam, org, doc):
    """Resource control policies (RCPs): "List of AWS services that support RCPs" (IAM is not one
    of them), and "RCPs don't affect resources in the management account"."""
    deny_all = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*",
                                                            "Resource": "*"}]}, "rcp.json")
    iam("org", "policy", "create", "DenyAll", "--type", "rcp", "--document", deny_all)
    iam("org", "policy", "attach", "DenyAll", "--target", "root")
    (s3,) = sim(iam, MEMBER, "--user", "alice", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k", expect=3)
    assert s3["decision"] == "explicitDeny" and s3["rcp_allowed"] is False
    (iam_only,) = sim(iam, MEMBER, "--user", "alice", "-a", "iam:ListUsers")
    assert iam_only["decision"] == "allowed" and iam_only["rcp_allowed"] is None
    (own,) = sim(iam, MGMT, "--user", "boss", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k")
    assert own["decision"] == "allowed" and own["rcp_allowed"] is None


def test_the_organization_context_keys_are_filled_as_aws_fills_them(iam, org, doc):
    """IAM User Guide, AWS global condition context keys: aws:PrincipalOrgID and
    aws:PrincipalOrgPaths (multivalued, the path down to the account's parent) for a member's
    principal, aws:ResourceOrgID / aws:ResourceOrgPaths for a member's resource, aws:ResourceAccount;
    none for an account outside; a -c value overrides."""
    root = iam("org", "show", "-o", "json").json()["Root"]["Id"]
    path = f"{org['Id']}/{root}/{ou_id(iam, 'Workloads')}/{ou_id(iam, 'Prod')}/"
    policy = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                  "Resource": "*", "Condition": {
                      "StringEquals": {"aws:PrincipalOrgID": org["Id"], "aws:ResourceOrgID": org["Id"],
                                       "aws:ResourceAccount": MEMBER},
                      "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{org['Id']}/{root}/*/",
                                                 "aws:ResourceOrgPaths": [path]}}}]}, "perimeter.json")
    iam("--account", MEMBER, "user", "create", "carol")
    iam("--account", MEMBER, "user", "put-policy", "carol", "OrgOnly", "--document", policy)
    (carol,) = sim(iam, MEMBER, "--user", "carol", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k", "--explain")
    assert carol["decision"] == "allowed" and carol["missing_context_keys"] == []
    (overridden,) = sim(iam, MEMBER, "--user", "carol", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k",
                        "-c", "aws:PrincipalOrgID=o-someoneelse", expect=3)
    assert overridden["decision"] == "implicitDeny"
    (without,) = sim(iam, MEMBER, "--user", "carol", "-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k", "--no-org",
                     expect=3)
    assert "aws:PrincipalOrgID" in without["missing_context_keys"]


def test_role_assume_applies_the_callers_scps_and_the_roles_rcps(iam, org, doc):
    """Role assumption is a request like any other: the caller's SCPs (SCP evaluation) and the RCPs
    of the role's account (STS is an RCP service) must allow."""
    trust = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": [
        f"arn:aws:iam::{MEMBER}:root", f"arn:aws:iam::{OUTSIDE}:root"]}, "Action": "sts:AssumeRole"}]}, "trust.json")
    iam("--account", MGMT, "role", "create", "audit", "--trust-policy", trust)
    iam("--account", MEMBER, "role", "create", "shared", "--trust-policy", trust)
    no_assume = doc({"Version": "2012-10-17", "Statement": [{"Sid": "NoAssume", "Effect": "Deny",
                     "Action": "sts:AssumeRole", "Resource": "*"}]}, "noassume.json")
    iam("org", "policy", "create", "NoAssume", "--type", "scp", "--document", no_assume)
    iam("org", "policy", "attach", "NoAssume", "--target", "Prod")
    r = iam("--account", MEMBER, "role", "assume", f"arn:aws:iam::{MGMT}:role/audit", "--as", "user/alice",
            "--session-name", "s1", expect=1)
    assert "AccessDenied" in error(r) and "NoAssume" in r.stderr
    iam("org", "policy", "detach", "NoAssume", "--target", "Prod")
    iam("--account", MEMBER, "role", "assume", f"arn:aws:iam::{MGMT}:role/audit", "--as", "user/alice",
        "--session-name", "s1", "-o", "json")
    iam("org", "policy", "create", "OrgOnlySts", "--type", "rcp", "--document", doc({
        "Version": "2012-10-17", "Statement": [{"Sid": "OrgOnlySts", "Effect": "Deny", "Principal": "*",
                                                "Action": "sts:AssumeRole", "Resource": "*",
                                                "Condition": {"StringNotEqualsIfExists": {
                                                    "aws:PrincipalOrgID": org["Id"]}}}]}, "sts.json"))
    iam("org", "policy", "attach", "OrgOnlySts", "--target", "Workloads")
    r = iam("--account", OUTSIDE, "role", "assume", f"arn:aws:iam::{MEMBER}:role/shared", "--as", "user/mallory",
            "--session-name", "s1", expect=1)
    assert "AccessDenied" in error(r) and "OrgOnlySts" in r.stderr


def test_live_sessions_carry_their_accounts_scps(iam, org, doc, now):
    """A role session's requests are its account's principal's requests: SCPs apply to them."""
    trust = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": f"arn:aws:iam::{MEMBER}:root"}, "Action": "sts:AssumeRole"}]}, "trust.json")
    iam("--account", MEMBER, "role", "create", "ops", "--trust-policy", trust)
    iam("--account", MEMBER, "role", "attach-policy", "ops", "arn:aws:iam::aws:policy/AdministratorAccess")
    creds = iam("--account", MEMBER, "role", "assume", "ops", "--as", "user/alice", "--session-name", "s1",
                "-o", "json").stdout
    (r,) = sim(iam, MEMBER, "--session", doc(creds, "creds.json"), "-a", "s3:DeleteBucket", expect=3)
    assert r["decision"] == "explicitDeny" and r["scp_allowed"] is False


def test_changing_ones_own_password_is_a_request_the_scps_can_deny(iam, org, doc):
    """Service control policies (SCPs): they limit every principal of a member account, so a Deny
    of iam:ChangePassword on the account's OU refuses `user change-password` too."""
    iam("--account", MEMBER, "account", "password-policy", "set", "--allow-users-to-change-password")
    iam("--account", MEMBER, "user", "set-password", "alice", "--password-stdin", input="Corr3ct-Horse\n")
    iam("org", "policy", "create", "NoPasswordChange", "--type", "scp", "--document", doc({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ChangePassword",
                                                "Resource": "*"}]}, "nopw.json"))
    iam("org", "policy", "attach", "NoPasswordChange", "--target", "Prod")
    r = iam("--account", MEMBER, "user", "change-password", "alice", "--password-stdin",
            input="Corr3ct-Horse\nAn0ther-Passw0rd!xyz\n", expect=1)
    assert "AccessDenied" in error(r)
    iam("org", "policy", "detach", "NoPasswordChange", "--target", "Prod")
    iam("--account", MEMBER, "user", "change-password", "alice", "--password-stdin",
        input="Corr3ct-Horse\nAn0ther-Passw0rd!xyz\n")


# -- account check ----------------------------------------------------------------------------------


def test_account_check_finds_what_a_hand_edit_broke(iam, org, account_dir):
    """Stored as readable TOML and checked by `account check`: a cycle in the tree, a dangling
    parent or policy and a target left without an SCP are reported, naming the file."""
    iam("account", "check")
    workloads, prod = ou_id(iam, "Workloads"), ou_id(iam, "Prod")
    ou_file = account_dir / "organization" / "ous" / f"{workloads}.toml"
    ou_file.write_text(ou_file.read_text().replace(re.search(r'parent = "[^"]+"', ou_file.read_text()).group(0),
                                                   f'parent = "{prod}"'))
    account_file = account_dir / "organization" / "accounts" / f"{MEMBER}.toml"
    account_file.write_text(account_file.read_text().replace('"p-FullAWSAccess"', '"p-missing00"'))
    r = iam("account", "check", expect=1)
    assert f"ous/{workloads}.toml" in r.stderr and "cycle" in r.stderr
    assert f"accounts/{MEMBER}.toml" in r.stderr and "p-missing00" in r.stderr
    assert "no SCP is attached" in r.stderr
    r = iam("--account", MEMBER, "simulate", "principal", "--user", "alice", "-a", "s3:GetObject", expect=1)
    assert "StoreError" in error(r) and "account check" in r.stderr  # a decision never half-understands it


# -- import and export -------------------------------------------------------------------------------


def write_dump(folder: Path, files: dict[str, dict]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(json.dumps(data, indent=4))
    return folder


def aws_dump() -> dict[str, dict]:
    """What the `aws organizations` commands print for a small organization (shapes from botocore's
    organizations model; dates as the AWS CLI prints them)."""
    o, r, ou = "o-a1b2c3d4e5", "r-ab12", "ou-ab12-11111111"
    arn = f"arn:aws:organizations::{MGMT}"
    scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}
    summary = {"Id": "p-examplescp", "Arn": f"{arn}:policy/{o}/service_control_policy/p-examplescp",
               "Name": "NoBucketDelete", "Description": "keep the buckets", "Type": "SERVICE_CONTROL_POLICY",
               "AwsManaged": False}
    full = {"Id": "p-FullAWSAccess", "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
            "Name": "FullAWSAccess", "Description": "Allows access to every operation",
            "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}

    def account(i, name):
        return {"Id": i, "Arn": f"{arn}:account/{o}/{i}", "Email": f"{name}@example.com", "Name": name,
                "Status": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": "2021-03-04T05:06:07.123000+00:00"}

    def target(i, kind, name):
        word = {"ROOT": "root", "ORGANIZATIONAL_UNIT": "ou", "ACCOUNT": "account"}[kind]
        return {"TargetId": i, "Arn": f"{arn}:{word}/{o}/{i}", "Name": name, "Type": kind}

    return {
        "describe-organization.json": {"Organization": {
            "Id": o, "Arn": f"{arn}:organization/{o}", "FeatureSet": "ALL", "MasterAccountArn": f"{arn}:account/{o}/{MGMT}",
            "MasterAccountId": MGMT, "MasterAccountEmail": "root@example.com",
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}},
        "list-roots.json": {"Roots": [{"Id": r, "Arn": f"{arn}:root/{o}/{r}", "Name": "Root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        f"list-organizational-units-for-parent/{r}.json": {"OrganizationalUnits": [
            {"Id": ou, "Arn": f"{arn}:ou/{o}/{ou}", "Name": "Workloads"}]},
        f"list-organizational-units-for-parent/{ou}.json": {"OrganizationalUnits": []},
        f"list-accounts-for-parent/{r}.json": {"Accounts": [account(MGMT, "management")]},
        f"list-accounts-for-parent/{ou}.json": {"Accounts": [account(MEMBER, "prod")]},
        "list-policies-SERVICE_CONTROL_POLICY.json": {"Policies": [full, summary]},
        "describe-policy/p-examplescp.json": {"Policy": {"PolicySummary": summary, "Content": json.dumps(scp)}},
        "list-targets-for-policy/p-examplescp.json": {"Targets": [target(ou, "ORGANIZATIONAL_UNIT", "Workloads")]},
        "list-targets-for-policy/p-FullAWSAccess.json": {"Targets": [
            target(r, "ROOT", "Root"), target(ou, "ORGANIZATIONAL_UNIT", "Workloads"),
            target(MGMT, "ACCOUNT", "management"), target(MEMBER, "ACCOUNT", "prod")]},
    }


def test_import_reads_what_aws_organizations_prints_and_decisions_use_it(iam, tmp_path):
    """`org import` of the aws organizations JSON (README layout): the tree, the policies and their
    targets arrive with AWS's ids, and the SCP applies to the member account's users."""
    iam("init", "--account-id", MGMT)
    iam("init", "--account-id", MEMBER)
    report = iam("org", "import", str(write_dump(tmp_path / "dump", aws_dump())), "-o", "json").json()["Import"]
    assert report == {"OrganizationId": "o-a1b2c3d4e5", "OrganizationalUnits": 1, "Accounts": 2, "Policies": 1,
                      "Attachments": 5}
    prod = iam("org", "account", "show", MEMBER, "-o", "json").json()["Account"]
    assert (prod["Name"], prod["Email"], prod["JoinedTimestamp"]) == ("prod", "prod@example.com", "2021-03-04T05:06:07.123Z")
    assert prod["ParentId"] == "ou-ab12-11111111"
    iam("--account", MEMBER, "user", "create", "alice")
    iam("--account", MEMBER, "user", "attach-policy", "alice", "arn:aws:iam::aws:policy/AdministratorAccess")
    (r,) = sim(iam, MEMBER, "--user", "alice", "-a", "s3:DeleteBucket", expect=3)
    assert r["matched_statements"][0]["policy"] == "NoBucketDelete"
    r = iam("--account", MEMBER, "simulate", "principal", "--user", "alice", "-a", "s3:DeleteBucket", "--explain",
            "-o", "json", expect=3).json()["results"][0]
    assert any("at OU Workloads (ou-ab12-11111111)" in line for line in r["explanation"])
    iam("account", "check")


def test_export_writes_the_layout_import_reads(iam, tmp_path):
    """`org export` then `org import` elsewhere then `org export` again gives the same files."""
    iam("init", "--account-id", MGMT)
    iam("init", "--account-id", MEMBER)
    iam("org", "import", str(write_dump(tmp_path / "dump", aws_dump())))
    iam("org", "export", str(tmp_path / "out1"))
    first = {str(p.relative_to(tmp_path / "out1")): json.loads(p.read_text()) for p in (tmp_path / "out1").rglob("*.json")}
    original = aws_dump()
    assert first["list-accounts-for-parent/ou-ab12-11111111.json"]["Accounts"][0]["Paths"] == [
        f"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/{MEMBER}/"]
    for rel in ("describe-policy/p-examplescp.json", "list-roots.json"):
        assert first[rel] == original[rel]
    key = "list-targets-for-policy/p-FullAWSAccess.json"
    assert sorted(first[key]["Targets"], key=str) == sorted(original[key]["Targets"], key=str)
    iam("--dir", str(tmp_path / "second"), "org", "import", str(tmp_path / "out1"))
    iam("--dir", str(tmp_path / "second"), "org", "export", str(tmp_path / "out2"))
    second = {str(p.relative_to(tmp_path / "out2")): json.loads(p.read_text()) for p in (tmp_path / "out2").rglob("*.json")}
    assert second == first
    assert "exists and is not an empty folder" in error(iam("org", "export", str(tmp_path / "out1"), expect=2))


@pytest.mark.parametrize("break_it, message", [
    (lambda d: d.pop("list-accounts-for-parent/ou-ab12-11111111.json"),
     "list-accounts-for-parent/ou-ab12-11111111.json: missing"),
    (lambda d: d["list-targets-for-policy/p-examplescp.json"]["Targets"][0].update(TargetId="ou-ab12-99999999"),
     "list-targets-for-policy/p-examplescp.json: $.Targets[0].TargetId"),
    (lambda d: d["list-roots.json"].update(NextToken="abc"), "list-roots.json: $.NextToken"),
    (lambda d: d["list-accounts-for-parent/r-ab12.json"]["Accounts"][0].update(Id=1234),
     "list-accounts-for-parent/r-ab12.json: $.Accounts[0].Id: expected a string"),
    (lambda d: d["list-targets-for-policy/p-FullAWSAccess.json"]["Targets"].pop(),
     f"accounts/{MEMBER}.toml: no SCP is attached"),
])
def test_import_checks_everything_first_and_names_the_file_and_path(iam, tmp_path, account_dir, break_it, message):
    """The dump must be complete and consistent (every parent listed, every target known, no
    truncated listing, every target keeping an SCP as "Quotas for AWS Organizations" requires);
    a fault writes nothing."""
    iam("init", "--account-id", MGMT)
    before = tree_files(account_dir)
    dump = aws_dump()
    break_it(dump)
    r = iam("org", "import", str(write_dump(tmp_path / "dump", dump)), expect=1)
    assert message in error(r)
    assert tree_files(account_dir) == before


def test_import_reports_json_syntax_errors_with_line_and_column(iam, tmp_path):
    """A damaged `aws organizations list-roots` output is refused with its file, line and column."""
    folder = write_dump(tmp_path / "dump", aws_dump())
    (folder / "list-roots.json").write_text('{"Roots": [\n  {"Id": "r-ab12",\n}]}')
    assert re.search(r"list-roots.json: not valid JSON: .* line 3, column 1", error(iam("org", "import", str(folder),
                                                                                       expect=1)))


def test_completion_offers_the_organizations_targets_and_policies(iam, org, account_dir):
    """Shell completion: `--target` offers root, OU names and ids and member accounts; POLICY
    offers the policy names, AWS's own included."""
    from .test_completion import offered

    env = {"IAMCTL_DIR": str(account_dir)}
    targets = offered("bash", "iamctl org policy attach DenyLeaveOrg --target ", env=env)
    assert {"root", "Workloads", "Prod", MGMT, MEMBER, ou_id(iam, "Workloads"), ou_id(iam, "Prod")} == set(targets), targets
    assert offered("bash", "iamctl org policy show Deny", env=env) == ["DenyLeaveOrg"]
    assert offered("bash", "iamctl org policy show RCP", env=env) == ["RCPFullAWSAccess"]


# -- the human-readable output (golden files) ---------------------------------------------------------

GOLDEN = {
    "org-show": (("org", "show"), 0),
    "org-effective": (("org", "effective", MEMBER), 0),
    "org-policy-show": (("org", "policy", "show", "DenyLeaveOrg"), 0),
    "simulate-scp-denied-explain": (("--account", MEMBER, "simulate", "principal", "--user", "alice", "-a",
                                     "s3:DeleteBucket", "-r", "arn:aws:s3:::logs", "--explain"), 3),
}


@pytest.fixture
def reproducible_org(iam, doc, now):
    """The `org` fixture's organization, its ids minted reproducibly and the clock pinned."""
    from iamctl.core.base import ids

    with ids.reproducible(16):
        yield build_org(iam, doc)


@pytest.mark.parametrize("name", GOLDEN)
def test_the_tree_levels_and_explanations_read_as_the_golden_files(iam, reproducible_org, golden, monkeypatch, name):
    """The table and text renderings, at 80 and 120 columns (tests/golden; `pytest --update-golden`)."""
    args, code = GOLDEN[name]
    for width in (80, 120):
        monkeypatch.setenv("COLUMNS", str(width))
        monkeypatch.setenv("TERMINAL_WIDTH", str(width))
        golden(f"{name}.table-{width}.txt", iam(*args, "-o", "table", expect=code).stdout)
    golden(f"{name}.text.txt", iam(*args, "-o", "text", expect=code).stdout)
