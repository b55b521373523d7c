"""The accounts of a directory as the analyses see them, read once.

Every user and role becomes the engine's `Principal` exactly as `simulate principal --user` /
`--role` builds it (iamctl.core.authz.principals.resolve_user / resolve_role), so an analysis
decides each request the way the simulator does. Parsed policies are shared between principals
(principals._parse keeps them by document), so a managed policy attached to thousands of users
is parsed once. Beside the principals: groups and their members, customer managed policies and
where they are attached, trust policies and instance profiles, which the techniques need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from iamctl.core.authz.principals import Principal, organization, resolve_role, resolve_user, trust_policy
from iamctl.core.base import names
from iamctl.core.base.errors import InvalidInput, NoSuchEntity

if TYPE_CHECKING:
    from iamctl.core.engine.parse import Policy
    from iamctl.core.store.directory import Txn
    from iamctl.core.store.records import Group, ManagedPolicy, Role, User

# Service-linked roles live under this path; only their AWS service can assume them ("Using
# service-linked roles").
SERVICE_ROLE_PATH = "/aws-service-role/"


class Node(Struct, frozen=True):
    """A user or a role of the directory, with the principal the engine evaluates for it."""

    arn: str
    type: str  # "User" | "Role"
    name: str
    account_id: str
    principal: Principal

    @property
    def label(self) -> str:
        return f"{'user' if self.type == 'User' else 'role'}/{self.name}"


class Snapshot:
    """Users, roles, groups, customer managed policies and trust policies of some accounts."""

    def __init__(self, txn: Txn, account_ids: list[str]) -> None:
        self.txn = txn
        self.account_ids = list(account_ids)
        self.views: dict[str, Txn] = {}
        self.nodes: dict[str, Node] = {}
        self.users: dict[str, User] = {}  # by ARN
        self.roles: dict[str, Role] = {}  # by ARN
        self.groups: dict[str, Group] = {}  # by ARN
        self.policies: dict[str, ManagedPolicy] = {}  # customer managed, by ARN
        self.account_of: dict[str, str] = {}  # entity ARN -> account id
        # The organization, for principals built here from outside the directory (services,
        # other accounts): those resolved from the directory carry it already.
        self.org = organization(txn)
        self._trust: dict[str, Policy] = {}
        self._by_id: dict[str, str] = {}
        self._groups_by_name: dict[tuple[str, str], str] | None = None
        self._members: dict[str, list[str]] | None = None
        self._holders: dict[str, list[str]] | None = None
        self._by_policy: dict[str, list[tuple[Policy, list[str]]]] | None = None
        for account_id in self.account_ids:
            view = txn if account_id == txn.account_id else txn.in_account(account_id)
            self.views[account_id] = view
            self._load(view)

    def _load(self, view: Txn) -> None:
        acct = view.account_id
        for policy in view.list("policy"):
            arn = names.arn(acct, "policy", policy.path, policy.name)
            self.policies[arn] = policy
            self.account_of[arn] = acct
        for group in view.list("group"):
            arn = names.arn(acct, "group", group.path, group.name)
            self.groups[arn] = group
            self.account_of[arn] = acct
        for user in view.list("user"):
            self._node(view, "User", user, user.user_id, self.users, resolve_user)
        for role in view.list("role"):
            self._node(view, "Role", role, role.role_id, self.roles, resolve_role)

    def _node(self, view: Txn, type_: str, entity: Any, unique_id: str, records: dict[str, Any],
              resolve: Callable[[Txn, str], Principal]) -> None:
        acct = view.account_id
        arn = names.arn(acct, type_.lower(), entity.path, entity.name)
        records[arn] = entity
        self.account_of[arn] = acct
        self._by_id[unique_id] = arn
        self.nodes[arn] = Node(arn, type_, entity.name, acct, resolve(view, entity.name))

    # -- lookups ----------------------------------------------------------------------------

    def view(self, arn: str) -> Txn:
        """The transaction view of the account an entity ARN belongs to."""
        return self.views[self.account_of[arn]]

    def trust(self, role_arn: str) -> Policy:
        """The role's trust policy, parsed once."""
        found = self._trust.get(role_arn)
        if found is None:
            found = self._trust[role_arn] = trust_policy(self.roles[role_arn])
        return found

    def find(self, ref: str, account_id: str) -> Node:
        """A user or role by ARN, by `user/NAME` / `role/NAME`, or by bare name (a user first, then
        a role) in `account_id`; NoSuchEntity when none matches."""
        if ref.startswith("arn:"):
            node = self.nodes.get(ref)
            if node is None:
                raise NoSuchEntity(f"no user or role with ARN {ref} in the analysed accounts")
            return node
        kind, sep, name = ref.partition("/")
        wanted = [kind.capitalize()] if sep and kind in ("user", "role") else ["User", "Role"]
        name = name if sep and kind in ("user", "role") else ref
        if not name:
            raise InvalidInput(f"{ref!r} names no principal (give NAME, user/NAME, role/NAME or an ARN)")
        for type_ in wanted:
            for node in self.nodes.values():
                if node.type == type_ and node.account_id == account_id and node.name.lower() == name.lower():
                    return node
        raise NoSuchEntity(f"no user or role named {name} in account {account_id}")

    def by_unique_id(self, unique_id: str) -> str | None:
        return self._by_id.get(unique_id)

    def is_service_linked(self, arn: str) -> bool:
        role = self.roles.get(arn)
        return role is not None and role.path.startswith(SERVICE_ROLE_PATH)

    def group_arn(self, account_id: str, name: str) -> str | None:
        return self._group_index().get((account_id, name.lower()))

    def _group_index(self) -> dict[tuple[str, str], str]:
        if self._groups_by_name is None:
            self._groups_by_name = {(self.account_of[arn], g.name.lower()): arn for arn, g in self.groups.items()}
        return self._groups_by_name

    def groups_of(self, user_arn: str) -> list[str]:
        """The ARNs of the user's groups."""
        acct = self.account_of[user_arn]
        index = self._group_index()
        return [g for g in (index.get((acct, n.lower())) for n in self.users[user_arn].groups) if g is not None]

    def members(self, group_arn: str) -> list[str]:
        """The ARNs of the group's members."""
        if self._members is None:
            self._members = {}
            for arn in self.users:
                for g in self.groups_of(arn):
                    self._members.setdefault(g, []).append(arn)
        return self._members.get(group_arn, [])

    def holders(self, policy_arn: str) -> list[str]:
        """The users and roles a managed policy applies to: attached to them directly or to one
        of their groups (not as a boundary)."""
        if self._holders is None:
            self._holders = {}
            for arn, user in self.users.items():
                found = set(user.attached_policies)
                for g in self.groups_of(arn):
                    found.update(self.groups[g].attached_policies)
                for p in sorted(found):
                    self._holders.setdefault(p, []).append(arn)
            for arn, role in self.roles.items():
                for p in role.attached_policies:
                    self._holders.setdefault(p, []).append(arn)
        return self._holders.get(policy_arn, [])

    def identity_policies(self, account_id: str) -> list[tuple[Policy, list[str]]]:
        """Each distinct parsed identity policy of the account's principals, with the ARNs of the
        principals it applies to (a managed policy shared by thousands is listed once)."""
        if self._by_policy is None:
            index: dict[str, dict[int, tuple[Policy, list[str]]]] = {}
            for arn, node in self.nodes.items():
                mine = index.setdefault(node.account_id, {})
                for pol in node.principal.identity:
                    mine.setdefault(id(pol), (pol, []))[1].append(arn)
            self._by_policy = {acct: list(found.values()) for acct, found in index.items()}
        return self._by_policy.get(account_id, [])

    def bounded_by(self, policy_arn: str) -> list[str]:
        """The users and roles whose permissions boundary is this policy."""
        out = [arn for arn, user in self.users.items() if user.permissions_boundary == policy_arn]
        return out + [arn for arn, role in self.roles.items() if role.permissions_boundary == policy_arn]
