"""Roles, trust-policy validation, instance profiles and identity providers (AWS IAM rules)."""

from __future__ import annotations

import json

import pytest

from iamctl.core.base.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from iamctl.core.identities import instance_profiles, policies, providers, roles
from iamctl.core.store.directory import Store

A = "111122223333"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture
def txn(tmp_path):
    s = Store(tmp_path / "dir")
    s.init(A)
    with s.write() as t:
        yield t


def doc(**statement) -> str:
    base = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}
    base.update(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": [{k: v for k, v in base.items() if v is not None}]})


# -- trust policies ------------------------------------------------------------------------


def test_trust_policy_requires_a_principal(txn):
    with pytest.raises(MalformedPolicyDocument, match="Principal"):
        roles.create_role(txn, "r", doc(Principal=None))


def test_trust_policy_takes_no_resource(txn):
    with pytest.raises(MalformedPolicyDocument, match="no Resource"):
        roles.create_role(txn, "r", doc(Resource="*"))


@pytest.mark.parametrize("action", ["s3:GetObject", "sts:*", "*", "sts:GetCallerIdentity"])
def test_trust_policy_grants_only_the_sts_actions_that_use_a_role(txn, action):
    with pytest.raises(MalformedPolicyDocument, match="invalid action"):
        roles.create_role(txn, "r", doc(Action=action))


@pytest.mark.parametrize("action", ["sts:AssumeRole", "sts:AssumeRole*", "sts:TagSession",
                                    ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]])
def test_trust_policy_accepts_assume_role_tag_session_and_source_identity(txn, action):
    assert roles.create_role(txn, "r", doc(Action=action)).name == "r"


def test_trust_policy_is_at_most_2048_characters(txn):
    arns = [f"arn:aws:iam::{A}:user/user-number-{i:03d}" for i in range(60)]
    with pytest.raises(LimitExceeded, match="2048"):
        roles.create_role(txn, "r", doc(Principal={"AWS": arns}))


def test_update_trust_policy_validates_and_replaces(txn):
    roles.create_role(txn, "r", TRUST)
    with pytest.raises(MalformedPolicyDocument):
        roles.update_trust_policy(txn, "r", doc(Action="iam:PassRole"))
    assert roles.get_role(txn, "r").assume_role_policy == TRUST
    roles.update_trust_policy(txn, "r", doc())
    assert roles.get_role(txn, "r").assume_role_policy == doc()


def test_shorthands_write_one_statement_per_kind_of_principal(txn):
    text = roles.trust_policy_document(txn, services=["ec2.amazonaws.com"], accounts=["444455556666"],
                                       principal_arns=[f"arn:aws:iam::{A}:user/bob"], require_mfa=True,
                                       external_id="ext-123")
    sts = json.loads(text)["Statement"]
    assert sts[0] == {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert sts[1]["Principal"] == {"AWS": ["arn:aws:iam::444455556666:root", f"arn:aws:iam::{A}:user/bob"]}
    assert sts[1]["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                   "StringEquals": {"sts:ExternalId": "ext-123"}}
    roles.validate_trust_policy(text)


def test_oidc_shorthand_needs_a_registered_provider_and_a_condition(txn):
    with pytest.raises(NoSuchEntity, match="OpenIDConnect Provider not found"):
        roles.trust_policy_document(txn, oidc_provider="https://example.com", conditions=[("StringEquals", "example.com:aud", "x")])
    providers.create_oidc_provider(txn, "https://example.com", ["x"])
    with pytest.raises(InvalidInput, match="needs a condition on its claims"):
        roles.trust_policy_document(txn, oidc_provider="https://example.com")
    st = json.loads(roles.trust_policy_document(
        txn, oidc_provider="example.com", conditions=[("StringEquals", "example.com:aud", "x"),
                                                      ("StringLike", "example.com:sub", "a*"),
                                                      ("StringLike", "example.com:sub", "b*")]))["Statement"][0]
    assert st["Principal"] == {"Federated": f"arn:aws:iam::{A}:oidc-provider/example.com"}
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Condition"] == {"StringEquals": {"example.com:aud": "x"},
                               "StringLike": {"example.com:sub": ["a*", "b*"]}}


def test_mfa_and_external_id_shorthands_need_an_aws_principal(txn):
    with pytest.raises(InvalidInput, match="apply to AWS principals"):
        roles.trust_policy_document(txn, services=["ec2.amazonaws.com"], require_mfa=True)


@pytest.mark.parametrize("value", ["x", "a" * 1225, "has space"])
def test_external_id_is_2_to_1224_allowed_characters(value):
    with pytest.raises(ValidationError, match="external id"):
        roles.check_external_id(value)


# -- roles ---------------------------------------------------------------------------------


def test_role_names_are_unique_without_regard_to_case(txn):
    roles.create_role(txn, "Deploy", TRUST)
    with pytest.raises(EntityAlreadyExists, match="Role with name deploy already exists."):
        roles.create_role(txn, "deploy", TRUST)


@pytest.mark.parametrize("seconds", [3599, 43201])
def test_max_session_duration_is_one_to_twelve_hours(txn, seconds):
    with pytest.raises(ValidationError, match="3600 and 43200"):
        roles.create_role(txn, "r", TRUST, max_session_duration=seconds)


def test_role_arn_id_and_update(txn):
    role = roles.create_role(txn, "r", TRUST, path="/svc/", description="d")
    assert role.role_id.startswith("AROA") and len(role.role_id) == 21
    assert roles.role_arn(txn, role) == f"arn:aws:iam::{A}:role/svc/r"
    updated = roles.update_role(txn, "r", description=None, max_session_duration=43200)
    assert (updated.description, updated.max_session_duration) == (None, 43200)
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        roles.update_role(txn, "r", permissions_boundary=f"arn:aws:iam::{A}:policy/missing")


def test_delete_role_refuses_while_in_a_profile_or_with_policies_unless_forced(txn):
    roles.create_role(txn, "r", TRUST)
    instance_profiles.create_instance_profile(txn, "web")
    instance_profiles.add_role_to_instance_profile(txn, "web", "r")
    policies.put_inline_policy(txn, "role", "r", "s3", ALLOW_S3)
    with pytest.raises(DeleteConflict, match="must remove roles from instance profile first"):
        roles.delete_role(txn, "r")
    instance_profiles.remove_role_from_instance_profile(txn, "web", "r")
    with pytest.raises(DeleteConflict, match="must delete policies first"):
        roles.delete_role(txn, "r")
    instance_profiles.add_role_to_instance_profile(txn, "web", "r")
    roles.delete_role(txn, "r", force=True)
    assert not txn.exists("role", "r")
    assert instance_profiles.get_instance_profile(txn, "web").roles == []


def test_role_tags_overwrite_case_insensitively_and_untag(txn):
    roles.create_role(txn, "r", TRUST, tags={"Team": "a"})
    assert roles.tag_role(txn, "r", {"team": "b"}).tags == {"team": "b"}
    assert roles.untag_role(txn, "r", ["TEAM"]).tags == {}


# -- instance profiles ---------------------------------------------------------------------


def test_an_instance_profile_holds_one_role(txn):
    roles.create_role(txn, "a", TRUST)
    roles.create_role(txn, "b", TRUST)
    profile = instance_profiles.create_instance_profile(txn, "web", path="/app/")
    assert profile.instance_profile_id.startswith("AIPA")
    assert instance_profiles.instance_profile_arn(txn, profile) == f"arn:aws:iam::{A}:instance-profile/app/web"
    instance_profiles.add_role_to_instance_profile(txn, "web", "a")
    with pytest.raises(LimitExceeded, match="InstanceProfileRolesQuota: 1"):
        instance_profiles.add_role_to_instance_profile(txn, "web", "b")
    assert roles.role_details(txn, "a").instance_profile_arns == [f"arn:aws:iam::{A}:instance-profile/app/web"]
    with pytest.raises(DeleteConflict, match="must remove roles from instance profile first"):
        instance_profiles.delete_instance_profile(txn, "web")
    instance_profiles.delete_instance_profile(txn, "web", force=True)
    assert roles.get_role(txn, "a").instance_profiles == []


def test_instance_profile_names_are_unique(txn):
    instance_profiles.create_instance_profile(txn, "web")
    with pytest.raises(EntityAlreadyExists):
        instance_profiles.create_instance_profile(txn, "WEB")


# -- identity providers --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://example.com", "https://", "https://example.com/?q=1"])
def test_oidc_provider_url_must_be_https_without_query(txn, url):
    with pytest.raises(ValidationError, match="https://"):
        providers.create_oidc_provider(txn, url, ["x"])


def test_oidc_provider_thumbprints_and_client_ids(txn):
    with pytest.raises(ValidationError, match="40 hexadecimal"):
        providers.create_oidc_provider(txn, "https://example.com", ["x"], thumbprints=["abc"])
    with pytest.raises(ValidationError, match="1 to 100 client ids"):
        providers.create_oidc_provider(txn, "https://example.com", [])
    p = providers.create_oidc_provider(txn, "https://example.com/tenant/", ["x"], thumbprints=["A" * 40])
    assert providers.oidc_arn(txn, p) == f"arn:aws:iam::{A}:oidc-provider/example.com/tenant"
    assert p.thumbprints == ["a" * 40]
    with pytest.raises(EntityAlreadyExists):
        providers.create_oidc_provider(txn, "https://example.com/tenant", ["y"])
    assert providers.find_oidc_provider(txn, f"arn:aws:iam::{A}:oidc-provider/example.com/tenant") == p
    assert providers.find_oidc_provider(txn, "arn:aws:iam::999999999999:oidc-provider/example.com/tenant") is None
    assert providers.delete_provider(txn, "https://example.com/tenant") == providers.oidc_arn(txn, p)
    assert providers.list_providers(txn) == []


def test_oidc_jwks_must_hold_public_keys_only(txn):
    with pytest.raises(InvalidInput, match='"keys"'):
        providers.create_oidc_provider(txn, "https://example.com", ["x"], jwks="{}")
    with pytest.raises(InvalidInput, match="private key"):
        providers.create_oidc_provider(txn, "https://example.com", ["x"], jwks='{"keys": [{"kty": "RSA", "d": "x"}]}')


SAML = ('<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="https://idp.example.com" validUntil="2030-01-01T00:00:00Z"><md:IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' + "<!-- padding -->" * 60 +
        '</md:IDPSSODescriptor></md:EntityDescriptor>')


def test_saml_provider_from_metadata(txn):
    p = providers.create_saml_provider(txn, "corp-idp", SAML)
    assert p.valid_until == "2030-01-01T00:00:00Z"
    assert providers.saml_arn(txn, p) == f"arn:aws:iam::{A}:saml-provider/corp-idp"
    with pytest.raises(InvalidInput, match="not well-formed XML"):
        providers.create_saml_provider(txn, "bad", "<md:EntityDescriptor" + " " * 1000)
    with pytest.raises(ValidationError, match="1,000 to 10,000,000"):
        providers.create_saml_provider(txn, "short", "<x/>")
    assert [arn for arn, _ in providers.list_providers(txn)] == [providers.saml_arn(txn, p)]
    providers.delete_provider(txn, "corp-idp")
    with pytest.raises(NoSuchEntity):
        providers.delete_provider(txn, f"arn:aws:iam::{A}:saml-provider/corp-idp")


@pytest.mark.parametrize("description", ["line\x7fdel", "C1 \x85 control", "emoji \U0001f600", "euro \u20ac"])
def test_role_description_allows_only_aws_role_description_characters(txn, description):
    """CreateRole / UpdateRole Description: pattern [\\t\\n\\r\\u0020-\\u007E\\u00A1-\\u00FF]*."""
    with pytest.raises(ValidationError, match="description contains the character"):
        roles.create_role(txn, "app", TRUST, description=description)
    roles.create_role(txn, "app", TRUST, description="Déploiement\tprod\n¡ok!")
    with pytest.raises(ValidationError):
        roles.update_role(txn, "app", description=description)
