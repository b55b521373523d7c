"""The account password policy's rules: ranges of its settings, what a password must hold, and
random passwords that meet it. Pure functions over `PasswordPolicy`; passwords.py stores them."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable

from iamctl.core.base.errors import ValidationError
from iamctl.core.credentials.hashing import verify_password
from iamctl.core.store.records import PasswordPolicy

# AWS's symbol set for RequireSymbols (UpdateAccountPasswordPolicy):
# ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"


# AWS: a console password is 1-128 characters of tab, LF, CR and U+0020-U+00FF
# (passwordType in the IAM API model: pattern [\u0009\u000A\u000D\u0020-\u00FF]+, max 128).
MAX_PASSWORD_LENGTH = 128


def _password_char_allowed(ch: str) -> bool:
    return ch in "\t\n\r" or 0x20 <= ord(ch) <= 0xFF


# One definition of the policy: `iamctl.core.store.records.PasswordPolicy`, the one the account stores.
# Everything here takes `PasswordPolicy | None`, where None means "the account has no custom
# policy" and AWS's default policy applies ("Setting an account password policy for IAM users",
# default policy): at least 8 characters, at most 128, and at least three of the four character
# types upper case, lower case, numbers and symbols. A custom policy replaces that rule with its
# own ``require_*`` flags.
DEFAULT_MINIMUM_LENGTH = 8


def check_policy_ranges(policy: PasswordPolicy) -> None:
    """Raise ValidationError (AWS's message shape) if a stored policy breaks the API's ranges:
    minimum length 6-128, max age 1-1095 days, reuse prevention 1-24 passwords."""
    _check_range("minimumPasswordLength", policy.minimum_password_length, 6, 128)
    if policy.max_password_age is not None:
        _check_range("maxPasswordAge", policy.max_password_age, 1, 1095)
    if policy.password_reuse_prevention is not None:
        _check_range("passwordReusePrevention", policy.password_reuse_prevention, 1, 24)


def _check_range(name: str, value: object, low: int, high: int) -> None:
    # bool is an int subclass: True must not pass as a length of 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                              "constraint: Member must be an integer")
    if value < low:
        raise ValidationError(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                              f"constraint: Member must have value greater than or equal to {low}")
    if value > high:
        raise ValidationError(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                              f"constraint: Member must have value less than or equal to {high}")


def validate_policy_settings(
    *,
    minimum_password_length: int | None = None,
    require_symbols: bool = False,
    require_numbers: bool = False,
    require_uppercase_characters: bool = False,
    require_lowercase_characters: bool = False,
    allow_users_to_change_password: bool = False,
    max_password_age: int | None = None,
    password_reuse_prevention: int | None = None,
    hard_expiry: bool = False,
) -> PasswordPolicy:
    """Build the custom policy that UpdateAccountPasswordPolicy would store.

    Like AWS, this is not a partial update: every omitted parameter takes its documented
    default (minimum length 6, every flag false, no expiry, no reuse prevention). Ranges as in
    the IAM API: minimum length 6-128, max age 1-1095 days, reuse prevention 1-24 passwords;
    an out-of-range value raises ``ValidationError`` with AWS's message shape.
    """
    for name, flag in (
        ("requireSymbols", require_symbols),
        ("requireNumbers", require_numbers),
        ("requireUppercaseCharacters", require_uppercase_characters),
        ("requireLowercaseCharacters", require_lowercase_characters),
        ("allowUsersToChangePassword", allow_users_to_change_password),
        ("hardExpiry", hard_expiry),
    ):
        if not isinstance(flag, bool):
            raise ValidationError(f"1 validation error detected: Value '{flag}' at '{name}' failed to satisfy "
                                  "constraint: Member must be a boolean")
    policy = PasswordPolicy(
        minimum_password_length=6 if minimum_password_length is None else minimum_password_length,
        require_symbols=require_symbols,
        require_numbers=require_numbers,
        require_uppercase_characters=require_uppercase_characters,
        require_lowercase_characters=require_lowercase_characters,
        allow_users_to_change_password=allow_users_to_change_password,
        max_password_age=max_password_age,
        password_reuse_prevention=password_reuse_prevention,
        hard_expiry=hard_expiry,
    )
    check_policy_ranges(policy)
    return policy


def _classes(password: str) -> dict[str, bool]:
    # "Upper/lower case" and "numbers" mean the ISO basic Latin ranges, as AWS words them
    # (A-Z, a-z, 0-9): an accented letter is allowed in a password but satisfies neither.
    return {
        "uppercase": any("A" <= c <= "Z" for c in password),
        "lowercase": any("a" <= c <= "z" for c in password),
        "numbers": any("0" <= c <= "9" for c in password),
        "symbols": any(c in SYMBOLS for c in password),
    }


def password_violations(
    policy: PasswordPolicy | None,
    password: str,
    *,
    username: str,
    previous_hashes: Iterable[str] = (),
) -> list[str]:
    """Every rule of `policy` that `password` breaks, as human sentences; empty means accepted.

    `policy` None means the account has no custom policy: AWS's default policy applies.
    Checked, in order: length (policy minimum, AWS maximum 128), characters outside AWS's
    allowed range (tab, LF, CR, U+0020-U+00FF), the character-type rules (the default policy's
    three-of-four, or a custom policy's ``require_*`` flags), equality with the user name, and
    reuse: `previous_hashes` are the user's earlier ``hash_password`` results, most recent
    first; only the first ``password_reuse_prevention`` of them count (none without that
    setting). Each reuse check costs one Argon2 verification (~tens of ms).

    The user-name rule comes from AWS's default policy ("not identical to your AWS account name
    or email address"); iamctl has neither, so the user name stands in, for every policy.
    """
    problems: list[str] = []
    minimum = policy.minimum_password_length if policy is not None else DEFAULT_MINIMUM_LENGTH
    if len(password) < minimum:
        problems.append(f"Password must be at least {minimum} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if not all(_password_char_allowed(c) for c in password):
        problems.append("Password may contain only tab, newline, carriage return and characters "
                        "U+0020 to U+00FF.")
    have = _classes(password)
    if policy is not None:
        for flag, kind, sentence in (
            (policy.require_uppercase_characters, "uppercase", "uppercase letter (A-Z)"),
            (policy.require_lowercase_characters, "lowercase", "lowercase letter (a-z)"),
            (policy.require_numbers, "numbers", "number (0-9)"),
            (policy.require_symbols, "symbols", f"symbol ({' '.join(SYMBOLS)})"),
        ):
            if flag and not have[kind]:
                problems.append(f"Password must contain at least one {sentence}.")
    elif sum(have.values()) < 3:
        problems.append("Password must contain at least three of: uppercase letters, lowercase letters, "
                        f"numbers, symbols ({' '.join(SYMBOLS)}).")
    if password == username:
        problems.append("Password must not be the same as the user name.")
    if policy is not None and policy.password_reuse_prevention:
        recent = list(previous_hashes)[: policy.password_reuse_prevention]
        # any() would stop at the first match; that leaks nothing useful (the caller is told
        # "reused" either way) and saves Argon2 runs.
        if any(verify_password(h, password) for h in recent):
            problems.append(f"Password must not be one of the last {policy.password_reuse_prevention} "
                            "passwords used.")
    return problems


def generate_password(policy: PasswordPolicy | None = None, *, length: int = 20) -> str:
    """A random password that satisfies `policy` (as the console's "autogenerated password").

    At least `length` (default 20) and at least the policy minimum; one character of each of
    the four types is always included, which satisfies the default policy's three-of-four and
    every combination of custom ``require_*`` flags. Only the user-name and reuse rules are
    left unchecked: a 20-character random string meets them with overwhelming probability.
    """
    minimum = policy.minimum_password_length if policy is not None else DEFAULT_MINIMUM_LENGTH
    length = max(length, minimum, 4)
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)
    everything = "".join(pools)
    chars = [secrets.choice(pool) for pool in pools]
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    # Shuffle so the guaranteed characters are not always the first four.
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
