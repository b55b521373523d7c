"""Account-wide analyses: who can make a request, and who can escalate their privileges, each
answer decided by the policy engine through the same path as every other decision iamctl makes
(iamctl.core.authz.principals.authorize, and iamctl.core.credentials.sts.assume_decision for
role assumption)."""
