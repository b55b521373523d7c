"""Secret material: password hashing, secret access keys and session tokens, and their hashes.

Pure functions, no storage: the passwords, access-keys and STS operations call these and keep
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

# --- passwords: hashing ----------------------------------------------------------------------

# OWASP Password Storage Cheat Sheet: "Use Argon2id with a minimum configuration of 19 MiB of
# memory, an iteration count of 2, and 1 degree of parallelism."
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


def _hasher():
    # argon2 is imported here, not at module level, so that commands which never touch a
    # password do not pay for loading the C extension (ruff TID253 enforces this).
    from argon2 import PasswordHasher, Type  # lazy: heavy library

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
    from argon2.exceptions import InvalidHashError, VerificationError  # lazy: heavy library

    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        # VerifyMismatchError is a VerificationError; InvalidHashError covers a hash that is
        # not a PHC string at all.
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """True if `stored_hash` was made with other parameters than today's (rehash on login)."""
    from argon2.exceptions import InvalidHashError  # lazy: heavy library

    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# --- passwords: the account password policy ------------------------------------------------




















# --- access keys and session tokens -----------------------------------------------------------

# Secret access keys are 40 characters of the base64 alphabet (A-Z a-z 0-9 + /).
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"




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





