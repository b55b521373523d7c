"""Long-term access keys (AKIA...): create, list, activate/deactivate, delete, authenticate.

An access key is kept in three places, all changed together in one transaction:

* its metadata on the user (``User.access_keys``: id, status, created, last used), diffable;
* an index record ``access-keys/<id>.toml`` naming its user, so that authenticating a key id
  reads one small file, not every user;
* the salted SHA-256 of its secret in the user's secret record, section ``access_keys``
  (``{AKIA... = {hash = "sha256$..."}}``), owner-only and outside git.

The secret itself is returned once, by `create_access_key`, and never stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import Struct, structs

from iamctl.core.base import clock, ids, names
from iamctl.core.base.errors import InvalidClientTokenId, NoSuchEntity, SignatureDoesNotMatch, ValidationError
from iamctl.core.credentials import hashing
from iamctl.core.identities.account import check_quota
from iamctl.core.store.records import AccessKeyMeta, AccessKeyRecord, User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

STATUSES = ("Active", "Inactive")
# AWS's wording for an unknown or inactive key id (sts:GetCallerIdentity, InvalidClientTokenId).
INVALID_TOKEN = "The security token included in the request is invalid."
# AWS's wording for a right key id with the wrong secret (SignatureDoesNotMatch).
BAD_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                 "Check your AWS Secret Access Key and signing method.")


class NewAccessKey(Struct, frozen=True):
    """A key just created: the only object that ever holds the secret access key."""

    user: User
    key: AccessKeyMeta
    secret_access_key: str


def create_access_key(txn: Txn, user_name: str) -> NewAccessKey:
    """Create an Active key for a user (CreateAccessKey) and return its secret, once.

    NoSuchEntity for a missing user; LimitExceeded when the user already has
    `quotas.access_keys_per_user` keys (AWS: 2, inactive keys included).
    """
    user: User = txn.require("user", user_name)
    check_quota(txn, "access_keys_per_user", len(user.access_keys), what="AccessKeysPerUser")
    key_id = ids.new_access_key_id()
    while txn.exists("access-key", key_id):  # 80 random bits: a clash is all but impossible
        key_id = ids.new_access_key_id()
    secret_key = hashing.new_secret_access_key()
    meta = AccessKeyMeta(access_key_id=key_id, status="Active", created=clock.iso())
    user = structs.replace(user, access_keys=[*user.access_keys, meta])
    txn.put("user", user)
    txn.put("access-key", AccessKeyRecord(access_key_id=key_id, user=user.name))
    secret = _secret(txn, user)
    keys = dict(secret.get("access_keys") or {})
    keys[key_id] = {"hash": hashing.hash_secret(secret_key)}
    secret["access_keys"] = keys
    txn.put_secret("user", user.name, secret)
    return NewAccessKey(user, meta, secret_key)


def list_access_keys(txn: Txn, user_name: str) -> list[AccessKeyMeta]:
    """The user's keys in creation order (ListAccessKeys): metadata only, never a secret."""
    user: User = txn.require("user", user_name)
    return list(user.access_keys)


def update_access_key(txn: Txn, user_name: str, key_id: str, status: str) -> AccessKeyMeta:
    """Set a key Active or Inactive (UpdateAccessKey). An inactive key fails authentication."""
    if status not in STATUSES:
        raise ValidationError(f"1 validation error detected: Value '{status}' at 'status' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [Active, Inactive]")
    user: User = txn.require("user", user_name)
    index = _index_of(user, key_id)
    meta = structs.replace(user.access_keys[index], status=status)
    keys = list(user.access_keys)
    keys[index] = meta
    txn.put("user", structs.replace(user, access_keys=keys))
    return meta


def delete_access_key(txn: Txn, user_name: str, key_id: str) -> AccessKeyMeta:
    """Delete a key (DeleteAccessKey): its metadata, index record and secret hash go together."""
    user: User = txn.require("user", user_name)
    index = _index_of(user, key_id)
    meta = user.access_keys[index]
    keys = [k for i, k in enumerate(user.access_keys) if i != index]
    txn.put("user", structs.replace(user, access_keys=keys))
    if txn.exists("access-key", meta.access_key_id):
        txn.delete("access-key", meta.access_key_id)
    secret = _secret(txn, user)
    hashes = dict(secret.get("access_keys") or {})
    if hashes.pop(meta.access_key_id, None) is not None:
        secret["access_keys"] = hashes
        txn.put_secret("user", user.name, secret)
    return meta


def authenticate_access_key(txn: Txn, key_id: str, secret_access_key: str, *, service: str = "sts") -> User:
    """The user owning an access key pair, as AWS checks a signed request; the building block of
    `whoami`, sessions and assume-role.

    Unknown or inactive key id: InvalidClientTokenId ("The security token included in the
    request is invalid."). Known id, wrong secret: SignatureDoesNotMatch. The secret is compared
    in constant time. In a writable transaction, a success is recorded as the key's last use
    (date and `service`), as AWS's GetAccessKeyLastUsed reports it.
    """
    record: AccessKeyRecord | None = txn.get("access-key", key_id)
    user: User | None = txn.get("user", record.user) if record is not None else None
    found = [k for k in user.access_keys if k.access_key_id == key_id] if user is not None else []
    # An id differing only in case maps to the same index file: it is still an unknown id.
    if user is None or not found or found[0].status != "Active":
        raise InvalidClientTokenId(INVALID_TOKEN)
    stored = ((_secret(txn, user).get("access_keys") or {}).get(key_id) or {}).get("hash", "")
    if not hashing.verify_secret(stored, secret_access_key):
        raise SignatureDoesNotMatch(BAD_SIGNATURE)
    if txn.writable:
        used = structs.replace(found[0], last_used=clock.iso(), last_used_service=service)
        keys = [used if k.access_key_id == key_id else k for k in user.access_keys]
        user = structs.replace(user, access_keys=keys)
        txn.put("user", user)
    return user


def caller_identity(txn: Txn, key_id: str, secret_access_key: str) -> dict[str, str]:
    """GetCallerIdentity for a long-term key pair: {UserId, Account, Arn} of its user
    (`authenticate_access_key`, so a success is recorded as the key's last use)."""
    user = authenticate_access_key(txn, key_id, secret_access_key)
    return {"UserId": user.user_id, "Account": txn.account_id,
            "Arn": names.arn(txn.account_id, "user", user.path, user.name)}


def _index_of(user: User, key_id: str) -> int:
    for i, key in enumerate(user.access_keys):
        if key.access_key_id == key_id:
            return i
    raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")


def _secret(txn: Txn, user: User) -> dict[str, Any]:
    return txn.get_secret("user", user.name) or {}
