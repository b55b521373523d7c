"""The policy engine: parse, match, decide, explain; validation; AWS's catalogue and managed
policies. Pure: no store, no I/O but AWS's bundled data; never prints. (No code here: import the
modules, so that loading one loads only what it needs.)

The API, by module::

    parse.parse_policy(document, *, name="policy", kind="identity") -> Policy
        document: JSON text/bytes or a decoded dict. kind: "identity" | "resource" | "trust" |
        "boundary" | "session" | "scp" | "rcp". Raises MalformedPolicyDocument naming the
        statement (index, Sid) and the fault, or the line/column of a JSON syntax error.

    request.PrincipalInfo(type, arn=None, account_id=None, username=None, userid=None, tags={},
                  base_arn=None, session_name=None, session_tags={}, mfa_authenticated=None,
                  mfa_auth_time=None, token_issue_time=None, source_identity=None,
                  service=None, provider=None, canonical_user=None)
        type: "User" | "AssumedRole" | "FederatedUser" | "Account" (root) | "Service" |
        "WebIdentity" | "SAML" | "CanonicalUser" | "Anonymous".

    request.request_context(principal, *, now=None) -> dict
        The global condition keys AWS fills for that caller (aws:username, aws:userid,
        aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:PrincipalTag/*,
        aws:CurrentTime, aws:EpochTime, MFA and session facts).

    request.make_request(action, resource="*", *, principal=None, context=None, now=None,
                 resource_account=None) -> Request
        request_context() overlaid with `context` (any key, any case; None removes a key).
        Multivalued keys are lists.

    decision.evaluate(request, *, identity=(), resource=None, trust=None, boundary=None, session=None,
             scps=None, rcps=None) -> Result
        Result.decision is "allowed" | "explicitDeny" | "implicitDeny"; also .matched
        (determining statements: policy, kind, sid, effect, index), .missing_context_keys,
        .identity_allowed, .resource_allowed, .boundary_allowed, .scp_allowed, .rcp_allowed,
        .session_allowed (None when that layer was not given), .errors (statements skipped
        because a request value could not be compared), .explanation (plain-words lines,
        computed on first access) and .as_dict().

    decision.decide(Facts) -> (decision, settled_by)
        The combining rule alone, for callers that reduce layers themselves.

Lower-level pieces: `evaluator.Evaluator(request).statement_applies(statement)`, `parse.Statement`,
`parse.Policy`, `conditions.ConditionEvaluationError`, `decision.TRUST_ACTIONS`. Beside the engine:
`validate` (findings, as IAM Access Analyzer), `catalog` (AWS's actions and condition keys) and
`aws_managed` (the AWS managed policies bundle).
"""
