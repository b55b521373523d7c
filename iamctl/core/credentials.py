"""Secret material: password hashing and policy, access keys, session tokens, unique ids.

Pure functions, no storage: the users / passwords / access-keys operations call these and keep
the results in the account directory's secrets area. Randomness always comes from `secrets`
(the OS CSPRNG), never from `random`.

Two kinds of secret are stored as hashes, with different hashes on purpose:

* Passwords are chosen by people, so they are guessable: they get Argon2id, a slow,
  memory-hard KDF, at OWASP's recommended cost (``hash_password``).
* Access-key secrets and session tokens are ours, 240+ bits from the CSPRNG: no guessing
  attack exists to slow down, so a salted SHA-256 is as strong as Argon2 for them and keeps
  every authenticated command (``whoami``) fast (``hash_secret``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable

from iamctl.core.errors import ValidationError
from iamctl.core.model import PasswordPolicy

__all__ = [
    "ARGON2_MEMORY_KIB",
    "ARGON2_PARALLELISM",
    "ARGON2_TIME_COST",
    "DEFAULT_MINIMUM_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "SYMBOLS",
    "UNIQUE_ID_PREFIXES",
    "check_policy_ranges",
    "generate_password",
    "hash_password",
    "hash_secret",
    "new_access_key_id",
    "new_secret_access_key",
    "new_session_token",
    "new_unique_id",
    "password_needs_rehash",
    "password_violations",
    "validate_policy_settings",
    "verify_password",
    "verify_secret",
]

# --- passwords: hashing ----------------------------------------------------------------------

# OWASP Password Storage Cheat Sheet: "Use Argon2id with a minimum configuration of 19 MiB of
# memory, an iteration count of 2, and 1 degree of parallelism."
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


def _hasher():
    # argon2 is imported here, not at module level, so that commands which never touch a
    # password do not pay for loading the C extension (ruff TID253 enforces this).
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """Hash a console password with Argon2id (m=19 MiB, t=2, p=1, OWASP's recommendation).

    Returns the PHC string (``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``), which carries its
    own random salt and parameters, so a later change of cost still verifies old hashes.
    """
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True if `password` matches `stored_hash` (a ``hash_password`` result).

    Never raises for a wrong password, nor for a damaged or foreign hash string: a login must
    fail closed, not crash. argon2-cffi compares the derived keys in constant time.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        # VerifyMismatchError is a VerificationError; InvalidHashError covers a hash that is
        # not a PHC string at all.
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """True if `stored_hash` was made with other parameters than today's (rehash on login)."""
    from argon2.exceptions import InvalidHashError

    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# --- passwords: the account password policy ------------------------------------------------

# AWS's symbol set for RequireSymbols (UpdateAccountPasswordPolicy):
# ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"

# AWS: a console password is 1-128 characters of tab, LF, CR and U+0020-U+00FF
# (passwordType in the IAM API model: pattern [\u0009\u000A\u000D\u0020-\u00FF]+, max 128).
MAX_PASSWORD_LENGTH = 128


def _password_char_allowed(ch: str) -> bool:
    return ch in "\t\n\r" or 0x20 <= ord(ch) <= 0xFF


# One definition of the policy: `iamctl.core.model.PasswordPolicy`, the one the account stores.
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


# --- access keys and session tokens -----------------------------------------------------------

# AWS access key ids and unique ids are upper-case base32 (A-Z, 2-7) after a four-letter prefix.
_BASE32 = string.ascii_uppercase + "234567"
# Secret access keys are 40 characters of the base64 alphabet (A-Z a-z 0-9 + /).
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def new_access_key_id(prefix: str = "AKIA") -> str:
    """A 20-character access key id: `prefix` (AKIA long-term, ASIA temporary) + 16 base32 chars.

    16 base32 characters are 80 random bits, plenty for uniqueness within an account; the
    caller still checks for a clash before storing.
    """
    return _prefixed(prefix, 20)


def new_secret_access_key() -> str:
    """A 40-character secret access key from the base64 alphabet: 240 random bits."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def new_session_token() -> str:
    """An STS session token: 96 random bytes, standard base64 (128 characters, no padding).

    Real tokens are longer because they are encrypted blobs; ours only need to be unguessable.
    """
    return base64.b64encode(secrets.token_bytes(96)).decode("ascii")


# The secret hash format: "sha256$<salt hex>$<digest hex>". Why not Argon2 here: see the module
# docstring. The per-secret salt keeps two equal secrets (there are none in practice) from
# showing as equal hashes, and lets the format change later behind its tag.
_SECRET_HASH_TAG = "sha256"


def hash_secret(secret: str) -> str:
    """Hash a high-entropy secret (secret access key, session token) with salted SHA-256.

    Only for secrets this module generated: they carry 240+ random bits, so brute force is
    infeasible whatever the hash speed, and a fast hash keeps per-command authentication cheap.
    Never use this for passwords (``hash_password``).
    """
    salt = secrets.token_bytes(16)
    digest = hashlib.sha256(salt + secret.encode("utf-8")).hexdigest()
    return f"{_SECRET_HASH_TAG}${salt.hex()}${digest}"


def verify_secret(stored: str, secret: str) -> bool:
    """True if `secret` matches `stored` (a ``hash_secret`` result); False for any malformed hash.

    The digests are compared with ``hmac.compare_digest`` so timing reveals nothing of them.
    """
    try:
        tag, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if tag != _SECRET_HASH_TAG:
        return False
    candidate = hashlib.sha256(salt + secret.encode("utf-8")).hexdigest()
    return hmac.compare_digest(candidate, digest_hex)


# --- unique ids -------------------------------------------------------------------------------

# AWS "IAM identifiers", unique ID prefixes. A unique id is 21 characters: the prefix plus
# 17 upper-case base32 characters (85 random bits).
UNIQUE_ID_PREFIXES = {
    "ABIA": "STS service bearer token",
    "ACCA": "context-specific credential",
    "AGPA": "group",
    "AIDA": "user",
    "AIPA": "EC2 instance profile",
    "AKIA": "access key",
    "ANPA": "managed policy",
    "ANVA": "version in a managed policy",
    "APKA": "public key",
    "AROA": "role",
    "ASCA": "certificate",
    "ASIA": "temporary (STS) access key",
}


def new_unique_id(prefix: str) -> str:
    """A 21-character IAM unique id: a known four-letter prefix (AIDA user, AGPA group, AROA
    role, ANPA managed policy, ASIA/AKIA keys, ...) and 17 random base32 characters.

    An unknown prefix raises ``ValidationError``: a typo here would mint ids no tool recognises.
    """
    if prefix not in UNIQUE_ID_PREFIXES:
        raise ValidationError(f"unknown IAM unique id prefix {prefix!r}; expected one of "
                              f"{', '.join(sorted(UNIQUE_ID_PREFIXES))}")
    return _prefixed(prefix, 21)


def _prefixed(prefix: str, total: int) -> str:
    if len(prefix) != 4 or not prefix.isascii() or not prefix.isupper() or not prefix.isalpha():
        raise ValidationError(f"id prefix must be four upper-case letters, got {prefix!r}")
    return prefix + "".join(secrets.choice(_BASE32) for _ in range(total - len(prefix)))
