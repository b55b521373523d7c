"""The policy engine: parse, match, decide, explain; validation; AWS's catalogue and managed
policies. Pure: no store, no I/O but AWS's bundled data; never prints. (No code here: import the
modules, so that loading one loads only what it needs.)

The API, by module::

    parse.parse_policy(document, *, name="policy", kind="identity", strict=True) -> Policy
        document: JSON text/bytes or a decoded dict. kind: "identity" | "resource" | "trust" |
        "boundary" | "session" | "scp" | "rcp". Raises MalformedPolicyDocument naming the
        statement (counted from 1, with its Sid) and the fault, or the line/column of a JSON
        syntax error. strict=False (evaluating, not storing) tolerates grammar.TOLERABLE errors
        and keeps them as Policy.warnings.

    parse.check_policy(document, *, kind, name, strict=True) -> Analysis
        The same walk, never raising for grammar faults: every Finding (grammar.Finding: type,
        code, message, statement index, JSON path, line, column) and the Policy when it has no
        ERROR. validate.validate_policy(text, policy_type=...) adds the catalogue and security
        checks to it.

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
        scps/rcps: levels, each a decision.Level(name, policies) or a list of policies.
        Result.decision is "allowed" | "explicitDeny" | "implicitDeny"; also .matched
        (determining statements: policy, kind, sid, effect, index), .missing_context_keys,
        .identity_allowed, .resource_allowed, .boundary_allowed, .scp_allowed, .rcp_allowed,
        .session_allowed (None when that layer was not given), .errors (statements skipped
        because a request value could not be compared), .layers (what each layer's scan found),
        .blocking_level (the SCP/RCP level that did not allow), .explanation (plain-words lines,
        computed on first access) and .as_dict().

    decision.decide(Facts) -> (decision, settled_by)
        The combining rule alone, for callers that reduce layers themselves.

Lower-level pieces: `evaluator.Evaluator(request).scan(policies, errors, principals=...)` (the one
statement test; `statement_applies(statement)` for one), `parse.Statement`, `parse.Policy`,
`conditions.ConditionEvaluationError`, `grammar` (the policy language: elements, operators,
per-type rules, `TRUST_ACTIONS`). Beside the engine: `validate` (findings, as IAM Access
Analyzer), `catalog` (AWS's actions and condition keys) and `aws_managed` (the AWS managed
policies bundle).
"""
