"""assume-role, web identity, sessions and revocation, decided as AWS STS decides them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamctl.core.authz import principals
from iamctl.core.base import clock
from iamctl.core.base.errors import (
    AccessDenied,
    ExpiredToken,
    InvalidClientTokenId,
    InvalidIdentityToken,
    InvalidInput,
    LimitExceeded,
    ValidationError,
)
from iamctl.core.credentials import sessions, sts
from iamctl.core.credentials.hashing import hash_secret
from iamctl.core.identities import policies, providers, roles, users
from iamctl.core.store.directory import Store
from iamctl.core.store.records import Session

DATA = Path(__file__).resolve().parents[2] / "data"
A, B = "111122223333", "444455556666"
ALLOW_ASSUME_ANY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def trust(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def aws(principal: str, action: str | list[str] = "sts:AssumeRole", **condition) -> dict:
    st = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action}
    if condition:
        st["Condition"] = condition
    return st


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:00:00Z")
    s = Store(tmp_path / "dir")
    s.init(A)
    s.init(B)
    return s


def in_account(store: Store, account: str) -> Store:
    return Store(store.root, account=account)


def setup(store: Store, role_trust: str, *, user_policy: str | None = None, max_duration: int = 3600) -> None:
    with store.write() as txn:
        users.create_user(txn, "bob")
        if user_policy:
            policies.put_inline_policy(txn, "user", "bob", "assume", user_policy)
        roles.create_role(txn, "deploy", role_trust, max_session_duration=max_duration)
        policies.put_inline_policy(txn, "role", "deploy", "s3", ALLOW_S3)


def assume(store: Store, caller: str = "user/bob", role: str = "deploy",
           creds: sessions.SessionCredentials | None = None, **kw):
    kw.setdefault("session_name", "bob-session")
    with store.write() as txn:
        kind, _, name = caller.partition("/")
        return sts.assume_role(txn, role, sts.resolve_caller(txn, kind, name or None, credentials=creds), **kw)


def decide_as_session(store: Store, issued: sts.Issued, action: str = "s3:GetObject", resource: str = "*"):
    with store.read() as txn:
        return principals.authorize(sessions.resolve_session(txn, issued.presented()), action, resource)


# -- the trust rule in one account -----------------------------------------------------------


def test_trust_naming_the_user_is_enough_without_an_identity_policy(store):
    """Same account, trust policy names the user's ARN: no identity-based allow is needed."""
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    issued = assume(store)
    assert issued.session.arn == f"arn:aws:sts::{A}:assumed-role/deploy/bob-session"
    assert issued.secret_access_key not in issued.session.secret_hash
    assert decide_as_session(store, issued).allowed


def test_trusting_the_account_root_delegates_so_the_users_policy_must_allow(store):
    """A root principal delegates to the account's admins: the caller's policies decide."""
    setup(store, trust(aws(f"arn:aws:iam::{A}:root")))
    with pytest.raises(AccessDenied, match="bob's identity-based policies do not allow sts:AssumeRole"):
        assume(store)
    with store.write() as txn:
        policies.put_inline_policy(txn, "user", "bob", "assume", ALLOW_ASSUME_ANY)
    assert assume(store).session.role == "deploy"


def test_refusal_names_the_trust_side_and_the_engines_reason(store):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/alice")), user_policy=ALLOW_ASSUME_ANY)
    with pytest.raises(AccessDenied) as e:
        assume(store)
    assert str(e.value).startswith(f"role/deploy's trust policy does not allow arn:aws:iam::{A}:user/bob: ")
    assert "Principal does not cover" in str(e.value)


def test_an_explicit_deny_in_the_callers_policy_wins_over_a_trust_naming_him(store):
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]})
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")), user_policy=deny)
    with pytest.raises(AccessDenied, match="explicitly denied by arn:aws:iam::111122223333:user/bob's identity"):
        assume(store)


# -- cross-account: both sides ---------------------------------------------------------------


def cross_setup(store: Store, b_trust: str, a_policy: str | None) -> None:
    with store.write() as txn:
        users.create_user(txn, "bob")
        if a_policy:
            policies.put_inline_policy(txn, "user", "bob", "assume", a_policy)
    with in_account(store, B).write() as txn:
        roles.create_role(txn, "deploy", b_trust)


ROLE_B = f"arn:aws:iam::{B}:role/deploy"


def test_cross_account_needs_the_callers_identity_policy_even_when_trust_names_him(store):
    """Cross-account: A's identity policy must allow sts:AssumeRole on B's role."""
    cross_setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")), None)
    with pytest.raises(AccessDenied, match="identity-based policies do not allow sts:AssumeRole on " + ROLE_B):
        assume(store, role=ROLE_B)


def test_cross_account_needs_the_other_accounts_trust(store):
    """Cross-account: B's trust policy must trust A (root or the ARN)."""
    other = trust(aws("arn:aws:iam::999988887777:root"))
    allow_b_role = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_B}]})
    cross_setup(store, other, allow_b_role)
    with pytest.raises(AccessDenied, match="role/deploy's trust policy does not allow"):
        assume(store, role=ROLE_B)


def test_cross_account_allowed_when_both_sides_allow_and_session_lives_in_the_roles_account(store):
    allow_b_role = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_B}]})
    cross_setup(store, trust(aws(f"arn:aws:iam::{A}:root")), allow_b_role)
    issued = assume(store, role=ROLE_B)
    assert issued.session.arn == f"arn:aws:sts::{B}:assumed-role/deploy/bob-session"
    assert issued.session.caller_arn == f"arn:aws:iam::{A}:user/bob"
    with in_account(store, B).read() as txn:
        assert [s.access_key_id for s in sts.list_sessions(txn, "deploy")] == [issued.session.access_key_id]


# -- AWS documentation trust policies --------------------------------------------------------


def test_aws_doc_external_id_trust_requires_the_exact_external_id(store):
    """IAM User Guide, "Access to AWS accounts owned by third parties": sts:ExternalId."""
    doc = (DATA / "trust_cross_account_external_id.json").read_text()
    setup(store, doc, user_policy=ALLOW_ASSUME_ANY)
    with pytest.raises(AccessDenied, match="sts:ExternalId.*key not present"):
        assume(store)
    with pytest.raises(AccessDenied, match="sts:ExternalId.*request value 54321"):
        assume(store, external_id="54321")
    assert assume(store, external_id="12345").session.role == "deploy"


def test_aws_doc_mfa_trust_refuses_long_term_keys_and_accepts_an_mfa_login_session(store, monkeypatch):
    """IAM User Guide, "Configuring MFA-protected API access": Bool aws:MultiFactorAuthPresent.

    Long-term credentials carry no aws:MultiFactorAuthPresent at all, so the condition fails; a
    session signed in with MFA carries true, and the role session inherits it."""
    doc = (DATA / "trust_require_mfa.json").read_text().replace("123456789012", A)
    setup(store, doc, user_policy=ALLOW_ASSUME_ANY)
    with pytest.raises(AccessDenied, match="aws:MultiFactorAuthPresent.*key not present"):
        assume(store)
    with store.write() as txn:
        login = Session(access_key_id="ASIALOGINSESSION0001", type="user", arn=f"arn:aws:iam::{A}:user/bob",
                        issued=clock.iso(), expires=clock.iso(clock.now() + 3600), user="bob",
                        user_id=txn.require("user", "bob").user_id, mfa_authenticated=True,
                        mfa_auth_time=clock.iso(), secret_hash=hash_secret("s3cret"), token_hash=hash_secret("t0ken"))
        txn.put("session", login)
    issued = assume(store, caller="session", creds=sessions.SessionCredentials("ASIALOGINSESSION0001", "s3cret",
                                                                               "t0ken"))
    assert issued.session.mfa_authenticated and not issued.session.chained
    with store.read() as txn:
        info = sessions.resolve_session(txn, issued.presented()).info
    assert info.mfa_authenticated is True


def enable_mfa(store: Store, user: str = "bob") -> str:
    from iamctl.core.credentials import mfa, totp

    with store.write() as txn:
        new = mfa.create_virtual_mfa_device(txn, f"{user}-phone")
        t = clock.now()
        mfa.enable_mfa_device(txn, user, new.device.serial, totp.code_at(new.seed, t - 60),
                              totp.code_at(new.seed, t - 30))
    return new.seed


def test_mfa_trust_accepts_a_valid_code_of_the_users_device(store):
    """AssumeRole with SerialNumber and TokenCode: aws:MultiFactorAuthPresent is true."""
    from iamctl.core.credentials import totp

    doc = (DATA / "trust_require_mfa.json").read_text().replace("123456789012", A)
    setup(store, doc, user_policy=ALLOW_ASSUME_ANY)
    seed = enable_mfa(store)
    with store.write() as txn:
        caller = sts.resolve_caller(txn, "user", "bob", mfa_code=totp.code_at(seed, clock.now()))
        issued = sts.assume_role(txn, "deploy", caller, session_name="mfa")
    assert issued.session.mfa_authenticated


def test_a_wrong_mfa_code_is_recorded_and_refused(store):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    enable_mfa(store)
    with pytest.raises(AccessDenied, match="MultiFactorAuthentication failed"), store.write() as txn:
        sts.resolve_caller(txn, "user", "bob", mfa_code="000000")
    with store.read() as txn:  # recorded though refused: counts towards the throttle
        assert txn.get_secret("mfa", "bob-phone")["failures"] == 1


# -- services ------------------------------------------------------------------------------


def test_service_principal_may_assume_only_when_trusted(store):
    with store.write() as txn:
        roles.create_role(txn, "ec2", roles.trust_policy_document(txn, services=["ec2.amazonaws.com"]))
        assert sts.check_service(txn, "ec2", "ec2.amazonaws.com").allowed
        with pytest.raises(AccessDenied, match="role/ec2's trust policy does not allow lambda.amazonaws.com"):
            sts.check_service(txn, "ec2", "lambda.amazonaws.com")


# -- durations and chaining ----------------------------------------------------------------


def test_duration_is_900_seconds_up_to_the_roles_maximum(store):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")), max_duration=7200)
    with pytest.raises(ValidationError, match="minimum of 900"):
        assume(store, duration=899)
    with pytest.raises(ValidationError, match="exceeds the MaxSessionDuration"):
        assume(store, duration=7201)
    issued = assume(store, duration=7200)
    assert issued.session.expires == "2026-01-01T02:00:00Z"
    assert assume(store).session.expires == "2026-01-01T01:00:00Z"  # default one hour


def test_role_chaining_is_capped_at_one_hour_whatever_the_roles_maximum(store):
    """IAM User Guide, "Role chaining": at most one hour."""
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")), max_duration=43200)
    with store.write() as txn:
        roles.create_role(txn, "hop", trust(aws(f"arn:aws:iam::{A}:role/deploy")), max_session_duration=43200)
    first = assume(store, duration=43200)
    with pytest.raises(ValidationError, match="1 hour session limit for roles assumed by role chaining"):
        assume(store, caller="session", creds=first.presented(), role="hop", duration=3601)
    chained = assume(store, caller="session", creds=first.presented(), role="hop", duration=3600)
    assert chained.session.chained
    assert chained.session.caller_arn == first.session.arn
    with pytest.raises(ValidationError, match="role chaining"):
        assume(store, caller="role/deploy", role="hop", duration=7200)


@pytest.mark.parametrize("name", ["a", "x" * 65, "has space", "slash/no"])
def test_session_names_are_2_to_64_of_the_allowed_characters(store, name):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    with pytest.raises(ValidationError, match="session name"):
        assume(store, session_name=name)


# -- session policies and tags -------------------------------------------------------------


def test_session_policy_caps_the_session_to_the_intersection(store):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    only_get = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    issued = assume(store, session_policy=only_get)
    assert decide_as_session(store, issued, "s3:GetObject").allowed
    denied = decide_as_session(store, issued, "s3:PutObject")
    assert not denied.allowed and denied.settled_by == "session"


def test_session_policy_is_at_most_2048_characters(store):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{i:04d}/*"} for i in range(60)]})
    with pytest.raises(LimitExceeded, match="2048"):
        assume(store, session_policy=big)


def test_session_tags_need_sts_tag_session_in_the_trust_policy(store):
    """IAM User Guide, "Passing session tags in AWS STS": the trust policy must allow sts:TagSession."""
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    with pytest.raises(AccessDenied, match="sts:TagSession"):
        assume(store, tags={"project": "x"})


def test_transitive_tags_pass_to_chained_sessions_and_cannot_be_overridden(store):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob", ["sts:AssumeRole", "sts:TagSession"])))
    with store.write() as txn:
        roles.create_role(txn, "hop", trust(aws(f"arn:aws:iam::{A}:role/deploy",
                                                ["sts:AssumeRole", "sts:TagSession"])))
    first = assume(store, tags={"project": "blue", "team": "web"}, transitive_tag_keys=["project"])
    chained = assume(store, caller="session", creds=first.presented(), role="hop")
    assert chained.session.tags == {"project": "blue"}
    assert chained.session.transitive_tag_keys == ["project"]
    with store.read() as txn:
        ctx = sessions.resolve_session(txn, chained.presented()).info.session_tags
    assert ctx == {"project": "blue"}
    with pytest.raises(InvalidInput, match="cannot be overridden"):
        assume(store, caller="session", creds=first.presented(), role="hop", tags={"Project": "red"})
    with pytest.raises(InvalidInput, match="not one of the session tags"):
        assume(store, tags={"a": "1"}, transitive_tag_keys=["b"])


# -- revocation ----------------------------------------------------------------------------


def test_revoke_sessions_denies_older_sessions_through_a_visible_policy(store, monkeypatch):
    """IAM User Guide, "Revoking IAM role temporary security credentials"."""
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    old = assume(store)
    assert decide_as_session(store, old).allowed
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:10:00Z")
    with store.write() as txn:
        role = sts.revoke_sessions(txn, "deploy")
        doc = json.loads(policies.get_inline_policy(txn, "role", "deploy", sts.REVOKE_POLICY_NAME).document)
    assert role.sessions_revoked_before == "2026-01-01T00:10:00Z"
    assert doc["Statement"][0]["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": "2026-01-01T00:10:00Z"}}
    result = decide_as_session(store, old)
    assert result.decision == "explicitDeny"
    assert any(sts.REVOKE_POLICY_NAME in line for line in result.explanation)
    new = assume(store)
    assert decide_as_session(store, new).allowed


def test_sessions_lists_live_sessions_only(store, monkeypatch):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    short = assume(store, duration=900, session_name="short")
    long = assume(store, duration=3600, session_name="long")
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:20:00Z")
    with store.read() as txn:
        assert [s.session_name for s in sts.list_sessions(txn, "deploy")] == ["long"]
        with pytest.raises(ExpiredToken, match="expired"):
            sessions.resolve_session(txn, short.presented())
    assert long.session.session_name == "long"


def test_a_role_created_again_does_not_honour_the_old_roles_sessions(store, monkeypatch):
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    issued = assume(store)
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:05:00Z")
    with store.write() as txn:
        roles.delete_role(txn, "deploy", force=True)
        roles.create_role(txn, "deploy", trust(aws(f"arn:aws:iam::{A}:user/bob")))
    with store.read() as txn, pytest.raises(InvalidClientTokenId, match="the role of that name now is another one"):
        sessions.resolve_session(txn, issued.presented())


# -- web identity (GitHub Actions OIDC) ----------------------------------------------------

GH = "token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def rsa_keys():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048), \
        rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_for(key) -> str:
    import jwt

    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="gh-1", alg="RS256", use="sig")
    return json.dumps({"keys": [jwk]})


def github_token(key, *, sub="repo:org/repo:ref:refs/heads/main", aud="sts.amazonaws.com", exp_in=300) -> str:
    import jwt

    now = int(clock.now())
    claims = {"iss": f"https://{GH}", "sub": sub, "aud": aud, "iat": now, "exp": now + exp_in,
              "repository": sub.split(":")[1]}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "gh-1"})


def github_setup(store: Store, jwks: str | None) -> None:
    with store.write() as txn:
        providers.create_oidc_provider(txn, f"https://{GH}", ["sts.amazonaws.com"], jwks=jwks)
        doc = roles.trust_policy_document(txn, oidc_provider=f"https://{GH}", conditions=[
            ("StringEquals", f"{GH}:aud", "sts.amazonaws.com"),
            ("StringLike", f"{GH}:sub", "repo:org/repo:ref:refs/heads/main"),
        ])
        roles.create_role(txn, "gha", doc)


def web(store: Store, **kw):
    kw.setdefault("session_name", "ci")
    with store.write() as txn:
        return sts.assume_role_with_web_identity(txn, "gha", **kw)


def test_github_oidc_trust_accepts_the_right_repository_and_branch(store, rsa_keys):
    github_setup(store, jwks_for(rsa_keys[0]))
    out = web(store, token=github_token(rsa_keys[0]))
    assert out.verified and out.issued is not None
    assert out.issued.session.type == "web-identity"
    assert out.issued.session.caller_arn == f"arn:aws:iam::{A}:oidc-provider/{GH}"
    assert out.context[f"{GH}:sub"] == "repo:org/repo:ref:refs/heads/main"


@pytest.mark.parametrize("sub", ["repo:org/repo:ref:refs/heads/feature", "repo:org/other:ref:refs/heads/main",
                                 "repo:org/repo:pull_request"])
def test_github_oidc_trust_refuses_other_branches_and_repositories(store, rsa_keys, sub):
    github_setup(store, jwks_for(rsa_keys[0]))
    with pytest.raises(AccessDenied, match=f"trust policy does not allow .*{GH}:sub.*request value {sub}"):
        web(store, token=github_token(rsa_keys[0], sub=sub))


def test_web_identity_refuses_a_token_signed_by_another_key(store, rsa_keys):
    github_setup(store, jwks_for(rsa_keys[0]))
    with pytest.raises(InvalidIdentityToken, match="signature"):
        web(store, token=github_token(rsa_keys[1]))


def test_web_identity_refuses_an_unregistered_audience_and_an_expired_token(store, rsa_keys):
    github_setup(store, jwks_for(rsa_keys[0]))
    with pytest.raises(InvalidIdentityToken, match="Incorrect token audience"):
        web(store, token=github_token(rsa_keys[0], aud="something-else"))
    with pytest.raises(ExpiredToken, match="Token expired"):
        web(store, token=github_token(rsa_keys[0], exp_in=-10))


def test_web_identity_without_a_jwks_evaluates_but_issues_no_credentials(store, rsa_keys):
    github_setup(store, None)
    out = web(store, token=github_token(rsa_keys[0]))
    assert out.result.allowed and out.issued is None and not out.verified
    assert "no JWKS" in out.reason


def test_web_identity_claims_dry_run(store):
    github_setup(store, None)
    claims = {"iss": f"https://{GH}", "sub": "repo:org/repo:ref:refs/heads/main", "aud": "sts.amazonaws.com"}
    assert web(store, claims=claims).issued is None
    with pytest.raises(AccessDenied):
        web(store, claims={**claims, "sub": "repo:evil/repo:ref:refs/heads/main"})


def test_web_identity_needs_a_registered_issuer(store, rsa_keys):
    with store.write() as txn:
        roles.create_role(txn, "gha", trust(aws(f"arn:aws:iam::{A}:root")))
    with pytest.raises(InvalidIdentityToken, match="No OpenIDConnect provider"):
        web(store, token=github_token(rsa_keys[0]))


def test_expired_sessions_are_deleted_with_their_token_index_when_a_session_is_issued(store, monkeypatch):
    """STS credentials stop existing at their expiry; AWS keeps nothing to look up. Issuing a new
    session drops the account's expired ones (record and token index entry) in the same
    transaction, so secrets/<account>/sessions/ holds live sessions only; the old token is then
    simply invalid."""
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    old = assume(store, duration=900)
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:15:00Z")
    new = assume(store, duration=900)
    with store.read() as txn:
        assert txn.keys("session") == [new.session.access_key_id.lower()]
        assert [e.access_key_id for e in txn.list("session-token")] == [new.session.access_key_id]
        with pytest.raises(InvalidClientTokenId):
            sessions.authenticate_session(txn, old.presented())


def test_role_sessions_drops_expired_sessions_and_legacy_token_entries(store, monkeypatch):
    """`role sessions` purges too; a session stored before its index key was recorded loses its
    token index entry all the same."""
    setup(store, trust(aws(f"arn:aws:iam::{A}:user/bob")))
    issued = assume(store, duration=900)
    with store.write() as txn:  # as written by an older iamctl: no token_key on the session
        session = txn.get("session", issued.session.access_key_id)
        session.token_key = ""
        txn.put("session", session)
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:15:00Z")
    with store.write() as txn:
        assert sts.list_sessions(txn, "deploy") == []
    with store.read() as txn:
        assert txn.keys("session") == [] and txn.keys("session-token") == []
