"""The unique ids of the users and roles a trust policy names, as IAM keeps them.

IAM User Guide, "AWS JSON policy elements: Principal" (IAM role and user principals): when a
trust policy naming a user or role ARN is saved, IAM transforms the ARN into the principal's
unique id (AIDA..., AROA...), and transforms it back to the ARN when the policy is shown. Once
the principal is deleted the id can no longer be mapped back: the policy shows the id, and it
no longer applies, even to a user or role created again under the same name.

iamctl keeps the policy's text as written and the mapping beside it (`Role.trust_principal_ids`,
ARN -> unique id). Here: the mapping of a policy now, and the policy with ids put in. The role
operations use these, and so does the store's upgrade of directories written before the
mapping existed (upgrade.py), which is why they live in the store layer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from iamctl.core.base import jsonload, names
from iamctl.core.store.records import User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import Role

_PRINCIPAL_ARN = re.compile(r"^arn:aws:iam::(\d{12}):(user|role)(/(?:[^*?]*/)?)([^/*?]+)$")


def _principal_slots(document: Any) -> list[tuple[dict[str, Any], int | None]]:
    """Where a policy document names AWS principals: (the Principal or NotPrincipal object, the
    index in its "AWS" list, or None when "AWS" is a single string)."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    found: list[tuple[dict[str, Any], int | None]] = []
    for st in statements if isinstance(statements, list) else [statements]:
        for element in ("Principal", "NotPrincipal"):
            value = st.get(element) if isinstance(st, dict) else None
            if not isinstance(value, dict):
                continue
            aws = value.get("AWS")
            if isinstance(aws, str):
                found.append((value, None))
            elif isinstance(aws, list):
                found += [(value, i) for i, v in enumerate(aws) if isinstance(v, str)]
    return found


def _get(holder: dict[str, Any], index: int | None) -> str:
    return holder["AWS"] if index is None else holder["AWS"][index]


def _set(holder: dict[str, Any], index: int | None, value: str) -> None:
    if index is None:
        holder["AWS"] = value
    else:
        holder["AWS"][index] = value


def principal_unique_id(txn: Txn, arn: str) -> str | None:
    """The unique id of the user or role `arn` names now (its path included), in any account
    of the directory; None when it names none."""
    m = _PRINCIPAL_ARN.match(arn)
    if m is None or not txn.account_exists(m.group(1)):
        return None
    view = txn if m.group(1) == txn.account_id else txn.in_account(m.group(1))
    entity = view.get("user", m.group(4)) if m.group(2) == "user" else view.get("role", m.group(4))
    if entity is None or names.arn(m.group(1), m.group(2), entity.path, entity.name) != arn:
        return None
    return entity.user_id if isinstance(entity, User) else entity.role_id


def trust_principal_ids(txn: Txn, trust_policy: str) -> dict[str, str]:
    """ARN -> unique id for every user and role the policy names by ARN that exists now: what
    IAM keeps when the policy is saved."""
    ids: dict[str, str] = {}
    for holder, index in _principal_slots(jsonload.stored(trust_policy, where="a trust policy")):
        arn = _get(holder, index)
        unique_id = principal_unique_id(txn, arn)
        if unique_id is not None:
            ids[arn] = unique_id
    return ids


def with_unique_ids(role: Role, keep: Callable[[str, str], bool]) -> str:
    """The role's trust policy with every recorded ARN replaced by its unique id, except where
    `keep(arn, unique_id)` is true; the text as written when nothing is replaced."""
    if not role.trust_principal_ids:
        return role.assume_role_policy
    document = jsonload.stored(role.assume_role_policy, where=f"role {role.name}: trust policy")
    changed = False
    for holder, index in _principal_slots(document):
        arn = _get(holder, index)
        unique_id = role.trust_principal_ids.get(arn)
        if unique_id is not None and not keep(arn, unique_id):
            _set(holder, index, unique_id)
            changed = True
    return json.dumps(document, indent=2) + "\n" if changed else role.assume_role_policy
