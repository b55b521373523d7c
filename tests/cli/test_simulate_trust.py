"""`simulate principal` and `role assume` agree on every role assumption (issue 19.2).

For sts:AssumeRole on a role of the account directory (this account or another one of the
directory), the role's trust policy is the resource policy ("Roles terms and concepts": role
trust policy; "Cross-account policy evaluation logic"): `simulate` decides it with the decision
`role assume` makes (iamctl.core.authz.principals.authorize_assume). Each case below is one of the
role and STS tests' situations (tests/cli/test_role.py, tests/core/credentials/test_sts.py), run
through both commands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

A, B = "111122223333", "444455556666"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trusting(principal: dict, **condition) -> dict:
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return doc(st)


ALLOW_ANY = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
DENY_ANY = doc({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"})
BOB = f"arn:aws:iam::{A}:user/bob"


@dataclass
class Case:
    id: str
    trust: dict
    allowed: bool
    role_account: str = A
    bob_policy: dict | None = None
    external_id: str | None = None
    session_name: str = "bob-session"
    why: str = field(default="")


CASES = [
    Case("trust-names-bob", trusting({"AWS": BOB}), True,
         why="same account, the trust names the caller: no identity-based allow is needed"),
    Case("trust-names-account-no-identity-allow", trusting({"AWS": f"arn:aws:iam::{A}:root"}), False,
         why="an account principal delegates: the caller's own policies must allow"),
    Case("trust-names-account-with-identity-allow", trusting({"AWS": f"arn:aws:iam::{A}:root"}), True,
         bob_policy=ALLOW_ANY),
    Case("trust-names-someone-else", trusting({"AWS": f"arn:aws:iam::{A}:user/alice"}), False,
         bob_policy=ALLOW_ANY),
    Case("explicit-deny-beats-trust", trusting({"AWS": BOB}), False, bob_policy=DENY_ANY),
    Case("service-only-trust", trusting({"Service": "ec2.amazonaws.com"}), False, bob_policy=ALLOW_ANY,
         why="the issue's example: simulate said allowed, role assume refused"),
    Case("open-trust-with-identity-allow", trusting("*"), True, bob_policy=ALLOW_ANY),
    Case("mfa-trust-long-term-keys", trusting({"AWS": f"arn:aws:iam::{A}:root"},
                                              Bool={"aws:MultiFactorAuthPresent": "true"}), False,
         bob_policy=ALLOW_ANY),
    Case("session-name-condition-met", trusting({"AWS": BOB}, StringEquals={"sts:RoleSessionName": "bob-session"}),
         True),
    Case("session-name-condition-unmet", trusting({"AWS": BOB}, StringEquals={"sts:RoleSessionName": "admin"}),
         False),
    Case("cross-account-both-sides", trusting({"AWS": f"arn:aws:iam::{A}:root"}), True, role_account=B,
         bob_policy=doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{B}:role/deploy"})),
    Case("cross-account-no-identity-allow", trusting({"AWS": BOB}), False, role_account=B,
         why="across accounts the caller's policies must allow, whatever the trust names"),
    Case("cross-account-other-account-trusted", trusting({"AWS": "arn:aws:iam::999988887777:root"}), False,
         role_account=B, bob_policy=ALLOW_ANY),
    Case("cross-account-external-id-right", trusting({"AWS": f"arn:aws:iam::{A}:root"},
                                                     StringEquals={"sts:ExternalId": "12345"}), True,
         role_account=B, bob_policy=ALLOW_ANY, external_id="12345"),
    Case("cross-account-external-id-wrong", trusting({"AWS": f"arn:aws:iam::{A}:root"},
                                                     StringEquals={"sts:ExternalId": "12345"}), False,
         role_account=B, bob_policy=ALLOW_ANY, external_id="54321"),
    Case("cross-account-external-id-missing", trusting({"AWS": f"arn:aws:iam::{A}:root"},
                                                       StringEquals={"sts:ExternalId": "12345"}), False,
         role_account=B, bob_policy=ALLOW_ANY),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_simulate_principal_agrees_with_role_assume(iam, tmp_path, case: Case) -> None:
    iam("init", "--account-id", A)
    iam("init", "--account-id", B)
    iam("user", "create", "bob")
    if case.bob_policy is not None:
        iam("user", "put-policy", "bob", "p", "--document", "-", input=json.dumps(case.bob_policy))
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(case.trust))
    iam("--account", case.role_account, "role", "create", "deploy", "--trust-policy", str(trust))
    role = f"arn:aws:iam::{case.role_account}:role/deploy"

    assume = ["role", "assume", role, "--as", "user/bob", "--session-name", case.session_name, "-o", "json"]
    if case.external_id is not None:
        assume += ["--external-id", case.external_id]
    assumed = iam(*assume, expect=None)
    assert assumed.exit_code in (0, 1), assumed.stderr

    simulate = ["simulate", "principal", "--user", "bob", "-a", "sts:AssumeRole", "-r", role, "-o", "json",
                "-c", f"sts:RoleSessionName={case.session_name}"]
    if case.external_id is not None:
        simulate += ["-c", f"sts:ExternalId={case.external_id}"]
    simulated = iam(*simulate, expect=None)
    assert simulated.exit_code in (0, 3), simulated.stderr
    decision = json.loads(simulated.stdout)["results"][0]["decision"]

    assert (assumed.exit_code == 0) == case.allowed, assumed.stderr
    assert (decision == "allowed") == case.allowed, (case.why, simulated.stdout)


def test_simulate_explains_the_trust_policy_that_refused(iam, tmp_path) -> None:
    """The explanation names the role's trust policy, as role assume's refusal does."""
    iam("init", "--account-id", A)
    iam("user", "create", "bob")
    iam("user", "put-policy", "bob", "p", "--document", "-", input=json.dumps(ALLOW_ANY))
    iam("role", "create", "web", "--trust-service", "ec2.amazonaws.com")
    r = iam("simulate", "principal", "--user", "bob", "-a", "sts:AssumeRole", "-r", f"arn:aws:iam::{A}:role/web",
            "--explain", "-o", "json", expect=3)
    (only,) = r.json()["results"]
    assert only["decision"] == "implicitDeny" and only["resource_allowed"] is False
    assert any('trust policy "role/web trust policy"' in line and "Principal does not cover" in line
               for line in only["explanation"])
