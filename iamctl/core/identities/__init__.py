"""IAM's entities and their operations, with AWS's rules: the account, users, groups, roles,
instance profiles, identity providers, managed and inline policies, and policy lookups."""
