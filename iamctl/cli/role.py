"""`iamctl role ...`: roles, trust policies and temporary credentials (assume, sessions); the
instance-profile and provider groups live in instance_profile.py and provider.py."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iamctl.cli import instance_profile, provider, render, validate
from iamctl.cli.common import OutputOpt, fmt, hinting, reading, writing
from iamctl.cli.complete import complete_roles
from iamctl.cli.listing import MaxItemsOpt, PathPrefixOpt, StartingTokenOpt, render_page
from iamctl.cli.policy_commands import add_policy_commands, read_document, show_with_document
from iamctl.cli.shapes import role_item, tags_item
from iamctl.cli.syntax import (
    CallerOpt,
    ConditionOpt,
    Tag,
    TagOpt,
    TagsArg,
    parse_tag,
    session_credentials,
    tag_dict,
)

if TYPE_CHECKING:
    from iamctl.core.credentials.sts import Issued
    from iamctl.core.store.records import Session

app = typer.Typer(no_args_is_help=True, help="IAM roles: create, show, assume, sessions, trust policies, tags.")
app.add_typer(instance_profile.app, name="instance-profile")
app.add_typer(provider.app, name="provider")

NameArg = Annotated[str, typer.Argument(help="The role's name.", metavar="ROLE", autocompletion=complete_roles)]
RoleRefArg = Annotated[str, typer.Argument(help="The role's name, or its ARN (another account).", metavar="ROLE",
                                           autocompletion=complete_roles)]
LIST_COLUMNS = ["RoleName", "Path", "RoleId", "Arn", "CreateDate"]




def _trust_file(path: str | None) -> str | None:
    return read_document(path) if path is not None else None


@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArg,
    trust_policy: Annotated[str | None, typer.Option("--trust-policy", help="Trust policy JSON: a file, "
                            "file://FILE or - for stdin.", metavar="FILE|-")] = None,
    trust_service: Annotated[list[str] | None, typer.Option("--trust-service",
                             help="Trust an AWS service, e.g. ec2.amazonaws.com (repeatable).")] = None,
    trust_account: Annotated[list[str] | None, typer.Option("--trust-account",
                             help="Trust an account (its root: it delegates to its principals).")] = None,
    trust_user: Annotated[list[str] | None, typer.Option("--trust-user",
                          help="Trust one principal ARN (user or role) (repeatable).", metavar="ARN")] = None,
    trust_oidc: Annotated[str | None, typer.Option("--trust-oidc", help="Trust tokens of this OIDC provider "
                          "(URL or ARN); needs --condition.", metavar="PROVIDER")] = None,
    condition: ConditionOpt = None,
    require_mfa: Annotated[bool, typer.Option("--require-mfa", help="Only callers signed in with MFA.")] = False,
    external_id: Annotated[str | None, typer.Option("--external-id", help="Require this sts:ExternalId.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Up to 1,000 characters.")] = None,
    path: Annotated[str, typer.Option("--path", help="The role's path, e.g. /service/.")] = "/",
    max_session_duration: Annotated[int, typer.Option("--max-session-duration",
                                    help="3,600 to 43,200 seconds.")] = 3600,
    tag: TagOpt = None,
    permissions_boundary: Annotated[str | None, typer.Option("--permissions-boundary",
                                    help="ARN of a managed policy to use as boundary.")] = None,
    output: OutputOpt = None,
) -> None:
    """Create a role with a trust policy from a file or written from shorthands.

    The trust policy must name a Principal and grant only sts:AssumeRole, AssumeRoleWithSAML,
    AssumeRoleWithWebIdentity, TagSession, SetSourceIdentity or SetContext; its warnings (such as
    a Principal "*" that lets anyone assume the role) are printed on stderr. --require-mfa and
    --external-id add their conditions to the AWS-principal statement; --condition goes on the
    OIDC statement when there is one.

    Example: iamctl role create deploy --trust-account 111122223333 --require-mfa
    """
    from iamctl.core.identities import roles  # lazy: start-up

    text = _trust_file(trust_policy)
    findings: list = []
    with writing(ctx) as txn:
        if text is None:
            text = roles.trust_policy_document(
                txn, services=trust_service, accounts=trust_account, principal_arns=trust_user,
                oidc_provider=trust_oidc, conditions=condition, require_mfa=require_mfa, external_id=external_id)
        elif any([trust_service, trust_account, trust_user, trust_oidc, condition, require_mfa, external_id]):
            raise typer.BadParameter("give --trust-policy or the --trust-* shorthands, not both")
        role = roles.create_role(txn, name, text, path=path, description=description,
                                 max_session_duration=max_session_duration, tags=tag_dict(tag),
                                 permissions_boundary=permissions_boundary, findings=findings)
        item = {**role_item(role, roles.role_arn(txn, role)), "Tags": tags_item(role.tags)}
    validate.show_findings(findings)
    show_with_document(fmt(ctx, output), key="Role", item=item, document=role.assume_role_policy,
                       doc_key="AssumeRolePolicyDocument")


@app.command("show")
def show(ctx: typer.Context, name: NameArg, output: OutputOpt = None) -> None:
    """Show a role: trust policy, policies, boundary, instance profiles, last used.

    Example: iamctl role show deploy -o json
    """
    from iamctl.core.identities import roles  # lazy: start-up

    with reading(ctx) as txn:
        d = roles.role_details(txn, name)
    r = d.role
    item = {
        **role_item(r, d.arn), "Tags": tags_item(r.tags),
        "AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in r.attached_policies],
        "InlinePolicies": sorted(r.inline_policies),
        "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": r.permissions_boundary}
        if r.permissions_boundary else None,
        "InstanceProfiles": d.instance_profile_arns,
        "RoleLastUsed": {"LastUsedDate": r.last_used.last_used_date} if r.last_used else {},
        "SessionsRevokedBefore": r.sessions_revoked_before,
    }
    show_with_document(fmt(ctx, output), key="Role", item=item, document=d.trust_policy,
                       doc_key="AssumeRolePolicyDocument")


@app.command("list")
def list_roles(ctx: typer.Context, path_prefix: PathPrefixOpt = None, max_items: MaxItemsOpt = None,
               starting_token: StartingTokenOpt = None, output: OutputOpt = None) -> None:
    """List roles, sorted by name.

    Example: iamctl role list --path-prefix /service/
    """
    from iamctl.core.identities import roles  # lazy: start-up

    with reading(ctx) as txn:
        page = roles.list_roles(txn, path_prefix=path_prefix, max_items=max_items, starting_token=starting_token)
        items = [role_item(r, roles.role_arn(txn, r)) for r in page.items]
    render_page(ctx, output, page, "Roles", items, LIST_COLUMNS)


@app.command("update")
def update(
    ctx: typer.Context,
    name: NameArg,
    description: Annotated[str | None, typer.Option("--description", help="New description.")] = None,
    max_session_duration: Annotated[int | None, typer.Option("--max-session-duration",
                                    help="3,600 to 43,200 seconds.")] = None,
    permissions_boundary: Annotated[str | None, typer.Option("--permissions-boundary",
                                    help="Set the boundary to this managed policy ARN.")] = None,
    remove_boundary: Annotated[bool, typer.Option("--remove-permissions-boundary",
                               help="Remove the permissions boundary.")] = False,
) -> None:
    """Change a role's description, maximum session duration or permissions boundary.

    Example: iamctl role update deploy --max-session-duration 7200
    """
    from iamctl.core.identities import roles  # lazy: start-up

    if permissions_boundary is not None and remove_boundary:
        raise typer.BadParameter("--permissions-boundary and --remove-permissions-boundary exclude each other")
    changes: dict = {"max_session_duration": max_session_duration}
    if description is not None:
        changes["description"] = description
    if permissions_boundary is not None or remove_boundary:
        changes["permissions_boundary"] = permissions_boundary
    with writing(ctx) as txn:
        roles.update_role(txn, name, **changes)


@app.command("update-trust-policy")
def update_trust_policy(
    ctx: typer.Context,
    name: NameArg,
    trust_policy: Annotated[str, typer.Option("--trust-policy", help="Trust policy JSON: a file, file://FILE "
                            "or - for stdin.", metavar="FILE|-")],
) -> None:
    """Replace a role's trust policy, validated as a trust policy.

    Principal required; only sts:AssumeRole* / sts:TagSession / sts:SetSourceIdentity /
    sts:SetContext actions; warnings are printed on stderr.

    Example: iamctl role update-trust-policy deploy --trust-policy trust.json
    """
    from iamctl.core.identities import roles  # lazy: start-up

    text = read_document(trust_policy)
    findings: list = []
    with writing(ctx) as txn:
        roles.update_trust_policy(txn, name, text, findings=findings)
    validate.show_findings(findings)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArg,
    force: Annotated[bool, typer.Option("--force", help="First remove it from instance profiles and drop its "
                                        "policies.")] = False,
) -> None:
    """Delete a role.

    Refused (DeleteConflict) while it is in an instance profile or has inline or attached
    policies; --force removes those first, in one transaction.

    Example: iamctl role delete deploy --force
    """
    from iamctl.core.identities import roles  # lazy: start-up

    hint = None if force else "use --force to remove them with the role"
    with writing(ctx) as txn, hinting("DeleteConflict", hint):
        roles.delete_role(txn, name, force=force)


@app.command("tag")
def tag(ctx: typer.Context, name: NameArg,
        tags: TagsArg) -> None:
    """Add tags to a role, overwriting the value of a key it already has.

    Example: iamctl role tag deploy team=platform
    """
    from iamctl.core.identities import roles  # lazy: start-up

    with writing(ctx) as txn:
        roles.tag_role(txn, name, tag_dict(tags))


@app.command("untag")
def untag(ctx: typer.Context, name: NameArg,
          keys: Annotated[list[str], typer.Argument(help="Tag keys to remove.", metavar="KEY...")]) -> None:
    """Remove tags from a role by key.

    Example: iamctl role untag deploy team
    """
    from iamctl.core.identities import roles  # lazy: start-up

    with writing(ctx) as txn:
        roles.untag_role(txn, name, keys)


@app.command("list-tags")
def list_tags(ctx: typer.Context, name: NameArg, output: OutputOpt = None) -> None:
    """List a role's tags.

    Example: iamctl role list-tags deploy -o json
    """
    from iamctl.core.identities import roles  # lazy: start-up

    with reading(ctx) as txn:
        tags = roles.get_role(txn, name).tags
    render.rows(fmt(ctx, output), key="Tags", items=tags_item(tags), columns=["Key", "Value"])


add_policy_commands(app, "role")


# -- temporary credentials ---------------------------------------------------------------------


def credentials_item(issued: "Issued") -> dict:
    """AWS AssumeRole's response shape."""
    s = issued.session
    item: dict[str, Any] = {
        "Credentials": {"AccessKeyId": s.access_key_id, "SecretAccessKey": issued.secret_access_key,
                        "SessionToken": issued.session_token, "Expiration": s.expires},
        "AssumedRoleUser": {"AssumedRoleId": f"{issued.role_id}:{s.session_name}", "Arn": s.arn},
    }
    if s.source_identity is not None:
        item["SourceIdentity"] = s.source_identity
    return item


@app.command("assume")
def assume(
    ctx: typer.Context,
    role: RoleRefArg,
    caller: CallerOpt = None,
    service: Annotated[str | None, typer.Option("--as-service", help="Only check whether this service may "
                       "assume the role (no credentials).", metavar="SERVICE")] = None,
    session_name: Annotated[str | None, typer.Option("--session-name", help="2-64 characters.")] = None,
    duration: Annotated[int | None, typer.Option("--duration", help="Seconds: 900 to the role's maximum "
                        "(3,600 when chaining). Default 3,600.")] = None,
    external_id: Annotated[str | None, typer.Option("--external-id", help="The sts:ExternalId to present.")] = None,
    mfa_code: Annotated[str | None, typer.Option("--mfa-code", help="A code of the user's MFA device.")] = None,
    tag: Annotated[list[Tag] | None, typer.Option("--tag", help="A session tag KEY=VALUE (repeatable).",
                                                  parser=parse_tag, metavar="KEY=VALUE")] = None,
    transitive: Annotated[list[str] | None, typer.Option("--transitive-tag-key",
                          help="A session tag key that passes on to chained sessions.", metavar="KEY")] = None,
    policy_file: Annotated[str | None, typer.Option("--policy-file", help="A session policy (≤ 2,048 "
                           "characters).", metavar="FILE|-")] = None,
    source_identity: Annotated[str | None, typer.Option("--source-identity", help="Set sts:SourceIdentity.")] = None,
    output: OutputOpt = None,
) -> None:
    """Assume a role and print temporary credentials, once.

    Decided as AWS does: the trust policy must allow the caller, and the caller's policies
    must allow sts:AssumeRole on the role unless the same-account trust policy names the caller.
    A refusal says which side refused and why. Only hashes of the secret and token are kept.

    Example: iamctl role assume deploy --as user/bob --session-name bob --duration 1800
    """
    from iamctl.core.credentials import sts  # lazy: start-up

    if (caller is None) == (service is None):
        raise typer.BadParameter("give --as CALLER or --as-service SERVICE")
    if caller is None:
        with reading(ctx) as txn:
            sts.check_service(txn, role, service or "")
        render.record(fmt(ctx, output), key=None, item={"Decision": "allowed", "Service": service, "Role": role})
        return
    if session_name is None:
        raise typer.BadParameter("--session-name is required to assume a role")
    if mfa_code is not None and caller.kind != "user":
        raise typer.BadParameter("only a user caller (--as user/NAME) has an MFA device; a session carries "
                                 "the MFA facts of its sign-in", param_hint="'--mfa-code'")
    credentials = None
    if caller.kind == "session":
        if policy_file == "-":
            raise typer.BadParameter("standard input holds the session's credentials with --as session; give "
                                     "the session policy in a file", param_hint="'--policy-file'")
        credentials = session_credentials(sys.stdin.read(), option="'--as'")
    policy = read_document(policy_file) if policy_file else None
    with writing(ctx) as txn:  # a refused MFA code is recorded all the same (the store's attempt records)
        who = sts.resolve_caller(txn, caller.kind, caller.name, credentials=credentials, mfa_code=mfa_code)
        issued = sts.assume_role(
            txn, role, who, session_name=session_name, duration=duration, external_id=external_id,
            tags=tag_dict(tag), transitive_tag_keys=transitive, session_policy=policy,
            source_identity=source_identity)
    render.record(fmt(ctx, output), key=None, item=credentials_item(issued), title="Temporary credentials")
    render.note("the secret access key and session token are shown only now; keep them safe")


@app.command("assume-web-identity")
def assume_web_identity(
    ctx: typer.Context,
    role: RoleRefArg,
    session_name: Annotated[str, typer.Option("--session-name", help="2-64 characters.")],
    token: Annotated[str | None, typer.Option("--token", help="The JWT: a file or - for stdin.",
                     metavar="FILE|-")] = None,
    claims: Annotated[str | None, typer.Option("--claims", help="A JSON file of token claims: dry run.",
                      metavar="FILE")] = None,
    duration: Annotated[int | None, typer.Option("--duration", help="Seconds: 900 to the role's maximum.")] = None,
    output: OutputOpt = None,
) -> None:
    """Assume a role with an OIDC token (AssumeRoleWithWebIdentity), or dry-run its claims.

    The trust policy's Federated principal must be the token's provider, and its conditions
    are evaluated on PROVIDER:sub, :aud and :amr. With a JWKS registered for the provider the
    signature is verified and credentials are issued; otherwise only the decision is shown.

    Example: iamctl role assume-web-identity gha --token token.jwt --session-name ci
    """
    from iamctl.core.credentials import sts  # lazy: start-up

    if (token is None) == (claims is None):
        raise typer.BadParameter("give --token FILE or --claims FILE")
    text = read_document(token or claims or "")
    with writing(ctx) as txn:
        out = sts.assume_role_with_web_identity(
            txn, role, session_name=session_name, duration=duration,
            token=text if token else None, claims=sts.load_claims(text) if claims else None)
    item = {"Decision": "allowed", "Provider": out.provider_arn, "SignatureVerified": out.verified,
            "SubjectFromWebIdentityToken": out.claims.get("sub"), "Context": out.context}
    item.update(credentials_item(out.issued) if out.issued else {"NoCredentials": "dry run (--claims)" if claims else out.reason})
    render.record(fmt(ctx, output), key=None, item=item, title="Web identity")
    if out.issued:
        render.note("the secret access key and session token are shown only now; keep them safe")


def session_item(s: "Session") -> dict:
    return {"AccessKeyId": s.access_key_id, "Arn": s.arn, "Type": s.type, "Issued": s.issued,
            "Expiration": s.expires, "CallerArn": s.caller_arn, "MFA": s.mfa_authenticated,
            "Chained": s.chained, "Tags": tags_item(s.tags), "SourceIdentity": s.source_identity}


@app.command("sessions")
def sessions(ctx: typer.Context, role: RoleRefArg, output: OutputOpt = None) -> None:
    """List a role's live (unexpired) sessions, oldest first; never their secrets.

    Expired sessions of the account are deleted on the way (issuing a session does that too).

    Example: iamctl role sessions deploy
    """
    from iamctl.core.credentials import sts  # lazy: start-up

    with writing(ctx) as txn:
        found = sts.list_sessions(txn, role)
    render.rows(fmt(ctx, output), key="Sessions", items=[session_item(s) for s in found],
                columns=["AccessKeyId", "Arn", "Issued", "Expiration", "CallerArn", "MFA", "Chained"])


@app.command("revoke-sessions")
def revoke_sessions(ctx: typer.Context, role: RoleRefArg, output: OutputOpt = None) -> None:
    """Revoke every session of a role issued before now, as AWS does.

    Puts the inline policy AWSRevokeOlderSessions on the role: Deny * when aws:TokenIssueTime
    is before now. New sessions are not affected; delete the policy to lift the revocation.

    Example: iamctl role revoke-sessions deploy
    """
    from iamctl.core.credentials import sts  # lazy: start-up

    with writing(ctx) as txn:
        updated = sts.revoke_sessions(txn, role)
    render.record(fmt(ctx, output), key=None, item={"RoleName": updated.name, "PolicyName": sts.REVOKE_POLICY_NAME,
                                                    "SessionsRevokedBefore": updated.sessions_revoked_before})


# -- instance profiles -------------------------------------------------------------------------


















# -- identity providers ------------------------------------------------------------------------








