"""The shared core: model, account-directory store, operations and the policy engine.

Nothing here imports typer or rich, and nothing prints: operations return model objects or
raise an `iamctl.core.errors.IamError`.
"""
