"""`iamctl role ...` end to end: what a user types and sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"
A, B = "111122223333", "444455556666"
GH = "token.actions.githubusercontent.com"


@pytest.fixture
def two_accounts(iam):
    iam("init", "--account-id", A)
    iam("init", "--account-id", B)
    return iam


def write(tmp_path: Path, name: str, payload) -> str:
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return str(path)


def test_create_with_shorthands_shows_the_written_trust_policy(two_accounts):
    out = two_accounts("role", "create", "deploy", "--trust-account", B, "--require-mfa",
                       "--max-session-duration", "7200", "-o", "json").json()["Role"]
    assert out["Arn"] == f"arn:aws:iam::{A}:role/deploy"
    assert out["MaxSessionDuration"] == 7200
    assert out["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_create_refuses_a_trust_policy_granting_other_actions(iam, tmp_path):
    bad = write(tmp_path, "t.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject"}]})
    r = iam("role", "create", "r", "--trust-policy", bad, expect=1)
    assert r.stderr.startswith("iamctl: error: MalformedPolicyDocument: statement #1: AssumeRolepolicy contained")
    assert r.stdout == ""


def test_assume_prints_credentials_once_and_sessions_never_shows_secrets(two_accounts):
    iam = two_accounts
    iam("user", "create", "bob")
    iam("role", "create", "deploy", "--trust-user", f"arn:aws:iam::{A}:user/bob")
    creds = iam("role", "assume", "deploy", "--as", "user/bob", "--session-name", "bob", "-o", "json").json()
    assert creds["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/deploy/bob"
    key = creds["Credentials"]["AccessKeyId"]
    assert key.startswith("ASIA") and len(creds["Credentials"]["SecretAccessKey"]) == 40
    listed = iam("role", "sessions", "deploy", "-o", "json")
    assert json.loads(listed.stdout)["Sessions"][0]["AccessKeyId"] == key
    assert creds["Credentials"]["SecretAccessKey"] not in listed.stdout
    assert creds["Credentials"]["SessionToken"] not in listed.stdout


def test_refusal_says_which_side_refused_and_exits_1(two_accounts):
    iam = two_accounts
    iam("user", "create", "bob")
    iam("role", "create", "deploy", "--trust-user", f"arn:aws:iam::{A}:user/alice")
    r = iam("role", "assume", "deploy", "--as", "user/bob", "--session-name", "bob", expect=1)
    assert r.stderr.startswith(
        f"iamctl: error: AccessDenied: role/deploy's trust policy does not allow arn:aws:iam::{A}:user/bob: ")
    assert len(r.stderr.splitlines()) == 1 and r.stdout == ""


def test_cross_account_assume_with_the_account_option(two_accounts, tmp_path):
    """User in A, role in B trusting A: A's policy must allow sts:AssumeRole on B's role as well."""
    iam = two_accounts
    iam("--account", B, "role", "create", "deploy", "--trust-account", A)
    iam("user", "create", "bob")
    role_b = f"arn:aws:iam::{B}:role/deploy"
    r = iam("role", "assume", role_b, "--as", "user/bob", "--session-name", "bob", expect=1)
    assert f"bob's identity-based policies do not allow sts:AssumeRole on {role_b}" in r.stderr
    allow = write(tmp_path, "p.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_b}]})
    iam("user", "put-policy", "bob", "assume-b", "--document", allow)
    creds = iam("role", "assume", role_b, "--as", "user/bob", "--session-name", "bob", "-o", "json").json()
    assert creds["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{B}:assumed-role/deploy/bob"
    assert len(iam("--account", B, "role", "sessions", "deploy", "-o", "json").json()["Sessions"]) == 1


def test_role_chaining_through_a_session_token_on_stdin(two_accounts):
    iam = two_accounts
    iam("user", "create", "bob")
    iam("role", "create", "first", "--trust-user", f"arn:aws:iam::{A}:user/bob", "--max-session-duration", "43200")
    iam("role", "create", "second", "--trust-user", f"arn:aws:iam::{A}:role/first",
        "--max-session-duration", "43200")
    printed = iam("role", "assume", "first", "--as", "user/bob", "--session-name", "one", "-o", "json").stdout
    r = iam("role", "assume", "second", "--as", "session", "--session-name", "two", "--duration", "7200",
            input=printed, expect=1)
    assert "1 hour session limit for roles assumed by role chaining" in r.stderr
    iam("role", "assume", "second", "--as", "session", "--session-name", "two", input=printed)
    creds = json.loads(printed)["Credentials"]  # or three lines: key id, secret, token
    lines = f"{creds['AccessKeyId']}\n{creds['SecretAccessKey']}\n{creds['SessionToken']}\n"
    iam("role", "assume", "second", "--as", "session", "--session-name", "three", input=lines)


def test_as_service_answers_without_credentials(iam):
    iam("role", "create", "ec2", "--trust-service", "ec2.amazonaws.com")
    assert iam("role", "assume", "ec2", "--as-service", "ec2.amazonaws.com", "-o", "json").json()["Decision"] == \
        "allowed"
    r = iam("role", "assume", "ec2", "--as-service", "lambda.amazonaws.com", expect=1)
    assert "role/ec2's trust policy does not allow lambda.amazonaws.com" in r.stderr


def test_revoke_sessions_shows_in_the_roles_inline_policies(iam):
    iam("role", "create", "ec2", "--trust-service", "ec2.amazonaws.com")
    out = iam("role", "revoke-sessions", "ec2", "-o", "json").json()
    assert out["PolicyName"] == "AWSRevokeOlderSessions"
    assert iam("role", "list-policies", "ec2", "-o", "json").json() == {"PolicyNames": ["AWSRevokeOlderSessions"]}
    doc = iam("role", "get-policy", "ec2", "AWSRevokeOlderSessions", "-o", "json").json()["PolicyDocument"]
    assert doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == out["SessionsRevokedBefore"]


def test_delete_conflict_then_force(iam):
    iam("role", "create", "web", "--trust-service", "ec2.amazonaws.com")
    iam("role", "instance-profile", "create", "web")
    iam("role", "instance-profile", "add-role", "web", "web")
    iam("role", "create", "other", "--trust-service", "ec2.amazonaws.com")
    r = iam("role", "instance-profile", "add-role", "web", "other", expect=1)
    assert "LimitExceeded: Cannot exceed quota for InstanceProfileRolesQuota: 1." in r.stderr
    r = iam("role", "delete", "web", expect=1)
    assert "DeleteConflict: Cannot delete entity, must remove roles from instance profile first." in r.stderr
    iam("role", "delete", "web", "--force")
    assert iam("role", "instance-profile", "show", "web", "-o", "json").json()["InstanceProfile"]["Roles"] == []


@pytest.mark.parametrize("fmt", ["json", "text", "table"])
def test_list_shows_the_same_role_in_every_format(iam, fmt):
    iam("role", "create", "deploy", "--trust-service", "ec2.amazonaws.com", "--path", "/svc/")
    role_id = iam("role", "list", "-o", "json").json()["Roles"][0]["RoleId"]
    out = iam("role", "list", "-o", fmt).stdout
    assert "deploy" in out and "/svc/" in out and role_id in out and "\x1b[" not in out


def github_files(tmp_path: Path, sub: str, *, sign_with_other_key: bool = False):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", alg="RS256")
    signer = rsa.generate_private_key(public_exponent=65537, key_size=2048) if sign_with_other_key else key
    token = jwt.encode({"iss": f"https://{GH}", "sub": sub, "aud": "sts.amazonaws.com",
                        "exp": 4102444800}, signer, algorithm="RS256", headers={"kid": "k1"})
    return write(tmp_path, "jwks.json", {"keys": [jwk]}), write(tmp_path, "token.jwt", token)


def github_role(iam, jwks: str) -> None:
    iam("role", "provider", "create-oidc", "--url", f"https://{GH}", "--client-id", "sts.amazonaws.com",
        "--jwks", jwks)
    iam("role", "create", "gha", "--trust-oidc", GH,
        "--condition", f"{GH}:aud=sts.amazonaws.com",
        "--condition", f"StringLike {GH}:sub=repo:org/repo:ref:refs/heads/main")


def test_github_actions_token_for_main_gets_credentials(iam, tmp_path):
    jwks, token = github_files(tmp_path, "repo:org/repo:ref:refs/heads/main")
    github_role(iam, jwks)
    out = iam("role", "assume-web-identity", "gha", "--token", token, "--session-name", "ci", "-o", "json").json()
    assert out["SignatureVerified"] is True
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/gha/ci")
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_github_actions_token_for_another_branch_is_refused_with_the_condition(iam, tmp_path):
    jwks, token = github_files(tmp_path, "repo:org/repo:ref:refs/heads/dev")
    github_role(iam, jwks)
    r = iam("role", "assume-web-identity", "gha", "--token", token, "--session-name", "ci", expect=1)
    assert "AccessDenied: role/gha's trust policy does not allow" in r.stderr
    assert "request value repo:org/repo:ref:refs/heads/dev" in r.stderr


def test_github_actions_token_with_a_forged_signature_is_refused(iam, tmp_path):
    jwks, token = github_files(tmp_path, "repo:org/repo:ref:refs/heads/main", sign_with_other_key=True)
    github_role(iam, jwks)
    r = iam("role", "assume-web-identity", "gha", "--token", token, "--session-name", "ci", expect=1)
    assert "InvalidIdentityToken" in r.stderr and "signature" in r.stderr


def test_claims_dry_run_gives_a_decision_and_no_credentials(iam, tmp_path):
    jwks, _ = github_files(tmp_path, "x")
    github_role(iam, jwks)
    claims = write(tmp_path, "claims.json", {"iss": f"https://{GH}", "aud": "sts.amazonaws.com",
                                             "sub": "repo:org/repo:ref:refs/heads/main"})
    out = iam("role", "assume-web-identity", "gha", "--claims", claims, "--session-name", "ci", "-o", "json").json()
    assert out["NoCredentials"] == "dry run (--claims)" and "Credentials" not in out
    providers = iam("role", "provider", "list", "-o", "json").json()["Providers"]
    assert providers[0]["Arn"] == f"arn:aws:iam::{iam('account', 'show', '-o', 'json').json()['Account']['AccountId']}:oidc-provider/{GH}"


def test_assume_with_mfa_code_and_a_wrong_code_is_refused_after_being_recorded(iam, account_dir):
    from iamctl.core.base import clock
    from iamctl.core.credentials import mfa, totp
    from iamctl.core.store.directory import Store

    iam("init", "--account-id", A)
    iam("user", "create", "bob")
    iam("role", "create", "admin", "--trust-user", f"arn:aws:iam::{A}:user/bob", "--require-mfa")
    now = clock.now()
    with Store(account_dir).write() as txn:  # the device, set up through the MFA core
        new = mfa.create_virtual_mfa_device(txn, "bob-phone")
        mfa.enable_mfa_device(txn, "bob", new.device.serial, totp.code_at(new.seed, now - 60),
                              totp.code_at(new.seed, now - 30))
    r = iam("role", "assume", "admin", "--as", "user/bob", "--session-name", "bob", "--mfa-code", "000000", expect=1)
    assert "AccessDenied: MultiFactorAuthentication failed with invalid MFA one time pass code." in r.stderr
    code = totp.code_at(new.seed, now)
    iam("role", "assume", "admin", "--as", "user/bob", "--session-name", "bob", "--mfa-code", code)
    r = iam("role", "assume", "admin", "--as", "user/bob", "--session-name", "bob", "--mfa-code", code, expect=1)
    assert "already used" in r.stderr


# -- trust policies: one grammar, validate's findings (issues 15, 19.3, 20.5) ------------------


def test_a_trust_policy_anyone_can_assume_is_created_with_validates_warning_on_stderr(iam, tmp_path):
    """Issue 19.3: "Principal": "*" (or {"AWS": "*"}) with no condition lets anyone assume the
    role; `role create` and `update-trust-policy` print validate's finding, as `policy create` does."""
    for n, principal in enumerate(("*", {"AWS": "*"})):
        open_trust = write(tmp_path, f"open{n}.json", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})
        r = iam("role", "create", f"open{n}", "--trust-policy", open_trust, "-o", "json")
        assert r.json()["Role"]["RoleName"] == f"open{n}"
        assert "SECURITY_WARNING PUBLIC_ACCESS_WITHOUT_CONDITION at $.Statement[0].Principal" in r.stderr
        assert "anyone, in any account, can assume this role" in r.stderr
    iam("role", "create", "closed", "--trust-service", "ec2.amazonaws.com")
    r = iam("role", "update-trust-policy", "closed", "--trust-policy", open_trust)
    assert "PUBLIC_ACCESS_WITHOUT_CONDITION" in r.stderr
    quiet = iam("role", "create", "quiet", "--trust-service", "ec2.amazonaws.com")
    assert quiet.stderr == ""


def test_not_principal_is_refused_in_a_trust_policy(iam, tmp_path):
    """Issue 20.5; "NotPrincipal": you cannot use it "in an IAM role trust policy", and it "must be
    used with "Effect":"Deny"": refused at create (MalformedPolicyDocument), with Allow or Deny."""
    for effect in ("Allow", "Deny"):
        trust = write(tmp_path, f"{effect}.json", {"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:user/bob"}, "Action": "sts:AssumeRole"}]})
        r = iam("role", "create", f"np-{effect}", "--trust-policy", trust, expect=1)
        assert r.stderr.startswith("iamctl: error: MalformedPolicyDocument: statement #1: NotPrincipal cannot be "
                                   "used in a role trust policy")
        iam("role", "show", f"np-{effect}", expect=1)
    iam("role", "create", "ok", "--trust-service", "ec2.amazonaws.com")
    r = iam("role", "update-trust-policy", "ok", "--trust-policy", trust, expect=1)
    assert "NOT_PRINCIPAL_IN_TRUST_POLICY" in r.stderr


def test_trust_actions_are_the_grammars_in_create_and_validate(iam, tmp_path):
    """One grammar (issue 15): a trust policy granting sts:SetContext (an STS action on a role)
    is accepted by `role create` as by `policy validate --policy-type trust`; one granting sts:*
    is refused by both."""
    set_context = write(tmp_path, "ctx.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
         "Action": ["sts:AssumeRole", "sts:SetContext"]}]})
    assert iam("policy", "validate", set_context, "--policy-type", "trust", "-o", "json").json() == {"Findings": []}
    iam("role", "create", "tip", "--trust-policy", set_context)
    broad = write(tmp_path, "broad.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:*"}]})
    v = iam("policy", "validate", broad, "--policy-type", "trust", "-o", "json", expect=3)
    assert [f["IssueCode"] for f in v.json()["Findings"]] == ["UNSUPPORTED_ACTION_IN_TRUST_POLICY"]
    r = iam("role", "create", "broad", "--trust-policy", broad, expect=1)
    assert "UNSUPPORTED_ACTION_IN_TRUST_POLICY" in r.stderr
