"""Credentials and sessions: hashing, the password policy, passwords, sign-in, access keys, MFA
(TOTP), live sessions and STS (assume role, web identity)."""
