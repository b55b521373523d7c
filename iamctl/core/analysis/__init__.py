"""Account-wide analyses: who can make a request, and who can escalate their privileges, each
answer decided by the policy engine through the same path as every other decision iamctl makes
(iamctl.core.authz.simulate.decide, the simulator's decision on one request, and
iamctl.core.authz.principals.authorize_assume for role assumption, which `role assume` makes)."""
