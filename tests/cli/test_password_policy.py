"""`iamctl account password-policy ...` through the real CLI (AWS Get/Update/DeleteAccountPasswordPolicy)."""

from __future__ import annotations

import pytest


def test_show_without_a_policy_is_no_such_entity(iam):
    iam("init")
    r = iam("account", "password-policy", "show", expect=1)
    assert "NoSuchEntity: The Password Policy with domain name" in r.stderr and r.stdout == ""


def test_set_then_show_in_aws_shape(iam):
    iam("account", "password-policy", "set", "--minimum-password-length", "14", "--require-symbols",
        "--require-numbers", "--max-password-age", "90", "--password-reuse-prevention", "5", "--hard-expiry")
    policy = iam("account", "password-policy", "show", "-o", "json").json()["PasswordPolicy"]
    assert policy == {
        "MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": True, "MaxPasswordAge": 90,
        "PasswordReusePrevention": 5, "HardExpiry": True,
    }


def test_unset_max_age_and_reuse_are_absent_and_expire_passwords_false(iam):
    policy = iam("account", "password-policy", "set", "-o", "json").json()["PasswordPolicy"]
    assert "MaxPasswordAge" not in policy and "PasswordReusePrevention" not in policy
    assert policy["ExpirePasswords"] is False and policy["MinimumPasswordLength"] == 6


def test_set_is_not_a_partial_update(iam):
    # UpdateAccountPasswordPolicy: every parameter not given returns to its default.
    iam("account", "password-policy", "set", "--require-symbols", "--minimum-password-length", "20")
    policy = iam("account", "password-policy", "set", "--require-numbers", "-o", "json").json()["PasswordPolicy"]
    assert (policy["RequireSymbols"], policy["RequireNumbers"], policy["MinimumPasswordLength"]) == (False, True, 6)


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--minimum-password-length", "5", "minimumPasswordLength"),
        ("--minimum-password-length", "129", "minimumPasswordLength"),
        ("--max-password-age", "0", "maxPasswordAge"),
        ("--max-password-age", "1096", "maxPasswordAge"),
        ("--password-reuse-prevention", "0", "passwordReusePrevention"),
        ("--password-reuse-prevention", "25", "passwordReusePrevention"),
    ],
)
def test_aws_ranges_are_enforced(iam, option, value, field):
    # Minimum length 6-128, max age 1-1095 days, reuse prevention 1-24 (IAM API reference).
    r = iam("account", "password-policy", "set", option, value, expect=1)
    assert "ValidationError" in r.stderr and field in r.stderr
    iam("account", "password-policy", "show", expect=1)  # nothing was stored


@pytest.mark.parametrize("option", ["--minimum-password-length", "--max-password-age", "--password-reuse-prevention"])
def test_range_ends_are_accepted(iam, option):
    low = {"--minimum-password-length": "6"}.get(option, "1")
    high = {"--minimum-password-length": "128", "--max-password-age": "1095"}.get(option, "24")
    for value in (low, high):
        iam("account", "password-policy", "set", option, value)


def test_delete_restores_the_default_policy(iam):
    iam("user", "create", "alice")
    iam("account", "password-policy", "set", "--minimum-password-length", "6")
    iam("user", "set-password", "alice", "--password-stdin", input="simple\n")
    iam("account", "password-policy", "delete")
    iam("account", "password-policy", "show", expect=1)
    r = iam("account", "password-policy", "delete", expect=1)
    assert "NoSuchEntity" in r.stderr
    # AWS's default policy again: at least 8 characters and three character types.
    iam("user", "set-password", "alice", "--password-stdin", input="simple\n", expect=1)


@pytest.mark.parametrize("fmt", ["table", "json", "text"])
def test_show_has_the_same_data_in_every_format(iam, fmt):
    iam("account", "password-policy", "set", "--minimum-password-length", "17")
    out = iam("account", "password-policy", "show", "-o", fmt).stdout
    assert "MinimumPasswordLength" in out and "17" in out
