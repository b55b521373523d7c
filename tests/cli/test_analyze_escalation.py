"""`iamctl analyze escalation` on BishopFox's iam-vulnerable account, and on small accounts.

tests/data/authdetails/cloudsplaining-example-iamvulnerable.json is iam-vulnerable deployed and
exported with get-account-authorization-details (salesforce/cloudsplaining, BSD-3-Clause): its
31 escalation scenarios (Rhino Security Labs' 21 methods and ten more), tool-testing principals
that must be found (`fn*`) and that must not be (`fp*`). Each scenario has a user and a role
with the same policy; which of them can escalate depends on what else the account holds, and
the engine says (see test_iam_vulnerable_scenarios).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "authdetails" / "cloudsplaining-example-iamvulnerable.json"
ACCOUNT = "200611803367"
P = f"arn:aws:iam::{ACCOUNT}:"


def _iamctl(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "IAMCTL_DIR": str(root), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "iamctl", *args], env=env, capture_output=True, text=True,
                          check=True)


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory) -> tuple[Path, dict]:
    """The imported account, and `analyze escalation -o json` on it (run once)."""
    root = tmp_path_factory.mktemp("iam-vulnerable") / "acct"
    _iamctl(root, "account", "import", str(DATA))
    return root, json.loads(_iamctl(root, "analyze", "escalation", "-o", "json").stdout)


@pytest.fixture
def copy(vulnerable, account_dir):
    """The imported account in this test's own directory, to change freely."""
    shutil.copytree(vulnerable[0], account_dir, symlinks=True)
    return account_dir


def _found(report: dict) -> dict[str, dict]:
    return {e["Principal"]: e for e in report["Escalations"]}


# scenario -> (principal that escalates, technique, conditional?). iam-vulnerable's own names.
SCENARIOS = {
    "privesc1-CreateNewPolicyVersion": ("user", "iam-001", False),
    "privesc3-CreateEC2WithExistingInstanceProfile": ("user", "ec2-001", False),
    "privesc4-CreateAccessKey": ("user", "iam-002", False),
    "privesc5-CreateLoginProfile": ("user", "iam-004", False),
    # UpdateLoginProfile needs a console password to update: the export says nothing of passwords
    "privesc6-UpdateLoginProfile": ("user", "iam-006", True),
    "privesc7-AttachUserPolicy": ("user", "iam-008", False),
    "privesc8-AttachGroupPolicy": ("user", "iam-010", False),
    # AttachRolePolicy / PutRolePolicy on itself: the role (the user can reach no role)
    "privesc9-AttachRolePolicy": ("role", "iam-009", False),
    "privesc10-PutUserPolicy": ("user", "iam-007", False),
    "privesc11-PutGroupPolicy": ("user", "iam-011", False),
    "privesc12-PutRolePolicy": ("role", "iam-005", False),
    "privesc13-AddUserToGroup": ("user", "iam-013", False),
    "privesc14-UpdatingAssumeRolePolicy": ("user", "iam-012", False),
    "privesc15-PassExistingRoleToNewLambdaThenInvoke": ("user", "lambda-001", False),
    "privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo": ("user", "lambda-002", True),
    "privesc17-EditExistingLambdaFunctionWithRole": ("user", "lambda-003", True),
    "privesc18-PassExistingRoleToNewGlueDevEndpoint": ("user", "glue-001", False),
    "privesc19-UpdateExistingGlueDevEndpoint": ("user", "glue-002", True),
    "privesc20-PassExistingRoleToCloudFormation": ("user", "cloudformation-001", False),
    "privesc21-PassExistingRoleToNewDataPipeline": ("user", "datapipeline-001", False),
    "privesc-AssumeRole-starting": ("role", "sts-001", False),
    "privesc-CloudFormationUpdateStack": ("user", "cloudformation-002", True),
    "privesc-codeBuildCreateProjectPassRole": ("user", "codebuild-001", False),
    "privesc-ec2InstanceConnect": ("user", "ec2instanceconnect-003", True),
    "privesc-sageMakerCreateNotebookPassRole": ("user", "sagemaker-001", False),
    "privesc-sageMakerCreatePresignedNotebookURL": ("user", "sagemaker-004", True),
    "privesc-sageMakerCreateProcessingJobPassRole": ("user", "sagemaker-003", True),
    "privesc-sageMakerCreateTrainingJobPassRole": ("user", "sagemaker-002", True),
    "privesc-sre": ("user", "iam-007", False),
    "privesc-ssmSendCommand": ("user", "ssm-002", True),
    "privesc-ssmStartSession": ("user", "ssm-001", True),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_iam_vulnerable_scenarios(vulnerable, scenario):
    kind, technique, conditional = SCENARIOS[scenario]
    found = _found(vulnerable[1])[f"{P}{kind}/{scenario}-{kind}"]
    assert found["Reaches"] == "admin"
    assert technique in found["Techniques"]
    assert found["Conditional"] is conditional
    assert bool(found["Requires"]) is conditional or technique == "iam-006"


def test_every_scenario_of_the_export_but_one_is_a_path(vulnerable):
    """The export holds 32 scenarios (a user and a role each): Rhino's 21 methods, ten more and a
    "real world" one (privesc-sre). Every one is a path but privesc2 (SetDefaultPolicyVersion),
    which needs a second, more powerful version of its policy: iam-vulnerable asks you to create
    it by hand after deploying, so the export has only v1, no version to switch to, and no path
    (test_set_default_policy_version_reaches_an_older_admin_version finds it once there is one)."""
    details = json.loads(DATA.read_text())
    scenarios = {u["UserName"].removesuffix("-user").removesuffix("-start") for u in details["UserDetailList"]
                 if u["UserName"].startswith("privesc")}
    assert len(scenarios) == 32
    found = {arn.rsplit("/", 1)[1].removesuffix("-user").removesuffix("-role") for arn in _found(vulnerable[1])}
    found = {"privesc-AssumeRole" if s.startswith("privesc-AssumeRole-") else s for s in found}
    assert scenarios - found == {"privesc2-SetExistingDefaultPolicyVersion"}
    assert {s.removesuffix("-starting") for s in SCENARIOS} == scenarios - {"privesc2-SetExistingDefaultPolicyVersion"}


@pytest.mark.parametrize("name", ["fn1-privesc3-partial", "fn2-exploitableResourceConstraint",
                                  "fn3-exploitableConditionConstraint", "fn4-exploitableNotAction"])
@pytest.mark.parametrize("kind", ["user", "role"])
def test_false_negative_cases_are_found(vulnerable, name, kind):
    """fn1: RunInstances + PassRole with no other EC2 permission; fn2: CreatePolicyVersion limited
    to policies named fn2-* (its own); fn3: a condition every present-day session meets
    (aws:TokenIssueTime after 2020); fn4: a NotAction that leaves iam:Put* open."""
    assert _found(vulnerable[1])[f"{P}{kind}/{name}-{kind}"]["Reaches"] == "admin"


@pytest.mark.parametrize("name", ["fp1-allow-and-deny", "fp2-allow-and-deny-multiple-policies", "fp3-deny-iam",
                                  "fp4-nonExploitableResourceConstraint", "fp5-nonExploitableConditionConstraint"])
@pytest.mark.parametrize("kind", ["user", "role"])
def test_false_positive_cases_are_not_flagged(vulnerable, name, kind):
    """fp1: Deny iam:* beside Allow iam:*; fp2: deny-all beside allow-all; fp3: Deny iam:*;
    fp4: CreatePolicyVersion only on AWS managed policies (which nobody can change); fp5: a
    condition only sessions issued before 2020 meet. None escalates, and none is an admin."""
    arn = f"{P}{kind}/{name}-{kind}"
    assert arn not in _found(vulnerable[1])
    assert arn not in {a["Arn"] for a in vulnerable[1]["Admins"]}


def test_admins_are_listed_apart(vulnerable):
    admins = {a["Arn"] for a in vulnerable[1]["Admins"]}
    assert admins == {f"{P}user/obama", f"{P}user/userwithlotsofpermissions",
                      f"{P}role/AWS-QuickSetup-StackSet-Local-ExecutionRole",
                      f"{P}role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc",
                      f"{P}role/OrganizationAccountAccessRole", f"{P}role/privesc-AssumeRole-ending-role",
                      f"{P}role/privesc-high-priv-service-role",
                      f"{P}role/stacksets-exec-b5520cb2730c2f54b523d6375a319abb"}
    assert not admins & set(_found(vulnerable[1]))


def test_a_multi_hop_path_is_listed_step_by_step(vulnerable):
    """privesc-AssumeRole: starting role -> intermediate role -> ending role (admin), each trust
    policy naming the previous role, so no identity policy is needed in the same account."""
    found = _found(vulnerable[1])[f"{P}role/privesc-AssumeRole-starting-role"]
    assert [(s["Principal"], s["Action"], s["Resource"]) for s in found["Steps"]] == [
        (f"{P}role/privesc-AssumeRole-starting-role", "sts:AssumeRole", f"{P}role/privesc-AssumeRole-intermediate-role"),
        (f"{P}role/privesc-AssumeRole-intermediate-role", "sts:AssumeRole", f"{P}role/privesc-AssumeRole-ending-role")]


def test_passrole_paths_show_the_service_assuming_the_role(vulnerable):
    found = _found(vulnerable[1])[f"{P}user/privesc3-CreateEC2WithExistingInstanceProfile-user"]
    assert [(s["Principal"].rsplit("/", 1)[-1], s["Action"]) for s in found["Steps"]] == [
        ("privesc3-CreateEC2WithExistingInstanceProfile-user", "iam:PassRole"),
        ("privesc3-CreateEC2WithExistingInstanceProfile-user", "ec2:RunInstances"),
        ("ec2.amazonaws.com", "sts:AssumeRole")]
    assert found["Steps"][0]["Context"] == {"iam:PassedToService": "ec2.amazonaws.com"}


def test_a_conditional_path_says_what_must_exist(vulnerable):
    found = _found(vulnerable[1])[f"{P}user/privesc17-EditExistingLambdaFunctionWithRole-user"]
    assert found["Requires"] == [f"a Lambda function running as {P}role/privesc-high-priv-service-role, "
                                 "invoked by something"]


def _simulate_args(step: dict) -> list[str]:
    who = step["Principal"]
    kind = "--user" if ":user/" in who else "--role"
    args = ["simulate", "principal", kind, who.rsplit("/", 1)[1], "-a", step["Action"], "-r", step["Resource"]]
    for key, value in step["Context"].items():
        args += ["-c", f"{key}={value}"]
    return args


def test_every_step_is_what_simulate_and_role_assume_decide(vulnerable, copy, iam):
    """Each step of every path, asked again the way a user would: `simulate principal` with the
    step's request and context; `role assume` for a role assumption (the trust policy decides
    too); `role assume --as-service` for a service taking up a passed role. (A role assumed under
    the trust policy its step before rewrites is checked by the replay, in order.)"""
    asked = set()
    for escalation in vulnerable[1]["Escalations"]:
        for before, step in zip([None, *escalation["Steps"]], escalation["Steps"], strict=False):
            if before and before["Action"] == "iam:UpdateAssumeRolePolicy" and before["Resource"] == step["Resource"]:
                continue  # assumes the role under the trust policy the step before writes: see the replay test
            if step["Action"] == "sts:AssumeRole" and not step["Principal"].startswith("arn:"):
                args = ("role", "assume", step["Resource"], "--as-service", step["Principal"])
            elif step["Action"] == "sts:AssumeRole":
                kind = "user" if ":user/" in step["Principal"] else "role"
                args = ("role", "assume", step["Resource"], "--as", f"{kind}/{step['Principal'].rsplit('/', 1)[1]}",
                        "--session-name", "check")
            else:
                args = tuple(_simulate_args(step))
            if args not in asked:
                asked.add(args)
                iam(*args, "-o", "json")
    assert len(asked) > 80


def test_replay_proves_every_unconditional_path_in_a_scratch_copy(copy, iam):
    before = sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if ".iamctl" not in p.parts)
    report = iam("analyze", "escalation", "--replay", "-o", "json").json()
    proofs = [(e["Principal"], e["Conditional"], e["Replay"]) for e in report["Escalations"]]
    assert all(r["Proved"] is True for _, conditional, r in proofs if not conditional), \
        [(p, r["Reason"]) for p, c, r in proofs if not c and not r["Proved"]]
    assert all(r["Proved"] is None and r["Reason"].startswith("conditional") for _, c, r in proofs if c)
    key = next(r for p, _, r in proofs if p.endswith("/privesc4-CreateAccessKey-user"))
    assert [s["Action"] for s in key["Steps"]] == ["iam:CreateAccessKey"]
    assert "signed a request with it" in key["Steps"][0]["Done"]
    assert key["EndState"].startswith(f"{P}user/obama: the engine allows every action")
    # the real directory is untouched
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if ".iamctl" not in p.parts) == before


def test_set_default_policy_version_reaches_an_older_admin_version(copy, iam, tmp_path):
    """Rhino's method 2: with a second version of the policy that grants everything (as
    iam-vulnerable's instructions set it up), SetDefaultPolicyVersion is a path, and it replays."""
    admin = tmp_path / "admin.json"
    admin.write_text(json.dumps({"Version": "2012-10-17",
                                 "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam("policy", "create-version", "privesc2-SetExistingDefaultPolicyVersion", "--document", str(admin))
    out = iam("analyze", "escalation", "--principal", "privesc2-SetExistingDefaultPolicyVersion-user",
              "--replay", "-o", "json").json()
    [found] = out["Escalations"]
    assert (found["Reaches"], found["Techniques"], found["Replay"]["Proved"]) == ("admin", ["rhino-2"], True)
    assert found["Replay"]["Steps"][0]["Done"] == \
        f"made v2 the default version of {P}policy/privesc2-SetExistingDefaultPolicyVersion"


def test_principal_option_takes_a_name_a_kind_and_name_or_an_arn(vulnerable, copy, iam):
    by_name = iam("analyze", "escalation", "--principal", "privesc10-PutUserPolicy-user", "-o", "json").json()
    by_kind = iam("analyze", "escalation", "--principal", "role/privesc12-PutRolePolicy-role", "-o", "json").json()
    by_arn = iam("analyze", "escalation", "--principal", f"{P}user/obama", "-o", "json").json()
    assert [e["Principal"] for e in by_name["Escalations"]] == [f"{P}user/privesc10-PutUserPolicy-user"]
    assert [e["Principal"] for e in by_kind["Escalations"]] == [f"{P}role/privesc12-PutRolePolicy-role"]
    assert by_arn["Escalations"] == []  # an admin has nothing to escalate to
    r = iam("analyze", "escalation", "--principal", "nobody", expect=1)
    assert r.stderr == f"iamctl: error: NoSuchEntity: no user or role named nobody in account {ACCOUNT}\n"
