"""Decisions on the account: a principal and every policy that applies to it, from the directory,
decided by the engine; the simulator over many requests."""
