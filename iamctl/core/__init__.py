"""The shared core, in layers (each may import only the layers below it; .ci/run checks this
with import-linter's contract in pyproject.toml):

    bulk          onboarding, credential report, account import/export, CloudFormation
    credentials   hashing, password policy, passwords, sign-in, access keys, MFA, sessions, STS
    authz         principals and their policies from the directory; the simulator
    identities    account, users, groups, roles, instance profiles, providers, managed policies
    engine | store   the policy engine (pure) | the account directory and its records
    base          errors, clock, names and ARNs, ids

Nothing here imports typer or rich, and nothing prints: operations return records or raise an
`iamctl.core.base.errors.IamError`. No package runs code on import.
"""
