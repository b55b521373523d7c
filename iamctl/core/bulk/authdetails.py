"""The format of `aws iam get-account-authorization-details`: its lists, the keys iamctl keeps
apart, and how dates and policy documents are written in it. Shared by import and export."""

from __future__ import annotations

from typing import Any

from iamctl.core.base import clock
from iamctl.core.base.errors import InvalidInput
from iamctl.core.identities.documents import document_text

LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
PAGINATION = ("Marker", "IsTruncated")
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
UNLISTED_ATTACHMENTS = "iamctl.unlisted-attachments"
UNLISTED_BOUNDARY_USES = "iamctl.unlisted-boundary-uses"
NOT_LISTED = "iamctl.not-listed"  # an AWS managed policy the input attached but did not list in Policies
BOUNDARY_TYPE = "PermissionsBoundaryPolicy"
DEFAULT_MAX_SESSION = 3600


class MalformedInput(InvalidInput):
    """An input file that does not have the shape of get-account-authorization-details."""


def fault(path: str, problem: str) -> MalformedInput:
    return MalformedInput(f"{path}: {problem}")


def kind_of(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def normalise_date(text: str, path: str = "$") -> str:
    """`2023-03-09 10:41:45+00:00`, `2013-10-14T18:32:24Z`, ... → `2023-03-09T10:41:45Z` (UTC)."""
    try:
        return clock.normalise_iso(text)
    except ValueError:
        raise fault(path, f"expected a date such as 2013-10-14T18:32:24Z, found {text!r}") from None


def decode_document(value: Any, path: str) -> str:
    """A policy document as JSON text, from an object, JSON text or URL-encoded JSON text."""
    if not isinstance(value, dict | str):
        raise fault(path, f"expected a policy document (an object or text), found {kind_of(value)}")
    text = document_text(value)
    if text is None:
        raise fault(path, "the policy document is neither JSON nor URL-encoded JSON")
    return text
