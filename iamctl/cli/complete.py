"""Shell completion of entity names from the current account directory.

Each `complete_*` function is a Typer `autocompletion=` callback: `typer.Argument(...,
autocompletion=complete_users)`. They honour `--dir` / `IAMCTL_DIR` and `--account` /
`IAMCTL_ACCOUNT` as far as the command line has been parsed, and:

- read the listing of one folder (file names are lower-cased entity names), and files only
  where the listing cannot answer: the matched files when at most SPELLING_READS names match
  (for each name's real spelling), the customer managed policies for their ARNs (which hold
  the path; at most ARN_READS of them), or the one entity named earlier on the command line
  (its inline policies, access key ids or policy versions);
- never create anything: no account directory, no lock file (a directory that is not an
  account directory completes to nothing), and never wait for another process's lock;
- never read secrets;
- return nothing on any error, since a completion that raises would print a traceback into
  the user's shell.
"""

from typing import TYPE_CHECKING

# At run time, not only for type checkers: Typer reads the callbacks' annotations to know which
# argument is the context.
import typer

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import EntityKind, KindName

# Reading this many small TOML files costs a few milliseconds; beyond it, offer lower-case keys.
SPELLING_READS = 24


def _open(ctx: typer.Context) -> "Txn | None":
    """A lock-free read view of the account the command line selects, or None if there is none."""
    from iamctl.core.store.directory import Store, Txn, default_directory  # lazy: start-up

    params = ctx.find_root().params
    store = Store(params.get("directory") or default_directory(), account=params.get("account"))
    if not store.exists():
        return None
    # No lock: a folder listing is safe to take while a writer works (files are renamed into
    # place), and taking the lock would create .iamctl/ files and could wait for a writer.
    return Txn(store, writable=False)


def _spelling(txn: "Txn", kind: "KindName", key: str) -> str:
    from iamctl.core.store.records import KINDS  # lazy: start-up

    try:
        obj = txn.get(kind, key)
    except Exception:  # noqa: BLE001  # a damaged file still completes, by its key
        return key
    return getattr(obj, KINDS[kind].key_field, key) if obj is not None else key


def names(ctx: typer.Context, kind: "KindName", incomplete: str) -> list[str]:
    """Names of entities of `kind` starting with `incomplete` (without regard to case)."""
    try:
        txn = _open(ctx)
        if txn is None:
            return []
        prefix = incomplete.lower()
        keys = [k for k in txn.keys(kind) if k.startswith(prefix)]
        found = keys if len(keys) > SPELLING_READS else [_spelling(txn, kind, k) for k in keys]
        # Typer drops offers that do not start with the word as typed; names are unique without
        # regard to case, so keeping the user's case for the typed part names the same entity.
        return [n if n.startswith(incomplete) else incomplete + n[len(incomplete):] for n in found]
    except Exception:  # noqa: BLE001  # completion must never break the shell
        return []


def complete_users(ctx: typer.Context, incomplete: str) -> list[str]:
    return names(ctx, "user", incomplete)


def complete_groups(ctx: typer.Context, incomplete: str) -> list[str]:
    return names(ctx, "group", incomplete)


def complete_roles(ctx: typer.Context, incomplete: str) -> list[str]:
    return names(ctx, "role", incomplete)


def complete_policies(ctx: typer.Context, incomplete: str) -> list[str]:
    """Customer managed policy names; ARNs once the word starts with `arn:`."""
    if incomplete.lower().startswith("arn:"):
        return complete_policy_arns(ctx, incomplete)
    return names(ctx, "policy", incomplete)


def complete_mfa_devices(ctx: typer.Context, incomplete: str) -> list[str]:
    """Virtual MFA device names (commands take a device's name or its serial ARN)."""
    return names(ctx, "mfa", incomplete)


def complete_instance_profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    return names(ctx, "instance-profile", incomplete)


def complete_accounts(ctx: typer.Context, incomplete: str) -> list[str]:
    """The 12-digit ids of the accounts the directory holds."""
    try:
        txn = _open(ctx)
        return [] if txn is None else [a for a in txn.account_ids() if a.startswith(incomplete)]
    except Exception:  # noqa: BLE001  # completion must never break the shell
        return []


# Beyond this many customer managed policies, ARNs (which need each policy's path, so a read
# per policy) are offered only for the AWS managed ones.
ARN_READS = 200
AWS_POLICIES = "arn:aws:iam::aws:policy/"


def complete_policy_arns(ctx: typer.Context, incomplete: str) -> list[str]:
    """Managed policy ARNs: the account's customer managed policies and AWS managed ones."""
    try:
        found: list[str] = []
        txn = _open(ctx)
        if txn is not None and not incomplete.startswith("arn:aws:iam::aws:"):
            keys = txn.keys("policy")
            if len(keys) <= ARN_READS:
                for key in keys:
                    policy = txn.get("policy", key)
                    if policy is not None:
                        found.append(f"arn:aws:iam::{txn.account_id}:policy{policy.path}{policy.name}")
        if incomplete.startswith(AWS_POLICIES):
            from iamctl.core.engine import aws_managed  # lazy: start-up

            found += [p.arn for p in aws_managed.list()]
        elif AWS_POLICIES.startswith(incomplete):
            # ~1,600 AWS managed policies: offer their common prefix until the name is begun.
            found.append(AWS_POLICIES)
        return [arn for arn in found if arn.startswith(incomplete)]
    except Exception:  # noqa: BLE001  # completion must never break the shell
        return []


def for_kind(kind: "EntityKind"):
    """The completer of names of `kind` ("user", "group", "role"), for commands shared by kinds."""
    return {"user": complete_users, "group": complete_groups, "role": complete_roles}[kind]


# -- names held inside one entity: read that entity's file (one read) -----------------------


def _named_entity(ctx: typer.Context, kind: "KindName", param: str):
    """The entity an earlier argument of the command line names (e.g. the user of
    `user delete-access-key alice <TAB>`), or None."""
    value = ctx.params.get(param)
    if not value:
        return None
    txn = _open(ctx)
    if txn is None:
        return None
    if kind == "policy" and value.startswith("arn:"):
        value = value.rsplit("/", 1)[-1]  # customer managed policy names are unique per account
    return txn.get(kind, value)


def _inside(ctx: typer.Context, kind: "KindName", param: str, incomplete: str, values) -> list[str]:
    try:
        entity = _named_entity(ctx, kind, param)
        return [] if entity is None else sorted(v for v in values(entity) if v.startswith(incomplete))
    except Exception:  # noqa: BLE001  # completion must never break the shell
        return []


def inline_policies_for(kind: "EntityKind"):
    """The completer of the inline policy names of the user, group or role named by `NAME`."""

    def complete_inline_policies(ctx: typer.Context, incomplete: str) -> list[str]:
        return _inside(ctx, kind, "name", incomplete, lambda e: e.inline_policies)

    return complete_inline_policies


def complete_access_keys(ctx: typer.Context, incomplete: str) -> list[str]:
    """The access key ids (not secrets: AWS lists them too) of the user named by `NAME`."""
    return _inside(ctx, "user", "name", incomplete, lambda u: [k.access_key_id for k in u.access_keys])


def complete_policy_versions(ctx: typer.Context, incomplete: str) -> list[str]:
    """The version ids of the customer managed policy named by `POLICY`."""
    return _inside(ctx, "policy", "policy", incomplete, lambda p: [v.version_id for v in p.versions])


def complete_quotas(ctx: typer.Context, incomplete: str) -> list[str]:
    """The names `account set-quota` takes (no account needed)."""
    from iamctl.core.identities.account import quota_names  # lazy: start-up

    return [q for q in quota_names() if q.startswith(incomplete)]


def complete_org_targets(ctx: typer.Context, incomplete: str) -> list[str]:
    """`root`, the organization's OU names and ids, and its member account ids."""
    try:
        txn = _open(ctx)
        if txn is None or txn.get("organization", "organization") is None:
            return []
        words = ["root", *txn.keys("org-account")]
        for ou in txn.list("org-ou"):
            words += [ou.name, ou.id]
        return sorted({w for w in words if w.lower().startswith(incomplete.lower())})
    except Exception:  # noqa: BLE001  # completion must never break the shell
        return []


def complete_org_policies(ctx: typer.Context, incomplete: str) -> list[str]:
    """The organization's SCP and RCP names (AWS managed ones included)."""
    try:
        txn = _open(ctx)
        if txn is None or txn.get("organization", "organization") is None:
            return []
        words = ["FullAWSAccess", "RCPFullAWSAccess", *(p.name for p in txn.list("org-policy"))]
        return sorted({w for w in words if w.lower().startswith(incomplete.lower())})
    except Exception:  # noqa: BLE001  # completion must never break the shell
        return []
