"""`iamctl analyze who-can`: every principal a request is allowed for, how, and on what conditions.

Each answer is the engine's (README, "Account-wide analysis"); these tests pin what a user sees:
direct answers, chains of role assumption decided on both sides ("Methods to assume a role",
"Role chaining"), trust from other accounts and from OIDC providers ("Cross-account policy
evaluation logic", "Create a role for OpenID Connect federation"), and conditional answers
naming the condition the policy holds ("IAM JSON policy elements: Condition").
"""

from __future__ import annotations

import pytest

from .policy_docs import ACCOUNT, OTHER, allow, arn, doc


@pytest.fixture
def write(tmp_path):
    counter = iter(range(10_000))

    def write(text: str) -> str:
        path = tmp_path / f"doc{next(counter)}.json"
        path.write_text(text)
        return str(path)

    return write


@pytest.fixture
def account(iam):
    iam("init", "--account-id", ACCOUNT)
    return iam


def who(iam, *args: str) -> dict[str, dict]:
    out = iam("analyze", "who-can", *args, "-o", "json").json()
    return {p["Arn"]: p for p in out["Principals"]}



def test_direct_answers_list_allowed_users_and_roles_with_their_deciding_statements(account, write):
    iam = account
    iam("policy", "create", "Read", "--document", write(doc(allow("s3:GetObject", "arn:aws:s3:::data/*", Sid="R"))))
    for name in ("alice", "bob"):
        iam("user", "create", name)
    iam("user", "attach-policy", "alice", f"arn:aws:iam::{ACCOUNT}:policy/Read")
    iam("role", "create", "reader", "--trust-service", "ec2.amazonaws.com")
    iam("role", "attach-policy", "reader", f"arn:aws:iam::{ACCOUNT}:policy/Read")
    found = who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::data/report.csv")
    assert set(found) == {arn("user", "alice"), arn("role", "reader"), "ec2.amazonaws.com"}
    alice = found[arn("user", "alice")]
    assert (alice["Type"], alice["Decision"], alice["Via"], alice["Conditions"]) == ("User", "allowed", [], [])
    assert alice["MatchedStatements"] == [{"policy": f"arn:aws:iam::{ACCOUNT}:policy/Read", "sid": "R",
                                           "effect": "Allow", "index": 0}]
    ec2 = found["ec2.amazonaws.com"]
    assert ec2["Type"] == "Service" and [h["To"] for h in ec2["Via"]] == [arn("role", "reader")]


def test_an_explicit_deny_or_a_boundary_removes_a_principal(account, write):
    """"Policy evaluation logic": an explicit Deny in any policy wins; "Permissions boundaries"."""
    iam = account
    for name in ("open", "denied", "bounded"):
        iam("user", "create", name)
        iam("user", "put-policy", name, "All", "--document", write(doc(allow("s3:*"))))
    iam("user", "put-policy", "denied", "No", "--document", write(doc({"Effect": "Deny", "Action": "s3:Delete*",
                                                                       "Resource": "*"})))
    iam("user", "update", "bounded", "--permissions-boundary", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    found = who(iam, "-a", "s3:DeleteBucket", "-r", "arn:aws:s3:::data")
    assert set(found) == {arn("user", "open")}


def test_a_chain_of_role_assumptions_is_listed_hop_by_hop(account, write):
    """Role chaining ("Roles terms and concepts"): a user who can assume a role that can assume the
    role that may make the request is listed, with both hops decided on both sides."""
    iam = account
    iam("user", "create", "carol")
    iam("role", "create", "first", "--trust-user", arn("user", "carol"))
    iam("role", "create", "second", "--trust-user", arn("role", "first"))
    iam("role", "put-policy", "second", "Delete", "--document", write(doc(allow("s3:DeleteBucket"))))
    found = who(iam, "-a", "s3:DeleteBucket", "-r", "arn:aws:s3:::data")
    carol = found[arn("user", "carol")]
    assert carol["Decision"] == "allowed"
    assert [(h["From"], h["To"], h["Decision"]) for h in carol["Via"]] == [
        (arn("user", "carol"), arn("role", "first"), "allowed"), (arn("role", "first"), arn("role", "second"), "allowed")]
    # the hop is decided by the trust policy: the deciding statement is the trust policy's
    assert carol["Via"][0]["MatchedStatements"][0]["policy"] == "role/first trust policy"
    assert found[arn("role", "first")]["Via"][0]["To"] == arn("role", "second")


def test_trusting_the_account_needs_the_callers_own_allow(account, write):
    """"Principal": an account in a trust policy delegates to that account's policies: only callers
    whose identity-based policies allow sts:AssumeRole on the role get in."""
    iam = account
    iam("user", "create", "dave")
    iam("user", "create", "erin")
    iam("user", "put-policy", "dave", "Assume", "--document", write(doc(allow("sts:AssumeRole", arn("role", "ops")))))
    iam("role", "create", "ops", "--trust-account", ACCOUNT)
    iam("role", "put-policy", "ops", "Run", "--document", write(doc(allow("ec2:RunInstances"))))
    found = who(iam, "-a", "ec2:RunInstances")
    assert arn("user", "dave") in found and arn("user", "erin") not in found


def test_a_trust_policy_requiring_mfa_makes_the_answer_conditional_on_mfa(account, write):
    """The IAM User Guide's "require MFA to assume a role" trust policy (aws:MultiFactorAuthPresent)."""
    iam = account
    iam("user", "create", "frank")
    iam("user", "put-policy", "frank", "Assume", "--document", write(doc(allow("sts:AssumeRole"))))
    iam("role", "create", "admin", "--trust-account", ACCOUNT, "--require-mfa")
    iam("role", "attach-policy", "admin", "arn:aws:iam::aws:policy/AdministratorAccess")
    frank = who(iam, "-a", "iam:CreateUser")[arn("user", "frank")]
    assert frank["Decision"] == "conditional"
    [cond] = frank["Conditions"]
    assert (cond["Key"], cond["Operator"], cond["Values"], cond["Summary"], cond["Needs"]) == (
        "aws:MultiFactorAuthPresent", "Bool", ["true"], "only with MFA", "mfa")
    assert frank["Via"][0]["Conditions"] == frank["Conditions"]


def test_a_source_ip_condition_is_reported_as_where_the_request_must_come_from(account, write):
    """The IAM User Guide's "deny access based on the source IP" example, as an Allow condition."""
    iam = account
    iam("user", "create", "gina")
    iam("user", "put-policy", "gina", "Office", "--document", write(doc(allow(
        "s3:PutObject", "arn:aws:s3:::data/*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))))
    gina = who(iam, "-a", "s3:PutObject", "-r", "arn:aws:s3:::data/x")[arn("user", "gina")]
    assert gina["Decision"] == "conditional"
    assert [c["Summary"] for c in gina["Conditions"]] == ["only from 203.0.113.0/24"]
    # the witness value is one the engine allowed: the same request with it is allowed
    value = gina["Conditions"][0]["Value"]
    iam("simulate", "principal", "--user", "gina", "-a", "s3:PutObject", "-r", "arn:aws:s3:::data/x",
        "-c", f"aws:SourceIp={value}")
    iam("simulate", "principal", "--user", "gina", "-a", "s3:PutObject", "-r", "arn:aws:s3:::data/x", expect=3)


def test_a_deny_outside_an_address_range_is_avoided_from_inside_it(account, write):
    """A Deny with NotIpAddress ("Condition operators": negated operators) makes the answer
    conditional on coming from the range, not empty."""
    iam = account
    iam("user", "create", "hank")
    iam("user", "put-policy", "hank", "All", "--document", write(doc(
        allow("s3:*"), {"Effect": "Deny", "Action": "*", "Resource": "*",
                        "Condition": {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}})))
    hank = who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::data/x")[arn("user", "hank")]
    assert hank["Decision"] == "conditional"
    [cond] = hank["Conditions"]
    assert (cond["Effect"], cond["Operator"], cond["Summary"]) == ("Deny", "NotIpAddress", "only from 198.51.100.0/24")


def test_an_oidc_trust_is_conditional_on_the_token_claims_it_requires(account, write):
    """"Create a role for OpenID Connect federation": GitHub Actions' `sub` claim condition."""
    iam = account
    iam("role", "provider", "create-oidc", "--url", "https://token.actions.githubusercontent.com",
        "--client-id", "sts.amazonaws.com")
    iam("role", "create", "gha", "--trust-oidc", "token.actions.githubusercontent.com",
        "--condition", "token.actions.githubusercontent.com:aud=sts.amazonaws.com",
        "--condition", "StringLike token.actions.githubusercontent.com:sub=repo:org/app:*")
    iam("role", "put-policy", "gha", "Deploy", "--document", write(doc(allow("s3:PutObject"))))
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    gha = who(iam, "-a", "s3:PutObject", "-r", "arn:aws:s3:::site/index.html")[provider]
    assert (gha["Type"], gha["Decision"], gha["Via"][0]["Action"]) == (
        "WebIdentity", "conditional", "sts:AssumeRoleWithWebIdentity")
    assert sorted(c["Summary"] for c in gha["Conditions"]) == [
        "only when token.actions.githubusercontent.com:aud is sts.amazonaws.com",
        "only when token.actions.githubusercontent.com:sub matches repo:org/app:*"]


def test_a_session_condition_that_a_present_day_session_meets(account, write):
    """aws:TokenIssueTime is present only for temporary credentials ("AWS global condition context
    keys"): long-term keys are refused, any session issued now is allowed."""
    iam = account
    iam("user", "create", "ivy")
    iam("user", "put-policy", "ivy", "Recent", "--document", write(doc(allow(
        "s3:GetObject", Condition={"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}))))
    iam("user", "create", "jack")
    iam("user", "put-policy", "jack", "Old", "--document", write(doc(allow(
        "s3:GetObject", Condition={"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}))))
    found = who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::data/x")
    assert [c["Needs"] for c in found[arn("user", "ivy")]["Conditions"]] == ["session"]
    assert arn("user", "jack") not in found  # no session issued now can have been issued before 2020


def test_other_accounts_and_cross_account_chains(account, write):
    """"Cross-account policy evaluation logic": a role trusting another account is reachable by
    that account's principals whose own policies allow it; --all-accounts asks them too."""
    iam = account
    iam("role", "create", "audit", "--trust-account", OTHER)
    iam("role", "put-policy", "audit", "Read", "--document", write(doc(allow("s3:GetObject"))))
    outside = who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::logs/x")[f"arn:aws:iam::{OTHER}:root"]
    assert outside["Type"] == "Account" and outside["Decision"] == "conditional"
    assert "whose own policies allow sts:AssumeRole" in outside["Conditions"][-1]["Summary"]

    iam("init", "--account-id", OTHER)
    iam("--account", OTHER, "user", "create", "kim")
    iam("--account", OTHER, "user", "put-policy", "kim", "Hop", "--document",
        write(doc(allow("sts:AssumeRole", arn("role", "audit")))))
    iam("--account", OTHER, "user", "create", "lee")
    found = who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::logs/x", "--all-accounts")
    kim = found[arn("user", "kim", OTHER)]
    assert kim["Decision"] == "allowed" and kim["Via"][0]["To"] == arn("role", "audit")
    assert arn("user", "lee", OTHER) not in found
    # without --all-accounts, the other account's users are not asked
    assert arn("user", "kim", OTHER) not in who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::logs/x")


def test_sts_assume_role_on_a_role_is_decided_with_its_trust_policy(account, write):
    """For sts:AssumeRole the role's trust policy is the resource policy ("Roles terms and
    concepts"), as `role assume` decides it."""
    iam = account
    iam("user", "create", "mia")
    iam("user", "create", "ned")
    iam("role", "create", "deploy", "--trust-user", arn("user", "mia"))
    found = who(iam, "-a", "sts:AssumeRole", "-r", arn("role", "deploy"))
    assert set(found) == {arn("user", "mia")}
    iam("role", "assume", "deploy", "--as", "user/mia", "--session-name", "s1")
    iam("role", "assume", "deploy", "--as", "user/ned", "--session-name", "s1", expect=1)
    iam("simulate", "principal", "--user", "mia", "-a", "sts:AssumeRole", "-r", arn("role", "deploy"))
    iam("simulate", "principal", "--user", "ned", "-a", "sts:AssumeRole", "-r", arn("role", "deploy"), expect=3)


def test_context_given_on_the_command_line_applies_to_every_request(account, write):
    iam = account
    iam("user", "create", "olga")
    iam("user", "put-policy", "olga", "Office", "--document", write(doc(allow(
        "s3:PutObject", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))))
    assert who(iam, "-a", "s3:PutObject", "-c", "aws:SourceIp=203.0.113.9")[arn("user", "olga")]["Decision"] == "allowed"
    assert arn("user", "olga") not in who(iam, "-a", "s3:PutObject", "-c", "aws:SourceIp=192.0.2.1")


def test_table_and_text_show_principal_decision_route_and_conditions(account, write):
    iam = account
    iam("user", "create", "pat")
    iam("role", "create", "r1", "--trust-user", arn("user", "pat"), "--require-mfa")
    iam("role", "put-policy", "r1", "All", "--document", write(doc(allow("s3:*"))))
    text = iam("analyze", "who-can", "-a", "s3:GetObject", "-o", "text").stdout.splitlines()
    assert f"{arn('user', 'pat')}\tUser\tconditional\t{arn('role', 'r1')}\tonly with MFA\t" in "\n".join(text)
    table = iam("analyze", "who-can", "-a", "s3:GetObject", "-o", "table", env={"COLUMNS": "400"}).stdout
    assert "only with MFA" in table and "conditional" in table


@pytest.mark.parametrize(("args", "code", "message"), [
    (("-a", "s3:Get*"), 1, "InvalidInput: action 's3:Get*' must be one action"),
    (("-a", "s3:GetObject", "-c", "novalue"), 2, "'novalue' must be written KEY=VALUE"),
    (("-a", "s3:GetObject", "--account", ACCOUNT, "--all-accounts"), 2, "--account or --all-accounts"),
    (("-a", "s3:GetObject", "--account", "999999999999"), 1, "NoSuchEntity"),
])
def test_bad_input_is_one_line_and_no_output(account, args, code, message):
    r = account("analyze", "who-can", *args, expect=code)
    assert r.stdout == "" and message in r.stderr and "Traceback" not in r.stderr


def test_a_hop_that_needs_session_tags_needs_sts_tag_session_too(account, write):
    """"Passing session tags in AWS STS": a trust policy that reads aws:RequestTag is met only by
    passing tags, which needs sts:TagSession allowed as well, as `role assume --tag` decides."""
    iam = account
    for name in ("quinn", "rita"):
        iam("user", "create", name)
    tagged = {"StringEquals": {"aws:RequestTag/project": "blue"}}
    iam("role", "create", "blue", "--trust-policy", write(doc(
        {"Effect": "Allow", "Principal": {"AWS": arn("user", "quinn")}, "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Condition": tagged},
        {"Effect": "Allow", "Principal": {"AWS": arn("user", "rita")}, "Action": "sts:AssumeRole", "Condition": tagged})))
    iam("role", "put-policy", "blue", "Read", "--document", write(doc(allow("s3:GetObject"))))
    found = who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::blue/x")
    quinn = found[arn("user", "quinn")]
    assert [c["Summary"] for c in quinn["Conditions"]] == ["only when aws:RequestTag/project is blue"]
    assert arn("user", "rita") not in found  # her trust statement grants no sts:TagSession
    iam("role", "assume", "blue", "--as", "user/quinn", "--session-name", "q1", "--tag", "project=blue")
    iam("role", "assume", "blue", "--as", "user/rita", "--session-name", "r1", "--tag", "project=blue", expect=1)


def test_a_resource_control_policy_closes_the_door_to_callers_outside_the_organization(account, write):
    """AWS Organizations User Guide, "Resource control policies (RCPs)": an RCP limits access to
    the member account's resources whoever calls, principals outside the organization included
    (a data perimeter on aws:PrincipalOrgID). who-can's outside callers are decided with it."""
    iam = account
    iam("role", "create", "audit", "--trust-account", OTHER)
    iam("role", "put-policy", "audit", "Read", "--document", write(doc(allow("s3:GetObject"))))
    assert f"arn:aws:iam::{OTHER}:root" in who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::logs/x")

    management = "999988887777"
    iam("init", "--account-id", management)
    org_id = iam("org", "create", "--management-account", management, "-o", "json").json()["Organization"]["Id"]
    perimeter = {"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlyOurOrganization", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
        "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id}}}]}
    import json

    iam("org", "policy", "create", "Perimeter", "--type", "rcp", "--document", write(json.dumps(perimeter)))
    iam("org", "policy", "attach", "Perimeter", "--target", ACCOUNT)
    assert f"arn:aws:iam::{OTHER}:root" not in who(iam, "-a", "s3:GetObject", "-r", "arn:aws:s3:::logs/x")
