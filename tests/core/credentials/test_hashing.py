"""Tests for iamctl.core.credentials.hashing and .password_policy, and iamctl.core.base.ids: each names the AWS or OWASP rule it checks."""

from __future__ import annotations

import re
import string

import pytest

from iamctl.core.base import ids
from iamctl.core.base.errors import ValidationError
from iamctl.core.credentials import hashing
from iamctl.core.credentials import password_policy as pp
from iamctl.core.store.records import PasswordPolicy

# --- password hashing (OWASP Password Storage Cheat Sheet: Argon2id m=19 MiB, t=2, p=1) -------


def test_hash_password_uses_owasp_argon2id_parameters():
    h = hashing.hash_password("correct horse")
    assert h.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_hash_password_salts_each_hash():
    assert hashing.hash_password("same") != hashing.hash_password("same")


def test_verify_password_accepts_the_right_password_and_refuses_others():
    h = hashing.hash_password("Tr0ub4dor&3")
    assert hashing.verify_password(h, "Tr0ub4dor&3") is True
    assert hashing.verify_password(h, "Tr0ub4dor&4") is False
    assert hashing.verify_password(h, "") is False


@pytest.mark.parametrize("damaged", ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", "sha256$00$00"])
def test_verify_password_fails_closed_on_damaged_hash(damaged):
    assert hashing.verify_password(damaged, "anything") is False


def test_password_needs_rehash_detects_other_parameters():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert hashing.password_needs_rehash(weak) is True
    assert hashing.password_needs_rehash(hashing.hash_password("pw")) is False
    assert hashing.verify_password(weak, "pw") is True  # old hashes still verify


# --- password policy ------------------------------------------------------------------------------


def test_no_custom_policy_means_aws_default_policy():
    # AWS default policy: min 8, max 128, three of four character types.
    assert pp.password_violations(None, "Ab1!Ab1", username="alice") == [
        "Password must be at least 8 characters long."]
    assert pp.password_violations(None, "Ab1!Ab1!", username="alice") == []


def test_update_account_password_policy_defaults_omitted_parameters():
    # UpdateAccountPasswordPolicy: not a partial update; omitted MinimumPasswordLength means 6.
    p = pp.validate_policy_settings()
    assert isinstance(p, PasswordPolicy) and p.minimum_password_length == 6
    assert not (p.require_symbols or p.require_numbers or p.require_uppercase_characters
                or p.require_lowercase_characters or p.allow_users_to_change_password or p.hard_expiry)
    assert p.max_password_age is None and p.password_reuse_prevention is None


@pytest.mark.parametrize(
    ("kwargs", "field", "bound"),
    [
        ({"minimum_password_length": 5}, "minimumPasswordLength", "greater than or equal to 6"),
        ({"minimum_password_length": 129}, "minimumPasswordLength", "less than or equal to 128"),
        ({"max_password_age": 0}, "maxPasswordAge", "greater than or equal to 1"),
        ({"max_password_age": 1096}, "maxPasswordAge", "less than or equal to 1095"),
        ({"password_reuse_prevention": 0}, "passwordReusePrevention", "greater than or equal to 1"),
        ({"password_reuse_prevention": 25}, "passwordReusePrevention", "less than or equal to 24"),
        ({"minimum_password_length": True}, "minimumPasswordLength", "integer"),
        ({"require_symbols": "yes"}, "requireSymbols", "boolean"),
    ],
)
def test_validate_policy_settings_rejects_out_of_range(kwargs, field, bound):
    with pytest.raises(ValidationError) as e:
        pp.validate_policy_settings(**kwargs)
    assert field in e.value.message and bound in e.value.message
    assert e.value.code == "ValidationError"


@pytest.mark.parametrize(
    "kwargs",
    [{"minimum_password_length": 6}, {"minimum_password_length": 128}, {"max_password_age": 1},
     {"max_password_age": 1095}, {"password_reuse_prevention": 1}, {"password_reuse_prevention": 24}],
)
def test_validate_policy_settings_accepts_range_ends(kwargs):
    p = pp.validate_policy_settings(**kwargs)
    for k, v in kwargs.items():
        assert getattr(p, k) == v


def test_stored_policy_ranges_are_checked():
    with pytest.raises(ValidationError):
        pp.check_policy_ranges(PasswordPolicy(minimum_password_length=5))
    pp.check_policy_ranges(PasswordPolicy(minimum_password_length=6))


def test_symbol_set_is_aws_list():
    assert set(pp.SYMBOLS) == set("! @ # $ % ^ & * ( ) _ + - = [ ] { } | '".split())


@pytest.mark.parametrize(
    "password",
    ["Abcdefg1", "abcdefg1!", "ABCDEFG1!", "Abcdefg!", "Ab1!Ab1!"],
)
def test_default_policy_accepts_three_of_four_types(password):
    assert pp.password_violations(None, password, username="alice") == []


@pytest.mark.parametrize("password", ["abcdefgh", "abcdefg1", "ABCDEFGh", "12345678", "!!!!!!ab"])
def test_default_policy_refuses_fewer_than_three_types(password):
    v = pp.password_violations(None, password, username="alice")
    assert len(v) == 1 and "three of" in v[0]


def test_default_policy_minimum_length_is_8():
    v = pp.password_violations(None, "Ab1!Ab1", username="alice")
    assert v == ["Password must be at least 8 characters long."]


def test_maximum_length_is_128_for_every_policy():
    pw = "Ab1!" * 32
    assert pp.password_violations(None, pw, username="u") == []
    v = pp.password_violations(None, pw + "x", username="u")
    assert v == ["Password must be at most 128 characters long."]


def test_characters_outside_aws_range_are_refused():
    # passwordType pattern: [\u0009\u000A\u000D\u0020-\u00FF]+ ; é (U+00E9) is in, € is not.
    assert pp.password_violations(None, "Abcdefé1", username="u") == []
    v = pp.password_violations(None, "Abcdef€1", username="u")
    assert len(v) == 1 and "U+00FF" in v[0]


def test_accented_letters_do_not_count_as_upper_or_lower_case():
    # AWS: "ISO basic Latin alphabet (a to z)". Here only numbers and a symbol count: two types.
    v = pp.password_violations(None, "ÉÉÉéé12!", username="u")
    assert len(v) == 1 and "three of" in v[0]


def test_custom_policy_names_every_broken_rule():
    p = pp.validate_policy_settings(minimum_password_length=12, require_symbols=True, require_numbers=True,
                                   require_uppercase_characters=True, require_lowercase_characters=True)
    v = pp.password_violations(p, "short", username="bob")
    assert v == [
        "Password must be at least 12 characters long.",
        "Password must contain at least one uppercase letter (A-Z).",
        "Password must contain at least one number (0-9).",
        "Password must contain at least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ').",
    ]
    assert pp.password_violations(p, "Long-enough-1", username="bob") == []


def test_custom_policy_without_flags_drops_the_three_of_four_rule():
    p = pp.validate_policy_settings()
    assert pp.password_violations(p, "aaaaaa", username="bob") == []


def test_password_equal_to_user_name_is_refused():
    v = pp.password_violations(None, "Alice-2024", username="Alice-2024")
    assert v == ["Password must not be the same as the user name."]
    assert pp.password_violations(None, "Alice-2024", username="alice-2024") == []


def test_reuse_prevention_checks_only_the_last_n_passwords():
    p = pp.validate_policy_settings(password_reuse_prevention=2)
    history = [hashing.hash_password(pw) for pw in ("newest1", "middle2", "oldest3")]  # most recent first
    assert pp.password_violations(p, "newest1", username="u", previous_hashes=history) == [
        "Password must not be one of the last 2 passwords used."]
    assert pp.password_violations(p, "middle2", username="u", previous_hashes=history) != []
    assert pp.password_violations(p, "oldest3", username="u", previous_hashes=history) == []
    assert pp.password_violations(p, "brandnew", username="u", previous_hashes=history) == []


def test_reuse_not_checked_without_the_setting():
    history = [hashing.hash_password("Abcdefg1")]
    assert pp.password_violations(None, "Abcdefg1", username="u",
                                 previous_hashes=history) == []


@pytest.mark.parametrize(
    "policy",
    [
        None,
        pp.validate_policy_settings(),
        pp.validate_policy_settings(minimum_password_length=128, require_symbols=True, require_numbers=True,
                                   require_uppercase_characters=True, require_lowercase_characters=True),
        pp.validate_policy_settings(minimum_password_length=6, require_symbols=True),
    ],
)
def test_generate_password_conforms(policy):
    for _ in range(50):
        pw = pp.generate_password(policy)
        assert len(pw) >= max(20, policy.minimum_password_length if policy else 8)
        assert pp.password_violations(policy, pw, username="alice") == []


def test_generate_password_is_random():
    assert len({pp.generate_password() for _ in range(100)}) == 100


# --- access keys and secrets --------------------------------------------------------------------------


def test_access_key_id_shape():
    for prefix in ("AKIA", "ASIA"):
        k = ids.new_access_key_id(prefix)
        assert re.fullmatch(prefix + r"[A-Z2-7]{16}", k), k
    assert ids.new_access_key_id().startswith("AKIA")


def test_access_key_id_prefix_must_be_four_capitals():
    with pytest.raises(ValidationError):
        ids.new_access_key_id("akia")
    with pytest.raises(ValidationError):
        ids.new_access_key_id("AKI")


def test_secret_access_key_shape_and_entropy():
    keys = {hashing.new_secret_access_key() for _ in range(200)}
    assert len(keys) == 200
    for k in keys:
        assert re.fullmatch(r"[A-Za-z0-9+/]{40}", k)
    # All 64 symbols of the alphabet show up across 8000 draws (fails if the alphabet shrank).
    assert set("".join(keys)) == set(string.ascii_letters + string.digits + "+/")


def test_session_token_is_base64_of_96_bytes():
    import base64

    t = hashing.new_session_token()
    assert len(t) == 128 and len(base64.b64decode(t, validate=True)) == 96
    assert t != hashing.new_session_token()


def test_hash_secret_round_trip_and_salting():
    s = hashing.new_secret_access_key()
    h1, h2 = hashing.hash_secret(s), hashing.hash_secret(s)
    assert h1 != h2 and s not in h1
    assert hashing.verify_secret(h1, s) and hashing.verify_secret(h2, s)
    assert not hashing.verify_secret(h1, s[:-1] + ("A" if s[-1] != "A" else "B"))


@pytest.mark.parametrize("stored", ["", "sha256$zz$00", "md5$00$00", "sha256$00", "a$b$c$d"])
def test_verify_secret_fails_closed_on_malformed_hash(stored):
    assert hashing.verify_secret(stored, "x") is False


def test_verify_secret_uses_compare_digest(monkeypatch):
    calls = []
    real = hashing.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hashing.hmac, "compare_digest", spy)
    hashing.verify_secret(hashing.hash_secret("s"), "s")
    assert len(calls) == 1


# --- unique ids (AWS "IAM identifiers: unique identifiers") -------------------------------------------


@pytest.mark.parametrize("prefix", ["AIDA", "AGPA", "AROA", "ANPA", "ASIA", "AKIA", "AIPA", "APKA"])
def test_unique_id_is_21_chars_of_prefix_and_base32(prefix):
    uid = ids.new_unique_id(prefix)
    assert re.fullmatch(prefix + r"[A-Z2-7]{17}", uid)


def test_unique_ids_differ():
    assert len({ids.new_unique_id("AIDA") for _ in range(1000)}) == 1000


def test_unknown_unique_id_prefix_is_refused():
    with pytest.raises(ValidationError, match="AIDX"):
        ids.new_unique_id("AIDX")
