"""iamctl: AWS Identity and Access Management, re-created on a local account directory."""

__version__ = "0.1.0"
