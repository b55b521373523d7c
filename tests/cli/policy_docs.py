"""Policy documents for the analysis tests, written the way AWS's examples write them."""

from __future__ import annotations

import json

ACCOUNT = "111122223333"
OTHER = "444455556666"


def doc(*statements: dict) -> str:
    """A 2012-10-17 policy document of `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def arn(kind: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"
