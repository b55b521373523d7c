"""The IAM policy evaluation engine: parse, match, decide, explain. Pure; never prints.

Public API::

    parse_policy(document, *, name="policy", kind="identity") -> Policy
        document: JSON text/bytes or a decoded dict. kind: "identity" | "resource" | "trust" |
        "boundary" | "session" | "scp" | "rcp". Raises MalformedPolicyDocument naming the
        statement (index, Sid) and the fault, or the line/column of a JSON syntax error.

    PrincipalInfo(type, arn=None, account_id=None, username=None, userid=None, tags={},
                  base_arn=None, session_name=None, session_tags={}, mfa_authenticated=None,
                  mfa_auth_time=None, token_issue_time=None, source_identity=None,
                  service=None, provider=None, canonical_user=None)
        type: "User" | "AssumedRole" | "FederatedUser" | "Account" (root) | "Service" |
        "WebIdentity" | "SAML" | "CanonicalUser" | "Anonymous".

    request_context(principal, *, now=None) -> dict
        The global condition keys AWS fills for that caller (aws:username, aws:userid,
        aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:PrincipalTag/*,
        aws:CurrentTime, aws:EpochTime, MFA and session facts).

    make_request(action, resource="*", *, principal=None, context=None, now=None,
                 resource_account=None) -> Request
        request_context() overlaid with `context` (any key, any case; None removes a key).
        Multivalued keys are lists.

    evaluate(request, *, identity=(), resource=None, trust=None, boundary=None, session=None,
             scps=None, rcps=None) -> Result
        Result.decision is "allowed" | "explicitDeny" | "implicitDeny"; also .matched
        (determining statements: policy, kind, sid, effect, index), .missing_context_keys,
        .identity_allowed, .resource_allowed, .boundary_allowed, .scp_allowed, .rcp_allowed,
        .session_allowed (None when that layer was not given), .errors (statements skipped
        because a request value could not be compared), .explanation (plain-words lines,
        computed on first access) and .as_dict().

    decide(Facts) -> (decision, settled_by)
        The combining rule alone, for callers that reduce layers themselves.

Lower-level pieces: `Evaluator(request).statement_applies(statement)`, `Statement`, `Policy`,
`ConditionEvaluationError`, `TRUST_ACTIONS`.
"""

from __future__ import annotations

from iamctl.core.policy.conditions import ConditionEvaluationError
from iamctl.core.policy.decision import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    TRUST_ACTIONS,
    EvaluationError,
    Facts,
    MatchedStatement,
    Result,
    decide,
    evaluate,
)
from iamctl.core.policy.evaluator import Evaluator
from iamctl.core.policy.parse import KINDS, Policy, Statement, parse_policy
from iamctl.core.policy.request import PrincipalInfo, Request, make_request, request_context

__all__ = [
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "KINDS",
    "TRUST_ACTIONS",
    "ConditionEvaluationError",
    "EvaluationError",
    "Evaluator",
    "Facts",
    "MatchedStatement",
    "Policy",
    "PrincipalInfo",
    "Request",
    "Result",
    "Statement",
    "decide",
    "evaluate",
    "make_request",
    "parse_policy",
    "request_context",
]
